//! ESR_ELx, the Exception Syndrome Register (ARM ARM D19.2.37, "ESR_EL1"):
//! exception classes, the ISS layouts of the classes Granule raises or
//! reports, the fault status codes (DFSC/IFSC, also PAR_EL1.FST), and both
//! directions: [`Esr`] decodes a value the hardware left, and its
//! constructors build the value a modelled CPU must leave.
//!
//! Every constructor sets IL: all the exceptions it builds come from A64
//! instructions (32 bits) or are classes whose IL is RES1.

// `register_bitfields!` generates items that cannot carry doc comments;
// the fields below are documented at their definitions.
#![allow(missing_docs)]

use crate::mmu::{AccessKind, Fault, FaultKind};
use core::fmt;
use tock_registers::{register_bitfields, LocalRegisterCopy};

register_bitfields! {u64,
    /// ESR_ELx: EC, IL, ISS, and the ISS fields of the classes modelled.
    pub ESR [
        /// Exception class.
        EC OFFSET(26) NUMBITS(6) [],
        /// Instruction length: 1 for a 32-bit instruction (and RES1 for
        /// the classes that have no instruction).
        IL OFFSET(25) NUMBITS(1) [],
        /// Instruction-specific syndrome.
        ISS OFFSET(0) NUMBITS(25) [],

        /// Aborts: the instruction syndrome (SAS..AR) is valid.
        ISV OFFSET(24) NUMBITS(1) [],
        /// Aborts: access size, log2 of bytes.
        SAS OFFSET(22) NUMBITS(2) [
            Byte = 0,
            Halfword = 1,
            Word = 2,
            Doubleword = 3
        ],
        /// Aborts: the load sign-extends.
        SSE OFFSET(21) NUMBITS(1) [],
        /// Aborts: the transfer register.
        SRT OFFSET(16) NUMBITS(5) [],
        /// Aborts: the register is 64 bits wide.
        SF OFFSET(15) NUMBITS(1) [],
        /// Aborts: acquire/release semantics.
        AR OFFSET(14) NUMBITS(1) [],
        /// Aborts: FAR is not valid.
        FNV OFFSET(10) NUMBITS(1) [],
        /// Aborts: external abort type.
        EA OFFSET(9) NUMBITS(1) [],
        /// Data aborts: a cache maintenance or address translation
        /// instruction faulted.
        CM OFFSET(8) NUMBITS(1) [],
        /// Aborts: a stage 2 fault on a stage 1 table walk.
        S1PTW OFFSET(7) NUMBITS(1) [],
        /// Data aborts: write not read.
        WNR OFFSET(6) NUMBITS(1) [],
        /// Aborts: the fault status code (DFSC / IFSC).
        FSC OFFSET(0) NUMBITS(6) [],

        /// SVC, HVC, SMC, BRK: the instruction's immediate.
        IMM16 OFFSET(0) NUMBITS(16) [],

        /// MSR/MRS/system instruction traps: Op0.
        OP0 OFFSET(20) NUMBITS(2) [],
        /// Traps: Op2.
        OP2 OFFSET(17) NUMBITS(3) [],
        /// Traps: Op1.
        OP1 OFFSET(14) NUMBITS(3) [],
        /// Traps: CRn.
        CRN OFFSET(10) NUMBITS(4) [],
        /// Traps: Rt.
        RT OFFSET(5) NUMBITS(5) [],
        /// Traps: CRm.
        CRM OFFSET(1) NUMBITS(4) [],
        /// Traps: 1 for a read (MRS), 0 for a write (MSR).
        DIRECTION OFFSET(0) NUMBITS(1) [],

        /// Trapped WFx and FP accesses: the condition code field is valid.
        CV OFFSET(24) NUMBITS(1) [],
        /// Trapped WFx and FP accesses: the condition code.
        COND OFFSET(20) NUMBITS(4) []
    ]
}

