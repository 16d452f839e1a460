//! Structural checks of a built table set, written independently of the
//! builder: no empty or mergeable subtables, contiguous bits exactly on the
//! runs that qualify, and leaves only where the granule allows them.

use super::arena::Arena;
use crate::addr::PhysAddr;
use crate::mmu::builder::PageTable;
use crate::mmu::memory::TableMemory;
use std::format;
use std::string::String;
use std::vec::Vec;

const OA: u64 = 0x0000_ffff_ffff_f000;
const CONTIG: u64 = 1 << 52;
const SW_CONTIG: u64 = 1 << 55;

fn attrs(d: u64) -> u64 {
    d & !(OA | 0b11 | CONTIG)
}

/// Every violation found in `table`'s tree.
pub fn check(table: &PageTable, arena: &Arena) -> Vec<String> {
    let mut problems = Vec::new();
    let g = table.config().geometry();
    visit(table, arena, g.start_level, table.root().0, &mut problems);
    problems
}

fn visit(table: &PageTable, arena: &Arena, level: u8, address: u64, problems: &mut Vec<String>) {
    let g = table.config().geometry();
    let granule = g.granule;
    let entries = g.entries(level);
    let span = g.entry_span(level);
    let page_level = 3;
    let block_ok = matches!(
        (granule.shift(), level),
        (12, 1) | (12, 2) | (14, 2) | (16, 2)
    );
    let read = |i: usize| arena.read_descriptor(PhysAddr(address + 8 * i as u64));
    let is_root = level == g.start_level;
    let mut all_invalid = true;
    let mut leaves = Vec::new();
    for i in 0..entries {
        let d = read(i);
        if d & 1 == 0 {
            leaves.push(None);
            continue;
        }
        all_invalid = false;
        let is_table = d & 0b10 != 0 && level < page_level;
        if is_table {
            leaves.push(None);
            visit(
                table,
                arena,
                level + 1,
                d & OA & !granule.offset_mask(),
                problems,
            );
        } else {
            if level != page_level && !block_ok {
                problems.push(format!("block at level {level} index {i} of {address:#x}"));
            }
            if level == page_level && d & 0b10 == 0 {
                problems.push(format!("reserved level-3 encoding at {address:#x}[{i}]"));
            }
            leaves.push(Some((d & OA, attrs(d), d & CONTIG != 0)));
        }
    }
    if is_root {
        // Nothing to merge into.
    } else if all_invalid && !table.is_live() {
        // A live table keeps emptied tables: the hardware may still use them.
        problems.push(format!(
            "empty table at {address:#x} (level {level}) not freed"
        ));
    } else if !table.is_live() {
        // A table whose entries make one aligned block should have merged.
        let parent_block_ok = matches!(
            (granule.shift(), level - 1),
            (12, 1) | (12, 2) | (14, 2) | (16, 2)
        );
        if let Some(Some((oa0, a0, _))) = leaves.first().copied() {
            let uniform = leaves.iter().enumerate().all(
                |(i, l)| matches!(l, Some((oa, a, _)) if *oa == oa0 + i as u64 * span && *a == a0),
            );
            if uniform && parent_block_ok && oa0 % (span * entries as u64) == 0 {
                problems.push(format!(
                    "table at {address:#x} (level {level}) should be a block"
                ));
            }
        }
    }
    // Contiguous runs.
    let run = match (granule.shift(), level) {
        (12, _) => 16,
        (14, 3) => 128,
        (14, _) => 32,
        _ => 32,
    };
    if entries < run {
        return;
    }
    for first in (0..entries).step_by(run) {
        let group = &leaves[first..first + run];
        let qualifies = match group[0] {
            Some((oa0, a0, _)) => {
                a0 & SW_CONTIG != 0
                    && oa0 % (span * run as u64) == 0
                    && group.iter().enumerate().all(|(i, l)| {
                        matches!(l, Some((oa, a, _)) if *oa == oa0 + i as u64 * span && *a == a0)
                    })
            }
            None => false,
        };
        for (i, l) in group.iter().enumerate() {
            if let Some((_, _, contig)) = l {
                if *contig && !qualifies {
                    problems.push(format!(
                        "contiguous bit on non-qualifying run at {address:#x}[{}]",
                        first + i
                    ));
                }
                if !*contig && qualifies && !table.is_live() {
                    problems.push(format!(
                        "qualifying run without contiguous bit at {address:#x}[{}]",
                        first + i
                    ));
                }
            }
        }
    }
}
