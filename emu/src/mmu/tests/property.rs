//! Randomized agreement between builder and walker, for stage 1, stage 2
//! (with concatenated roots) and LPAE: whatever the builder maps, unmaps or
//! re-protects, the walker translates exactly as a simple reference model
//! says, and every TLB-entry size it reports is uniform in the model.

use super::arena::{Arena, Rng};
use super::invariants;
use super::shadow::Shadow;
use super::{mair_byte, s1_regs, FEATURES, MAIR};
use crate::addr::{IntermPhysAddr, PhysAddr, VirtAddr};
use crate::arch::sysreg::{SCTLR, TTBCR};
use crate::granule::Granule;
use crate::mmu::attrs::{
    AccessPermissions, Attributes, Shareability, Stage1Attributes, Stage2Access, Stage2Attributes,
};
use crate::mmu::builder::{MapError, PageTable};
use crate::mmu::config::{InputRange, TableConfig};
use crate::mmu::fault::{Access, AccessKind, El, Fault, FaultKind};
use crate::mmu::regime::{LpaeRegs, Stage2Regs};
use crate::mmu::{Features, Walk, Walker};

use crate::mmu::translation::{Permissions, Rwx, Translation};
use std::vec::Vec;

#[derive(Clone, Copy, Debug)]
enum Format {
    Stage1,
    Stage2 { start_level: u8 },
    Lpae(InputRange),
}

struct Setup {
    format: Format,
    granule: Granule,
    input_bits: u32,
    /// Units the random ranges are made of: page and block sizes.
    units: &'static [u64],
    /// The part of the input space the test uses.
    window_base: u64,
    window: u64,
}

const SETUPS: &[Setup] = &[
    Setup {
        format: Format::Stage1,
        granule: Granule::K4,
        input_bits: 39,
        units: &[1 << 12, 1 << 16, 1 << 21, 1 << 25, 1 << 30],
        window_base: 0,
        window: 1 << 33,
    },
    Setup {
        format: Format::Stage1,
        granule: Granule::K4,
        input_bits: 48,
        units: &[1 << 12, 1 << 21, 1 << 30],
        window_base: (1 << 39) - (1 << 31),
        window: 1 << 32,
    },
    Setup {
        format: Format::Stage1,
        granule: Granule::K16,
        input_bits: 36,
        units: &[1 << 14, 1 << 21, 1 << 25, 1 << 30],
        window_base: 0,
        window: 1 << 32,
    },
    Setup {
        format: Format::Stage1,
        granule: Granule::K16,
        input_bits: 47,
        units: &[1 << 14, 1 << 25],
        window_base: 0,
        window: 1 << 31,
    },
    Setup {
        format: Format::Stage1,
        granule: Granule::K64,
        input_bits: 42,
        units: &[1 << 16, 1 << 21, 1 << 29],
        window_base: 0,
        window: 1 << 33,
    },
    Setup {
        format: Format::Stage1,
        granule: Granule::K64,
        input_bits: 48,
        units: &[1 << 16, 1 << 29],
        window_base: (1 << 42) - (1 << 31),
        window: 1 << 32,
    },
    // Stage 2 around the boundary between concatenated root tables.
    Setup {
        format: Format::Stage2 { start_level: 1 },
        granule: Granule::K4,
        input_bits: 40,
        units: &[1 << 12, 1 << 21, 1 << 30],
        window_base: (1 << 39) - (1 << 32),
        window: 1 << 33,
    },
    Setup {
        format: Format::Stage2 { start_level: 2 },
        granule: Granule::K16,
        input_bits: 40,
        units: &[1 << 14, 1 << 25],
        window_base: (1 << 36) - (1 << 31),
        window: 1 << 32,
    },
    Setup {
        format: Format::Stage2 { start_level: 2 },
        granule: Granule::K64,
        input_bits: 46,
        units: &[1 << 16, 1 << 29],
        window_base: (1 << 42) - (1 << 32),
        window: 1 << 33,
    },
    Setup {
        format: Format::Lpae(InputRange::Lower),
        granule: Granule::K4,
        input_bits: 32,
        units: &[1 << 12, 1 << 21, 1 << 30],
        window_base: 0,
        window: 1 << 32,
    },
    Setup {
        format: Format::Lpae(InputRange::Upper),
        granule: Granule::K4,
        input_bits: 30,
        units: &[1 << 12, 1 << 16, 1 << 21],
        window_base: (1 << 32) - (1 << 30),
        window: 1 << 30,
    },
];

