//! The boards Granule knows: their UART, RAM and MMIO windows, for when the
//! device tree is missing or says less than needed. Board-specific values
//! live only here and are always named by their full path
//! (`board::raspberrypi::PI3`).

pub mod qemu_virt;
pub mod raspberrypi;

use crate::memory::PhysRange;

/// A board's fixed facts.
#[derive(Debug)]
pub struct Board {
    /// Human-readable name.
    pub name: &'static str,
    /// Root `compatible` strings that identify it.
    pub compatible: &'static [&'static str],
    /// The console PL011's physical address.
    pub uart: u64,
    /// Whether the device tree's first PL011 is the console. The Raspberry
    /// Pi firmware's trees list several UARTs, and the board's facts say
    /// which one is on the header.
    pub uart_from_device_tree: bool,
    /// RAM to assume when there is no device tree.
    pub default_ram: &'static [PhysRange],
    /// Peripheral windows, mapped as Device memory.
    pub mmio: &'static [PhysRange],
    /// Start of RAM, below which the image header's text offset counts.
    pub ram_base: u64,
    /// The UART's reference clock in Hz, when the board fixes it (then
    /// Granule programs 115200 baud itself instead of trusting the firmware).
    pub uart_clock: Option<u32>,
    /// The GPIO block whose pins 14 and 15 must be switched to the PL011
    /// (alternate function 0), on boards that share them with other UARTs.
    pub uart_gpio: Option<u64>,
}

/// Every board, in the order they are tried.
pub const BOARDS: &[&Board] = &[
    &qemu_virt::VIRT,
    &raspberrypi::PI3,
    &raspberrypi::PI4,
    &raspberrypi::PI5,
];

/// The board whose compatible list meets the device tree root's.
pub fn by_compatible(is_compatible: impl Fn(&str) -> bool) -> Option<&'static Board> {
    BOARDS
        .iter()
        .copied()
        .find(|b| b.compatible.iter().any(|c| is_compatible(c)))
}

/// The board an image loaded at `load_address` runs on, for when there is
/// no device tree to ask: every Raspberry Pi loads at the same address, and
/// its CPU (MIDR_EL1's part number) tells the models apart.
pub fn by_load_address(load_address: u64, midr: u64) -> &'static Board {
    if load_address != raspberrypi::LOAD_ADDRESS {
        return &qemu_virt::VIRT;
    }
    match (midr >> 4) & 0xfff {
        raspberrypi::CORTEX_A72 => &raspberrypi::PI4,
        raspberrypi::CORTEX_A76 => &raspberrypi::PI5,
        _ => &raspberrypi::PI3,
    }
}
