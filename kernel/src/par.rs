//! PAR_EL1, the result of an AT instruction (ARM ARM D19.2, PAR_EL1),
//! decoded.

use crate::esr::FaultStatus;
use core::fmt;
use emu::mmu::par::{ATTR_SHIFT, F, FST_MASK, FST_SHIFT, PA_MASK, PTW, S, SH_MASK, SH_SHIFT};

/// A PAR_EL1 value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Par(pub u64);

impl Par {
    /// Whether the translation faulted (PAR_EL1.F).
    pub fn faulted(self) -> bool {
        self.0 & F != 0
    }

    /// The output address's bits \[47:12\] (successful translations).
    pub fn physical_page(self) -> u64 {
        self.0 & PA_MASK
    }

    /// The MAIR attribute byte of the translation (PAR_EL1.ATTR).
    pub fn attr(self) -> u8 {
        (self.0 >> ATTR_SHIFT) as u8
    }

    /// PAR_EL1.SH.
    pub fn shareability(self) -> u8 {
        ((self.0 & SH_MASK) >> SH_SHIFT) as u8
    }

    /// The fault status (PAR_EL1.FST) of a failed translation.
    pub fn fault_status(self) -> Option<FaultStatus> {
        self.faulted()
            .then(|| FaultStatus::decode(((self.0 & FST_MASK) >> FST_SHIFT) as u8))
    }

    /// PAR_EL1.S: the fault was in stage 2.
    pub fn stage2(self) -> bool {
        self.faulted() && self.0 & S != 0
    }

    /// PAR_EL1.PTW: a stage 2 fault on a stage 1 table walk.
    pub fn on_stage1_walk(self) -> bool {
        self.faulted() && self.0 & PTW != 0
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
    fn decodes_success_and_fault() {
        let ok = Par(0xff00_0000_4020_0f80 & !0xf7f | (0b11 << 7));
        assert!(!ok.faulted());
        assert_eq!(ok.attr(), 0xff);
        assert_eq!(ok.physical_page(), 0x4020_0000);
        let fault = Par(1 | (0b000101 << 1));
        assert_eq!(fault.fault_status(), Some(FaultStatus::Translation(1)));
        assert!(fault.to_string().contains("translation fault, level 1"));
    }
}
