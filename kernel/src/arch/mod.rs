//! Architecture-specific code. Only AArch64 exists; the generic parts of the
//! kernel call it through these modules.

#[cfg(target_arch = "aarch64")]
pub mod aarch64;
#[cfg(target_arch = "aarch64")]
pub use aarch64::*;
