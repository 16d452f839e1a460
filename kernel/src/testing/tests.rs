//! The on-target tests: what only the real MMU, CPU and board can check.

use super::differential::{self, Rng};
use super::{Outcome, Test, TestResult};
use crate::arch::exception;
use crate::bootinfo::DtbProblem;
use crate::ensure;
use crate::kernel::with_boot_info;
use crate::memory::{frame, heap, mmu};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use emu::arch::esr::{ExceptionClass, FaultStatus};
use emu::fdt::Fdt;
use emu::granule::Granule;

/// Every test, in the order they run.
pub const ALL: &[Test] = &[
    Test {
        name: "mmu::switch_4k",
        run: switch_4k,
    },
    Test {
        name: "mmu::switch_16k",
        run: switch_16k,
    },
    Test {
        name: "mmu::switch_64k",
        run: switch_64k,
    },
    Test {
        name: "memory::frame_stress",
        run: frame_stress,
    },
    Test {
        name: "memory::heap_stress",
        run: heap_stress,
    },
    Test {
        name: "dtb::boot_info_matches_tree",
        run: dtb_boot_info,
    },
    Test {
        name: "dtb::corrupt_copies_are_refused",
        run: dtb_corruption,
    },
    Test {
        name: "exception::unmapped_read_is_decoded",
        run: unmapped_read_is_decoded,
    },
    Test {
        name: "exception::text_write_is_permission_fault",
        run: text_write_faults,
    },
    Test {
        name: "el2::stub_answers",
        run: el2_stub_answers,
    },
    Test {
        name: "board::pi4_matches_bcm2711",
        run: super::pi4::board_matches_bcm2711,
    },
    Test {
        name: "walker::stage1_vs_at_4k",
        run: walker_4k,
    },
    Test {
        name: "walker::stage1_vs_at_16k",
        run: walker_16k,
    },
    Test {
        name: "walker::stage1_vs_at_64k",
        run: walker_64k,
    },
    Test {
        name: "walker::execute_vs_fetch_4k",
        run: differential::execute_tests::vs_fetch_4k,
    },
    Test {
        name: "walker::execute_vs_fetch_16k",
        run: differential::execute_tests::vs_fetch_16k,
    },
    Test {
        name: "walker::execute_vs_fetch_64k",
        run: differential::execute_tests::vs_fetch_64k,
    },
    Test {
        name: "walker::stage12_vs_at_4k",
        run: walker_s12_4k,
    },
    Test {
        name: "walker::stage12_vs_at_16k",
        run: walker_s12_16k,
    },
    Test {
        name: "walker::stage12_vs_at_64k",
        run: walker_s12_64k,
    },
];

/// Switches to `granule` and back; on a CPU without it, checks the refusal.
fn switch_to(granule: Granule) -> TestResult {
    let before = mmu::current().map(|c| c.granule);
    let supported = mmu::features().stage1;
    let result = mmu::switch_granule(granule);
    if !supported.contains(granule) {
        let Err(e) = result else {
            return Err(format!("{granule} is not supported, yet the switch succeeded").into());
        };
        let message = format!("{e}");
        ensure!(
            message.contains(granule.name()) && message.contains(&format!("{supported}")),
            "the refusal should name {granule} and the supported set: {message}"
        );
        ensure!(
            mmu::current().map(|c| c.granule) == before,
            "the refusal changed the granule"
        );
        return Ok(());
    }
    let report = result.map_err(|e| format!("switch to {granule}: {e}"))?;
    ensure!(
        report.current.granule == granule,
        "running {} after switching to {granule}",
        report.current.granule
    );
    ensure!(report.checks >= 5, "only {} AT checks ran", report.checks);
    // Memory still works under the new map: heap, and the frame allocator.
    let boxed = Box::new([0x5au8; 4096]);
    ensure!(boxed.iter().all(|&b| b == 0x5a), "heap contents changed");
    crate::println!("  {report}");
    if let Some(before) = before {
        mmu::switch_granule(before).map_err(|e| format!("switch back to {before}: {e}"))?;
    }
    Ok(())
}

fn switch_4k() -> TestResult {
    switch_to(Granule::K4)
}

fn switch_16k() -> TestResult {
    switch_to(Granule::K16)
}

fn switch_64k() -> TestResult {
    switch_to(Granule::K64)
}

fn frame_stress() -> TestResult {
    let baseline = frame::stats().used;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut live: Vec<(u64, usize, usize, u64)> = Vec::new();
    for round in 0..2000u64 {
        if live.len() < 64 && rng.below(3) != 0 {
            let size = frame::FRAME_SIZE << rng.below(5);
            let align = size << rng.below(2);
            let Some(address) = frame::allocate_zeroed(size, align) else {
                return Err(format!("out of frames at round {round}").into());
            };
            ensure!(
                address % align as u64 == 0,
                "{address:#x} not aligned to {align:#x}"
            );
            // SAFETY: a fresh block of `size` bytes, ours until freed.
            let block = unsafe { core::slice::from_raw_parts_mut(address as *mut u64, size / 8) };
            ensure!(
                block.iter().all(|&w| w == 0),
                "block at {address:#x} not zeroed"
            );
            block.fill(round);
            live.push((address, size, align, round));
        } else if !live.is_empty() {
            let (address, size, align, stamp) =
                live.swap_remove(rng.below(live.len() as u64) as usize);
            // SAFETY: still allocated; no other block overlaps it, which is
            // what the stamp checks.
            let block = unsafe { core::slice::from_raw_parts(address as *const u64, size / 8) };
            ensure!(
                block.iter().all(|&w| w == stamp),
                "block at {address:#x} was overwritten: blocks overlap"
            );
            frame::free(address, size, align);
        }
    }
    for (address, size, align, _) in live {
        frame::free(address, size, align);
    }
    let after = frame::stats().used;
    ensure!(
        after == baseline,
        "leak: {baseline} bytes in use before, {after} after"
    );
    Ok(())
}

