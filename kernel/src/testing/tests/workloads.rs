//! The workloads (crate::workloads) natively and under emu's CPU, through
//! the translator, from the same inputs: X0 and the whole data buffer
//! bit for bit, under every host granule and every guest page size.

use crate::testing::{Test, TestResult};
use crate::workloads::{self, each_config, WORKLOADS};
use alloc::format;
use emu::granule::Granule;

/// The tests of this module.
pub const TESTS: &[Test] = crate::on_target_tests![native_equals_emulated];

fn native_equals_emulated() -> TestResult {
    let mut runs = 0u64;
    let mut instructions = 0u64;
    each_config(&workloads::host_granules(), &Granule::ALL, |_, _, g| {
        for w in WORKLOADS {
            let input = w.input();
            let mut native = input.clone();
            let (x0, _) = w.native(&mut native);
            let e = g.run(w, &input)?;
            if let Some(d) = workloads::compare(x0, &native, &e) {
                return Err(format!("{}: {d}", w.name));
            }
            runs += 1;
            instructions += e.instructions;
        }
        Ok(())
    })?;
    crate::println!(
        "  {runs} runs ({} workloads), {instructions} guest instructions, 0 differences",
        WORKLOADS.len()
    );
    Ok(())
}