/// An exception class (ESR_ELx.EC) of AArch64 (ARM ARM D19.2.37).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ExceptionClass {
    /// Unknown reason, including undefined instructions.
    Unknown = 0x00,
    /// Trapped WFI or WFE.
    TrappedWfx = 0x01,
    /// Access to SIMD or floating-point functionality trapped (CPACR_EL1.FPEN).
    FpAccess = 0x07,
    /// Illegal Execution state.
    IllegalState = 0x0e,
    /// SVC in AArch64 state.
    Svc64 = 0x15,
    /// HVC in AArch64 state.
    Hvc64 = 0x16,
    /// SMC in AArch64 state.
    Smc64 = 0x17,
    /// Trapped MSR, MRS or system instruction.
    SysReg = 0x18,
    /// Instruction abort from a lower Exception level.
    InstructionAbortLower = 0x20,
    /// Instruction abort from the same Exception level.
    InstructionAbortSame = 0x21,
    /// PC alignment fault.
    PcAlignment = 0x22,
    /// Data abort from a lower Exception level.
    DataAbortLower = 0x24,
    /// Data abort from the same Exception level.
    DataAbortSame = 0x25,
    /// SP alignment fault.
    SpAlignment = 0x26,
    /// Trapped floating-point exception (AArch64).
    FpException64 = 0x2c,
    /// SError interrupt.
    SError = 0x2f,
    /// Breakpoint from a lower Exception level.
    BreakpointLower = 0x30,
    /// Breakpoint from the same Exception level.
    BreakpointSame = 0x31,
    /// Software Step from a lower Exception level.
    SoftwareStepLower = 0x32,
    /// Software Step from the same Exception level.
    SoftwareStepSame = 0x33,
    /// Watchpoint from a lower Exception level.
    WatchpointLower = 0x34,
    /// Watchpoint from the same Exception level.
    WatchpointSame = 0x35,
    /// BRK instruction in AArch64 state.
    Brk64 = 0x3c,
}

impl ExceptionClass {
    /// Every class named here.
    pub const ALL: [ExceptionClass; 23] = [
        Self::Unknown,
        Self::TrappedWfx,
        Self::FpAccess,
        Self::IllegalState,
        Self::Svc64,
        Self::Hvc64,
        Self::Smc64,
        Self::SysReg,
        Self::InstructionAbortLower,
        Self::InstructionAbortSame,
        Self::PcAlignment,
        Self::DataAbortLower,
        Self::DataAbortSame,
        Self::SpAlignment,
        Self::FpException64,
        Self::SError,
        Self::BreakpointLower,
        Self::BreakpointSame,
        Self::SoftwareStepLower,
        Self::SoftwareStepSame,
        Self::WatchpointLower,
        Self::WatchpointSame,
        Self::Brk64,
    ];

    /// The class an EC value names, if it is one of [`ExceptionClass::ALL`].
    pub fn from_bits(ec: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|c| *c as u8 == ec)
    }

    /// The class's name in the ARM ARM's words.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Unknown => "Unknown reason",
            Self::TrappedWfx => "Trapped WFI/WFE",
            Self::FpAccess => "SIMD/FP access trap",
            Self::IllegalState => "Illegal Execution state",
            Self::Svc64 => "SVC from AArch64",
            Self::Hvc64 => "HVC from AArch64",
            Self::Smc64 => "SMC from AArch64",
            Self::SysReg => "Trapped MSR/MRS/system instruction",
            Self::InstructionAbortLower => "Instruction Abort from a lower EL",
            Self::InstructionAbortSame => "Instruction Abort from the same EL",
            Self::PcAlignment => "PC alignment fault",
            Self::DataAbortLower => "Data Abort from a lower EL",
            Self::DataAbortSame => "Data Abort from the same EL",
            Self::SpAlignment => "SP alignment fault",
            Self::FpException64 => "Trapped floating-point exception",
            Self::SError => "SError interrupt",
            Self::BreakpointLower => "Breakpoint from a lower EL",
            Self::BreakpointSame => "Breakpoint from the same EL",
            Self::SoftwareStepLower => "Software Step from a lower EL",
            Self::SoftwareStepSame => "Software Step from the same EL",
            Self::WatchpointLower => "Watchpoint from a lower EL",
            Self::WatchpointSame => "Watchpoint from the same EL",
            Self::Brk64 => "BRK instruction",
        }
    }

    /// Instruction or data abort: the ISS holds a fault status code.
    pub const fn is_abort(self) -> bool {
        matches!(
            self,
            Self::InstructionAbortLower
                | Self::InstructionAbortSame
                | Self::DataAbortLower
                | Self::DataAbortSame
        )
    }

    /// A data abort (the ISS has WnR, CM and the instruction syndrome).
    pub const fn is_data_abort(self) -> bool {
        matches!(self, Self::DataAbortLower | Self::DataAbortSame)
    }
}

