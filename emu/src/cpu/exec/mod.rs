//! Instruction semantics, one file per ARM ARM instruction class, and the
//! step every executor (the interpreter today, a block cache later) uses.

pub mod branch;
pub mod dp_imm;
pub mod dp_reg;
pub mod ldst;
pub mod simd;

use super::decode::EncodingClass;
use super::exception::Exception;
use super::{Cpu, Exit, Step, System};
use crate::mem::PhysMemoryMap;

/// What an instruction can reach beyond the CPU itself.
pub struct Ctx<'a> {
    /// The guest's physical memory map.
    pub mem: &'a mut PhysMemoryMap,
    /// The machine.
    pub sys: &'a mut dyn System,
}

/// Why an instruction did not complete normally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// It takes a synchronous exception.
    Exception(Exception),
    /// The run ends after it (it completed).
    Exit(Exit),
}

impl From<Exception> for Stop {
    fn from(e: Exception) -> Self {
        Stop::Exception(e)
    }
}

/// The result of one instruction's semantics.
pub type ExecResult = Result<(), Stop>;

/// UNDEFINED.
#[inline]
pub fn undefined() -> ExecResult {
    Err(Stop::Exception(Exception::undefined()))
}

/// Fetches, decodes and executes the instruction at PC, or takes the
/// exception it raises, and reports what happened.
pub(crate) fn step_one(cpu: &mut Cpu, mem: &mut PhysMemoryMap, sys: &mut dyn System) -> Step {
    let mut step = Step {
        pc: cpu.regs.pc,
        word: None,
        insn: None,
        exception: None,
        exit: None,
    };
    step.exit = one::<true>(cpu, mem, sys, &mut step);
    step
}

/// One instruction for `run`: the same as [`step_one`] without the report.
#[inline]
pub(crate) fn run_one(
    cpu: &mut Cpu,
    mem: &mut PhysMemoryMap,
    sys: &mut dyn System,
) -> Option<Exit> {
    let mut step = Step {
        pc: 0,
        word: None,
        insn: None,
        exception: None,
        exit: None,
    };
    one::<false>(cpu, mem, sys, &mut step)
}

/// The one path every instruction takes; `REPORT` fills `step`.
#[inline(always)]
fn one<const REPORT: bool>(
    cpu: &mut Cpu,
    mem: &mut PhysMemoryMap,
    sys: &mut dyn System,
    step: &mut Step,
) -> Option<Exit> {
    let pc = cpu.regs.pc;
    cpu.stats.instructions = cpu.stats.instructions.wrapping_add(1);
    let fail = |cpu: &mut Cpu, e: Exception, step: &mut Step| {
        cpu.take_exception(e, pc);
        if REPORT {
            step.exception = Some(e);
        }
    };
    if cpu.regs.pstate.il {
        fail(cpu, Exception::illegal_state(), step);
        return None;
    }
    let word = match cpu.fetch(mem, pc) {
        Ok(w) => w,
        Err(e) => {
            fail(cpu, e, step);
            return None;
        }
    };
    cpu.next_pc = pc.wrapping_add(4);
    let insn = cpu.decode(word);
    if REPORT {
        step.word = Some(word);
        step.insn = insn;
    }
    let result = match &insn {
        Some(i) => {
            let mut ctx = Ctx { mem, sys };
            i.op.execute(cpu, &mut ctx, i)
        }
        None => Err(Stop::Exception(unallocated(cpu, word))),
    };
    let (exit, exception) = complete(cpu, pc, word, result);
    if REPORT {
        step.exception = exception;
    }
    exit
}

