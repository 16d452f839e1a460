//! Calls into the EL2 stub (`boot/el2_stub.s`), present when Granule was
//! entered at EL2 or EL3.

use core::arch::asm;

/// HVC function: is an EL2 stub present? (x0 = 0 back if so.)
pub(super) const HVC_PING: u64 = 0;
/// HVC function: AT S12E* (x1 = address, x2 = operation, x3 = VTTBR_EL2,
/// x4 = VTCR_EL2; x0 = PAR_EL1 back).
pub(super) const HVC_AT_S12: u64 = 1;

/// Which stage 1 + stage 2 address translation to perform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum AtS12 {
    /// AT S12E1R: EL1 read.
    E1R = 0,
    /// AT S12E1W: EL1 write.
    E1W = 1,
    /// AT S12E0R: EL0 read.
    E0R = 2,
    /// AT S12E0W: EL0 write.
    E0W = 3,
}

fn hvc(function: u64, a1: u64, a2: u64, a3: u64, a4: u64) -> u64 {
    let result;
    // SAFETY: the stub only reads x0-x4, clobbers x9/x10, and returns in x0.
    unsafe {
        asm!(
            "hvc #0",
            inout("x0") function => result,
            in("x1") a1,
            in("x2") a2,
            in("x3") a3,
            in("x4") a4,
            out("x9") _,
            out("x10") _,
            options(nostack),
        );
    }
    result
}

/// Whether the stub answers. Only call this when Granule was entered at EL2
/// or EL3: otherwise HVC goes to whatever else sits there (QEMU's PSCI).
pub fn ping() -> bool {
    hvc(HVC_PING, 0, 0, 0, 0) == 0
}

/// Translates `address` through the current EL1 stage 1 and the stage 2
/// given by `vttbr` and `vtcr`, and returns PAR_EL1. Stage 2 is enabled
/// only for the duration of the translation.
pub fn at_s12(op: AtS12, address: u64, vttbr: u64, vtcr: u64) -> u64 {
    hvc(HVC_AT_S12, address, op as u64, vttbr, vtcr)
}
