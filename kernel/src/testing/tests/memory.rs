//! The frame allocator and the heap under stress, with leak checks.

use crate::ensure;
use crate::memory::{frame, heap};
use crate::testing::differential::Rng;
use crate::testing::{Test, TestResult};
use alloc::format;
use alloc::vec::Vec;

/// The tests of this module.
pub const TESTS: &[Test] = crate::on_target_tests![frame_stress, heap_stress];

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
