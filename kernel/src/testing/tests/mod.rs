//! The on-target tests: what only the real MMU, CPU and board can check.
//! Each module registers its tests; a test's name is its path below here.

mod board;
mod dtb;
mod el2;
mod exception;
mod memory;
mod mmu;
mod native;
mod walker;
mod workloads;

use super::Test;

/// Every test, in the order they run.
pub const ALL: &[&[Test]] = &[
    mmu::TESTS,
    memory::TESTS,
    dtb::TESTS,
    exception::TESTS,
    el2::TESTS,
    board::TESTS,
    walker::stage1::TESTS,
    walker::execute::TESTS,
    walker::stage12::TESTS,
    native::TESTS,
    workloads::TESTS,
];