/// Completes the instruction at `pc` (word `word`) given what its
/// semantics returned: advances PC, or takes the exception (counting
/// UNDEFINED ones by class), or ends the run. Every executor (this
/// interpreter and the block executor in [`crate::cpu::block`]) ends each
/// instruction here.
#[inline(always)]
pub(crate) fn complete(
    cpu: &mut Cpu,
    pc: u64,
    word: u32,
    result: ExecResult,
) -> (Option<Exit>, Option<Exception>) {
    match result {
        Ok(()) => {
            cpu.regs.pc = cpu.next_pc;
            (None, None)
        }
        Err(Stop::Exception(e)) => {
            if e.is_undefined() {
                let class = EncodingClass::of(word);
                cpu.stats.undefined[class.index()] += 1;
            }
            cpu.take_exception(e, pc);
            (None, Some(e))
        }
        Err(Stop::Exit(x)) => {
            cpu.regs.pc = cpu.next_pc;
            (Some(x), None)
        }
    }
}

/// The exception an instruction the table does not implement takes: the
/// FP/SIMD trap if CPACR_EL1.FPEN traps its class (the architecture checks
/// that first), else UNDEFINED.
fn unallocated(cpu: &Cpu, word: u32) -> Exception {
    if EncodingClass::of(word).is_fp_simd() {
        if let Err(e) = cpu.check_fp_enabled() {
            return e;
        }
    }
    Exception::undefined()
}

/// AddWithCarry (ARM ARM J1): the result and NZCV in bits 3:0 (N=3).
#[inline(always)]
pub fn add_with_carry(x: u64, y: u64, carry: bool, is64: bool) -> (u64, u32) {
    if is64 {
        let (s1, c1) = x.overflowing_add(y);
        let (r, c2) = s1.overflowing_add(carry as u64);
        let c = c1 | c2;
        let v = ((x ^ r) & (y ^ r)) >> 63 != 0;
        (r, nzcv(r >> 63 != 0, r == 0, c, v))
    } else {
        let (x, y) = (x as u32, y as u32);
        let (s1, c1) = x.overflowing_add(y);
        let (r, c2) = s1.overflowing_add(carry as u32);
        let c = c1 | c2;
        let v = ((x ^ r) & (y ^ r)) >> 31 != 0;
        (u64::from(r), nzcv(r >> 31 != 0, r == 0, c, v))
    }
}

/// NZCV packed in bits 3:0.
#[inline(always)]
pub const fn nzcv(n: bool, z: bool, c: bool, v: bool) -> u32 {
    (n as u32) << 3 | (z as u32) << 2 | (c as u32) << 1 | v as u32
}

/// The shift types of shifted-register operands.
#[inline(always)]
pub fn shift_reg(value: u64, shift_type: u32, amount: u32, is64: bool) -> u64 {
    if is64 {
        let a = amount & 63;
        match shift_type {
            0 => value << a,
            1 => value >> a,
            2 => ((value as i64) >> a) as u64,
            _ => value.rotate_right(a),
        }
    } else {
        let v = value as u32;
        let a = amount & 31;
        u64::from(match shift_type {
            0 => v << a,
            1 => v >> a,
            2 => ((v as i32) >> a) as u32,
            _ => v.rotate_right(a),
        })
    }
}

/// ExtendReg (ARM ARM J1): extend `value` by `option` and shift it left.
#[inline(always)]
pub fn extend_reg(value: u64, option: u32, shift: u32) -> u64 {
    let v = match option & 7 {
        0 => value as u8 as u64,
        1 => value as u16 as u64,
        2 => value as u32 as u64,
        3 => value,
        4 => value as i8 as i64 as u64,
        5 => value as i16 as i64 as u64,
        6 => value as i32 as i64 as u64,
        _ => value,
    };
    v << shift
}

/// Truncates to 32 bits unless `is64`.
#[inline(always)]
pub fn width(value: u64, is64: bool) -> u64 {
    if is64 {
        value
    } else {
        value as u32 as u64
    }
}

/// Sign-extends the low `bits` bits of `value`.
#[inline(always)]
pub fn sign_extend(value: u64, bits: u32) -> i64 {
    let s = 64 - bits;
    ((value << s) as i64) >> s
}
