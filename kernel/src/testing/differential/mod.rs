//! The differential test of `emu`'s walker against the hardware MMU: random
//! table sets built with `emu`'s builder are installed in TTBR1 (the kernel
//! keeps running from TTBR0), and for thousands of addresses the walker's
//! answer is compared with what `AT S1E1R/S1E1W/S1E0R/S1E0W/S1E1RP/S1E1WP`
//! (or, with EL2, `AT S12E1R/...` through the EL2 stub) leave in PAR_EL1, or,
//! for execute permissions, with what an instruction fetch does.
//!
//! Its parts, one job each: `rng` (the random source), `tables` (random
//! stage 1 table sets and the registers they run under), `stage2` (a random
//! stage 2 under them), `compare` (walker against PAR_EL1, with the counts),
//! `execute` (walker against instruction fetches at EL1 and EL0) and
//! `deviations` (what answers, and each QEMU's known departures from the ARM
//! ARM, recognised exactly).

mod compare;
mod deviations;
mod execute;
mod rng;
mod stage2;
mod tables;

pub use compare::DiffStats;
pub use deviations::{KnownDeviation, Oracle};
pub use execute::tests as execute_tests;
pub use execute::{execute, ExecStats};
pub use rng::Rng;
pub use tables::{with_test_tables, TestTables};

use crate::memory::mmu as host_mmu;
use alloc::format;
use alloc::string::String;
use compare::compare_set;
use emu::granule::Granule;
use stage2::build_stage2;
use tables::with_installed;

/// Table sets per configuration.
pub const TABLE_SETS: usize = 8;
/// Addresses per table set: 8 x 4096 = 32768 per configuration.
pub const ADDRESSES_PER_SET: usize = 4096;

/// Runs the stage 1 differential test for `granule`.
pub fn stage1(granule: Granule, seed: u64) -> Result<DiffStats, String> {
    let features = host_mmu::walker_features();
    let mut rng = Rng(seed);
    let mut stats = DiffStats::new(Oracle::current());
    for set in 0..TABLE_SETS {
        with_installed(&mut rng, granule, &features, |rng, tables, walker_regs| {
            compare_set(rng, tables, walker_regs, &features, &mut stats, None)
        })
        .map_err(|e| format!("table set {set} (seed {seed:#x}): {e}"))?;
    }
    Ok(stats)
}

/// Runs the stage 1 + stage 2 differential test for `granule` (both
/// stages use it) through the EL2 stub's `AT S12E1R/W`, `AT S12E0R/W`.
pub fn two_stage(granule: Granule, seed: u64) -> Result<DiffStats, String> {
    let features = host_mmu::walker_features();
    let mut rng = Rng(seed);
    let mut stats = DiffStats::new(Oracle::current());
    for set in 0..TABLE_SETS {
        with_installed(&mut rng, granule, &features, |rng, tables, walker_regs| {
            // The stage 2 tables live until the comparison is done.
            let (_s2_tables, setup) = build_stage2(rng, granule, tables, walker_regs, &features)?;
            compare_set(
                rng,
                tables,
                walker_regs,
                &features,
                &mut stats,
                Some(&setup),
            )
        })
        .map_err(|e| format!("table set {set} (seed {seed:#x}): {e}"))?;
    }
    Ok(stats)
}
