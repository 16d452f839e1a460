//! The Raspberry Pi 4 path checked on the board it runs on (a Pi 4, or
//! QEMU 10's `raspi4b`): what `board::raspberrypi::PI4` claims about the
//! BCM2711 against what the machine shows.

use super::{Outcome, TestResult};
use crate::board::raspberrypi::{CORTEX_A72, PI4};
use crate::driver::bcm2835_gpio::Gpio;
use crate::ensure;
use crate::kernel::with_boot_info;
use alloc::string::String;

/// The PrimeCell identification a PL011 answers with (PL011 TRM,
/// UARTPeriphID0-3 and UARTPCellID0-3 at 0xFE0-0xFFC): part 0x011 by Arm,
/// and the PrimeCell preamble 0xB105F00D.
const PL011_PART: u32 = 0x011;
const PL011_DESIGNER: u32 = 0x41;
const PRIMECELL_ID: u32 = 0xb105_f00d;

/// Reads the four byte-wide ID registers from `base` as one value.
fn id_word(base: u64) -> u32 {
    (0..4).fold(0, |id, i| {
        // SAFETY: the UART's ID registers, inside the board's peripheral
        // window that the kernel maps as Device memory; reads have no
        // side effects.
        let byte = unsafe { core::ptr::read_volatile((base + 4 * i) as *const u32) } & 0xff;
        id | (byte << (8 * i))
    })
}

/// Entry at EL2 on a Cortex-A72, the console on a PL011 at the BCM2711's
/// address, pins 14 and 15 routed to it, and RAM where the tree (or the
/// board's defaults) put it, below the peripherals.
pub fn board_matches_bcm2711() -> TestResult {
    let Some((board, entry_el, midr, uart, ram)) = with_boot_info(|i| {
        (
            i.board,
            i.entry_el,
            crate::arch::cpu::midr(),
            i.uart,
            i.ram.as_slice().to_vec(),
        )
    }) else {
        return Err(String::from("no boot info").into());
    };
    if !core::ptr::eq(board, &PI4) {
        return Err(Outcome::skipped("not a Raspberry Pi 4"));
    }
    ensure!(
        entry_el == 2,
        "entered at EL{entry_el}: the Pi 4 firmware enters at EL2"
    );
    let part = (midr >> 4) & 0xfff;
    ensure!(
        part == CORTEX_A72,
        "MIDR part {part:#x}: the BCM2711 is a Cortex-A72"
    );
    ensure!(
        uart == PI4.uart,
        "console at {uart:#x}, not the BCM2711's PL011"
    );
    let periph = id_word(uart + 0xfe0);
    let cell = id_word(uart + 0xff0);
    ensure!(
        periph & 0xfff == PL011_PART && (periph >> 12) & 0xff == PL011_DESIGNER,
        "UARTPeriphID {periph:#x} at {uart:#x} is not a PL011's"
    );
    ensure!(
        cell == PRIMECELL_ID,
        "UARTPCellID {cell:#x} is not a PrimeCell's"
    );
    let gpio = PI4
        .uart_gpio
        .ok_or_else(|| String::from("no GPIO block for the Pi 4"))?;
    // SAFETY: the BCM2711 GPIO block, mapped as Device memory.
    let routed = unsafe { Gpio::new(gpio as usize) }.pl011_routed();
    ensure!(
        routed,
        "GPFSEL1 does not route pins 14 and 15 to the PL011 (ALT0)"
    );
    let peripherals = PI4.mmio.iter().map(|r| r.start).min().unwrap_or(u64::MAX);
    ensure!(!ram.is_empty(), "no RAM");
    for r in &ram {
        ensure!(
            r.end <= peripherals || r.start >= peripherals + (64 << 20),
            "RAM {r:?} overlaps the peripherals at {peripherals:#x}"
        );
    }
    Ok(())
}
