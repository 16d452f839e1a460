//! PAR_EL1, the result of an `AT` instruction (ARM ARM D19.2, PAR_EL1):
//! its layout, a decoder for the value the hardware left, and the value
//! the walker predicts for a walk result, so the kernel can compare the
//! two.

// `register_bitfields!` generates items that cannot carry doc comments;
// the fields below are documented at their definitions.
#![allow(missing_docs)]

use super::esr::FaultStatus;
use crate::mmu::{Fault, Stage, Translation};
use core::fmt;
use tock_registers::fields::Field;
use tock_registers::{register_bitfields, LocalRegisterCopy};

register_bitfields! {u64,
    /// PAR_EL1 in its two formats: F = 0 (a translation) and F = 1 (a fault).
    pub PAR_EL1 [
        /// The translation failed.
        F OFFSET(0) NUMBITS(1) [],
        /// Fault format: the fault status code.
        FST OFFSET(1) NUMBITS(6) [],
        /// Translation format: shareability.
        SH OFFSET(7) NUMBITS(2) [],
        /// Fault format: a stage 2 fault on a stage 1 table walk.
        PTW OFFSET(8) NUMBITS(1) [],
        /// Fault format: the fault was at stage 2.
        S OFFSET(9) NUMBITS(1) [],
        /// Translation format: Non-secure (UNKNOWN for Non-secure regimes).
        NS OFFSET(9) NUMBITS(1) [],
        /// RES1 in both formats.
        RES1 OFFSET(11) NUMBITS(1) [],
        /// Translation format: output address bits \[47:12\].
        PA OFFSET(12) NUMBITS(36) [],
        /// Translation format: the memory attributes in MAIR encoding.
        ATTR OFFSET(56) NUMBITS(8) []
    ]
}

const fn bits(field: Field<u64, PAR_EL1::Register>) -> u64 {
    field.mask << field.shift
}

/// The F bit.
pub const F: u64 = bits(PAR_EL1::F);
/// The FST field's bits.
pub const FST_MASK: u64 = bits(PAR_EL1::FST);
/// The SH field's bits.
pub const SH_MASK: u64 = bits(PAR_EL1::SH);
/// The PTW bit.
pub const PTW: u64 = bits(PAR_EL1::PTW);
/// The S bit.
pub const S: u64 = bits(PAR_EL1::S);
/// Bit 11, RES1.
pub const RES1: u64 = bits(PAR_EL1::RES1);
/// The PA field's bits (PA\[47:12\] in place).
pub const PA_MASK: u64 = bits(PAR_EL1::PA);
/// The ATTR field's bits.
pub const ATTR_MASK: u64 = bits(PAR_EL1::ATTR);

/// Fields of a successful PAR_EL1 that the walker predicts: F, SH, PA and
/// ATTR. NS (bit 9) is UNKNOWN for Non-secure regimes and bit 10 (NSE) and
/// the IMPLEMENTATION DEFINED bits are left out. On real cores ATTR may
/// differ in allocation hints for Normal memory (QEMU reports the MAIR
/// byte as is); compare [`ATTR_MASK`] separately if that matters.
pub const SUCCESS_COMPARE_MASK: u64 = F | SH_MASK | PA_MASK | ATTR_MASK;

/// Fields of a failed PAR_EL1 that the walker predicts: F, FST, PTW, S.
pub const FAULT_COMPARE_MASK: u64 = F | FST_MASK | PTW | S;

/// A PAR_EL1 value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Par(pub u64);

impl fmt::Debug for Par {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Par({:#018x})", self.0)
    }
}

impl Par {
    fn reg(self) -> LocalRegisterCopy<u64, PAR_EL1::Register> {
        LocalRegisterCopy::new(self.0)
    }

    /// The PAR_EL1 an `AT` instruction would leave for `result`, with SH
    /// as the descriptors give it (see [`compare_mask`] for Device memory).
    pub fn of(result: &Result<Translation, Fault>) -> Par {
        let mut r = LocalRegisterCopy::<u64, PAR_EL1::Register>::new(0);
        match result {
            Ok(t) => {
                let a = t.attributes;
                r.write(
                    PAR_EL1::RES1::SET
                        + PAR_EL1::SH.val(a.shareability.bits())
                        + PAR_EL1::PA.val(t.output.0 >> PAR_EL1::PA.shift)
                        + PAR_EL1::ATTR.val(a.mair.into()),
                );
            }
            Err(fault) => r.write(
                PAR_EL1::F::SET
                    + PAR_EL1::RES1::SET
                    + PAR_EL1::FST.val(FaultStatus::of(fault).code().into())
                    + PAR_EL1::S.val((fault.stage == Stage::Stage2).into())
                    + PAR_EL1::PTW.val(fault.s1ptw.into()),
            ),
        }
        Par(r.get())
    }

