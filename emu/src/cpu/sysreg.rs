//! The system registers of EL0/EL1 (ARM ARM D17/D19): storage, MRS/MSR by
//! encoding, the ID registers advertising what this CPU implements, and
//! the side effects a write has on translation.
//!
//! Any encoding not listed here is UNDEFINED in the guest, read or write;
//! so is a write to a read-only register.

use crate::arch::esr::{Esr, SysRegTrap};
use crate::arch::sysreg::{bits, SCTLR_EL1, TCR_EL1, TTBR};
use crate::granule::Granule;
use crate::mmu::regime::Features;

use super::exception::Exception;
use super::Cpu;

/// The EL1&0 system registers this CPU keeps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SysRegs {
    /// SCTLR_EL1.
    pub sctlr: u64,
    /// CPACR_EL1.
    pub cpacr: u64,
    /// TTBR0_EL1.
    pub ttbr0: u64,
    /// TTBR1_EL1.
    pub ttbr1: u64,
    /// TCR_EL1.
    pub tcr: u64,
    /// MAIR_EL1.
    pub mair: u64,
    /// AMAIR_EL1.
    pub amair: u64,
    /// VBAR_EL1.
    pub vbar: u64,
    /// ESR_EL1.
    pub esr: u64,
    /// FAR_EL1.
    pub far: u64,
    /// ELR_EL1.
    pub elr: u64,
    /// SPSR_EL1.
    pub spsr: u64,
    /// PAR_EL1.
    pub par: u64,
    /// AFSR0_EL1.
    pub afsr0: u64,
    /// AFSR1_EL1.
    pub afsr1: u64,
    /// CONTEXTIDR_EL1.
    pub contextidr: u64,
    /// TPIDR_EL1.
    pub tpidr_el1: u64,
    /// TPIDR_EL0.
    pub tpidr_el0: u64,
    /// TPIDRRO_EL0.
    pub tpidrro_el0: u64,
    /// CNTFRQ_EL0.
    pub cntfrq: u64,
}

/// SCTLR_EL1 at reset: the RES1 bits of ARMv8.0 (29, 28, 23, 22, 20, 11),
/// everything else off (QEMU's value).
pub const SCTLR_RESET: u64 = 0x30d0_0800;

/// SCTLR_EL1 bits that gate EL0 accesses.
pub mod sctlr_el0 {
    use super::{bits, SCTLR_EL1};
    /// UMA: EL0 may access DAIF (bit 9; not among `emu::arch`'s fields).
    pub const UMA: u64 = 1 << 9;
    /// DZE: EL0 may use DC ZVA.
    pub const DZE: u64 = bits(SCTLR_EL1::DZE);
    /// UCT: EL0 may read CTR_EL0.
    pub const UCT: u64 = bits(SCTLR_EL1::UCT);
    /// nTWI: WFI at EL0 is not trapped.
    pub const NTWI: u64 = bits(SCTLR_EL1::NTWI);
    /// nTWE: WFE at EL0 is not trapped.
    pub const NTWE: u64 = bits(SCTLR_EL1::NTWE);
    /// UCI: EL0 may use DC CVAU, CIVAC, CVAC and IC IVAU.
    pub const UCI: u64 = bits(SCTLR_EL1::UCI);
}

/// CPACR_EL1.FPEN.
pub mod cpacr {
    /// FPEN\[21:20\].
    pub const FPEN_SHIFT: u32 = 20;
}

/// MIDR_EL1: implementer 0 ("reserved for software use"), architecture
/// 0xF (features in the ID registers).
pub const MIDR: u64 = 0x000f_0000;
/// MPIDR_EL1: RES1 bit 31, uniprocessor, affinity 0.
pub const MPIDR: u64 = 0x8000_0000 | (1 << 30);
/// CTR_EL0: 32-byte lines, VIPT instruction cache, no IDC/DIC (QEMU
/// `-cpu max`'s value, so that guests see the same cache geometry).
pub const CTR: u64 = 0x8003_8003;
/// DCZID_EL0.BS: log2 of the DC ZVA block in words: 512 bytes, as QEMU
/// `-cpu max`.
pub const DCZID_BS: u64 = 7;
/// DCZID_EL0.DZP.
pub const DCZID_DZP: u64 = 1 << 4;
/// ID_AA64PFR0_EL1: EL0 and EL1 AArch64 only, no EL2/EL3, FP and AdvSIMD
/// present (0; only the subset the README lists executes), no GIC
/// system registers.
pub const ID_AA64PFR0: u64 = 0x11;
/// ID_AA64ISAR0_EL1: Atomic = 0b0010 (FEAT_LSE); nothing else.
pub const ID_AA64ISAR0: u64 = 0b0010 << 20;
/// ID_AA64DFR0_EL1: DebugVer ARMv8.0, no PMU.
pub const ID_AA64DFR0: u64 = 0x6;

