//! `tb [1k|4k|16k|64k|all]`: runs a small guest on `emu::cpu`, once
//! interpreted and once through the translator, and prints the
//! translator's counters (blocks translated, executed, chained,
//! invalidated by cause, hit rate, mean block length) and the guest MIPS
//! of both, measured with the generic timer. The guest calls 16 small
//! functions a page apart, stores next to its own code, then patches one
//! function with the ARM ARM's maintenance sequence and calls it again;
//! both runs must end with the same X6, equal to what the code computes.

use super::args::{self, ArgError};
use super::Outcome;
use crate::arch::cpu;
use crate::println;
use alloc::vec::Vec;
use emu::addr::PhysAddr;
use emu::cpu::{CallResult, Cpu, CpuConfig, Exit, GuestContext, System};
use emu::mem::PhysMemoryMap;
use emu::pagesize::PageSize;

const RAM: u64 = 0x4000_0000;
const RAM_SIZE: u64 = 1 << 20;
const FUNCTIONS: u64 = 16;
/// The functions, one per 1K (one per TLB page at 1K pages).
const FN_BASE: u64 = 0x1000;
const FN_STRIDE: u64 = 0x400;
const ITERATIONS: u64 = 2000;
/// The value the patched f0 adds.
const PATCHED: u64 = 1000;

/// `HVC #0` ends the run.
struct EndAtHvc;

impl System for EndAtHvc {
    fn hvc(&mut self, _: u16, _: &mut GuestContext<'_>) -> CallResult {
        CallResult::Exit(Exit::PowerOff)
    }
    fn semihosting(&mut self, _: &mut GuestContext<'_>) -> CallResult {
        CallResult::Undefined
    }
}

/// `bl` from `from` to `to` (within +-128 MiB).
fn bl(from: u64, to: u64) -> u32 {
    0x9400_0000 | ((to.wrapping_sub(from) >> 2) as u32 & 0x03ff_ffff)
}

/// `add x6, x6, #imm` (imm < 4096).
fn add_x6(imm: u64) -> u32 {
    0x9100_00c6 | (imm as u32) << 10
}

const RET: u32 = 0xd65f_03c0;

/// The guest's code at RAM offset 0 and its functions.
fn program() -> (Vec<u32>, Vec<(u64, [u32; 2])>) {
    let mut main = alloc::vec![
        0xd280_fa05, // mov x5, #2000
    ];
    let loop_at = 4 * main.len() as u64;
    for k in 0..FUNCTIONS {
        let here = 4 * main.len() as u64;
        main.push(bl(here, FN_BASE + k * FN_STRIDE));
    }
    let tail: [u32; 3] = [
        0xf900_0145, // str x5, [x10] (x10: data beside the code)
        0xf100_04a5, // subs x5, x5, #1
        0,           // b.ne loop (below)
    ];
    main.extend_from_slice(&tail);
    let here = 4 * (main.len() as u64 - 1);
    let back = ((loop_at.wrapping_sub(here) >> 2) as u32 & 0x7ffff) << 5;
    *main.last_mut().unwrap_or(&mut 0) = 0x5400_0001 | back; // b.ne
    main.extend_from_slice(&[
        0xb900_0022, // str w2, [x1] (the patch)
        0xd50b_7b21, // dc cvau, x1
        0xd503_3b9f, // dsb ish
        0xd50b_7521, // ic ivau, x1
        0xd503_3b9f, // dsb ish
        0xd503_3fdf, // isb
    ]);
    let here = 4 * main.len() as u64;
    main.push(bl(here, FN_BASE));
    main.push(0xd400_0002); // hvc #0
    let fns = (0..FUNCTIONS)
        .map(|k| (FN_BASE + k * FN_STRIDE, [add_x6(k + 1), RET]))
        .collect();
    (main, fns)
}

fn put(mem: &mut PhysMemoryMap, at: u64, words: &[u32]) -> Result<(), alloc::string::String> {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    mem.write_bytes(PhysAddr(at), &bytes)
        .map_err(|e| alloc::format!("{e}"))
}

/// One run; returns (X6, instructions, microseconds, the CPU).
fn run_guest(page: PageSize, blocks: bool) -> Result<(u64, u64, u64, Cpu), alloc::string::String> {
    let mut mem = PhysMemoryMap::new(page);
    mem.add_ram("ram", PhysAddr(RAM), RAM_SIZE, 0)
        .map_err(|e| alloc::format!("{e}"))?;
    let (main, fns) = program();
    put(&mut mem, RAM, &main)?;
    for (at, f) in &fns {
        put(&mut mem, RAM + at, f)?;
    }
    let mut cpu = Cpu::new(CpuConfig::new(page)).map_err(|e| alloc::format!("{e}"))?;
    cpu.reset(RAM, 0);
    cpu.set_translation(blocks);
    cpu.regs.x[1] = RAM + FN_BASE;
    cpu.regs.x[2] = u64::from(add_x6(PATCHED));
    cpu.regs.x[10] = RAM + 4 * main.len() as u64 + 16;
    let start = cpu::counter();
    let exit = cpu.run(&mut mem, &mut EndAtHvc, 100_000_000);
    let micros = cpu::ticks_to_micros(cpu::counter() - start);
    if exit != Exit::PowerOff {
        return Err(alloc::format!("the guest ended with {exit}"));
    }
    let n = cpu.stats.instructions;
    Ok((cpu.regs.x[6], n, micros, cpu))
}

fn run_one(page: PageSize) -> Result<(), alloc::string::String> {
    let want = ITERATIONS * FUNCTIONS * (FUNCTIONS + 1) / 2 + PATCHED;
    let (x_int, n_int, us_int, _) = run_guest(page, false)?;
    let (x_tb, n_tb, us_tb, cpu) = run_guest(page, true)?;
    let mips = |n: u64, us: u64| n as f64 / us.max(1) as f64;
    println!("tb: page size {page}, {FUNCTIONS} functions a 1K apart, {ITERATIONS} iterations");
    println!("  {}", cpu.tb_stats());
    println!(
        "  interpreter {n_int} insns {:.1} MIPS; translator {n_tb} insns {:.1} MIPS",
        mips(n_int, us_int),
        mips(n_tb, us_tb)
    );
    if x_int != want || x_tb != want {
        return Err(alloc::format!(
            "X6: interpreter {x_int}, translator {x_tb}, the code computes {want}"
        ));
    }
    Ok(())
}

/// The shell command.
pub fn tb<'a>(args: &[&'a str]) -> Result<Outcome, ArgError<'a>> {
    Ok(run(args::page_sizes(args)?))
}

fn run(sizes: &[PageSize]) -> Outcome {
    for &page in sizes {
        if let Err(e) = run_one(page) {
            println!("tb: {e}");
            return Outcome::Failed;
        }
    }
    Outcome::Done
}