const OUTPUT_BITS: u32 = 40;
const OPS_PER_RUN: usize = 50;
const SAMPLES_PER_OP: usize = 40;
/// The structural check reads every descriptor, so it runs now and then.
const INVARIANT_EVERY: usize = 10;

fn random_attrs(rng: &mut Rng, format: Format) -> Attributes {
    match format {
        Format::Stage2 { .. } => Attributes::Stage2(Stage2Attributes {
            mem_attr: rng.pick(&[0b0000, 0b0001, 0b0101, 0b1010, 0b1111, 0b0111]),
            shareability: rng.pick(&[
                Shareability::NonShareable,
                Shareability::Outer,
                Shareability::Inner,
            ]),
            access: rng.pick(&Stage2Access::ALL),
            xn: rng.one_in(2),
            access_flag: !rng.one_in(8),
            contiguous: rng.one_in(2),
        }),
        _ => Attributes::Stage1(Stage1Attributes {
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
        }),
    }
}

/// Stage-1 permissions written out from the ARM ARM's tables, independently
/// of the walker's code. `lpae`: XN also forbids PL1 execution and there is
/// no implicit PXN for PL0-writable memory (UWXN is off).
fn stage1_permissions(a: &Stage1Attributes, lpae: bool) -> Permissions {
    let (el0, ro) = match a.access {
        AccessPermissions::PrivilegedReadWrite => (false, false),
        AccessPermissions::ReadWrite => (true, false),
        AccessPermissions::PrivilegedReadOnly => (false, true),
        AccessPermissions::ReadOnly => (true, true),
    };
    let el0_write = el0 && !ro;
    let el1_execute = if lpae {
        !a.pxn && !a.uxn
    } else {
        !a.pxn && !el0_write
    };
    Permissions {
        el0: Rwx {
            read: el0,
            write: el0_write,
            execute: !a.uxn,
        },
        el1: Rwx {
            read: true,
            write: !ro,
            execute: el1_execute,
        },
        el0_accessible: el0,
    }
}

/// MemAttr as a MAIR byte: Device types keep their low bits; Normal
/// nibbles are NC (0b0100), WT (0b1011) or WB (0b1111).
fn stage2_mair(mem_attr: u8) -> u8 {
    if mem_attr >> 2 == 0 {
        return mem_attr << 2;
    }
    let nibble = |v: u8| match v {
        0b10 => 0b1011,
        0b11 => 0b1111,
        _ => 0b0100,
    };
    (nibble(mem_attr >> 2) << 4) | nibble(mem_attr & 0b11)
}

struct Subject {
    format: Format,
    table: PageTable,
    arena: Arena,
}