/// The name of exception class `ec`, or of its absence.
pub fn exception_class_name(ec: u8) -> &'static str {
    ExceptionClass::from_bits(ec).map_or("Reserved or unhandled class", ExceptionClass::name)
}

/// Fault status code base values; a level goes in the low two bits.
mod fsc {
    pub const ADDRESS_SIZE: u8 = 0b00_0000;
    pub const TRANSLATION: u8 = 0b00_0100;
    pub const ACCESS_FLAG: u8 = 0b00_1000;
    pub const PERMISSION: u8 = 0b00_1100;
    pub const EXTERNAL_ABORT: u8 = 0b01_0000;
    pub const EXTERNAL_ABORT_ON_WALK: u8 = 0b01_0100;
    pub const ALIGNMENT: u8 = 0b10_0001;
    pub const TLB_CONFLICT: u8 = 0b11_0000;
    pub const LEVEL_MASK: u8 = 0b11;
}

/// A fault status code (DFSC/IFSC, PAR_EL1.FST, the long-descriptor
/// FSR.STATUS) in words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultStatus {
    /// Address size fault at a level.
    AddressSize(u8),
    /// Translation fault at a level.
    Translation(u8),
    /// Access flag fault at a level (level 0 is reserved before FEAT_LPA2).
    AccessFlag(u8),
    /// Permission fault at a level (level 0 is reserved before FEAT_LPA2).
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
    pub const fn decode(code: u8) -> Self {
        let level = code & fsc::LEVEL_MASK;
        match code & 0b11_1111 {
            0b00_0000..=0b00_0011 => FaultStatus::AddressSize(level),
            0b00_0100..=0b00_0111 => FaultStatus::Translation(level),
            0b00_1000..=0b00_1011 => FaultStatus::AccessFlag(level),
            0b00_1100..=0b00_1111 => FaultStatus::Permission(level),
            fsc::EXTERNAL_ABORT => FaultStatus::ExternalAbort,
            0b01_0100..=0b01_0111 => FaultStatus::ExternalAbortOnWalk(level),
            fsc::ALIGNMENT => FaultStatus::Alignment,
            fsc::TLB_CONFLICT => FaultStatus::TlbConflict,
            other => FaultStatus::Other(other),
        }
    }

    /// The 6-bit code.
    pub const fn code(self) -> u8 {
        let (base, level) = match self {
            FaultStatus::AddressSize(l) => (fsc::ADDRESS_SIZE, l),
            FaultStatus::Translation(l) => (fsc::TRANSLATION, l),
            FaultStatus::AccessFlag(l) => (fsc::ACCESS_FLAG, l),
            FaultStatus::Permission(l) => (fsc::PERMISSION, l),
            FaultStatus::ExternalAbort => (fsc::EXTERNAL_ABORT, 0),
            FaultStatus::ExternalAbortOnWalk(l) => (fsc::EXTERNAL_ABORT_ON_WALK, l),
            FaultStatus::Alignment => (fsc::ALIGNMENT, 0),
            FaultStatus::TlbConflict => (fsc::TLB_CONFLICT, 0),
            FaultStatus::Other(c) => (c & 0b11_1111, 0),
        };
        base | (level & fsc::LEVEL_MASK)
    }

    /// The status a walker fault reports.
    pub const fn of(fault: &Fault) -> Self {
        let l = fault.level;
        match fault.kind {
            FaultKind::AddressSize => FaultStatus::AddressSize(l),
            FaultKind::Translation => FaultStatus::Translation(l),
            FaultKind::AccessFlag => FaultStatus::AccessFlag(l),
            FaultKind::Permission => FaultStatus::Permission(l),
            FaultKind::ExternalAbortOnWalk => FaultStatus::ExternalAbortOnWalk(l),
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

/// The exception level an exception comes from, relative to the one it is
/// taken to: it selects between the "lower EL" and "same EL" classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// From a lower Exception level (EL0 to EL1, EL1 to EL2).
    Lower,
    /// From the Exception level the exception is taken to.
    Same,
}

/// The load/store instruction syndrome of a data abort (ISV = 1): what a
/// hypervisor needs to emulate the access. Only single-register loads and
/// stores of general-purpose registers without writeback have one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessSyndrome {
    /// log2 of the access size in bytes (SAS).
    pub size_log2: u8,
    /// The load sign-extends (SSE).
    pub sign_extend: bool,
    /// The transfer register number (SRT); 31 is XZR/WZR.
    pub register: u8,
    /// The register is 64 bits wide (SF).
    pub sixty_four: bool,
    /// Acquire/release semantics (AR).
    pub acquire_release: bool,
}

