//! The assembly that runs before Rust: entry, EL2 stub and EL1 vectors.

core::arch::global_asm!(include_str!("../../../../boot/entry.s"));
core::arch::global_asm!(include_str!("../../../../boot/el2_stub.s"));
core::arch::global_asm!(include_str!("../../../../boot/vectors.s"));
