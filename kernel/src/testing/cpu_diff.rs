//! The differential test of `emu`'s CPU against the CPU the kernel runs
//! on: short random sequences of the implemented integer instructions run
//! natively (`arch::native`) and under `emu::cpu` from the same registers;
//! X0-X25 and NZCV are compared. The seed is printed; a failure names the
//! first instruction whose result differs.

use crate::arch::native::{self, NativeState, RET, SEQUENCE_REGS};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use emu::addr::PhysAddr;
use emu::cpu::decode::{compile, Op, ROWS};
use emu::cpu::{Cpu, CpuConfig, Insn, NoMachine};
use emu::mem::PhysMemoryMap;
use emu::pagesize::PageSize;

use super::differential::Rng;

/// The rows sequences are drawn from: data processing, immediate and
/// register (no memory, branches or system instructions).
const ROWS_USED: &[Op] = &[
    Op::ADR,
    Op::ADD_SUB_imm,
    Op::LOGICAL_imm,
    Op::MOVE_WIDE,
    Op::BITFIELD,
    Op::EXTR,
    Op::DP2,
    Op::DP1,
    Op::LOGICAL_reg,
    Op::ADD_SUB_shifted,
    Op::ADD_SUB_ext,
    Op::ADC,
    Op::CCMP_reg,
    Op::CCMP_imm,
    Op::CSEL,
    Op::DP3,
];

/// How the runs went.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    /// Sequences compared.
    pub sequences: usize,
    /// Instructions in them.
    pub instructions: usize,
}

/// Whether a register field is one a sequence may use (X0-X25, or 31 as
/// XZR where it is not SP).
fn usable(r: usize, sp_form: bool) -> bool {
    r < SEQUENCE_REGS || (r == 31 && !sp_form)
}

/// Whether `insn` keeps to the sequence registers and has one result on
/// every implementation (no CONSTRAINED UNPREDICTABLE field values).
fn acceptable(i: &Insn) -> bool {
    // Where 31 names SP rather than XZR.
    let rd_sp = match i.op {
        Op::ADD_SUB_imm | Op::ADD_SUB_ext => i.s_bit() == 0,
        Op::LOGICAL_imm => i.opc() != 3,
        _ => false,
    };
    let rn_sp = matches!(i.op, Op::ADD_SUB_imm | Op::ADD_SUB_ext);
    let uses_rn = !matches!(i.op, Op::ADR | Op::MOVE_WIDE);
    let uses_rm = !matches!(
        i.op,
        Op::ADR
            | Op::ADD_SUB_imm
            | Op::LOGICAL_imm
            | Op::MOVE_WIDE
            | Op::BITFIELD
            | Op::DP1
            | Op::CCMP_imm
    );
    // SMULH/UMULH: Ra "should be" 31; other values are CONSTRAINED
    // UNPREDICTABLE, so only 31 is drawn.
    let ra_ok = match (i.op, i.opc()) {
        (Op::DP3, 2 | 6) => i.ra() == 31,
        (Op::DP3, _) => usable(i.ra(), false),
        _ => true,
    };
    usable(i.rd(), rd_sp)
        && (!uses_rn || usable(i.rn(), rn_sp))
        && (!uses_rm || usable(i.rm(), false))
        && ra_ok
}

/// A random word of one of [`ROWS_USED`] that the emulator executes
/// without an exception.
fn random_insn(rng: &mut Rng, cpu: &mut Cpu, scratch: &mut PhysMemoryMap, at: u64) -> u32 {
    loop {
        let op = ROWS_USED[rng.below(ROWS_USED.len() as u64) as usize];
        let Some(row) = ROWS.iter().find(|r| r.op == op) else {
            continue;
        };
        let Ok(c) = compile(row.pattern) else {
            continue;
        };
        let word = (rng.next_u64() as u32 & !c.mask) | c.value;
        let Some(insn) = cpu.decoder().decode(word) else {
            continue;
        };
        if insn.op != op || !acceptable(&insn) {
            continue;
        }
        // Reserved field values are UNDEFINED: leave them out.
        if scratch
            .write_bytes(PhysAddr(at), &word.to_le_bytes())
            .is_err()
        {
            continue;
        }
        cpu.reset(at, 0);
        let step = cpu.step(scratch, &mut NoMachine);
        if step.exception.is_none() {
            return word;
        }
    }
}