/// Extra facts of a data abort beyond the fault itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DataAbort {
    /// The access was a write (WnR); cache maintenance and AT report 1.
    pub write: bool,
    /// A cache maintenance or address translation instruction (CM).
    pub cache_maintenance: bool,
    /// The instruction syndrome, when valid.
    pub syndrome: Option<AccessSyndrome>,
    /// FAR is not valid (FnV).
    pub far_not_valid: bool,
}

/// An ESR_ELx value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Esr(pub u64);

impl fmt::Debug for Esr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Esr({:#010x})", self.bits())
    }
}

impl Esr {
    /// The value the hardware left.
    pub const fn new(value: u64) -> Self {
        Esr(value)
    }

    /// The raw value.
    pub const fn bits(self) -> u64 {
        self.0
    }

    fn reg(self) -> LocalRegisterCopy<u64, ESR::Register> {
        LocalRegisterCopy::new(self.0)
    }

    /// The exception class field.
    pub fn ec(self) -> u8 {
        self.reg().read(ESR::EC) as u8
    }

    /// The exception class, if it is one named here.
    pub fn class(self) -> Option<ExceptionClass> {
        ExceptionClass::from_bits(self.ec())
    }

    /// The instruction-specific syndrome.
    pub fn iss(self) -> u32 {
        self.reg().read(ESR::ISS) as u32
    }

    /// Instruction length bit: the instruction was 32 bits.
    pub fn il(self) -> bool {
        self.reg().is_set(ESR::IL)
    }

    /// Whether this is an instruction or data abort.
    pub fn is_abort(self) -> bool {
        self.class().is_some_and(ExceptionClass::is_abort)
    }

    /// The fault status of an abort.
    pub fn fault_status(self) -> Option<FaultStatus> {
        self.is_abort()
            .then(|| FaultStatus::decode(self.reg().read(ESR::FSC) as u8))
    }

    /// For a data abort: whether the access was a write (ISS.WnR).
    pub fn is_write(self) -> bool {
        self.reg().is_set(ESR::WNR)
    }

    /// For aborts: a stage 2 fault on a stage 1 walk (ISS.S1PTW).
    pub fn s1ptw(self) -> bool {
        self.reg().is_set(ESR::S1PTW)
    }

    /// For a data abort with ISV set: the access syndrome.
    pub fn access_syndrome(self) -> Option<AccessSyndrome> {
        let r = self.reg();
        (self.class().is_some_and(ExceptionClass::is_data_abort) && r.is_set(ESR::ISV)).then(|| {
            AccessSyndrome {
                size_log2: r.read(ESR::SAS) as u8,
                sign_extend: r.is_set(ESR::SSE),
                register: r.read(ESR::SRT) as u8,
                sixty_four: r.is_set(ESR::SF),
                acquire_release: r.is_set(ESR::AR),
            }
        })
    }

