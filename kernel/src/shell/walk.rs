//! `walk VA [el0|el1] [r|w|x] [test 4k|16k|64k]`: a translation step by
//! step, from `emu`'s walker, with the hardware's `AT` answer beside it.

use super::Outcome;
use crate::arch::mmu::{self as regs, At};
use crate::memory::mmu::{self as host_mmu, ProbedMemory};
use crate::println;
use crate::testing::differential;
use emu::addr::VirtAddr;
use emu::arch::par;
use emu::arch::par::Par;
use emu::granule::Granule;
use emu::mmu::fault::{Access, AccessKind, El};
use emu::mmu::regime::Stage1Regs;
use emu::mmu::WalkMemory;
use emu::mmu::{Walk, Walker};

/// The seed of the test table set `walk ... test G` shows.
const TEST_SET_SEED: u64 = 0x9a1c_0001;

const USAGE: &str = "usage: walk VA [el0|el1] [r|w|x] [test 4k|16k|64k]";

/// Parses a number in hex (0x...) or decimal.
fn parse_address(text: &str) -> Option<u64> {
    let clean: alloc::string::String = text.chars().filter(|&c| c != '_').collect();
    match clean
        .strip_prefix("0x")
        .or_else(|| clean.strip_prefix("0X"))
    {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => clean.parse().ok(),
    }
}

/// The shell command.
pub fn walk(args: &[&str]) -> Outcome {
    let Some((first, rest)) = args.split_first() else {
        println!("{USAGE}");
        return Outcome::Failed;
    };
    let Some(va) = parse_address(first) else {
        println!("walk: {first:?} is not an address (use hex 0x... or decimal)");
        return Outcome::Failed;
    };
    let (mut el, mut kind, mut test) = (El::El1, AccessKind::Read, None);
    let mut words = rest.iter();
    while let Some(&word) = words.next() {
        match word {
            "el0" => el = El::El0,
            "el1" => el = El::El1,
            "r" => kind = AccessKind::Read,
            "w" => kind = AccessKind::Write,
            "x" => kind = AccessKind::Execute,
            "test" => match words.next().map(|g| g.parse::<Granule>()) {
                Some(Ok(g)) => test = Some(g),
                _ => {
                    println!("walk: `test` needs a granule: 4k, 16k or 64k");
                    return Outcome::Failed;
                }
            },
            other => {
                println!("walk: unexpected {other:?}\n{USAGE}");
                return Outcome::Failed;
            }
        }
    }
    let access = Access::new(el, kind);
    match test {
        None => {
            if !regs::mmu_enabled() {
                println!("walk: the MMU is off");
                return Outcome::Failed;
            }
            show(va, access, &host_mmu::current_stage1_regs(), &ProbedMemory);
            Outcome::Done
        }
        Some(granule) => {
            if !host_mmu::features().stage1.contains(granule) {
                println!("walk: the CPU has no {granule} granule");
                return Outcome::Failed;
            }
            let result = differential::with_test_tables(
                granule,
                TEST_SET_SEED,
                |tables, walker_regs| {
                    println!(
                    "test table set: {granule}, TTBR1 range from {:#x} (seed {TEST_SET_SEED:#x}); mapped:",
                    tables.base()
                );
                    for (start, len, pa) in tables.mapped() {
                        println!("  {start:#018x} +{len:#x} -> {pa:#x}");
                    }
                    show(va, access, walker_regs, tables.memory());
                },
            );
            match result {
                Ok(()) => Outcome::Done,
                Err(e) => {
                    println!("walk: building the test tables: {e}");
                    Outcome::Failed
                }
            }
        }
    }
}

/// Prints the walk of `va` for `access` through `walker_regs`, then what
/// the hardware's AT instruction says.
fn show(va: u64, access: Access, walker_regs: &Stage1Regs, memory: &impl WalkMemory) {
    let features = host_mmu::walker_features();
    let (result, trace) = Walker::new(features, memory)
        .with_stage1(*walker_regs)
        .trace(Walk::Stage1(VirtAddr(va)), access);
    println!(
        "walk {va:#x} as {:?} {:?} (TCR_EL1 {:#x}, TTBR0 {:#x}, TTBR1 {:#x})",
        access.el, access.kind, walker_regs.tcr, walker_regs.ttbr0, walker_regs.ttbr1
    );
    for step in trace.steps() {
        println!("  {step}");
    }
    match &result {
        Ok(t) => println!(
            "walker:   PA {:#x}, mapping of 2^{} bytes at level {}, EL1 {}, EL0 {}, MAIR {:#04x}, SH {:?}{}",
            t.output.0,
            t.size_log2,
            t.level,
            rwx(t.permissions.el1),
            rwx(t.permissions.el0),
            t.attributes.mair,
            t.attributes.shareability,
            if t.global { ", global" } else { ", not global" }
        ),
        Err(fault) => println!(
            "walker:   {:?} fault at level {}, {:?} (FSC {:#04x})",
            fault.kind,
            fault.level,
            fault.stage,
            fault.fsc()
        ),
    }
    let op = match (access.el, access.kind) {
        (El::El1, AccessKind::Write) => At::S1E1W,
        (El::El0, AccessKind::Write) => At::S1E0W,
        (El::El1, _) => At::S1E1R,
        (El::El0, _) => At::S1E0R,
    };
    let par = regs::at(op, va);
    let note = if access.kind == AccessKind::Execute {
        " (AT has no fetch form: this is the read)"
    } else {
        ""
    };
    println!("hardware: AT {op:?}{note}: {}", Par(par));
    if access.kind != AccessKind::Execute {
        let verdict = if par::matches(par, &result) {
            "agree"
        } else {
            "DISAGREE"
        };
        println!("walker and hardware {verdict}");
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
