//! Builder target: sequences of map, remap, unmap and protect, going live
//! and back, and table-memory limits, on every table format, checked after
//! each step against an interval model through the walker; at the end the
//! whole range is walked and the tracking arena must show no bad free,
//! leak, write to a freed table, or break-before-make on a live table.

use super::Input;
use crate::mmu::tests::arena::Random;
use crate::mmu::tests::property::{run, SETUPS};

/// Operations at most per input (each takes about a dozen bytes).
const MAX_OPS: usize = 16;

/// One input: a format, whether the table starts live, then operations.
pub fn check(data: &[u8]) {
    let mut input = Input::new(data);
    let setup = &SETUPS[input.below(SETUPS.len() as u64) as usize];
    let live = input.bool();
    let ops = (data.len() / 12).clamp(1, MAX_OPS);
    run(setup, &mut input, live, ops, true);
}