    /// For SVC, HVC, SMC and BRK: the immediate.
    pub fn imm16(self) -> Option<u16> {
        matches!(
            self.class(),
            Some(
                ExceptionClass::Svc64
                    | ExceptionClass::Hvc64
                    | ExceptionClass::Smc64
                    | ExceptionClass::Brk64
            )
        )
        .then(|| self.reg().read(ESR::IMM16) as u16)
    }

    /// For a trapped MSR/MRS: the instruction's operands.
    pub fn sysreg(self) -> Option<SysRegTrap> {
        let r = self.reg();
        (self.class() == Some(ExceptionClass::SysReg)).then(|| SysRegTrap {
            op0: r.read(ESR::OP0) as u8,
            op1: r.read(ESR::OP1) as u8,
            crn: r.read(ESR::CRN) as u8,
            crm: r.read(ESR::CRM) as u8,
            op2: r.read(ESR::OP2) as u8,
            rt: r.read(ESR::RT) as u8,
            read: r.is_set(ESR::DIRECTION),
        })
    }

    // Constructors: the ESR a modelled CPU leaves.

    fn with_class(class: ExceptionClass, iss: u64) -> Self {
        let mut r = LocalRegisterCopy::new(0);
        r.write(ESR::EC.val(class as u64) + ESR::IL::SET + ESR::ISS.val(iss));
        Esr(r.get())
    }

    /// The value with `fields` added.
    fn with(self, fields: tock_registers::fields::FieldValue<u64, ESR::Register>) -> Self {
        let mut r = self.reg();
        r.modify(fields);
        Esr(r.get())
    }

    /// An undefined instruction, or any exception with an unknown reason
    /// (also HLT while halting debug is off: HLT has no class of its own
    /// outside Debug state).
    pub fn unknown() -> Self {
        Self::with_class(ExceptionClass::Unknown, 0)
    }

    /// SVC #imm from AArch64.
    pub fn svc(imm: u16) -> Self {
        Self::with_class(ExceptionClass::Svc64, u64::from(imm))
    }

    /// HVC #imm from AArch64.
    pub fn hvc(imm: u16) -> Self {
        Self::with_class(ExceptionClass::Hvc64, u64::from(imm))
    }

    /// SMC #imm from AArch64 (trapped or taken).
    pub fn smc(imm: u16) -> Self {
        Self::with_class(ExceptionClass::Smc64, u64::from(imm))
    }

    /// BRK #imm.
    pub fn brk(imm: u16) -> Self {
        Self::with_class(ExceptionClass::Brk64, u64::from(imm))
    }

    /// A trapped MSR (write) or MRS (read) or system instruction.
    pub fn sysreg_trap(trap: SysRegTrap) -> Self {
        Self::with_class(ExceptionClass::SysReg, 0).with(
            ESR::OP0.val(trap.op0.into())
                + ESR::OP2.val(trap.op2.into())
                + ESR::OP1.val(trap.op1.into())
                + ESR::CRN.val(trap.crn.into())
                + ESR::RT.val(trap.rt.into())
                + ESR::CRM.val(trap.crm.into())
                + ESR::DIRECTION.val(trap.read.into()),
        )
    }

    /// An FP/SIMD instruction trapped by CPACR_EL1.FPEN. From AArch64, CV
    /// is 1 and COND 0b1110 (ARM ARM, ISS encoding for EC 0x07).
    pub fn fp_access_trap() -> Self {
        const ALWAYS: u64 = 0b1110;
        Self::with_class(ExceptionClass::FpAccess, 0).with(ESR::CV::SET + ESR::COND.val(ALWAYS))
    }

    /// A trapped WFI (`wfe` false) or WFE; CV/COND as for
    /// [`Esr::fp_access_trap`], TI in bit 0.
    pub fn wfx_trap(wfe: bool) -> Self {
        const ALWAYS: u64 = 0b1110;
        Self::with_class(ExceptionClass::TrappedWfx, u64::from(wfe))
            .with(ESR::CV::SET + ESR::COND.val(ALWAYS))
    }

