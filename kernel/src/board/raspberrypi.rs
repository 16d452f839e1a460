//! Raspberry Pi 3, 4 and 5 (BCM2837, BCM2711, BCM2712). The firmware loads
//! `kernel8.img` at 0x8_0000 and passes a device tree; QEMU's `raspi3b` does
//! the same without the device tree unless given `-dtb`.

use super::Board;
use crate::memory::PhysRange;

/// Where the firmware loads a 64-bit kernel (config.txt: kernel_address).
pub const LOAD_ADDRESS: u64 = 0x8_0000;
/// MIDR_EL1 part number of the Pi 4's CPU.
pub const CORTEX_A72: u64 = 0xd08;
/// MIDR_EL1 part number of the Pi 5's CPU.
pub const CORTEX_A76: u64 = 0xd0b;
/// The PL011's clock on Pi 3 and 4, as boot/config.txt fixes it
/// (init_uart_clock).
const UART_CLOCK: u32 = 48_000_000;

/// Raspberry Pi 3 Model B/B+ (and QEMU `raspi3b`).
pub const PI3: Board = Board {
    name: "Raspberry Pi 3",
    compatible: &[
        "raspberrypi,3-model-b",
        "raspberrypi,3-model-b-plus",
        "brcm,bcm2837",
    ],
    uart: 0x3f20_1000,
    uart_from_device_tree: false,
    // 1 GiB less the 64 MiB the VideoCore keeps by default.
    default_ram: &[PhysRange::new(0, 0x3c00_0000)],
    // Peripherals, then the ARM-local interrupt controller and timers.
    mmio: &[PhysRange::new(0x3f00_0000, 0x0200_0000)],
    ram_base: 0,
    uart_clock: Some(UART_CLOCK),
    uart_gpio: Some(0x3f20_0000),
};

/// Raspberry Pi 4 Model B (BCM2711, low-peripheral mode, the default).
pub const PI4: Board = Board {
    name: "Raspberry Pi 4",
    compatible: &["raspberrypi,4-model-b", "brcm,bcm2711"],
    uart: 0xfe20_1000,
    uart_from_device_tree: false,
    default_ram: &[PhysRange::new(0, 0x3b40_0000)],
    // Peripherals, GIC-400 and the ARM-local block, up to 4 GiB.
    mmio: &[PhysRange::new(0xfc00_0000, 0x0400_0000)],
    ram_base: 0,
    uart_clock: Some(UART_CLOCK),
    uart_gpio: Some(0xfe20_0000),
};

/// Raspberry Pi 5 (BCM2712): the debug UART on the 3-pin header.
pub const PI5: Board = Board {
    name: "Raspberry Pi 5",
    compatible: &["raspberrypi,5-model-b", "brcm,bcm2712"],
    uart: 0x10_7d00_1000,
    uart_from_device_tree: false,
    default_ram: &[PhysRange::new(0, 0x3f80_0000)],
    // The BCM2712's main peripheral window (UARTs, GIC, timers).
    mmio: &[PhysRange::new(0x10_7c00_0000, 0x0400_0000)],
    ram_base: 0,
    // The debug UART's pins and clock are its own; the firmware sets it up.
    uart_clock: None,
    uart_gpio: None,
};
