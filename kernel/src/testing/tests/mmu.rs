//! Granule switches of the host MMU, with their AT self-check.

use crate::ensure;
use crate::memory::mmu;
use crate::testing::{Outcome, Test, TestResult};
use alloc::boxed::Box;
use alloc::format;
use emu::granule::Granule;

/// The tests of this module.
pub const TESTS: &[Test] = crate::on_target_tests![switch_4k, switch_16k, switch_64k];

/// Switches to `granule` and back; on a CPU without it, checks the refusal.
fn switch_to(granule: Granule) -> TestResult {
    let before = mmu::current().map(|c| c.granule);
    let supported = mmu::features().stage1;
    let result = mmu::switch_granule(granule);
    if !supported.contains(granule) {
        let Err(e) = result else {
            return Err(format!("{granule} is not supported, yet the switch succeeded").into());
        };
        let message = format!("{e}");
        ensure!(
            message.contains(granule.name()) && message.contains(&format!("{supported}")),
            "the refusal should name {granule} and the supported set: {message}"
        );
        ensure!(
            mmu::current().map(|c| c.granule) == before,
            "the refusal changed the granule"
        );
        return Err(Outcome::Skipped(format!(
            "refused as it must be: {message}"
        )));
    }
    let report = result.map_err(|e| format!("switch to {granule}: {e}"))?;
    ensure!(
        report.current.granule == granule,
        "running {} after switching to {granule}",
        report.current.granule
    );
    ensure!(report.checks >= 5, "only {} AT checks ran", report.checks);
    // Memory still works under the new map: heap, and the frame allocator.
    let boxed = Box::new([0x5au8; 4096]);
    ensure!(boxed.iter().all(|&b| b == 0x5a), "heap contents changed");
    crate::println!("  {report}");
    if let Some(before) = before {
        mmu::switch_granule(before).map_err(|e| format!("switch back to {before}: {e}"))?;
    }
    Ok(())
}

fn switch_4k() -> TestResult {
    switch_to(Granule::K4)
}

fn switch_16k() -> TestResult {
    switch_to(Granule::K16)
}

fn switch_64k() -> TestResult {
    switch_to(Granule::K64)
}