/// ID_AA64MMFR0_EL1 for `f`: PARange, 16-bit ASIDs, the granules at
/// stage 1 and (as the walker implements stage 2) the same at stage 2.
pub fn id_aa64mmfr0(f: &Features) -> u64 {
    let parange: u64 = match f.pa_bits {
        0..=32 => 0,
        33..=36 => 1,
        37..=40 => 2,
        41..=42 => 3,
        43..=44 => 4,
        _ => 5,
    };
    const ASID16: u64 = 0b0010;
    const S2_SUPPORTED: u64 = 0b0010;
    let s1 = |g| f.stage1_granules.contains(g);
    let s2g = |g| f.stage2_granules.contains(g);
    let tgran16 = u64::from(s1(Granule::K16));
    let tgran64 = if s1(Granule::K64) { 0 } else { 0xf };
    let tgran4 = if s1(Granule::K4) { 0 } else { 0xf };
    const S2_NOT_IMPLEMENTED: u64 = 0b0001;
    let s2 = |yes: bool| {
        if yes {
            S2_SUPPORTED
        } else {
            S2_NOT_IMPLEMENTED
        }
    };
    parange
        | ASID16 << 4
        | tgran16 << 20
        | tgran64 << 24
        | tgran4 << 28
        | s2(s2g(Granule::K16)) << 32
        | s2(s2g(Granule::K64)) << 36
        | s2(s2g(Granule::K4)) << 40
}

/// ID_AA64MMFR1_EL1: HAFDBS (access flag only) and HPDS as `f` says.
pub fn id_aa64mmfr1(f: &Features) -> u64 {
    u64::from(f.hardware_access_flag) | u64::from(f.hpds) << 12
}

/// ID_AA64MMFR2_EL1: ST (FEAT_TTST) as `f` says.
pub fn id_aa64mmfr2(f: &Features) -> u64 {
    u64::from(f.ttst) << 28
}

/// A system register encoding (op0, op1, CRn, CRm, op2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Encoding {
    /// op0.
    pub op0: u8,
    /// op1.
    pub op1: u8,
    /// CRn.
    pub crn: u8,
    /// CRm.
    pub crm: u8,
    /// op2.
    pub op2: u8,
}

impl Encoding {
    /// The encoding of an MRS/MSR/SYS word.
    pub fn of(word: u32) -> Self {
        Encoding {
            op0: (((word >> 19) & 3) as u8),
            op1: ((word >> 16) & 7) as u8,
            crn: ((word >> 12) & 15) as u8,
            crm: ((word >> 8) & 15) as u8,
            op2: ((word >> 5) & 7) as u8,
        }
    }

    const fn key(self) -> (u8, u8, u8, u8, u8) {
        (self.op0, self.op1, self.crn, self.crm, self.op2)
    }

    /// The trap syndrome (EC 0x18) of this encoding for `rt`.
    pub fn trap(self, rt: usize, read: bool) -> Exception {
        Exception::new(Esr::sysreg_trap(SysRegTrap {
            op0: self.op0,
            op1: self.op1,
            crn: self.crn,
            crm: self.crm,
            op2: self.op2,
            rt: rt as u8,
            read,
        }))
    }
}

