//! The boot device tree: what boot info took from it, and corrupted copies.

use crate::bootinfo::DtbProblem;
use crate::ensure;
use crate::kernel::with_boot_info;
use crate::testing::differential::Rng;
use crate::testing::{Outcome, Test, TestResult};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use emu::fdt::Fdt;

/// The tests of this module.
pub const TESTS: &[Test] =
    crate::on_target_tests![boot_info_matches_tree, corrupt_copies_are_refused];

/// The device tree Granule booted with, as a slice.
fn boot_dtb() -> Option<&'static [u8]> {
    let range = with_boot_info(|i| i.dtb)??;
    // SAFETY: boot info only records a tree whose whole range was readable;
    // it stays reserved and identity-mapped.
    Some(unsafe { core::slice::from_raw_parts(range.start as *const u8, range.size() as usize) })
}

fn boot_info_matches_tree() -> TestResult {
    let Some(blob) = boot_dtb() else {
        let problem = with_boot_info(|i| i.dtb_problem).flatten();
        ensure!(
            problem == Some(DtbProblem::Absent),
            "no tree, yet the problem is {problem:?}"
        );
        let uses_defaults =
            with_boot_info(|i| i.ram.as_slice() == i.board.default_ram).unwrap_or(false);
        ensure!(
            uses_defaults,
            "without a tree the board's default RAM should be used"
        );
        return Err(Outcome::skipped(
            "booted without a device tree: checked the board defaults instead",
        ));
    };
    let fdt = Fdt::new(blob).map_err(|e| format!("the boot tree no longer parses: {e}"))?;
    let root = fdt.root();
    let memory = root
        .children()
        .find(|n| n.str("device_type") == Some("memory"))
        .ok_or_else(|| String::from("no memory node"))?;
    let (start, size) = memory
        .reg(&root)
        .map_err(|e| format!("memory node: {e}"))?
        .next()
        .ok_or_else(|| String::from("memory node without reg"))?;
    let first_ram = with_boot_info(|i| i.ram.as_slice().first().copied()).flatten();
    ensure!(
        first_ram.map(|r| (r.start, r.size())) == Some((start, size)),
        "boot info RAM {first_ram:?} differs from the tree's ({start:#x}, {size:#x})"
    );
    let uart = with_boot_info(|i| i.uart).unwrap_or(0);
    ensure!(
        uart == crate::console::uart_base() as u64,
        "console not on the UART boot info found"
    );
    Ok(())
}

fn corrupt_copies_are_refused() -> TestResult {
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    let original: Vec<u8> = match boot_dtb() {
        Some(blob) => blob.to_vec(),
        // No tree to corrupt: random bytes with a valid magic instead.
        None => {
            let mut v: Vec<u8> = (0..4096).map(|_| rng.next_u64() as u8).collect();
            v[..4].copy_from_slice(&0xd00d_feedu32.to_be_bytes());
            v
        }
    };
    ensure!(
        Fdt::new(&original[..39]).is_err(),
        "a truncated header was accepted"
    );
    let mut bad_magic = original.clone();
    bad_magic[0] ^= 0xff;
    ensure!(Fdt::new(&bad_magic).is_err(), "a bad magic was accepted");
    let mut refused = 0;
    for _ in 0..100 {
        let mut copy = original.clone();
        for _ in 0..4 {
            let at = rng.below(copy.len() as u64) as usize;
            copy[at] = rng.next_u64() as u8;
        }
        let cut = copy.len() - rng.below(copy.len() as u64 / 2) as usize;
        match Fdt::new(&copy[..cut]) {
            Ok(fdt) => {
                let _ = fdt.find_node("/chosen").and_then(|c| c.str("bootargs"));
            }
            Err(_) => refused += 1,
        }
    }
    ensure!(refused > 0, "no corrupted copy was refused");
    Ok(())
}
