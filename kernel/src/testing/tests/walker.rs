//! The walker against the hardware: emu's walker and AT on random table
//! sets, stage 1 alone and stage 1 under stage 2. Each prints its seed;
//! `test NAME seed=N` replays it.

use crate::ensure;
use crate::kernel::with_boot_info;
use crate::memory::mmu;
use crate::testing::{self, differential, Outcome, TestResult};
use emu::granule::Granule;

/// Stage 1 with `granule`, from `default_seed` unless the run has a seed.
fn walker_vs_at(granule: Granule, default_seed: u64) -> TestResult {
    if !mmu::features().stage1.contains(granule) {
        return Err(Outcome::skipped("the CPU has no such granule"));
    }
    let seed = testing::seed(default_seed);
    crate::println!("  seed {seed:#x}");
    let stats = differential::stage1(granule, seed)?;
    crate::println!("  stage 1 {granule}: {stats}");
    ensure!(stats.mismatches == 0, "{} mismatches", stats.mismatches);
    Ok(())
}

/// Stage 1 and 2 with `granule`, from `default_seed` unless the run has one.
fn walker_two_stage(granule: Granule, default_seed: u64) -> TestResult {
    if with_boot_info(|i| i.entry_el).unwrap_or(1) < 2 {
        return Err(Outcome::skipped("entered at EL1: no EL2 for AT S12E1R"));
    }
    if !mmu::features().stage1.contains(granule) || !mmu::features().stage2.contains(granule) {
        return Err(Outcome::skipped("the CPU has no such granule"));
    }
    let seed = testing::seed(default_seed);
    crate::println!("  seed {seed:#x}");
    let stats = differential::two_stage(granule, seed)?;
    crate::println!("  stage 1+2 {granule}: {stats}");
    ensure!(stats.mismatches == 0, "{} mismatches", stats.mismatches);
    Ok(())
}

/// Execute permission, which no AT reports: fetches from random table sets
/// at EL1 and EL0 against the walker (UXN, PXN, the XN table bits, WXN).
pub mod execute {
    use crate::testing::differential::execute_tests;
    use crate::testing::{Test, TestResult};

    /// The tests of this module.
    pub const TESTS: &[Test] = crate::on_target_tests![vs_fetch_4k, vs_fetch_16k, vs_fetch_64k];

    fn vs_fetch_4k() -> TestResult {
        execute_tests::vs_fetch_4k()
    }

    fn vs_fetch_16k() -> TestResult {
        execute_tests::vs_fetch_16k()
    }

    fn vs_fetch_64k() -> TestResult {
        execute_tests::vs_fetch_64k()
    }
}

/// Stage 1 alone, against `AT S1E1R/W` and `AT S1E0R/W`.
pub mod stage1 {
    use super::walker_vs_at;
    use crate::testing::{Test, TestResult};
    use emu::granule::Granule;

    /// The tests of this module.
    pub const TESTS: &[Test] = crate::on_target_tests![vs_at_4k, vs_at_16k, vs_at_64k];

    fn vs_at_4k() -> TestResult {
        walker_vs_at(Granule::K4, 0x4b4b_0001)
    }

    fn vs_at_16k() -> TestResult {
        walker_vs_at(Granule::K16, 0x16b1_6b02)
    }

    fn vs_at_64k() -> TestResult {
        walker_vs_at(Granule::K64, 0x64b6_4b03)
    }
}

/// Stage 1 under stage 2, against `AT S12E1R/W` and `AT S12E0R/W`.
pub mod stage12 {
    use super::walker_two_stage;
    use crate::testing::{Test, TestResult};
    use emu::granule::Granule;

    /// The tests of this module.
    pub const TESTS: &[Test] = crate::on_target_tests![vs_at_4k, vs_at_16k, vs_at_64k];

    fn vs_at_4k() -> TestResult {
        walker_two_stage(Granule::K4, 0x5124_0004)
    }

    fn vs_at_16k() -> TestResult {
        walker_two_stage(Granule::K16, 0x5121_6005)
    }

    fn vs_at_64k() -> TestResult {
        walker_two_stage(Granule::K64, 0x5126_4006)
    }
}
