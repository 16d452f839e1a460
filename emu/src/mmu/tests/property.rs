//! Randomized agreement between builder and walker: whatever the builder
//! maps, unmaps or re-protects, the walker translates exactly as a simple
//! reference model says, and every TLB-entry size it reports is uniform.

use super::arena::{Arena, Rng};
use super::invariants;
use super::shadow::Shadow;
use super::{mair_byte, s1_regs, FEATURES};
use crate::addr::{PhysAddr, VirtAddr};
use crate::granule::Granule;
use crate::mmu::attrs::{AccessPermissions, Shareability, Stage1Attributes};
use crate::mmu::builder::{MapError, PageTable};
use crate::mmu::config::TableConfig;
use crate::mmu::fault::{Access, AccessKind, El, FaultKind};
use crate::mmu::stage1::translate_stage1;
use crate::mmu::translation::{Permissions, Rwx};
use std::vec::Vec;

fn random_attrs(rng: &mut Rng) -> Stage1Attributes {
    Stage1Attributes {
        attr_index: rng.below(8) as u8,
        shareability: rng.pick(&[
            Shareability::NonShareable,
            Shareability::Outer,
            Shareability::Inner,
        ]),
        access: rng.pick(&AccessPermissions::ALL),
        uxn: rng.one_in(2),
        pxn: rng.one_in(2),
        not_global: rng.one_in(3),
        access_flag: !rng.one_in(8),
        contiguous: rng.one_in(2),
    }
}

/// Permissions written out from the ARM ARM's table, independently of the
/// walker's code.
fn expected_permissions(a: &Stage1Attributes) -> Permissions {
    let (el0, ro) = match a.access {
        AccessPermissions::PrivilegedReadWrite => (false, false),
        AccessPermissions::ReadWrite => (true, false),
        AccessPermissions::PrivilegedReadOnly => (false, true),
        AccessPermissions::ReadOnly => (true, true),
    };
    let el0_write = el0 && !ro;
    Permissions {
        el0: Rwx {
            read: el0,
            write: el0_write,
            execute: !a.uxn,
        },
        el1: Rwx {
            read: true,
            write: !ro,
            execute: !a.pxn && !el0_write,
        },
        el0_accessible: el0,
    }
}

struct Setup {
    granule: Granule,
    input_bits: u32,
    /// Units the random ranges are made of: page and block sizes.
    units: &'static [u64],
    /// The part of the input space the test uses.
    window: u64,
}

const SETUPS: &[Setup] = &[
    Setup {
        granule: Granule::K4,
        input_bits: 39,
        units: &[1 << 12, 1 << 16, 1 << 21, 1 << 25, 1 << 30],
        window: 1 << 33,
    },
    Setup {
        granule: Granule::K4,
        input_bits: 48,
        units: &[1 << 12, 1 << 21, 1 << 30],
        window: 1 << 32,
    },
    Setup {
        granule: Granule::K16,
        input_bits: 36,
        units: &[1 << 14, 1 << 21, 1 << 25, 1 << 30],
        window: 1 << 32,
    },
    Setup {
        granule: Granule::K16,
        input_bits: 47,
        units: &[1 << 14, 1 << 25],
        window: 1 << 31,
    },
    Setup {
        granule: Granule::K64,
        input_bits: 42,
        units: &[1 << 16, 1 << 21, 1 << 29],
        window: 1 << 33,
    },
    Setup {
        granule: Granule::K64,
        input_bits: 48,
        units: &[1 << 16, 1 << 29],
        window: 1 << 32,
    },
];

const OUTPUT_BITS: u32 = 40;
const OPS_PER_RUN: usize = 60;
const SAMPLES_PER_OP: usize = 40;
/// The structural check reads every descriptor, so it runs now and then.
const INVARIANT_EVERY: usize = 10;

/// Check the walker against the model at `va`.
fn check_address(table: &PageTable, arena: &Arena, shadow: &Shadow<Stage1Attributes>, va: u64) {
    let regs = s1_regs(Some(table), None);
    let read = Access::new(El::El1, AccessKind::Read);
    let result = translate_stage1(&regs, &FEATURES, VirtAddr(va), read, arena);
    match (shadow.lookup(va), result) {
        (None, Err(fault)) => assert_eq!(fault.kind, FaultKind::Translation, "va {va:#x}"),
        (None, Ok(t)) => panic!("va {va:#x} unmapped in the model but walks to {t:x?}"),
        (Some((_, a)), Err(fault)) if !a.access_flag => {
            assert_eq!(fault.kind, FaultKind::AccessFlag, "va {va:#x}")
        }
        (Some(expected), Err(fault)) => panic!("va {va:#x} should map as {expected:x?}: {fault}"),
        (Some((_, a)), Ok(t)) if !a.access_flag => {
            panic!("va {va:#x} has AF clear but walks to {t:x?}")
        }
        (Some((pa, a)), Ok(t)) => {
            assert_eq!(t.output, PhysAddr(pa), "va {va:#x}");
            assert_eq!(t.permissions, expected_permissions(&a), "va {va:#x} {a:?}");
            assert_eq!(t.attributes.mair, mair_byte(a.attr_index));
            assert_eq!(t.attributes.shareability, a.shareability);
            assert_eq!(t.global, !a.not_global);
            // The TLB entry the walker allows must be uniform in the model.
            let base = t.input_base();
            let size = 1u64 << t.size_log2;
            assert!(
                shadow.uniform(base, size, t.output_base().0, a),
                "va {va:#x}: entry of 2^{} at {base:#x} is not uniform",
                t.size_log2
            );
        }
    }
}

