//! Granule's emulator core: everything about guest memory and translation
//! that can be written without `asm!` or board knowledge, so it runs under a
//! plain `cargo test` on any host and inside the bare-metal kernel alike.

#![no_std]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod addr;
pub mod arch;
pub mod fdt;
pub mod granule;
pub mod mem;
pub mod mmu;
pub mod pagesize;
pub mod snapshot;
pub mod tlb;