    /// A PC alignment fault (branch to a misaligned address).
    pub fn pc_alignment() -> Self {
        Self::with_class(ExceptionClass::PcAlignment, 0)
    }

    /// An SP alignment fault.
    pub fn sp_alignment() -> Self {
        Self::with_class(ExceptionClass::SpAlignment, 0)
    }

    /// An Illegal Execution state exception (PSTATE.IL set).
    pub fn illegal_state() -> Self {
        Self::with_class(ExceptionClass::IllegalState, 0)
    }

    /// An instruction abort with fault status `status`; `s1ptw` for a stage
    /// 2 fault on the stage 1 walk.
    pub fn instruction_abort(from: Origin, status: FaultStatus, s1ptw: bool) -> Self {
        let class = match from {
            Origin::Lower => ExceptionClass::InstructionAbortLower,
            Origin::Same => ExceptionClass::InstructionAbortSame,
        };
        Self::with_class(class, 0)
            .with(ESR::FSC.val(status.code().into()) + ESR::S1PTW.val(s1ptw.into()))
    }

    /// A data abort with fault status `status`; `s1ptw` for a stage 2
    /// fault on the stage 1 walk (WnR then says what the original access
    /// was).
    pub fn data_abort(from: Origin, status: FaultStatus, s1ptw: bool, abort: DataAbort) -> Self {
        let class = match from {
            Origin::Lower => ExceptionClass::DataAbortLower,
            Origin::Same => ExceptionClass::DataAbortSame,
        };
        let e = Self::with_class(class, 0).with(
            ESR::FSC.val(status.code().into())
                + ESR::S1PTW.val(s1ptw.into())
                + ESR::WNR.val(abort.write.into())
                + ESR::CM.val(abort.cache_maintenance.into())
                + ESR::FNV.val(abort.far_not_valid.into()),
        );
        if let Some(s) = abort.syndrome {
            return e.with(
                ESR::ISV::SET
                    + ESR::SAS.val(u64::from(s.size_log2 & 0b11))
                    + ESR::SSE.val(s.sign_extend.into())
                    + ESR::SRT.val(u64::from(s.register & 0b1_1111))
                    + ESR::SF.val(s.sixty_four.into())
                    + ESR::AR.val(s.acquire_release.into()),
            );
        }
        e
    }

    /// An alignment fault on a data access (a data abort with DFSC
    /// 0b100001).
    pub fn alignment(from: Origin, abort: DataAbort) -> Self {
        Self::data_abort(from, FaultStatus::Alignment, false, abort)
    }

    /// The abort the walker's `fault` raises: an instruction abort for a
    /// fetch, else a data abort with WnR from the access (`abort.write` is
    /// overridden by it unless `abort.cache_maintenance` is set, where WnR
    /// is 1 whatever the access).
    pub fn from_fault(from: Origin, fault: &Fault, abort: DataAbort) -> Self {
        let status = FaultStatus::of(fault);
        match fault.access.kind {
            AccessKind::Execute => Self::instruction_abort(from, status, fault.s1ptw),
            kind => {
                let write = abort.cache_maintenance || kind == AccessKind::Write;
                Self::data_abort(from, status, fault.s1ptw, DataAbort { write, ..abort })
            }
        }
    }
}

/// The operands of a trapped MSR/MRS (the ISS of EC 0x18).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SysRegTrap {
    /// Op0 (2 bits).
    pub op0: u8,
    /// Op1 (3 bits).
    pub op1: u8,
    /// CRn (4 bits).
    pub crn: u8,
    /// CRm (4 bits).
    pub crm: u8,
    /// Op2 (3 bits).
    pub op2: u8,
    /// The transfer register.
    pub rt: u8,
    /// MRS (a read) rather than MSR.
    pub read: bool,
}