/// Runs `code` (without the final RET) on the emulator from `start`.
fn emulate(
    cpu: &mut Cpu,
    mem: &mut PhysMemoryMap,
    at: u64,
    code: &[u32],
    start: &NativeState,
) -> Result<NativeState, String> {
    let bytes: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
    mem.write_bytes(PhysAddr(at), &bytes)
        .map_err(|e| format!("emulator memory: {e}"))?;
    cpu.reset(at, 0);
    cpu.regs.x[..SEQUENCE_REGS].copy_from_slice(&start.x);
    cpu.regs.pstate.set_nzcv(start.nzcv);
    let end = at + 4 * code.len() as u64;
    for _ in 0..=code.len() {
        if cpu.regs.pc == end {
            let mut out = NativeState::default();
            out.x.copy_from_slice(&cpu.regs.x[..SEQUENCE_REGS]);
            out.nzcv = cpu.regs.pstate.nzcv();
            return Ok(out);
        }
        let step = cpu.step(mem, &mut NoMachine);
        if let Some(e) = step.exception {
            return Err(format!("emulator exception at {:#x}: {e}", step.pc));
        }
    }
    Err("the sequence did not reach its end on the emulator".into())
}

/// Runs the first `k` words of `buf` natively (in place, so that
/// PC-relative results match the emulator's: word `k` is RET meanwhile).
fn native(buf: &mut [u32], k: usize, start: &NativeState) -> NativeState {
    let saved = buf[k];
    buf[k] = RET;
    let mut state = *start;
    // SAFETY: every word is a data-processing instruction of ROWS_USED on
    // X0-X25 (checked by `acceptable`), executed by the emulator without
    // an exception: no memory access, branch or system effect.
    unsafe { native::run(&buf[..=k], &mut state) };
    buf[k] = saved;
    state
}

fn describe(a: &NativeState, b: &NativeState) -> String {
    let mut s = String::new();
    for k in 0..SEQUENCE_REGS {
        if a.x[k] != b.x[k] {
            s += &format!(" x{k}: native {:#x} emu {:#x};", a.x[k], b.x[k]);
        }
    }
    if a.nzcv != b.nzcv {
        s += &format!(" nzcv: native {:#x} emu {:#x};", a.nzcv, b.nzcv);
    }
    s
}

/// Runs `sequences` random sequences of `len` instructions from `seed`.
pub fn run(seed: u64, sequences: usize, len: usize) -> Result<Stats, String> {
    let mut rng = Rng(seed | 1);
    let mut cpu = Cpu::new(CpuConfig::new(PageSize::K4)).map_err(|e| format!("{e}"))?;
    let mut code: Vec<u32> = Vec::with_capacity(len + 1);
    let mut stats = Stats::default();
    for n in 0..sequences {
        code.clear();
        // The emulator runs the words at the address they have natively,
        // so that ADR/ADRP agree; the extra word is the native RET.
        code.resize(len + 1, RET);
        let at = code.as_ptr() as u64;
        let page = at & !0xfff;
        let mut mem = PhysMemoryMap::new(PageSize::K4);
        mem.add_ram("code", PhysAddr(page), 0x2000, 0)
            .map_err(|e| format!("{e}"))?;
        for (k, word) in code[..len].iter_mut().enumerate() {
            *word = random_insn(&mut rng, &mut cpu, &mut mem, at + 4 * k as u64);
        }
        let mut start = NativeState::default();
        for x in start.x.iter_mut() {
            *x = match rng.below(4) {
                0 => rng.below(64),
                1 => [
                    0,
                    u64::MAX,
                    1 << 63,
                    (1 << 63) - 1,
                    0xffff_ffff,
                    0x8000_0000,
                ][rng.below(6) as usize],
                2 => rng.next_u64() & 0xffff_ffff,
                _ => rng.next_u64(),
            };
        }
        start.nzcv = rng.below(16) << 28;
        let want = native(&mut code, len, &start);
        let got = emulate(&mut cpu, &mut mem, at, &code[..len], &start)?;
        stats.sequences += 1;
        stats.instructions += len;
        if want == got {
            continue;
        }
        // Narrow down to the first instruction whose result differs.
        let mut first = String::from("?");
        for k in 1..=len {
            let w = native(&mut code, k, &start);
            let g = emulate(&mut cpu, &mut mem, at, &code[..k], &start)?;
            if w != g {
                let text = cpu
                    .decoder()
                    .decode(code[k - 1])
                    .map_or_else(|| format!("{:#010x}", code[k - 1]), |i| format!("{i}"));
                first = format!(
                    "instruction {k} `{text}` ({:#010x}):{}",
                    code[k - 1],
                    describe(&w, &g)
                );
                break;
            }
        }
        return Err(format!(
            "seed {seed:#x}, sequence {n}: {}\n  first difference at {first}",
            describe(&want, &got)
        ));
    }
    Ok(stats)
}
