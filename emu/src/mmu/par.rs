//! The PAR_EL1 value an `AT` instruction leaves for a walk result, so the
//! kernel can compare the walker with the hardware (ARM ARM D19.2, PAR_EL1).

use super::config::Stage;
use super::descriptor::OA_MASK;
use super::fault::Fault;
use super::translation::Translation;

/// F: the translation failed.
pub const F: u64 = 1 << 0;
/// FST\[6:1\] on failure.
pub const FST_SHIFT: u32 = 1;
/// Mask of FST.
pub const FST_MASK: u64 = 0b11_1111 << FST_SHIFT;
/// SH\[8:7\] on success.
pub const SH_SHIFT: u32 = 7;
/// Mask of SH.
pub const SH_MASK: u64 = 0b11 << SH_SHIFT;
/// PTW (bit 8) on failure: a stage-2 fault on a stage-1 table walk.
pub const PTW: u64 = 1 << 8;
/// S (bit 9) on failure: the fault was at stage 2.
pub const S: u64 = 1 << 9;
/// Bit 11 is RES1 in both formats.
pub const RES1: u64 = 1 << 11;
/// PA\[47:12\] on success.
pub const PA_MASK: u64 = OA_MASK;
/// ATTR\[63:56\] on success: the MAIR encoding of the memory attributes.
pub const ATTR_SHIFT: u32 = 56;
/// Mask of ATTR.
pub const ATTR_MASK: u64 = 0xff << ATTR_SHIFT;

/// Fields of a successful PAR_EL1 that the walker predicts: F, SH, PA and
/// ATTR. NS (bit 9) is UNKNOWN for Non-secure regimes and bit 10 (NSE) and
/// the IMPLEMENTATION DEFINED bits are left out. On real cores ATTR may
/// differ in allocation hints for Normal memory (QEMU reports the MAIR
/// byte as is); compare [`ATTR_MASK`] separately if that matters.
pub const SUCCESS_COMPARE_MASK: u64 = F | SH_MASK | PA_MASK | ATTR_MASK;

/// Fields of a failed PAR_EL1 that the walker predicts: F, FST, PTW, S.
pub const FAULT_COMPARE_MASK: u64 = F | FST_MASK | PTW | S;

/// The PAR_EL1 an `AT` instruction would leave for `result`, with SH as
/// the descriptors give it (see [`compare_mask`] for Device memory).
pub fn par_el1(result: &Result<Translation, Fault>) -> u64 {
    match result {
        Ok(t) => {
            let a = t.attributes;
            RES1 | (a.shareability.bits() << SH_SHIFT)
                | (t.output.0 & PA_MASK)
                | (u64::from(a.mair) << ATTR_SHIFT)
        }
        Err(fault) => {
            let mut par = F | RES1 | (u64::from(fault.fsc()) << FST_SHIFT);
            if fault.stage == Stage::Stage2 {
                par |= S;
            }
            if fault.s1ptw {
                par |= PTW;
            }
            par
        }
    }
}

/// The PAR_EL1 fields the architecture fixes for `result`: F, FST, PTW and
/// S for a fault; F, PA and ATTR for a translation, and SH too except for
/// Device and Normal Non-cacheable memory, where an implementation may
/// return Outer Shareable instead of the descriptor's value (ARM ARM,
/// PAR_EL1.SH; QEMU 7.2 returns the descriptor's). NS, NSE and the
/// IMPLEMENTATION DEFINED bits are never compared.
pub fn compare_mask(result: &Result<Translation, Fault>) -> u64 {
    match result {
        Err(_) => FAULT_COMPARE_MASK,
        Ok(t) if t.attributes.is_device() || t.attributes.is_normal_non_cacheable() => {
            SUCCESS_COMPARE_MASK & !SH_MASK
        }
        Ok(_) => SUCCESS_COMPARE_MASK,
    }
}

/// Whether the PAR_EL1 `hardware` left agrees with the walker's `result`.
pub fn matches(hardware: u64, result: &Result<Translation, Fault>) -> bool {
    let mask = compare_mask(result);
    hardware & mask == par_el1(result) & mask
}

/// The part of a PAR_EL1 value that is comparable whatever the memory type:
/// [`SUCCESS_COMPARE_MASK`] or [`FAULT_COMPARE_MASK`] depending on F.
pub const fn comparable(par: u64) -> u64 {
    if par & F != 0 {
        par & FAULT_COMPARE_MASK
    } else {
        par & SUCCESS_COMPARE_MASK
    }
}
