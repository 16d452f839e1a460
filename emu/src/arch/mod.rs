//! The architecture's registers, in one place for the walker, the guest
//! CPU and the kernel: system register layouts ([`sysreg`]), the exception
//! syndrome ([`esr`]), the result of an address translation instruction
//! ([`par`]) and the memory model ID registers ([`id`]).
//!
//! Layouts are `register_bitfields!` descriptions (tock-registers, no_std),
//! read and built through `LocalRegisterCopy`: nothing here touches a real
//! register, so all of it runs under `cargo test` on any host.

pub mod esr;
pub mod id;
pub mod par;
pub mod sysreg;
