//! Decoding of the syndrome registers (ESR_ELx, ARM ARM D19.2.37) and fault
//! status codes (DFSC/IFSC, also PAR_EL1.FST) into words.

use core::fmt;

/// Exception classes Granule names (ESR_ELx.EC).
pub mod ec {
    /// Unknown reason (includes undefined instructions).
    pub const UNKNOWN: u8 = 0x00;
    /// Instruction abort from the same EL.
    pub const INSTRUCTION_ABORT_SAME_EL: u8 = 0x21;
    /// Data abort from a lower EL.
    pub const DATA_ABORT_LOWER_EL: u8 = 0x24;
    /// Data abort from the same EL.
    pub const DATA_ABORT_SAME_EL: u8 = 0x25;
    /// Instruction abort from a lower EL.
    pub const INSTRUCTION_ABORT_LOWER_EL: u8 = 0x20;
}

/// The name of exception class `ec`.
pub fn exception_class_name(ec: u8) -> &'static str {
    match ec {
        0x00 => "Unknown reason",
        0x01 => "Trapped WFI/WFE",
        0x07 => "SIMD/FP access trap",
        0x0e => "Illegal Execution state",
        0x15 => "SVC from AArch64",
        0x16 => "HVC from AArch64",
        0x17 => "SMC from AArch64",
        0x18 => "Trapped MSR/MRS/system instruction",
        0x20 => "Instruction Abort from a lower EL",
        0x21 => "Instruction Abort from the same EL",
        0x22 => "PC alignment fault",
        0x24 => "Data Abort from a lower EL",
        0x25 => "Data Abort from the same EL",
        0x26 => "SP alignment fault",
        0x2f => "SError interrupt",
        0x30 => "Breakpoint from a lower EL",
        0x31 => "Breakpoint from the same EL",
        0x32 => "Software Step from a lower EL",
        0x33 => "Software Step from the same EL",
        0x34 => "Watchpoint from a lower EL",
        0x35 => "Watchpoint from the same EL",
        0x3c => "BRK instruction",
        _ => "Reserved or unhandled class",
    }
}

/// A fault status code (DFSC/IFSC, PAR_EL1.FST) in words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultStatus {
    /// Address size fault at a level.
    AddressSize(u8),
    /// Translation fault at a level.
    Translation(u8),
    /// Access flag fault at a level.
    AccessFlag(u8),
    /// Permission fault at a level.
    Permission(u8),
    /// Synchronous external abort, not on a table walk.
    ExternalAbort,
    /// Synchronous external abort on a table walk, at a level.
    ExternalAbortOnWalk(u8),
    /// Alignment fault.
    Alignment,
    /// TLB conflict abort.
    TlbConflict,
    /// Any other code.
    Other(u8),
}

impl FaultStatus {
    /// Decodes a 6-bit fault status code.
    pub fn decode(fsc: u8) -> Self {
        let level = fsc & 0b11;
        match fsc & 0b11_1111 {
            0b00_0000..=0b00_0011 => FaultStatus::AddressSize(level),
            0b00_0100..=0b00_0111 => FaultStatus::Translation(level),
            0b00_1000..=0b00_1011 => FaultStatus::AccessFlag(level),
            0b00_1100..=0b00_1111 => FaultStatus::Permission(level),
            0b01_0000 => FaultStatus::ExternalAbort,
            0b01_0100..=0b01_0111 => FaultStatus::ExternalAbortOnWalk(level),
            0b10_0001 => FaultStatus::Alignment,
            0b11_0000 => FaultStatus::TlbConflict,
            other => FaultStatus::Other(other),
        }
    }
}

impl fmt::Display for FaultStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultStatus::AddressSize(l) => write!(f, "address size fault, level {l}"),
            FaultStatus::Translation(l) => write!(f, "translation fault, level {l}"),
            FaultStatus::AccessFlag(l) => write!(f, "access flag fault, level {l}"),
            FaultStatus::Permission(l) => write!(f, "permission fault, level {l}"),
            FaultStatus::ExternalAbort => f.write_str("synchronous external abort"),
            FaultStatus::ExternalAbortOnWalk(l) => {
                write!(f, "synchronous external abort on table walk, level {l}")
            }
            FaultStatus::Alignment => f.write_str("alignment fault"),
            FaultStatus::TlbConflict => f.write_str("TLB conflict abort"),
            FaultStatus::Other(c) => write!(f, "fault status {c:#04x}"),
        }
    }
}

/// A decoded ESR_ELx value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Syndrome(pub u64);

impl Syndrome {
    /// Exception class.
    pub fn ec(self) -> u8 {
        ((self.0 >> 26) & 0x3f) as u8
    }

    /// Instruction-specific syndrome.
    pub fn iss(self) -> u32 {
        (self.0 & 0x1ff_ffff) as u32
    }

    /// Whether this is an instruction or data abort, whose ISS holds a fault
    /// status code.
    pub fn is_abort(self) -> bool {
        matches!(
            self.ec(),
            ec::INSTRUCTION_ABORT_LOWER_EL
                | ec::INSTRUCTION_ABORT_SAME_EL
                | ec::DATA_ABORT_LOWER_EL
                | ec::DATA_ABORT_SAME_EL
        )
    }

    /// The fault status of an abort.
    pub fn fault_status(self) -> Option<FaultStatus> {
        self.is_abort()
            .then(|| FaultStatus::decode((self.iss() & 0x3f) as u8))
    }

    /// For a data abort: whether the access was a write (ISS.WnR).
    pub fn is_write(self) -> bool {
        self.iss() & (1 << 6) != 0
    }
}

impl fmt::Display for Syndrome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ESR {:#010x}: EC {:#04x} ({}), ISS {:#08x}",
            self.0,
            self.ec(),
            exception_class_name(self.ec()),
            self.iss()
        )?;
        if let Some(status) = self.fault_status() {
            write!(f, ": {status}")?;
            if matches!(self.ec(), ec::DATA_ABORT_LOWER_EL | ec::DATA_ABORT_SAME_EL) {
                f.write_str(if self.is_write() {
                    ", on a write"
                } else {
                    ", on a read"
                })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn decodes_a_level_2_translation_fault_on_a_read() {
        // EC 0x25, IL, DFSC 0b000110.
        let s = Syndrome(0x9600_0006);
        assert_eq!(s.fault_status(), Some(FaultStatus::Translation(2)));
        assert!(!s.is_write());
        assert!(s.to_string().contains("Data Abort from the same EL"));
        assert!(s.to_string().contains("translation fault, level 2"));
    }

    #[test]
    fn non_aborts_have_no_fault_status() {
        assert_eq!(Syndrome(0x0200_0000).fault_status(), None);
        assert_eq!(Syndrome(0x0200_0000).ec(), ec::UNKNOWN);
    }

    #[test]
    fn every_fault_status_code_decodes() {
        for code in 0..64u8 {
            let _ = FaultStatus::decode(code).to_string();
        }
        assert_eq!(FaultStatus::decode(0x0b), FaultStatus::AccessFlag(3));
        assert_eq!(
            FaultStatus::decode(0x15),
            FaultStatus::ExternalAbortOnWalk(1)
        );
    }
}
