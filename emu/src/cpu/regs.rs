//! The register file: X0-X30, the banked stack pointers, PC, PSTATE, and
//! the FP/SIMD registers with FPCR and FPSR (ARM ARM B1.2, D1.4).

/// PSTATE of an AArch64 CPU at EL0/EL1 (ARM ARM D1.4 "Process state").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pstate {
    /// Negative.
    pub n: bool,
    /// Zero.
    pub z: bool,
    /// Carry.
    pub c: bool,
    /// Overflow.
    pub v: bool,
    /// Debug exception mask.
    pub d: bool,
    /// SError mask.
    pub a: bool,
    /// IRQ mask.
    pub i: bool,
    /// FIQ mask.
    pub f: bool,
    /// SPSel: at EL1, true selects SP_EL1, false SP_EL0.
    pub sp: bool,
    /// The current Exception level (0 or 1).
    pub el: u8,
    /// Illegal Execution state (set by an illegal exception return).
    pub il: bool,
    /// Software step (kept for SPSR round trips; debug is not modelled).
    pub ss: bool,
}

/// SPSR_EL1 / PSTATE bit positions (ARM ARM C5.2.18, SPSR_EL1).
pub mod spsr {
    /// N.
    pub const N: u64 = 1 << 31;
    /// Z.
    pub const Z: u64 = 1 << 30;
    /// C.
    pub const C: u64 = 1 << 29;
    /// V.
    pub const V: u64 = 1 << 28;
    /// SS.
    pub const SS: u64 = 1 << 21;
    /// IL.
    pub const IL: u64 = 1 << 20;
    /// D.
    pub const D: u64 = 1 << 9;
    /// A.
    pub const A: u64 = 1 << 8;
    /// I.
    pub const I: u64 = 1 << 7;
    /// F.
    pub const F: u64 = 1 << 6;
    /// M\[4\]: the exception was taken from AArch32.
    pub const M4: u64 = 1 << 4;
    /// M\[3:2\]: the Exception level.
    pub const EL_SHIFT: u32 = 2;
    /// M\[0\]: SP_ELx (1) or SP_EL0 (0).
    pub const SP: u64 = 1;
    /// M\[3:0\].
    pub const M_MASK: u64 = 0xf;
    /// The NZCV bits.
    pub const NZCV: u64 = N | Z | C | V;
}

impl Pstate {
    /// PSTATE after reset into EL1h: DAIF masked, flags zero.
    pub const fn reset() -> Pstate {
        Pstate {
            n: false,
            z: false,
            c: false,
            v: false,
            d: true,
            a: true,
            i: true,
            f: true,
            sp: true,
            el: 1,
            il: false,
            ss: false,
        }
    }

    /// NZCV as the NZCV system register holds it (bits 31:28).
    pub const fn nzcv(&self) -> u64 {
        (self.n as u64) << 31
            | (self.z as u64) << 30
            | (self.c as u64) << 29
            | (self.v as u64) << 28
    }

    /// Sets N, Z, C, V from bits 31:28 of `bits`.
    pub fn set_nzcv(&mut self, bits: u64) {
        self.n = bits & spsr::N != 0;
        self.z = bits & spsr::Z != 0;
        self.c = bits & spsr::C != 0;
        self.v = bits & spsr::V != 0;
    }

    /// DAIF as the DAIF system register holds it (bits 9:6).
    pub const fn daif(&self) -> u64 {
        (self.d as u64) << 9 | (self.a as u64) << 8 | (self.i as u64) << 7 | (self.f as u64) << 6
    }

    /// Sets D, A, I, F from bits 9:6 of `bits`.
    pub fn set_daif(&mut self, bits: u64) {
        self.d = bits & spsr::D != 0;
        self.a = bits & spsr::A != 0;
        self.i = bits & spsr::I != 0;
        self.f = bits & spsr::F != 0;
    }

    /// PSTATE saved as an SPSR value.
    pub const fn to_spsr(&self) -> u64 {
        self.nzcv()
            | self.daif()
            | (self.ss as u64) << 21
            | (self.il as u64) << 20
            | (self.el as u64) << spsr::EL_SHIFT
            | self.sp as u64
    }

    /// Checks a condition code (ARM ARM C1.2.4, ConditionHolds).
    #[inline]
    pub const fn condition_holds(&self, cond: u32) -> bool {
        let r = match cond >> 1 {
            0 => self.z,
            1 => self.c,
            2 => self.n,
            3 => self.v,
            4 => self.c && !self.z,
            5 => self.n == self.v,
            6 => self.n == self.v && !self.z,
            _ => true,
        };
        if cond & 1 == 1 && cond != 0b1111 {
            !r
        } else {
            r
        }
    }
}

/// The general-purpose, stack pointer, PC and FP/SIMD registers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterFile {
    /// X0-X30.
    pub x: [u64; 31],
    /// SP_EL0.
    pub sp_el0: u64,
    /// SP_EL1.
    pub sp_el1: u64,
    /// The program counter.
    pub pc: u64,
    /// PSTATE.
    pub pstate: Pstate,
    /// V0-V31 (Q view; lower bits are D, S, H, B).
    pub v: [u128; 32],
    /// FPCR.
    pub fpcr: u64,
    /// FPSR.
    pub fpsr: u64,
}

impl Default for RegisterFile {
    fn default() -> Self {
        RegisterFile {
            x: [0; 31],
            sp_el0: 0,
            sp_el1: 0,
            pc: 0,
            pstate: Pstate::reset(),
            v: [0; 32],
            fpcr: 0,
            fpsr: 0,
        }
    }
}

impl RegisterFile {
    /// X`n`, with 31 as XZR.
    #[inline(always)]
    pub fn x(&self, n: usize) -> u64 {
        self.x.get(n).copied().unwrap_or(0)
    }

    /// Writes X`n`; 31 (XZR) discards.
    #[inline(always)]
    pub fn set_x(&mut self, n: usize, value: u64) {
        if let Some(r) = self.x.get_mut(n) {
            *r = value;
        }
    }

    /// The stack pointer PSTATE selects.
    #[inline(always)]
    pub fn sp(&self) -> u64 {
        if self.pstate.el != 0 && self.pstate.sp {
            self.sp_el1
        } else {
            self.sp_el0
        }
    }

    /// Writes the stack pointer PSTATE selects.
    #[inline(always)]
    pub fn set_sp(&mut self, value: u64) {
        if self.pstate.el != 0 && self.pstate.sp {
            self.sp_el1 = value
        } else {
            self.sp_el0 = value
        }
    }

    /// X`n`, with 31 as the current SP.
    #[inline(always)]
    pub fn xsp(&self, n: usize) -> u64 {
        if n == 31 {
            self.sp()
        } else {
            self.x(n)
        }
    }

    /// Writes X`n`, with 31 as the current SP.
    #[inline(always)]
    pub fn set_xsp(&mut self, n: usize, value: u64) {
        if n == 31 {
            self.set_sp(value)
        } else {
            self.set_x(n, value)
        }
    }

    /// V`n` as a 128-bit value.
    #[inline(always)]
    pub fn v(&self, n: usize) -> u128 {
        self.v[n & 31]
    }

    /// Writes V`n` (all 128 bits).
    #[inline(always)]
    pub fn set_v(&mut self, n: usize, value: u128) {
        self.v[n & 31] = value;
    }
}