impl fmt::Display for Esr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ESR {:#010x}: EC {:#04x} ({}), ISS {:#08x}",
            self.bits(),
            self.ec(),
            exception_class_name(self.ec()),
            self.iss()
        )?;
        if let Some(status) = self.fault_status() {
            write!(f, ": {status}")?;
            if self.class().is_some_and(ExceptionClass::is_data_abort) {
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
    use crate::mmu::{Access, El};
    use std::string::ToString;

    // Expected values: the ARM ARM's ESR_EL1 layouts, and values Linux
    // prints for the same exceptions (its oops lines "ESR = 0x96000045",
    // "ESR = 0x8600000f", BUG()'s "BRK #0x800" as 0xf2000800) and QEMU's
    // syndrome for an FP access trap from AArch64 (CV 1, COND 0xE).

    #[test]
    fn decodes_a_level_2_translation_fault_on_a_read() {
        let s = Esr::new(0x9600_0006);
        assert_eq!(s.fault_status(), Some(FaultStatus::Translation(2)));
        assert!(!s.is_write());
        assert!(s.to_string().contains("Data Abort from the same EL"));
        assert!(s.to_string().contains("translation fault, level 2"));
    }

    #[test]
    fn non_aborts_have_no_fault_status() {
        assert_eq!(Esr::new(0x0200_0000).fault_status(), None);
        assert_eq!(Esr::new(0x0200_0000).class(), Some(ExceptionClass::Unknown));
    }

    #[test]
    fn every_fault_status_code_round_trips() {
        for code in 0..64u8 {
            let status = FaultStatus::decode(code);
            let _ = status.to_string();
            assert_eq!(status.code(), code, "{status}");
        }
        assert_eq!(FaultStatus::decode(0x0b), FaultStatus::AccessFlag(3));
        assert_eq!(
            FaultStatus::decode(0x15),
            FaultStatus::ExternalAbortOnWalk(1)
        );
        assert_eq!(FaultStatus::decode(0x21), FaultStatus::Alignment);
    }

    #[test]
    fn every_class_round_trips_and_has_a_name() {
        for class in ExceptionClass::ALL {
            assert_eq!(ExceptionClass::from_bits(class as u8), Some(class));
            assert!(!class.name().is_empty());
        }
        assert_eq!(ExceptionClass::from_bits(0x3f), None);
    }

    #[test]
    fn immediate_exceptions() {
        assert_eq!(Esr::svc(0).bits(), 0x5600_0000);
        assert_eq!(Esr::svc(0x1234).bits(), 0x5600_1234);
        assert_eq!(Esr::hvc(0).bits(), 0x5a00_0000);
        assert_eq!(Esr::smc(1).bits(), 0x5e00_0001);
        assert_eq!(Esr::brk(0x800).bits(), 0xf200_0800);
        assert_eq!(Esr::brk(0x800).imm16(), Some(0x800));
        assert_eq!(Esr::unknown().bits(), 0x0200_0000);
        assert_eq!(Esr::unknown().imm16(), None);
    }

    #[test]
    fn aborts_from_walker_faults() {
        let write = Access::new(El::El1, AccessKind::Write);
        let f = Fault::stage1(FaultKind::Translation, 1, write);
        assert_eq!(
            Esr::from_fault(Origin::Same, &f, DataAbort::default()).bits(),
            0x9600_0045
        );
        let fetch = Access::new(El::El1, AccessKind::Execute);
        let f = Fault::stage1(FaultKind::Permission, 3, fetch);
        assert_eq!(
            Esr::from_fault(Origin::Same, &f, DataAbort::default()).bits(),
            0x8600_000f
        );
        let read = Access::new(El::El0, AccessKind::Read);
        let f = Fault::stage1(FaultKind::AccessFlag, 2, read);
        let e = Esr::from_fault(Origin::Lower, &f, DataAbort::default());
        assert_eq!(e.bits(), 0x9200_000a);
        assert_eq!(e.fault_status(), Some(FaultStatus::AccessFlag(2)));
        // A stage 2 fault on the stage 1 walk sets S1PTW (bit 7).
        let f = Fault {
            s1ptw: true,
            stage: crate::mmu::Stage::Stage2,
            ..Fault::stage1(FaultKind::Translation, 0, read)
        };
        let e = Esr::from_fault(Origin::Lower, &f, DataAbort::default());
        assert_eq!(e.bits(), 0x9200_0084);
        assert!(e.s1ptw());
        // DC/AT faults report WnR = 1 and CM = 1 whatever the access.
        let f = Fault::stage1(FaultKind::Translation, 3, read);
        let cm = DataAbort {
            cache_maintenance: true,
            ..DataAbort::default()
        };
        assert_eq!(Esr::from_fault(Origin::Lower, &f, cm).bits(), 0x9200_0147);
    }

    #[test]
    fn data_abort_instruction_syndrome() {
        // LDR W1, [X0] to a device: ISV, SAS word (2), SRT 1, SF 0.
        let syndrome = AccessSyndrome {
            size_log2: 2,
            sign_extend: false,
            register: 1,
            sixty_four: false,
            acquire_release: false,
        };
        let abort = DataAbort {
            syndrome: Some(syndrome),
            ..DataAbort::default()
        };
        let e = Esr::data_abort(Origin::Lower, FaultStatus::Translation(3), false, abort);
        assert_eq!(
            e.bits(),
            0x9000_0000 | (1 << 25) | (1 << 24) | (2 << 22) | (1 << 16) | 7
        );
        assert_eq!(e.access_syndrome(), Some(syndrome));
        // LDAR X30 sign bits: SSE, SF, AR, SRT 30, SAS doubleword.
        let s = AccessSyndrome {
            size_log2: 3,
            sign_extend: true,
            register: 30,
            sixty_four: true,
            acquire_release: true,
        };
        let abort = DataAbort {
            write: true,
            syndrome: Some(s),
            ..DataAbort::default()
        };
        let e = Esr::data_abort(Origin::Same, FaultStatus::Permission(2), false, abort);
        assert_eq!(
            e.iss(),
            (1 << 24) | (3 << 22) | (1 << 21) | (30 << 16) | (1 << 15) | (1 << 14) | (1 << 6) | 0xe
        );
        assert_eq!(e.access_syndrome(), Some(s));
        // Without ISV there is no syndrome.
        assert_eq!(Esr::new(0x9600_0045).access_syndrome(), None);
    }

    #[test]
    fn alignment_fault_is_a_data_abort() {
        let e = Esr::alignment(
            Origin::Same,
            DataAbort {
                write: true,
                ..DataAbort::default()
            },
        );
        assert_eq!(e.bits(), 0x9600_0061);
        assert_eq!(e.fault_status(), Some(FaultStatus::Alignment));
    }

    #[test]
    fn msr_mrs_traps() {
        // MRS X5, CTR_EL0 (op0 3, op1 3, CRn 0, CRm 0, op2 1), a read.
        let trap = SysRegTrap {
            op0: 3,
            op1: 3,
            crn: 0,
            crm: 0,
            op2: 1,
            rt: 5,
            read: true,
        };
        let e = Esr::sysreg_trap(trap);
        assert_eq!(e.bits(), 0x6232_c0a1);
        assert_eq!(e.sysreg(), Some(trap));
        // MSR SCTLR_EL1, X0 (3, 0, c1, c0, 0), a write.
        let trap = SysRegTrap {
            op0: 3,
            op1: 0,
            crn: 1,
            crm: 0,
            op2: 0,
            rt: 0,
            read: false,
        };
        assert_eq!(Esr::sysreg_trap(trap).bits(), 0x6230_0400);
    }

    #[test]
    fn other_classes() {
        assert_eq!(Esr::fp_access_trap().bits(), 0x1fe0_0000);
        assert_eq!(Esr::wfx_trap(false).bits(), 0x07e0_0000);
        assert_eq!(Esr::wfx_trap(true).bits(), 0x07e0_0001);
        assert_eq!(Esr::pc_alignment().bits(), 0x8a00_0000);
        assert_eq!(Esr::sp_alignment().bits(), 0x9a00_0000);
        assert_eq!(Esr::illegal_state().bits(), 0x3a00_0000);
    }
}
