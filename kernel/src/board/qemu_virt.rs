//! QEMU's `virt` machine (hw/arm/virt.c's memory map).

use super::Board;
use crate::memory::PhysRange;

/// Where Granule's image is linked on `virt`: RAM base + 2 MiB, so that QEMU
/// passes the device tree in x0.
pub const LOAD_ADDRESS: u64 = 0x4020_0000;

/// QEMU `virt`.
pub const VIRT: Board = Board {
    name: "QEMU virt",
    compatible: &["linux,dummy-virt"],
    uart: 0x0900_0000,
    uart_from_device_tree: true,
    default_ram: &[PhysRange::new(0x4000_0000, 128 << 20)],
    // GIC, UART, RTC, fw_cfg, GPIO, virtio-mmio: 0x0800_0000 to 0x0a00_4000.
    mmio: &[PhysRange::new(0x0800_0000, 0x0300_0000)],
    ram_base: 0x4000_0000,
    uart_clock: None,
    uart_gpio: None,
};
