//! The on-target test harness: tests registered by name, run by `test
//! [FILTER]` or in batch mode, one line each, then `N passed, N failed`.

pub mod differential;
mod pi4;
mod tests;

use crate::arch::cpu;
use crate::println;
use alloc::string::String;

/// How a test ended other than passing.
#[derive(Debug)]
pub enum Outcome {
    /// It failed, and why.
    Failed(String),
    /// It does not apply to this machine, and why.
    Skipped(&'static str),
}

impl From<String> for Outcome {
    fn from(why: String) -> Self {
        Outcome::Failed(why)
    }
}

/// A test's result.
pub type TestResult = Result<(), Outcome>;

/// A registered test.
pub struct Test {
    /// Its name, `area::what`.
    pub name: &'static str,
    /// The test.
    pub run: fn() -> TestResult,
}

/// How a run went.
#[derive(Clone, Copy, Debug, Default)]
pub struct Summary {
    /// Tests that passed.
    pub passed: usize,
    /// Tests that failed.
    pub failed: usize,
    /// Tests that did not apply.
    pub skipped: usize,
}

/// Runs every test whose name contains `filter`.
pub fn run(filter: &str) -> Summary {
    let mut summary = Summary::default();
    for test in tests::ALL.iter().filter(|t| t.name.contains(filter)) {
        let start = cpu::counter();
        let result = (test.run)();
        let micros = cpu::ticks_to_micros(cpu::counter() - start);
        match result {
            Ok(()) => {
                summary.passed += 1;
                println!("test {} ... ok ({} us)", test.name, micros);
            }
            Err(Outcome::Failed(why)) => {
                summary.failed += 1;
                println!("test {} ... FAILED: {}", test.name, why);
            }
            Err(Outcome::Skipped(why)) => {
                summary.skipped += 1;
                println!("test {} ... skipped: {}", test.name, why);
            }
        }
    }
    println!(
        "{} passed, {} failed, {} skipped",
        summary.passed, summary.failed, summary.skipped
    );
    summary
}

/// Fails the test with a formatted message unless `cond` holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            return Err($crate::testing::Outcome::Failed(alloc::format!($($arg)*)));
        }
    };
}
