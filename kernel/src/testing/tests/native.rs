//! Instructions run natively from a given register file: the harness
//! against the ARM ARM's known answers, and emu's CPU against the hardware
//! on random sequences.

use crate::arch::cpu;
use crate::ensure;
use crate::memory::mmu;
use crate::testing::native::{CodePage, NativeFault};
use crate::testing::{self, Test, TestResult};
use alloc::format;
use alloc::string::{String, ToString};
use emu::a64gen::compare::{compare, Mismatch};
use emu::a64gen::emulated::Emulated;
use emu::a64gen::known::KNOWN;
use emu::a64gen::{Outcome, Rng, Sequence, MAX_LEN, NZCV_MASK};

/// Random sequences per run (about 1 s under QEMU's TCG on `virt`).
const SEQUENCES: u64 = 10_000;
/// Microseconds after which a run stops early (slower boards), having
/// compared at least [`MIN_SEQUENCES`].
const BUDGET_MICROS: u64 = 3_000_000;
/// Sequences a run compares however slow the board.
const MIN_SEQUENCES: u64 = 500;
/// The seed unless the run gives one.
const DEFAULT_SEED: u64 = 0xa64d_0001;

/// The tests of this module.
pub const TESTS: &[Test] = crate::on_target_tests![
    known_answers,
    registers_and_flags_round_trip,
    exceptions_caught_escapes_refused,
    forward_branches_skip,
    emulator_matches_hardware,
    emulator_matches_hardware_per_host_granule
];

/// Every known-answer case gives the ARM ARM's registers and flags,
/// natively and on the emulator as built for the kernel.
fn known_answers() -> TestResult {
    let mut page = CodePage::install()?;
    let mut emulated = Emulated::new()?;
    for case in KNOWN {
        let sequence = case.sequence();
        let native = page.run(&sequence).map_err(|e| e.to_string());
        let emu = emulated.run(&sequence).map_err(|e| e.to_string());
        for (side, got) in [("native", native), ("emulated", emu)] {
            let got = got.map_err(|e| format!("{} {side}: {e}", case.asm))?;
            if let Some(d) = case.expected().differences(&got).first() {
                return Err(
                    format!("{} ({:#010x}): ARM ARM / {side}: {d}", case.asm, case.word).into(),
                );
            }
        }
    }
    crate::println!("  {} cases, native and emulated", KNOWN.len());
    Ok(())
}