    /// Whether the translation faulted (PAR_EL1.F).
    pub fn faulted(self) -> bool {
        self.reg().is_set(PAR_EL1::F)
    }

    /// The output address's bits \[47:12\] (successful translations).
    pub fn physical_page(self) -> u64 {
        self.0 & PA_MASK
    }

    /// The MAIR attribute byte of the translation (PAR_EL1.ATTR).
    pub fn attr(self) -> u8 {
        self.reg().read(PAR_EL1::ATTR) as u8
    }

    /// PAR_EL1.SH.
    pub fn shareability(self) -> u8 {
        self.reg().read(PAR_EL1::SH) as u8
    }

    /// The fault status (PAR_EL1.FST) of a failed translation.
    pub fn fault_status(self) -> Option<FaultStatus> {
        self.faulted()
            .then(|| FaultStatus::decode(self.reg().read(PAR_EL1::FST) as u8))
    }

    /// PAR_EL1.S: the fault was in stage 2.
    pub fn stage2(self) -> bool {
        self.faulted() && self.reg().is_set(PAR_EL1::S)
    }

    /// PAR_EL1.PTW: a stage 2 fault on a stage 1 table walk.
    pub fn on_stage1_walk(self) -> bool {
        self.faulted() && self.reg().is_set(PAR_EL1::PTW)
    }

    /// The part that is comparable whatever the memory type:
    /// [`SUCCESS_COMPARE_MASK`] or [`FAULT_COMPARE_MASK`] depending on F.
    pub const fn comparable(self) -> u64 {
        comparable(self.0)
    }
}

/// The PAR_EL1 an `AT` instruction would leave for `result`
/// ([`Par::of`] as a raw value).
pub fn par_el1(result: &Result<Translation, Fault>) -> u64 {
    Par::of(result).0
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

impl fmt::Display for Par {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.fault_status() {
            Some(status) => {
                write!(f, "PAR {:#018x}: fault: {status}", self.0)?;
                if self.stage2() {
                    f.write_str(", stage 2")?;
                }
                if self.on_stage1_walk() {
                    f.write_str(", on a stage 1 walk")?;
                }
                Ok(())
            }
            None => write!(
                f,
                "PAR {:#018x}: PA {:#x}, ATTR {:#04x}, SH {}",
                self.0,
                self.physical_page(),
                self.attr(),
                self.shareability()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn field_positions_follow_the_arm_arm() {
        // ARM ARM PAR_EL1: F bit 0, FST [6:1], SH [8:7], PTW 8, S 9,
        // RES1 11, PA [47:12], ATTR [63:56].
        assert_eq!(F, 1);
        assert_eq!(FST_MASK, 0x7e);
        assert_eq!(SH_MASK, 0x180);
        assert_eq!(PTW, 0x100);
        assert_eq!(S, 0x200);
        assert_eq!(RES1, 0x800);
        assert_eq!(PA_MASK, 0x0000_ffff_ffff_f000);
        assert_eq!(ATTR_MASK, 0xff00_0000_0000_0000);
    }

    #[test]
    fn decodes_success_and_fault() {
        let ok = Par(0xff00_0000_4020_0f80 & !0xf7f | (0b11 << 7));
        assert!(!ok.faulted());
        assert_eq!(ok.attr(), 0xff);
        assert_eq!(ok.physical_page(), 0x4020_0000);
        assert_eq!(ok.shareability(), 3);
        let fault = Par(1 | (0b000101 << 1) | S | PTW);
        assert_eq!(fault.fault_status(), Some(FaultStatus::Translation(1)));
        assert!(fault.stage2() && fault.on_stage1_walk());
        let text = fault.to_string();
        assert!(text.contains("translation fault, level 1"), "{text}");
        assert!(
            text.contains("stage 2") && text.contains("stage 1 walk"),
            "{text}"
        );
    }
}