/// The registers MRS/MSR reach, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(non_camel_case_types, missing_docs)]
pub enum Reg {
    SCTLR_EL1,
    CPACR_EL1,
    TTBR0_EL1,
    TTBR1_EL1,
    TCR_EL1,
    MAIR_EL1,
    AMAIR_EL1,
    VBAR_EL1,
    ESR_EL1,
    FAR_EL1,
    ELR_EL1,
    SPSR_EL1,
    PAR_EL1,
    AFSR0_EL1,
    AFSR1_EL1,
    CONTEXTIDR_EL1,
    TPIDR_EL1,
    TPIDR_EL0,
    TPIDRRO_EL0,
    SP_EL0,
    SPSEL,
    CURRENTEL,
    DAIF,
    NZCV,
    FPCR,
    FPSR,
    CNTFRQ_EL0,
    CNTPCT_EL0,
    CNTVCT_EL0,
    CTR_EL0,
    DCZID_EL0,
    MIDR_EL1,
    MPIDR_EL1,
    REVIDR_EL1,
    ID_AA64PFR0_EL1,
    ID_AA64DFR0_EL1,
    ID_AA64ISAR0_EL1,
    ID_AA64MMFR0_EL1,
    ID_AA64MMFR1_EL1,
    ID_AA64MMFR2_EL1,
    /// Any other register of the ID space (op0 3, op1 0, CRn 0, CRm 1-7):
    /// RAZ.
    ID_RAZ,
}

/// Encoding to register.
pub fn lookup(e: Encoding) -> Option<Reg> {
    use Reg::*;
    Some(match e.key() {
        (3, 0, 1, 0, 0) => SCTLR_EL1,
        (3, 0, 1, 0, 2) => CPACR_EL1,
        (3, 0, 2, 0, 0) => TTBR0_EL1,
        (3, 0, 2, 0, 1) => TTBR1_EL1,
        (3, 0, 2, 0, 2) => TCR_EL1,
        (3, 0, 10, 2, 0) => MAIR_EL1,
        (3, 0, 10, 3, 0) => AMAIR_EL1,
        (3, 0, 12, 0, 0) => VBAR_EL1,
        (3, 0, 5, 2, 0) => ESR_EL1,
        (3, 0, 6, 0, 0) => FAR_EL1,
        (3, 0, 4, 0, 1) => ELR_EL1,
        (3, 0, 4, 0, 0) => SPSR_EL1,
        (3, 0, 7, 4, 0) => PAR_EL1,
        (3, 0, 5, 1, 0) => AFSR0_EL1,
        (3, 0, 5, 1, 1) => AFSR1_EL1,
        (3, 0, 13, 0, 1) => CONTEXTIDR_EL1,
        (3, 0, 13, 0, 4) => TPIDR_EL1,
        (3, 3, 13, 0, 2) => TPIDR_EL0,
        (3, 3, 13, 0, 3) => TPIDRRO_EL0,
        (3, 0, 4, 1, 0) => SP_EL0,
        (3, 0, 4, 2, 0) => SPSEL,
        (3, 0, 4, 2, 2) => CURRENTEL,
        (3, 3, 4, 2, 1) => DAIF,
        (3, 3, 4, 2, 0) => NZCV,
        (3, 3, 4, 4, 0) => FPCR,
        (3, 3, 4, 4, 1) => FPSR,
        (3, 3, 14, 0, 0) => CNTFRQ_EL0,
        (3, 3, 14, 0, 1) => CNTPCT_EL0,
        (3, 3, 14, 0, 2) => CNTVCT_EL0,
        (3, 3, 0, 0, 1) => CTR_EL0,
        (3, 3, 0, 0, 7) => DCZID_EL0,
        (3, 0, 0, 0, 0) => MIDR_EL1,
        (3, 0, 0, 0, 5) => MPIDR_EL1,
        (3, 0, 0, 0, 6) => REVIDR_EL1,
        (3, 0, 0, 4, 0) => ID_AA64PFR0_EL1,
        (3, 0, 0, 5, 0) => ID_AA64DFR0_EL1,
        (3, 0, 0, 6, 0) => ID_AA64ISAR0_EL1,
        (3, 0, 0, 7, 0) => ID_AA64MMFR0_EL1,
        (3, 0, 0, 7, 1) => ID_AA64MMFR1_EL1,
        (3, 0, 0, 7, 2) => ID_AA64MMFR2_EL1,
        (3, 0, 0, 1..=7, _) => ID_RAZ,
        _ => return None,
    })
}

impl SysRegs {
    /// The registers at reset.
    pub fn reset(cntfrq: u64) -> Self {
        SysRegs {
            sctlr: SCTLR_RESET,
            cntfrq,
            ..SysRegs::default()
        }
    }
}

/// How an EL0 access to a register is treated.
enum El0Access {
    Allowed,
    /// Trapped to EL1 with EC 0x18 (an SCTLR_EL1 control is clear).
    Trap,
    Undefined,
}