fn heap_stress() -> TestResult {
    let baseline = heap::stats().used;
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut live: Vec<Vec<u8>> = Vec::new();
    for round in 0..4000u64 {
        if live.len() < 128 && rng.below(2) == 0 {
            let len = 1 + rng.below(8192) as usize;
            live.push(alloc::vec![round as u8; len]);
        } else if !live.is_empty() {
            let v = live.swap_remove(rng.below(live.len() as u64) as usize);
            let first = v[0];
            ensure!(v.iter().all(|&b| b == first), "heap block overwritten");
        }
    }
    drop(live);
    let after = heap::stats().used;
    ensure!(
        after == baseline,
        "leak: {baseline} bytes in use before, {after} after"
    );
    Ok(())
}

/// The device tree Granule booted with, as a slice.
fn boot_dtb() -> Option<&'static [u8]> {
    let range = with_boot_info(|i| i.dtb)??;
    // SAFETY: boot info only records a tree whose whole range was readable;
    // it stays reserved and identity-mapped.
    Some(unsafe { core::slice::from_raw_parts(range.start as *const u8, range.size() as usize) })
}

fn dtb_boot_info() -> TestResult {
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
        return Err(Outcome::Skipped(
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

fn dtb_corruption() -> TestResult {
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

fn unmapped_read_is_decoded() -> TestResult {
    let Some(address) = mmu::unmapped_address() else {
        return Err(Outcome::Skipped("no unmapped address inside the VA range"));
    };
    let par = mmu::translate(address);
    let Some(FaultStatus::Translation(at_level)) = par.fault_status() else {
        return Err(format!("AT says {par} for the unmapped address").into());
    };
    let fault = match exception::probe_read_u64(address) {
        Ok(value) => return Err(format!("read {value:#x} from unmapped {address:#x}").into()),
        Err(fault) => fault,
    };
    ensure!(
        fault.syndrome.class() == Some(ExceptionClass::DataAbortSame),
        "wrong class: {fault}"
    );
    ensure!(
        fault.syndrome.fault_status() == Some(FaultStatus::Translation(at_level)),
        "abort says {fault}, AT said level {at_level}"
    );
    ensure!(
        !fault.syndrome.is_write(),
        "a read reported as a write: {fault}"
    );
    ensure!(
        fault.far == address,
        "FAR {:#x} for an access to {address:#x}",
        fault.far
    );
    crate::println!("  caught: {fault}");
    Ok(())
}

fn text_write_faults() -> TestResult {
    let text = text_write_faults as *const () as u64 & !7;
    let original = exception::probe_read_u64(text).map_err(|f| format!("reading text: {f}"))?;
    // SAFETY: the same value is written back, so even a successful write
    // (the bug this test looks for) changes nothing.
    let result = unsafe { exception::probe_write_u64(text, original) };
    let Err(fault) = result else {
        return Err(format!("kernel text at {text:#x} is writable").into());
    };
    ensure!(
        matches!(
            fault.syndrome.fault_status(),
            Some(FaultStatus::Permission(_))
        ) && fault.syndrome.is_write(),
        "expected a permission fault on a write: {fault}"
    );
    Ok(())
}

fn el2_stub_answers() -> TestResult {
    let entry_el = with_boot_info(|i| i.entry_el).unwrap_or(1);
    if entry_el < 2 {
        return Err(Outcome::Skipped("entered at EL1: no EL2 stub"));
    }
    ensure!(
        crate::arch::el2::ping(),
        "the EL2 stub did not answer HVC_PING"
    );
    Ok(())
}

fn walker_vs_at(granule: Granule, seed: u64) -> TestResult {
    if !mmu::features().stage1.contains(granule) {
        return Err(Outcome::Skipped("the CPU has no such granule"));
    }
    let stats = differential::stage1(granule, seed)?;
    crate::println!("  stage 1 {granule}: {stats}");
    ensure!(stats.mismatches == 0, "{} mismatches", stats.mismatches);
    Ok(())
}

fn walker_4k() -> TestResult {
    walker_vs_at(Granule::K4, 0x4b4b_0001)
}

fn walker_16k() -> TestResult {
    walker_vs_at(Granule::K16, 0x16b1_6b02)
}

fn walker_64k() -> TestResult {
    walker_vs_at(Granule::K64, 0x64b6_4b03)
}

fn walker_two_stage(granule: Granule, seed: u64) -> TestResult {
    if with_boot_info(|i| i.entry_el).unwrap_or(1) < 2 {
        return Err(Outcome::Skipped("entered at EL1: no EL2 for AT S12E1R"));
    }
    if !mmu::features().stage1.contains(granule) || !mmu::features().stage2.contains(granule) {
        return Err(Outcome::Skipped("the CPU has no such granule"));
    }
    let stats = differential::two_stage(granule, seed)?;
    crate::println!("  stage 1+2 {granule}: {stats}");
    ensure!(stats.mismatches == 0, "{} mismatches", stats.mismatches);
    Ok(())
}

fn walker_s12_4k() -> TestResult {
    walker_two_stage(Granule::K4, 0x5124_0004)
}

fn walker_s12_16k() -> TestResult {
    walker_two_stage(Granule::K16, 0x5121_6005)
}

fn walker_s12_64k() -> TestResult {
    walker_two_stage(Granule::K64, 0x5126_4006)
}