impl Subject {
    fn translate(&self, input: u64) -> Result<Translation, Fault> {
        let read = Access::new(El::El1, AccessKind::Read);
        match self.format {
            Format::Stage1 => Walker::new(FEATURES, &self.arena)
                .with_stage1(s1_regs(Some(&self.table), None))
                .translate(Walk::Stage1(VirtAddr(input)), read),
            Format::Stage2 { .. } => {
                let regs = Stage2Regs {
                    vtcr: self.table.config().vtcr_el2_bits(),
                    vttbr: self.table.root().0,
                };
                Walker::new(FEATURES, &self.arena)
                    .with_stage2(regs)
                    .translate(Walk::Stage2(IntermPhysAddr(input)), read)
            }
            Format::Lpae(range) => {
                let root = self.table.root().0;
                let bits = self.table.config().ttbcr_bits();
                // The 32-bit lower table covers everything (T1SZ = 0); the
                // upper one gets a disabled 1G TTBR0 range below it.
                let (ttbcr, ttbr0, ttbr1) = match range {
                    InputRange::Lower => (bits, root, 0),
                    InputRange::Upper => (bits | 2 | TTBCR::EPD0::SET.value, 0, root),
                };
                let regs = LpaeRegs {
                    sctlr: SCTLR::M::SET.value,
                    ttbcr,
                    ttbr0,
                    ttbr1,
                    mair: MAIR,
                    pan: false,
                };
                Walker::new(Features::QEMU_MAX, &self.arena)
                    .with_lpae(regs)
                    .translate(Walk::Lpae(input as u32), read)
            }
        }
    }
}

/// Check the walker against the model at `input`.
fn check_address(subject: &Subject, shadow: &Shadow<Attributes>, input: u64) {
    let result = subject.translate(input);
    let Some((pa, attrs)) = shadow.lookup(input) else {
        match result {
            Err(fault) => assert_eq!(fault.kind, FaultKind::Translation, "{input:#x}"),
            Ok(t) => panic!("{input:#x} unmapped in the model but walks to {t:x?}"),
        }
        return;
    };
    let (af, readable) = match attrs {
        Attributes::Stage1(a) => (a.access_flag, true),
        Attributes::Stage2(a) => (a.access_flag, a.access.bits() & 1 != 0),
    };
    let t = match result {
        Err(fault) if !af => return assert_eq!(fault.kind, FaultKind::AccessFlag, "{input:#x}"),
        Err(fault) if !readable => {
            return assert_eq!(fault.kind, FaultKind::Permission, "{input:#x}")
        }
        Err(fault) => panic!("{input:#x} should map to {pa:#x} {attrs:?}: {fault}"),
        Ok(t) => t,
    };
    assert!(af && readable, "{input:#x} {attrs:?} walks to {t:x?}");
    assert_eq!(t.output, PhysAddr(pa), "{input:#x}");
    match attrs {
        Attributes::Stage1(a) => {
            let lpae = matches!(subject.format, Format::Lpae(_));
            assert_eq!(
                t.permissions,
                stage1_permissions(&a, lpae),
                "{input:#x} {a:?}"
            );
            assert_eq!(t.attributes.mair, mair_byte(a.attr_index));
            assert_eq!(t.attributes.shareability, a.shareability);
            assert_eq!(t.global, !a.not_global);
        }
        Attributes::Stage2(a) => {
            let rights = Rwx {
                read: true,
                write: a.access.bits() & 2 != 0,
                execute: !a.xn,
            };
            assert_eq!((t.permissions.el0, t.permissions.el1), (rights, rights));
            assert_eq!(t.attributes.mair, stage2_mair(a.mem_attr), "{a:?}");
            assert_eq!(t.attributes.shareability, a.shareability);
        }
    }
    // The TLB entry the walker allows must be uniform in the model.
    let base = t.input_base();
    assert!(
        shadow.uniform(base, 1 << t.size_log2, t.output_base().0, attrs),
        "{input:#x}: entry of 2^{} at {base:#x} is not uniform",
        t.size_log2
    );
}

fn config(setup: &Setup) -> TableConfig {
    match setup.format {
        Format::Stage1 => TableConfig::stage1(setup.granule, setup.input_bits, OUTPUT_BITS),
        Format::Stage2 { start_level } => {
            TableConfig::stage2(setup.granule, setup.input_bits, start_level, OUTPUT_BITS)
        }
        Format::Lpae(range) => TableConfig::lpae(setup.input_bits, range),
    }
    .unwrap()
}

