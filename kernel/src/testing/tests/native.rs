//! Instructions run natively from a given register file: the harness
//! against the ARM ARM's known answers, and emu's CPU against the hardware
//! on random sequences.

use crate::ensure;
use crate::testing::native::known::KNOWN;
use crate::testing::native::CodePage;
use crate::testing::{Test, TestResult};
use alloc::format;
use alloc::string::String;
use emu::a64gen::{Outcome, Sequence, NZCV_MASK};

/// The tests of this module.
pub const TESTS: &[Test] = crate::on_target_tests![
    known_answers,
    registers_and_flags_round_trip,
    undefined_instruction_is_caught
];

/// Every known-answer case gives the ARM ARM's registers and flags.
fn known_answers() -> TestResult {
    let mut page = CodePage::install()?;
    for case in KNOWN {
        let got = page
            .run(&case.sequence())
            .map_err(|e| format!("{}: {e}", case.asm))?;
        let expected = case.expected();
        if let Some(d) = expected.differences(&got).first() {
            return Err(
                format!("{} ({:#010x}): ARM ARM / native: {d}", case.asm, case.word).into(),
            );
        }
    }
    crate::println!("  {} cases", KNOWN.len());
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
        let want = Outcome { x, nzcv };
        if let Some(d) = want.differences(&got).first() {
            return Err(format!("NZCV {nzcv:#x}: in / out: {d}").into());
        }
    }
    Ok(())
}

/// A sequence that takes an exception (UDF #0) returns it as an error,
/// and the page keeps working afterwards.
fn undefined_instruction_is_caught() -> TestResult {
    let mut page = CodePage::install()?;
    let sequence = Sequence::new([7; 31], 0, &[0x0000_0000]).ok_or(String::from("sequence"))?;
    match page.run(&sequence) {
        Err(fault) => ensure!(
            fault.syndrome.ec() == 0,
            "UDF #0 gave {}, not the Unknown reason",
            fault.syndrome
        ),
        Ok(outcome) => return Err(format!("UDF #0 ran to the end: {outcome:?}").into()),
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
