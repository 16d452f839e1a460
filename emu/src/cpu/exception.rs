//! The EL0/EL1 exception model (ARM ARM D1.10-D1.11): taking synchronous
//! exceptions to EL1 (ESR, FAR, ELR, SPSR, vectoring through VBAR_EL1),
//! the entry point for asynchronous ones, and ERET with the illegal
//! exception return rules.

use core::fmt;

use crate::arch::esr::{Esr, ExceptionClass};

use super::regs::{spsr, Pstate};
use super::Cpu;

/// A synchronous exception an instruction takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exception {
    /// The syndrome (ESR_EL1).
    pub esr: Esr,
    /// The faulting virtual address (FAR_EL1), for aborts and PC alignment
    /// faults.
    pub far: Option<u64>,
    /// The preferred return address is the next instruction (SVC).
    pub return_next: bool,
}

impl Exception {
    /// An exception with syndrome `esr`, returning to the instruction.
    pub const fn new(esr: Esr) -> Self {
        Exception {
            esr,
            far: None,
            return_next: false,
        }
    }

    /// An exception that reports `far` in FAR_EL1.
    pub const fn with_far(esr: Esr, far: u64) -> Self {
        Exception {
            esr,
            far: Some(far),
            return_next: false,
        }
    }

    /// UNDEFINED (EC 0x00).
    pub fn undefined() -> Self {
        Self::new(Esr::unknown())
    }

    /// Whether this is an UNDEFINED instruction.
    pub fn is_undefined(&self) -> bool {
        self.esr.ec() == ExceptionClass::Unknown as u8
    }

    /// An Illegal Execution state exception.
    pub fn illegal_state() -> Self {
        Self::new(Esr::illegal_state())
    }

    /// A PC alignment fault at `pc`.
    pub fn pc_alignment(pc: u64) -> Self {
        Self::with_far(Esr::pc_alignment(), pc)
    }

    /// An SP alignment fault.
    pub fn sp_alignment() -> Self {
        Self::new(Esr::sp_alignment())
    }

    /// SVC #imm: returns to the next instruction.
    pub fn svc(imm: u16) -> Self {
        Exception {
            esr: Esr::svc(imm),
            far: None,
            return_next: true,
        }
    }

    /// BRK #imm.
    pub fn brk(imm: u16) -> Self {
        Self::new(Esr::brk(imm))
    }

    /// An FP/SIMD access trapped by CPACR_EL1.FPEN.
    pub fn fp_access() -> Self {
        Self::new(Esr::fp_access_trap())
    }
}

impl fmt::Display for Exception {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.esr)?;
        if let Some(far) = self.far {
            write!(f, ", FAR {far:#x}")?;
        }
        Ok(())
    }
}

/// The asynchronous exceptions (taken when the timer and GIC come).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interrupt {
    /// IRQ (vector offset 0x80).
    Irq,
    /// FIQ (0x100).
    Fiq,
    /// SError (0x180).
    SError,
}

/// Offsets within a vector table (ARM ARM D1.10.2).
mod vector {
    /// Current EL with SP_EL0.
    pub const CURRENT_SP0: u64 = 0x000;
    /// Current EL with SP_ELx.
    pub const CURRENT_SPX: u64 = 0x200;
    /// Lower EL, AArch64.
    pub const LOWER_A64: u64 = 0x400;
    /// IRQ entry within a group.
    pub const IRQ: u64 = 0x80;
    /// FIQ entry.
    pub const FIQ: u64 = 0x100;
    /// SError entry.
    pub const SERROR: u64 = 0x180;
    /// VBAR_EL1 bits \[10:0\] are RES0.
    pub const VBAR_MASK: u64 = !0x7ff;
}

impl Cpu {
    /// Takes synchronous exception `e` raised by the instruction at `pc`.
    pub(crate) fn take_exception(&mut self, e: Exception, pc: u64) {
        self.sys.esr = e.esr.bits();
        if let Some(far) = e.far {
            self.sys.far = far;
        }
        let ret = if e.return_next {
            pc.wrapping_add(4)
        } else {
            pc
        };
        self.stats.exceptions = self.stats.exceptions.wrapping_add(1);
        self.enter_el1(ret, 0);
    }

    /// Takes an asynchronous exception if PSTATE does not mask it; returns
    /// whether it was taken. `pc` is the instruction it preempts.
    pub fn take_interrupt(&mut self, kind: Interrupt) -> bool {
        let p = &self.regs.pstate;
        let (masked, offset) = match kind {
            Interrupt::Irq => (p.i, vector::IRQ),
            Interrupt::Fiq => (p.f, vector::FIQ),
            Interrupt::SError => (p.a, vector::SERROR),
        };
        // At EL0 the masks do not apply to exceptions taken to EL1.
        if masked && p.el == 1 {
            return false;
        }
        let pc = self.regs.pc;
        self.enter_el1(pc, offset);
        true
    }

    /// Exception entry to EL1: SPSR, ELR, PSTATE, monitor, vector.
    fn enter_el1(&mut self, elr: u64, kind_offset: u64) {
        let p = self.regs.pstate;
        let group = if p.el == 0 {
            vector::LOWER_A64
        } else if p.sp {
            vector::CURRENT_SPX
        } else {
            vector::CURRENT_SP0
        };
        self.sys.spsr = p.to_spsr();
        self.sys.elr = elr;
        self.regs.pstate = Pstate {
            d: true,
            a: true,
            i: true,
            f: true,
            sp: true,
            el: 1,
            il: false,
            ss: false,
            ..p
        };
        self.monitor = None;
        self.regs.pc = (self.sys.vbar & vector::VBAR_MASK) + group + kind_offset;
    }

    /// ERET at EL1 (ARM ARM D1.11, AArch64.ExceptionReturn): PSTATE from
    /// SPSR_EL1, PC from ELR_EL1. An illegal return (to AArch32, to an EL
    /// that is not implemented, or EL0 with SP_ELx) keeps EL and SP, sets
    /// PSTATE.IL and restores the rest.
    pub(crate) fn exception_return(&mut self) {
        let s = self.sys.spsr;
        let m = s & spsr::M_MASK;
        let el = (m >> spsr::EL_SHIFT) as u8;
        let illegal = s & spsr::M4 != 0 || el > 1 || (el == 0 && m & spsr::SP != 0);
        let old = self.regs.pstate;
        let mut p = Pstate {
            ss: s & spsr::SS != 0,
            il: s & spsr::IL != 0,
            ..old
        };
        p.set_nzcv(s);
        p.set_daif(s);
        if illegal {
            p.il = true;
        } else {
            p.el = el;
            p.sp = m & spsr::SP != 0;
        }
        self.regs.pstate = p;
        self.monitor = None;
        self.next_pc = self.sys.elr;
    }
}
