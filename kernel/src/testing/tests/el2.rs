//! The EL2 stub kept when Granule is entered at EL2.

use crate::ensure;
use crate::kernel::with_boot_info;
use crate::testing::{Outcome, Test, TestResult};

/// The tests of this module.
pub const TESTS: &[Test] = crate::on_target_tests![stub_answers];

fn stub_answers() -> TestResult {
    let entry_el = with_boot_info(|i| i.entry_el).unwrap_or(1);
    if entry_el < 2 {
        return Err(Outcome::skipped("entered at EL1: no EL2 stub"));
    }
    ensure!(
        crate::arch::el2::ping(),
        "the EL2 stub did not answer HVC_PING"
    );
    Ok(())
}