fn run(setup: &Setup, seed: u64, live: bool) {
    let mut rng = Rng(seed);
    let mut arena = Arena::new();
    let config = TableConfig::stage1(setup.granule, setup.input_bits, OUTPUT_BITS).unwrap();
    let mut table = PageTable::new(config, &mut arena).unwrap();
    table.set_live(live);
    let mut shadow: Shadow<Stage1Attributes> = Shadow::new();
    let page = setup.granule.size();
    for op in 0..OPS_PER_RUN {
        let unit = rng.pick(setup.units);
        let start = (rng.below(setup.window / unit) * unit
            + if rng.one_in(4) {
                page * rng.below(4)
            } else {
                0
            })
        .min(setup.window - page);
        let len = ((1 + rng.below(4)) * unit + if rng.one_in(4) { page } else { 0 })
            .min(setup.window - start);
        let end = start + len;
        // Output keeps the input's alignment most of the time, so blocks
        // and runs happen; sometimes it is a page off, so they cannot.
        let shift = if rng.one_in(4) { page } else { 0 };
        let output = if rng.one_in(3) {
            // Unrelated to the input: any aligned place, low ones included.
            let unit = rng.pick(setup.units);
            rng.below((1u64 << OUTPUT_BITS) / unit - setup.window / unit) * unit + shift
        } else {
            (1u64 << 35) + start + shift
        };
        let attrs = random_attrs(&mut rng);
        match rng.below(4) {
            0 | 1 => {
                let result = table.map(&mut arena, start, PhysAddr(output), len, attrs);
                if shadow.any_mapped(start, end) {
                    assert!(
                        matches!(result, Err(MapError::AlreadyMapped { .. })),
                        "{result:?}"
                    );
                } else {
                    result.unwrap();
                    shadow.map(start, end, output, attrs);
                }
            }
            2 => match table.unmap(&mut arena, start, len) {
                Ok(()) => shadow.unmap(start, end),
                Err(MapError::BreakBeforeMake { .. }) if live => {}
                Err(e) => panic!("unmap: {e}"),
            },
            _ => {
                // Re-protect keeping memory type and nG, so a live table
                // accepts it unless it splits a block or a run.
                let mut attrs = attrs;
                if live {
                    if let Some((_, old)) = shadow.lookup(start) {
                        attrs.attr_index = old.attr_index;
                        attrs.shareability = old.shareability;
                        attrs.not_global = old.not_global;
                    }
                }
                match table.protect(&mut arena, start, len, attrs) {
                    Ok(()) => shadow.protect(start, end, attrs),
                    Err(MapError::BreakBeforeMake { .. }) if live => {}
                    Err(e) => panic!("protect: {e}"),
                }
            }
        }
        arena.assert_clean();
        let mut probes: Vec<u64> = (0..SAMPLES_PER_OP)
            .map(|_| rng.below(setup.window) & !7)
            .collect();
        probes.extend([start, end - 8, end, start.saturating_sub(8)]);
        for va in probes {
            if va < setup.window {
                check_address(&table, &arena, &shadow, va);
            }
        }
        if op % INVARIANT_EVERY == 0 {
            let problems = invariants::check(&table, &arena);
            assert!(problems.is_empty(), "{problems:#?}");
        }
    }
    let problems = invariants::check(&table, &arena);
    assert!(problems.is_empty(), "{problems:#?}");
    table.destroy(&mut arena);
    arena.assert_no_leaks();
}

#[test]
fn builder_and_walker_agree_on_random_operations() {
    for (i, setup) in SETUPS.iter().enumerate() {
        for seed in 0..4 {
            run(setup, seed * 131 + i as u64, false);
        }
    }
}

#[test]
fn builder_and_walker_agree_on_a_live_table() {
    for (i, setup) in SETUPS.iter().enumerate() {
        for seed in 0..3 {
            run(setup, seed * 977 + i as u64, true);
        }
    }
}
