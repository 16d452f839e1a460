//! The board the kernel runs on against what its board code claims.

use crate::testing::{pi4, Test, TestResult};

/// The tests of this module.
pub const TESTS: &[Test] = crate::on_target_tests![pi4_matches_bcm2711];

fn pi4_matches_bcm2711() -> TestResult {
    pi4::board_matches_bcm2711()
}