impl Cpu {
    /// The ASID the EL1&0 regime uses now (TCR_EL1.A1 and AS).
    pub(crate) fn current_asid(&self) -> u16 {
        let t = self.sys.tcr;
        let reg = if t & bits(TCR_EL1::A1) != 0 {
            self.sys.ttbr1
        } else {
            self.sys.ttbr0
        };
        let asid = TTBR::ASID.read(reg) as u16;
        if t & bits(TCR_EL1::AS) != 0 {
            asid
        } else {
            asid & 0xff
        }
    }

    fn el0_access(&self, r: Reg, write: bool) -> El0Access {
        use Reg::*;
        let s = self.sys.sctlr;
        match r {
            NZCV | FPCR | FPSR | TPIDR_EL0 | CNTVCT_EL0 | CNTPCT_EL0 => El0Access::Allowed,
            TPIDRRO_EL0 | CNTFRQ_EL0 | DCZID_EL0 if !write => El0Access::Allowed,
            CTR_EL0 if !write => {
                if s & sctlr_el0::UCT != 0 {
                    El0Access::Allowed
                } else {
                    El0Access::Trap
                }
            }
            DAIF => {
                if s & sctlr_el0::UMA != 0 {
                    El0Access::Allowed
                } else {
                    El0Access::Trap
                }
            }
            _ => El0Access::Undefined,
        }
    }

    /// Checks that FP/SIMD is enabled (CPACR_EL1.FPEN) at the current EL.
    pub(crate) fn check_fp_enabled(&self) -> Result<(), Exception> {
        let fpen = (self.sys.cpacr >> cpacr::FPEN_SHIFT) & 0b11;
        let ok = match self.regs.pstate.el {
            0 => fpen == 0b11,
            _ => fpen & 1 == 1,
        };
        if ok {
            Ok(())
        } else {
            Err(Exception::fp_access())
        }
    }

    /// MRS: the value of the register at `e`, or the exception the read
    /// takes.
    pub(crate) fn read_sysreg(
        &mut self,
        e: Encoding,
        rt: usize,
        counter: u64,
    ) -> Result<u64, Exception> {
        use Reg::*;
        let r = lookup(e).ok_or_else(Exception::undefined)?;
        if self.regs.pstate.el == 0 {
            match self.el0_access(r, false) {
                El0Access::Allowed => {}
                El0Access::Trap => return Err(e.trap(rt, true)),
                El0Access::Undefined => return Err(Exception::undefined()),
            }
        }
        if matches!(r, FPCR | FPSR) {
            self.check_fp_enabled()?;
        }
        let s = &self.sys;
        Ok(match r {
            SCTLR_EL1 => s.sctlr,
            CPACR_EL1 => s.cpacr,
            TTBR0_EL1 => s.ttbr0,
            TTBR1_EL1 => s.ttbr1,
            TCR_EL1 => s.tcr,
            MAIR_EL1 => s.mair,
            AMAIR_EL1 => s.amair,
            VBAR_EL1 => s.vbar,
            ESR_EL1 => s.esr,
            FAR_EL1 => s.far,
            ELR_EL1 => s.elr,
            SPSR_EL1 => s.spsr,
            PAR_EL1 => s.par,
            AFSR0_EL1 => s.afsr0,
            AFSR1_EL1 => s.afsr1,
            CONTEXTIDR_EL1 => s.contextidr,
            TPIDR_EL1 => s.tpidr_el1,
            TPIDR_EL0 => s.tpidr_el0,
            TPIDRRO_EL0 => s.tpidrro_el0,
            SP_EL0 => {
                if !self.regs.pstate.sp {
                    return Err(Exception::undefined());
                }
                self.regs.sp_el0
            }
            SPSEL => u64::from(self.regs.pstate.sp),
            CURRENTEL => u64::from(self.regs.pstate.el) << 2,
            DAIF => self.regs.pstate.daif(),
            NZCV => self.regs.pstate.nzcv(),
            FPCR => self.regs.fpcr,
            FPSR => self.regs.fpsr,
            CNTFRQ_EL0 => s.cntfrq,
            CNTPCT_EL0 | CNTVCT_EL0 => counter,
            CTR_EL0 => CTR,
            DCZID_EL0 => {
                let prohibited = self.regs.pstate.el == 0 && s.sctlr & sctlr_el0::DZE == 0;
                DCZID_BS | if prohibited { DCZID_DZP } else { 0 }
            }
            MIDR_EL1 => MIDR,
            MPIDR_EL1 => MPIDR,
            REVIDR_EL1 => 0,
            ID_AA64PFR0_EL1 => ID_AA64PFR0,
            ID_AA64DFR0_EL1 => ID_AA64DFR0,
            ID_AA64ISAR0_EL1 => ID_AA64ISAR0,
            ID_AA64MMFR0_EL1 => id_aa64mmfr0(&self.features),
            ID_AA64MMFR1_EL1 => id_aa64mmfr1(&self.features),
            ID_AA64MMFR2_EL1 => id_aa64mmfr2(&self.features),
            ID_RAZ => 0,
        })
    }

