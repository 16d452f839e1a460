//! The assembly that runs before Rust: entry, EL2 stub and EL1 vectors.
//!
//! Constants the assembly shares with Rust are passed in as `const`
//! operands, so each has one definition: the SCTLR_EL1 RES1 bits, the EL2
//! stub's HVC function numbers, and the exception frame size.

use super::el2::{HVC_AT_S12, HVC_PING};
use super::exception::ExceptionFrame;
use emu::arch::esr::ExceptionClass;
use emu::arch::sysreg::{HCR_EL2, SCTLR_EL1_RES1};

core::arch::global_asm!(
    include_str!("../../../../boot/entry.s"),
    SCTLR_EL1_RES1 = const SCTLR_EL1_RES1,
);
core::arch::global_asm!(
    include_str!("../../../../boot/el2_stub.s"),
    HVC_PING = const HVC_PING,
    HVC_AT_S12 = const HVC_AT_S12,
    HCR_VM = const HCR_EL2::VM.mask << HCR_EL2::VM.shift,
    EC_HVC64 = const ExceptionClass::Hvc64 as u8,
);
core::arch::global_asm!(
    include_str!("../../../../boot/vectors.s"),
    FRAME_SIZE = const core::mem::size_of::<ExceptionFrame>(),
);
