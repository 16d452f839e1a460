//! Where things are on QEMU's `virt` board (hw/arm/virt.c's memory map),
//! for the parts Granule's machine models.

use crate::addr::PhysAddr;

/// The base of RAM.
pub const RAM_BASE: PhysAddr = PhysAddr(0x4000_0000);
/// RAM when a run does not ask for another size (QEMU's default for virt).
pub const DEFAULT_RAM_SIZE: u64 = 128 << 20;
/// RAM sizes are whole multiples of this (so that RAM is uniform in pages of
/// every page size the emulator supports).
pub const RAM_SIZE_ALIGN: u64 = 1 << 20;
/// The smallest RAM a run may have: room for an image and the device tree.
pub const MIN_RAM_SIZE: u64 = 4 << 20;
/// The largest: virt's low RAM window (up to 256 GiB).
pub const MAX_RAM_SIZE: u64 = 255 << 30;

/// The PL011 UART: a 4 KiB register window. The rest of its 64 KiB page
/// is a hole.
pub const UART_BASE: PhysAddr = PhysAddr(0x0900_0000);
/// The PL011's window.
pub const UART_SIZE: u64 = 0x1000;

/// Where a raw image (no header, not ELF) is loaded and entered, as QEMU's
/// arm boot loader does for AArch64 kernels.
pub const RAW_IMAGE_OFFSET: u64 = 0x8_0000;

/// The PL011's clock as QEMU's device tree states it (apb-pclk, 24 MHz).
pub const UART_CLOCK_HZ: u32 = 24_000_000;