    /// MSR: writes `v` to the register at `e`, with the write's effect on
    /// translation, or returns the exception the write takes.
    pub(crate) fn write_sysreg(&mut self, e: Encoding, rt: usize, v: u64) -> Result<(), Exception> {
        use Reg::*;
        let r = lookup(e).ok_or_else(Exception::undefined)?;
        if self.regs.pstate.el == 0 {
            match self.el0_access(r, true) {
                El0Access::Allowed => {}
                El0Access::Trap => return Err(e.trap(rt, false)),
                El0Access::Undefined => return Err(Exception::undefined()),
            }
        }
        if matches!(r, FPCR | FPSR) {
            self.check_fp_enabled()?;
        }
        let s = &mut self.sys;
        match r {
            SCTLR_EL1 => {
                let old = core::mem::replace(&mut s.sctlr, v);
                if old != v {
                    // M, WXN and the rest change what a walk returns.
                    self.tlb.tlbi_vmalle1();
                }
            }
            CPACR_EL1 => s.cpacr = v,
            TTBR0_EL1 => s.ttbr0 = v,
            TTBR1_EL1 => s.ttbr1 = v,
            TCR_EL1 => {
                let old = core::mem::replace(&mut s.tcr, v);
                if old != v {
                    self.tlb.tlbi_vmalle1();
                }
            }
            MAIR_EL1 => {
                let old = core::mem::replace(&mut s.mair, v);
                if old != v {
                    self.tlb.tlbi_vmalle1();
                }
            }
            AMAIR_EL1 => s.amair = v,
            VBAR_EL1 => s.vbar = v,
            ESR_EL1 => s.esr = v,
            FAR_EL1 => s.far = v,
            ELR_EL1 => s.elr = v,
            SPSR_EL1 => s.spsr = v,
            PAR_EL1 => s.par = v,
            AFSR0_EL1 => s.afsr0 = v,
            AFSR1_EL1 => s.afsr1 = v,
            CONTEXTIDR_EL1 => s.contextidr = v,
            TPIDR_EL1 => s.tpidr_el1 = v,
            TPIDR_EL0 => s.tpidr_el0 = v,
            TPIDRRO_EL0 => s.tpidrro_el0 = v,
            CNTFRQ_EL0 => s.cntfrq = v & 0xffff_ffff,
            SP_EL0 => {
                if !self.regs.pstate.sp {
                    return Err(Exception::undefined());
                }
                self.regs.sp_el0 = v;
            }
            SPSEL => self.regs.pstate.sp = v & 1 != 0,
            DAIF => self.regs.pstate.set_daif(v),
            NZCV => self.regs.pstate.set_nzcv(v),
            FPCR => self.regs.fpcr = v & 0x07ff_9f00,
            FPSR => self.regs.fpsr = v & 0xf800_009f,
            CURRENTEL | CNTPCT_EL0 | CNTVCT_EL0 | CTR_EL0 | DCZID_EL0 | MIDR_EL1 | MPIDR_EL1
            | REVIDR_EL1 | ID_AA64PFR0_EL1 | ID_AA64DFR0_EL1 | ID_AA64ISAR0_EL1
            | ID_AA64MMFR0_EL1 | ID_AA64MMFR1_EL1 | ID_AA64MMFR2_EL1 | ID_RAZ => {
                return Err(Exception::undefined())
            }
        }
        if matches!(r, TTBR0_EL1 | TTBR1_EL1 | TCR_EL1) {
            let asid = self.current_asid();
            self.tlb.set_asid(asid);
        }
        Ok(())
    }
}
