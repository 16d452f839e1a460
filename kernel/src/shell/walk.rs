//! `walk VA [el0|el1] [r|w|x] [test G [seed=N]]`: a translation step by
//! step, from `emu`'s walker, with the hardware's `AT` answer beside it and
//! a verdict.

use super::args::{self, ArgError};
use super::Outcome;
use crate::arch::mmu::{self as regs, At};
use crate::memory::mmu::{self as host_mmu, ProbedMemory};
use crate::println;
use crate::testing::differential;
use emu::addr::VirtAddr;
use emu::arch::par;
use emu::arch::par::Par;
use emu::mmu::fault::{Access, AccessKind, El};
use emu::mmu::regime::Stage1Regs;
use emu::mmu::stage1::trace_stage1;
use emu::mmu::WalkMemory;

/// The seed of the test table set `walk ... test G` shows without `seed=`.
const TEST_SET_SEED: u64 = 0x9a1c_0001;

/// The shell command.
pub fn walk<'a>(words: &[&'a str]) -> Result<Outcome, ArgError<'a>> {
    let a = args::walk(words)?;
    let access = Access::new(a.el, a.kind);
    let Some(granule) = a.test else {
        if !regs::mmu_enabled() {
            println!("walk: the MMU is off");
            return Ok(Outcome::Failed);
        }
        return Ok(show(
            a.va,
            access,
            &host_mmu::current_stage1_regs(),
            &ProbedMemory,
        ));
    };
    if !host_mmu::features().stage1.contains(granule) {
        println!("walk: the CPU has no {granule} granule");
        return Ok(Outcome::Failed);
    }
    let seed = a.seed.unwrap_or(TEST_SET_SEED);
    let result = differential::with_test_tables(granule, seed, |tables, walker_regs| {
        println!(
            "test table set: {granule}, TTBR1 range from {:#x} (seed {seed:#x}); mapped:",
            tables.base()
        );
        for (start, len, pa) in tables.mapped() {
            println!("  {start:#018x} +{len:#x} -> {pa:#x}");
        }
        show(a.va, access, walker_regs, tables.memory())
    });
    Ok(match result {
        Ok(outcome) => outcome,
        Err(e) => {
            println!("walk: building the test tables: {e}");
            Outcome::Failed
        }
    })
}

/// Prints the walk of `va` for `access` through `walker_regs`, then what
/// the hardware's AT instruction says, then whether they agree: `Failed`
/// when they do not.
fn show(va: u64, access: Access, walker_regs: &Stage1Regs, memory: &impl WalkMemory) -> Outcome {
    let features = host_mmu::walker_features();
    let (result, trace) = trace_stage1(walker_regs, &features, VirtAddr(va), access, memory);
    println!(
        "walk {va:#x}: {} {} (TCR_EL1 {:#x}, TTBR0_EL1 {:#x}, TTBR1_EL1 {:#x})",
        access.el, access.kind, walker_regs.tcr, walker_regs.ttbr0, walker_regs.ttbr1
    );
    for step in trace.steps() {
        println!("  {step}");
    }
    match &result {
        Ok(t) => println!(
            "walker:   PA {:#x}, mapping of 2^{} bytes at level {}, EL1 {}, EL0 {}, MAIR {:#04x}, {}{}",
            t.output.0,
            t.size_log2,
            t.level,
            rwx(t.permissions.el1),
            rwx(t.permissions.el0),
            t.attributes.mair,
            t.attributes.shareability,
            if t.global { ", global" } else { ", not global" }
        ),
        Err(fault) => println!("walker:   {fault}"),
    }
    let op = match (access.el, access.kind) {
        (El::El1, AccessKind::Write) => At::S1E1W,
        (El::El0, AccessKind::Write) => At::S1E0W,
        (El::El1, _) => At::S1E1R,
        (El::El0, _) => At::S1E0R,
    };
    let par = regs::at(op, va);
    if access.kind != AccessKind::Execute {
        println!("hardware: AT {op:?}: {}", Par(par));
        return verdict(par::matches(par, &result), "");
    }
    // AT has no fetch form: compare the walk for a read with AT's read, and
    // say that the execute permission is the walker's alone.
    let read = Access::new(access.el, AccessKind::Read);
    let (as_read, _) = trace_stage1(walker_regs, &features, VirtAddr(va), read, memory);
    println!(
        "hardware: AT {op:?} (AT has no fetch form: this is the read): {}",
        Par(par)
    );
    verdict(
        par::matches(par, &as_read),
        " on the read; execute permission is checked by the walker alone",
    )
}

fn verdict(agree: bool, scope: &str) -> Outcome {
    if agree {
        println!("verdict:  walker and hardware agree{scope}");
        Outcome::Done
    } else {
        println!("verdict:  walker and hardware DISAGREE{scope}");
        Outcome::Failed
    }
}

fn rwx(r: emu::mmu::translation::Rwx) -> &'static str {
    match (r.read, r.write, r.execute) {
        (true, true, true) => "rwx",
        (true, true, false) => "rw-",
        (true, false, true) => "r-x",
        (true, false, false) => "r--",
        (false, true, true) => "-wx",
        (false, true, false) => "-w-",
        (false, false, true) => "--x",
        (false, false, false) => "---",
    }
}
