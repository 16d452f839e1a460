//! AArch64: boot code, exceptions, system registers, the EL2 stub,
//! semihosting, and the MMU's register-level operations.

pub mod boot;
pub mod cpu;
pub mod el2;
pub mod exception;
pub mod mmu;
pub mod native;
pub mod semihosting;