fn run(setup: &Setup, seed: u64, live: bool) {
    let mut rng = Rng(seed);
    let mut arena = Arena::new();
    arena.audit_break_before_make = live;
    let mut table = PageTable::new(config(setup), &mut arena).unwrap();
    table.set_live(live);
    let mut subject = Subject {
        format: setup.format,
        table,
        arena,
    };
    let mut shadow: Shadow<Attributes> = Shadow::new();
    let page = setup.granule.size();
    let (lo, hi) = (setup.window_base, setup.window_base + setup.window);
    for op in 0..OPS_PER_RUN {
        let unit = rng.pick(setup.units);
        let offset = rng.below(setup.window / unit) * unit
            + if rng.one_in(4) {
                page * rng.below(4)
            } else {
                0
            };
        let start = lo + offset.min(setup.window - page);
        let len =
            ((1 + rng.below(4)) * unit + if rng.one_in(4) { page } else { 0 }).min(hi - start);
        let end = start + len;
        // Output keeps the input's alignment most of the time, so blocks
        // and runs happen; sometimes it is a page off, so they cannot.
        let shift = if rng.one_in(4) { page } else { 0 };
        let output = if rng.one_in(3) {
            let unit = rng.pick(setup.units);
            rng.below((1u64 << OUTPUT_BITS) / unit - 2 * setup.window / unit) * unit + shift
        } else {
            (1u64 << 35) + (start - lo) + shift
        };
        let mut attrs = random_attrs(&mut rng, setup.format);
        let (table, arena) = (&mut subject.table, &mut subject.arena);
        match rng.below(4) {
            0 | 1 => {
                let result = table.map(arena, start, PhysAddr(output), len, attrs);
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
            2 => match table.unmap(arena, start, len) {
                Ok(()) => shadow.unmap(start, end),
                Err(MapError::BreakBeforeMake { .. }) if live => {}
                Err(e) => panic!("unmap: {e}"),
            },
            _ => {
                // On a live table, keep memory type and nG so that only a
                // split or a broken run needs break-before-make.
                if let (true, Some((_, old))) = (live, shadow.lookup(start)) {
                    attrs = match (attrs, old) {
                        (Attributes::Stage1(mut a), Attributes::Stage1(o)) => {
                            a.attr_index = o.attr_index;
                            a.shareability = o.shareability;
                            a.not_global = o.not_global;
                            Attributes::Stage1(a)
                        }
                        (Attributes::Stage2(mut a), Attributes::Stage2(o)) => {
                            a.mem_attr = o.mem_attr;
                            a.shareability = o.shareability;
                            Attributes::Stage2(a)
                        }
                        (a, _) => a,
                    };
                }
                match table.protect(arena, start, len, attrs) {
                    Ok(()) => shadow.protect(start, end, attrs),
                    Err(MapError::BreakBeforeMake { .. }) if live => {}
                    Err(e) => panic!("protect: {e}"),
                }
            }
        }
        subject.arena.assert_clean();
        let mut probes: Vec<u64> = (0..SAMPLES_PER_OP)
            .map(|_| lo + (rng.below(setup.window) & !7))
            .collect();
        probes.extend([start, end - 8, end, start.saturating_sub(8)]);
        for input in probes {
            if (lo..hi).contains(&input) {
                check_address(&subject, &shadow, input);
            }
        }
        if op % INVARIANT_EVERY == 0 {
            let problems = invariants::check(&subject.table, &subject.arena);
            assert!(problems.is_empty(), "{problems:#?}");
        }
    }
    let problems = invariants::check(&subject.table, &subject.arena);
    assert!(problems.is_empty(), "{problems:#?}");
    subject.table.destroy(&mut subject.arena);
    subject.arena.assert_no_leaks();
}

#[test]
fn builder_and_walker_agree_on_random_operations() {
    for (i, setup) in SETUPS.iter().enumerate() {
        for seed in 0..3 {
            run(setup, seed * 131 + i as u64, false);
        }
    }
}

#[test]
fn builder_and_walker_agree_on_a_live_table() {
    for (i, setup) in SETUPS.iter().enumerate() {
        for seed in 0..2 {
            run(setup, seed * 977 + i as u64, true);
        }
    }
}
