//! The on-target test harness: tests registered with [`on_target_tests!`],
//! named by their module path and function (so a name cannot drift from its
//! test), run by `test [--list] [FILTER] [seed=N]` or in batch mode, one line
//! each, then `N passed, N failed, N skipped`.

pub mod differential;
pub mod native;
pub mod pi4;
mod tests;

use crate::arch::cpu;
use crate::println;
use crate::shell::args::filter_matches;
use crate::sync::CoreCell;
use alloc::string::String;

/// How a test ended other than passing.
#[derive(Debug)]
pub enum Outcome {
    /// It failed, and why.
    Failed(String),
    /// It does not apply to this machine, and why.
    Skipped(String),
}

impl From<String> for Outcome {
    fn from(why: String) -> Self {
        Outcome::Failed(why)
    }
}

impl Outcome {
    /// Skipped, for the reason `why`.
    pub fn skipped(why: impl Into<String>) -> Self {
        Outcome::Skipped(why.into())
    }
}

/// A test's result.
pub type TestResult = Result<(), Outcome>;

/// A registered test.
pub struct Test {
    /// The module it is in (`module_path!()`).
    pub module: &'static str,
    /// Its function (`stringify!`).
    pub function: &'static str,
    /// The test.
    pub run: fn() -> TestResult,
}

/// Where the tests live; names are given below it.
const ROOT: &str = concat!(module_path!(), "::tests");

impl Test {
    /// The test's name: its path below the test modules, `area::what`.
    pub fn name(&self) -> String {
        let module = self.module.strip_prefix(ROOT).unwrap_or(self.module);
        let module = module.trim_start_matches("::");
        let mut name = String::from(module);
        if !name.is_empty() {
            name.push_str("::");
        }
        name.push_str(self.function);
        name
    }
}

/// Registers test functions of the current module, naming each by
/// `module_path!()` and its own identifier.
#[macro_export]
macro_rules! on_target_tests {
    ($($test:ident),* $(,)?) => {
        &[$($crate::testing::Test {
            module: module_path!(),
            function: stringify!($test),
            run: $test,
        }),*]
    };
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

impl Summary {
    /// Tests that matched the filter.
    pub fn ran(&self) -> usize {
        self.passed + self.failed + self.skipped
    }
}

/// The seed `test ... seed=N` gave, for the randomised tests of this run.
static SEED: CoreCell<Option<u64>> = CoreCell::new(None);

/// The seed a randomised test uses: `seed=N` if the run was given one,
/// else the test's own `default`. The test prints it, so any run can be
/// replayed with `test NAME seed=N`.
pub fn seed(default: u64) -> u64 {
    SEED.try_lock().and_then(|s| *s).unwrap_or(default)
}

fn matching(filter: &str) -> impl Iterator<Item = (&'static Test, String)> + '_ {
    tests::ALL
        .iter()
        .flat_map(|group| group.iter())
        .map(|t| (t, t.name()))
        .filter(move |(_, name)| filter_matches(filter, name))
}

/// Prints the names of the tests `filter` selects; returns how many.
pub fn list(filter: &str) -> usize {
    let mut count = 0;
    for (_, name) in matching(filter) {
        println!("{name}");
        count += 1;
    }
    if count == 0 {
        println!("no test matches {filter:?}: `test --list` shows the names");
    }
    count
}

/// Runs every test `filter` selects (a path prefix or an exact name), with
/// `seed` for the randomised ones if given.
pub fn run(filter: &str, seed: Option<u64>) -> Summary {
    let mut summary = Summary::default();
    *SEED.lock() = seed;
    for (test, name) in matching(filter) {
        let start = cpu::counter();
        let result = (test.run)();
        let micros = cpu::ticks_to_micros(cpu::counter() - start);
        match result {
            Ok(()) => {
                summary.passed += 1;
                println!("test {name} ... ok ({micros} us)");
            }
            Err(Outcome::Failed(why)) => {
                summary.failed += 1;
                println!("test {name} ... FAILED: {why}");
            }
            Err(Outcome::Skipped(why)) => {
                summary.skipped += 1;
                println!("test {name} ... skipped: {why}");
            }
        }
    }
    *SEED.lock() = None;
    if summary.ran() == 0 {
        println!("no test matches {filter:?}: `test --list` shows the names");
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
