//! Translation faults as the architecture reports them: type, level, stage,
//! and the fault status code of ESR_ELx.DFSC/IFSC and PAR_EL1.FST.

use super::config::Stage;
use crate::addr::IntermPhysAddr;
use core::fmt;

/// The Exception level an access is made from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum El {
    /// EL0 (unprivileged; PL0 in AArch32).
    El0,
    /// EL1 (privileged; PL1 in AArch32).
    El1,
}

/// What an access does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessKind {
    /// A data read.
    Read,
    /// A data write.
    Write,
    /// An instruction fetch.
    Execute,
}

/// One access: where from and what for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Access {
    /// The Exception level of the access.
    pub el: El,
    /// Read, write or fetch.
    pub kind: AccessKind,
}

impl Access {
    /// Shorthand constructor.
    pub const fn new(el: El, kind: AccessKind) -> Self {
        Access { el, kind }
    }

    /// Every combination of EL0/EL1 and read/write/execute.
    pub const ALL: [Access; 6] = [
        Access::new(El::El0, AccessKind::Read),
        Access::new(El::El0, AccessKind::Write),
        Access::new(El::El0, AccessKind::Execute),
        Access::new(El::El1, AccessKind::Read),
        Access::new(El::El1, AccessKind::Write),
        Access::new(El::El1, AccessKind::Execute),
    ];
}

/// The kind of a translation fault (ARM ARM D8.15 "MMU fault types").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// Invalid or reserved descriptor, input address out of range, or a
    /// disabled walk (EPDn).
    Translation,
    /// A leaf with AF clear and no hardware access-flag management.
    AccessFlag,
    /// The access is not permitted.
    Permission,
    /// An output or table address beyond the configured output size.
    AddressSize,
    /// A synchronous external abort on a translation table walk.
    ExternalAbortOnWalk,
}

/// A translation fault record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fault {
    /// The fault type.
    pub kind: FaultKind,
    /// The lookup level the fault is reported at (0-3).
    pub level: u8,
    /// The stage that faulted.
    pub stage: Stage,
    /// A stage-2 fault taken while fetching a stage-1 descriptor (ESR ISS
    /// S1PTW, PAR_EL1.PTW).
    pub s1ptw: bool,
    /// The access that faulted.
    pub access: Access,
    /// For stage-2 faults: the IPA being translated (HPFAR_EL2).
    pub ipa: Option<IntermPhysAddr>,
}

impl Fault {
    /// A stage-1 fault.
    pub const fn stage1(kind: FaultKind, level: u8, access: Access) -> Self {
        Fault {
            kind,
            level,
            stage: Stage::Stage1,
            s1ptw: false,
            access,
            ipa: None,
        }
    }

    /// The architectural fault status code (DFSC/IFSC, PAR_EL1.FST; the
    /// LPAE long-descriptor FSR.STATUS uses the same values).
    pub const fn fsc(&self) -> u8 {
        crate::arch::esr::FaultStatus::of(self).code()
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            FaultKind::Translation => "translation",
            FaultKind::AccessFlag => "access flag",
            FaultKind::Permission => "permission",
            FaultKind::AddressSize => "address size",
            FaultKind::ExternalAbortOnWalk => "external abort on walk",
        };
        let stage = match self.stage {
            Stage::Stage1 => 1,
            Stage::Stage2 => 2,
        };
        write!(
            f,
            "stage {stage} {kind} fault, level {} (FSC {:#04x})",
            self.level,
            self.fsc()
        )?;
        if self.s1ptw {
            f.write_str(", on a stage 1 table walk")?;
        }
        Ok(())
    }
}

impl core::error::Error for Fault {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_status_codes_match_the_arm_arm() {
        let a = Access::new(El::El1, AccessKind::Read);
        assert_eq!(Fault::stage1(FaultKind::AddressSize, 0, a).fsc(), 0x00);
        assert_eq!(Fault::stage1(FaultKind::Translation, 3, a).fsc(), 0x07);
        assert_eq!(Fault::stage1(FaultKind::AccessFlag, 1, a).fsc(), 0x09);
        assert_eq!(Fault::stage1(FaultKind::Permission, 2, a).fsc(), 0x0e);
        assert_eq!(
            Fault::stage1(FaultKind::ExternalAbortOnWalk, 1, a).fsc(),
            0x15
        );
    }
}
