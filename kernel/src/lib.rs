//! Granule: a bare-metal AArch64 unikernel that hosts an emulator of AArch64
//! guests and tests its page-size handling on the hardware itself.
//!
//! `main.rs` calls [`kernel_init`] once; everything else is this library.
//! Modules that only make sense on the board are compiled for
//! `target_os = "none"`; the rest (parsers, the line editor, decoders) also
//! build and run their unit tests on the development host.

#![no_std]
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod cmdline;

#[cfg(target_os = "none")]
pub mod arch;
#[cfg(target_os = "none")]
pub mod board;
#[cfg(target_os = "none")]
pub mod bootinfo;
#[cfg(target_os = "none")]
pub mod console;
#[cfg(target_os = "none")]
pub mod driver;
#[cfg(target_os = "none")]
pub mod kernel;
#[cfg(target_os = "none")]
pub mod memory;
#[cfg(target_os = "none")]
pub mod panic;
#[cfg(target_os = "none")]
pub mod power;
pub mod shell;
#[cfg(target_os = "none")]
pub mod sync;
#[cfg(target_os = "none")]
pub mod testing;

#[cfg(target_os = "none")]
pub use kernel::kernel_init;