/// With no instruction between prologue and epilogue, every register and
/// every NZCV value comes back as it went in.
fn registers_and_flags_round_trip() -> TestResult {
    let mut page = CodePage::install()?;
    for flags in 0..16u64 {
        let mut x = [0u64; 31];
        for (n, r) in x.iter_mut().enumerate() {
            *r = (n as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (flags << 60);
        }
        let nzcv = flags << 28;
        let sequence = Sequence::new(x, nzcv, &[]).ok_or(String::from("empty sequence"))?;
        let got = page.run(&sequence).map_err(|e| format!("{e}"))?;
        let want = Outcome {
            x,
            nzcv,
            buffer: sequence.buffer,
        };
        if let Some(d) = want.differences(&got).first() {
            return Err(format!("NZCV {nzcv:#x}: in / out: {d}").into());
        }
    }
    Ok(())
}

/// A sequence that takes an exception (UDF #0) returns it as an error, a
/// word that could escape the harness (B .) is refused, and the page keeps
/// working afterwards.
fn exceptions_caught_escapes_refused() -> TestResult {
    let mut page = CodePage::install()?;
    let sequence = Sequence::new([7; 31], 0, &[0x0000_0000]).ok_or(String::from("sequence"))?;
    match page.run(&sequence) {
        Err(NativeFault::Exception(esr)) => {
            ensure!(esr.ec() == 0, "UDF #0 gave {esr}, not the Unknown reason")
        }
        other => return Err(format!("UDF #0: {other:?}").into()),
    }
    let branch =
        Sequence::new([7; 31], 0, &[0xab02_0020, 0x1400_0000]).ok_or(String::from("sequence"))?;
    match page.run(&branch) {
        Err(NativeFault::Refused { index: 1, .. }) => {}
        other => return Err(format!("B . was not refused: {other:?}").into()),
    }
    // ADDS X0, X1, X2 right after.
    let case = &KNOWN[0];
    let got = page.run(&case.sequence()).map_err(|e| format!("{e}"))?;
    if let Some(d) = case.expected().differences(&got).first() {
        return Err(format!("{} after the fault: ARM ARM / native: {d}", case.asm).into());
    }
    ensure!(got.nzcv & NZCV_MASK == got.nzcv, "NZCV has stray bits");
    Ok(())
}

/// ADDS X0, X1, X2; B.EQ over MOVZ X3, #1: with X1 = X2 = 0 the ADDS
/// sets Z (and only Z) and the branch skips the MOVZ; with X1 = 1 it
/// falls through. A B.EQ to just past the end lands on the epilogue.
fn forward_branches_skip() -> TestResult {
    const OVER_MOVZ: &[u32] = &[0xab02_0020, 0x5400_0040, 0xd280_0023];
    const TO_THE_END: &[u32] = &[0xab02_0020, 0x5400_0020];
    let mut page = CodePage::install()?;
    // (words, X1, then X0, X3, NZCV).
    for (words, x1, want) in [
        (OVER_MOVZ, 0, (0, 9, 0x4000_0000)),
        (OVER_MOVZ, 1, (1, 1, 0)),
        (TO_THE_END, 0, (0, 9, 0x4000_0000)),
    ] {
        let mut x = [0u64; 31];
        x[1] = x1;
        x[3] = 9;
        let sequence = Sequence::new(x, 0, words).ok_or(String::from("sequence"))?;
        let got = page.run(&sequence).map_err(|e| e.to_string())?;
        let have = (got.x[0], got.x[3], got.nzcv);
        ensure!(
            have == want,
            "{words:x?} with X1 = {x1}: (X0, X3, NZCV) {have:x?}, not {want:x?}"
        );
    }
    Ok(())
}

/// emu's CPU against this CPU: random sequences of the generated integer
/// instructions, loads and stores, each run natively and on the emulator
/// from the same registers, flags and buffer (X28 points at it, at the same
/// address on both sides); X0-X30, NZCV and the buffer must agree. The emulator runs each
/// through the translator twice (translating, then chained from the
/// cache) and single-steps only to name a failing instruction. Sequence `i` of seed
/// S is sequence 0 of seed S + `i`, so a failure replays alone with
/// `test native::emulator_matches_hardware seed=S+i`.
fn emulator_matches_hardware() -> TestResult {
    let seed = testing::seed(DEFAULT_SEED);
    crate::println!("  seed {seed:#x}");
    compare_sequences(seed, SEQUENCES, BUDGET_MICROS)
}

/// The same comparison under every host granule the CPU has (the kernel
/// re-mapped with each in turn, the code page installed anew), with a
/// third of the budget each: the native side runs from the host tables of
/// that granule, the emulator's TLB pages are that granule's size.
fn emulator_matches_hardware_per_host_granule() -> TestResult {
    let seed = testing::seed(DEFAULT_SEED ^ 0x6a6e_0000);
    crate::println!("  seed {seed:#x}");
    let original = mmu::current().map(|c| c.granule);
    let mut result = Ok(());
    for granule in mmu::features().stage1.iter() {
        if mmu::current().map(|c| c.granule) != Some(granule) {
            if let Err(e) = mmu::switch_granule(granule) {
                result = Err(format!("host granule {granule}: {e}").into());
                break;
            }
        }
        crate::println!("  host granule {granule}:");
        result = compare_sequences(seed, SEQUENCES / 4, BUDGET_MICROS / 3);
        if result.is_err() {
            crate::println!("  (under host granule {granule})");
            break;
        }
    }
    if let Some(g) = original {
        if mmu::current().map(|c| c.granule) != Some(g) {
            mmu::switch_granule(g).map_err(|e| format!("back to host granule {g}: {e}"))?;
        }
    }
    result
}

/// Up to `sequences` random sequences from `seed`, native against the
/// emulator, stopping early after `budget_micros` (never before
/// [`MIN_SEQUENCES`]).
fn compare_sequences(seed: u64, sequences: u64, budget_micros: u64) -> TestResult {
    let mut page = CodePage::install()?;
    let mut emulated = Emulated::with_buffer(page.buffer())?;
    let (mut native_ticks, mut emulated_ticks, mut instructions) = (0, 0, 0);
    let start = cpu::counter();
    let mut compared = 0;
    for i in 0..sequences {
        if i >= MIN_SEQUENCES && cpu::ticks_to_micros(cpu::counter() - start) > budget_micros {
            break;
        }
        compared += 1;
        let sequence =
            Sequence::random(&mut Rng::for_item(seed, i), MAX_LEN).with_buffer_at(page.buffer());
        instructions += sequence.words().len();
        let t0 = cpu::counter();
        let native = page.run(&sequence).map_err(|e| e.to_string());
        let t1 = cpu::counter();
        let emu = emulated.run(&sequence).map_err(|e| e.to_string());
        let t2 = cpu::counter();
        native_ticks += t1 - t0;
        emulated_ticks += t2 - t1;
        if native == emu {
            continue;
        }
        let mismatch = compare(
            &sequence,
            |s| page.run(s).map_err(|e| e.to_string()),
            |s| emulated.run(s).map_err(|e| e.to_string()),
        );
        let Err(mismatch) = mismatch else {
            return Err(
                format!("sequence {i} differed once, then agreed: not reproducible").into(),
            );
        };
        report(&mismatch, &emulated);
        return Err(format!(
            "sequence {i} differs (replay alone: seed={:#x})",
            seed.wrapping_add(i)
        )
        .into());
    }
    let tb = emulated.tb_stats();
    crate::println!(
        "  translated: {} blocks, {} block runs, {} through a chain",
        tb.translated,
        tb.executed,
        tb.chained
    );
    crate::println!(
        "  {compared} sequences, {instructions} instructions agree (native {} us, emulated {} us){}",
        cpu::ticks_to_micros(native_ticks),
        cpu::ticks_to_micros(emulated_ticks),
        if compared < sequences {
            "; stopped at the time budget"
        } else {
            ""
        }
    );
    Ok(())
}

/// Prints where native (left) and emulated (right) first differ.
fn report(mismatch: &Mismatch, emulated: &Emulated) {
    crate::println!("  native / emulated: {mismatch}");
    if let Some(word) = mismatch.word() {
        match emulated.disassemble(word) {
            Some(insn) => crate::println!("  the emulator decodes it as: {insn}"),
            None => crate::println!("  the emulator does not decode it"),
        }
    }
}
