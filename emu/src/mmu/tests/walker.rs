//! Stage-1 walker tests on hand-built tables: every granule, start level and
//! block level, every fault kind at every level, TTBR1, TBI, TnSZ limits,
//! hierarchical and architectural permission rules, ASIDs.

use super::arena::{Aborting, Arena};
use super::hand::{chain, leaf, AF};
use super::{mair_byte, FEATURES, MAIR};
use crate::addr::{PhysAddr, VirtAddr};
use crate::arch::sysreg::{self, SCTLR_EL1, TCR_EL1};
use crate::granule::Granule;
use crate::mmu::descriptor::{
    AP_EL0, AP_RO, AP_TABLE_NO_EL0, AP_TABLE_RO, CONTIGUOUS, NG, PXN, PXN_TABLE, UXN, XN_TABLE,
};
use crate::mmu::fault::{Access, AccessKind, El, Fault, FaultKind};
use crate::mmu::geometry::{
    block_allowed, contiguous_entries_log2, level_shift, mask, stage1_start_level, Geometry,
};
use crate::mmu::regime::{Features, Stage1Regs, TnszOutOfRange};
use crate::mmu::translation::Translation;
use crate::mmu::{Walk, Walker};
use std::collections::BTreeSet;
use std::vec::Vec;

const R1: Access = Access::new(El::El1, AccessKind::Read);
const W1: Access = Access::new(El::El1, AccessKind::Write);
const X1: Access = Access::new(El::El1, AccessKind::Execute);
const R0: Access = Access::new(El::El0, AccessKind::Read);
const W0: Access = Access::new(El::El0, AccessKind::Write);
const X0: Access = Access::new(El::El0, AccessKind::Execute);

/// IPS = 0b010: 40 bits.
const IPS_40: u64 = 0b010;
const PS_BITS: u32 = 40;
/// An output address aligned for every block size, below 2^40.
const OUT: u64 = 0x40_0000_0000;
const VA_PATTERN: u64 = 0x0000_9234_5678_9ab8;

/// The input sizes that exercise every start level of each granule
/// (21 and 16/17-bit ones need FEAT_TTST).
fn input_sizes(granule: Granule) -> &'static [u32] {
    match granule {
        Granule::K4 => &[48, 40, 39, 31, 30, 25, 21, 16],
        Granule::K16 => &[48, 47, 37, 36, 26, 25, 16],
        Granule::K64 => &[48, 43, 42, 30, 29, 17],
    }
}

fn regs_for(granule: Granule, input_bits: u32, root: u64) -> Stage1Regs {
    Stage1Regs {
        sctlr: SCTLR_EL1::M::SET.value,
        tcr: u64::from(64 - input_bits)
            | sysreg::tg0(granule).value
            | TCR_EL1::IPS.val(IPS_40).value
            | TCR_EL1::EPD1::SET.value,
        ttbr0: root,
        ttbr1: 0,
        mair: MAIR,
        pan: false,
    }
}

fn geometry(granule: Granule, input_bits: u32) -> Geometry {
    Geometry {
        granule,
        input_bits,
        start_level: stage1_start_level(granule, input_bits),
    }
}

fn walk(regs: &Stage1Regs, va: u64, access: Access, arena: &Arena) -> Result<Translation, Fault> {
    Walker::new(FEATURES, arena)
        .with_stage1(*regs)
        .translate(Walk::Stage1(VirtAddr(va)), access)
}

fn expect_fault(result: Result<Translation, Fault>, kind: FaultKind, level: u8, what: &str) {
    match result {
        Err(f) => {
            assert_eq!((f.kind, f.level), (kind, level), "{what}: {f}");
            assert!(!f.s1ptw);
        }
        Ok(t) => panic!("{what}: expected {kind:?} at level {level}, got {t:x?}"),
    }
}

fn none(_: u8) -> u64 {
    0
}

#[test]
fn every_granule_start_level_and_block_level_translates() {
    let mut checked = BTreeSet::new();
    for granule in Granule::ALL {
        for &bits in input_sizes(granule) {
            let g = geometry(granule, bits);
            let va = VA_PATTERN & mask(bits);
            for level in g.start_level..=3 {
                if !(level == 3 || block_allowed(granule, level)) {
                    continue;
                }
                let mut arena = Arena::new();
                let c = chain(
                    &mut arena,
                    g,
                    va,
                    level,
                    &none,
                    leaf(level, OUT, AF | (3 << 2)),
                );
                let regs = regs_for(granule, bits, c.root);
                let t = walk(&regs, va, R1, &arena).unwrap();
                let shift = level_shift(granule, level);
                assert_eq!(
                    t.output,
                    PhysAddr(OUT | (va & mask(shift))),
                    "{granule} {bits} L{level}"
                );
                assert_eq!((t.level, t.size_log2), (level, shift));
                assert_eq!(t.attributes.mair, mair_byte(3));
                checked.insert((granule, g.start_level, level));
            }
        }
    }
    // (start level, leaf level) pairs: 4K starts 0-3 with leaves at 1-3
    // (3 + 3 + 2 + 1); 16K starts 0-3 with leaves at 2-3 (2 + 2 + 2 + 1);
    // 64K starts 1-3 with leaves at 2-3 (2 + 2 + 1).
    assert_eq!(checked.len(), 9 + 7 + 5);
}

#[test]
fn every_fault_kind_at_every_level() {
    for granule in Granule::ALL {
        for &bits in input_sizes(granule) {
            let g = geometry(granule, bits);
            let va = VA_PATTERN & mask(bits);
            for level in g.start_level..=3 {
                let what =
                    |kind: &str| std::format!("{granule} {bits}-bit, {kind} at level {level}");
                let leaf_ok = level == 3 || block_allowed(granule, level);
                // Translation: invalid descriptor.
                let mut arena = Arena::new();
                let c = chain(&mut arena, g, va, level, &none, 0x7fc);
                expect_fault(
                    walk(&regs_for(granule, bits, c.root), va, R1, &arena),
                    FaultKind::Translation,
                    level,
                    &what("invalid"),
                );
                // Translation: a block where none is allowed (level 3: the
                // block encoding is reserved).
                if !block_allowed(granule, level) {
                    let mut arena = Arena::new();
                    let c = chain(&mut arena, g, va, level, &none, OUT | AF | 0b01);
                    expect_fault(
                        walk(&regs_for(granule, bits, c.root), va, R1, &arena),
                        FaultKind::Translation,
                        level,
                        &what("reserved block"),
                    );
                }
                // Address size: a table address beyond the 40-bit PS.
                if level < 3 {
                    let mut arena = Arena::new();
                    let c = chain(&mut arena, g, va, level, &none, (1 << 44) | 0b11);
                    expect_fault(
                        walk(&regs_for(granule, bits, c.root), va, R1, &arena),
                        FaultKind::AddressSize,
                        level,
                        &what("table beyond PS"),
                    );
                }
                if leaf_ok {
                    let shift = level_shift(granule, level);
                    // Address size: an output address beyond PS.
                    let mut arena = Arena::new();
                    let c = chain(&mut arena, g, va, level, &none, leaf(level, 1 << 41, AF));
                    expect_fault(
                        walk(&regs_for(granule, bits, c.root), va, R1, &arena),
                        FaultKind::AddressSize,
                        level,
                        &what("output beyond PS"),
                    );
                    // Access flag.
                    let mut arena = Arena::new();
                    let c = chain(&mut arena, g, va, level, &none, leaf(level, OUT, 0));
                    expect_fault(
                        walk(&regs_for(granule, bits, c.root), va, R1, &arena),
                        FaultKind::AccessFlag,
                        level,
                        &what("AF clear"),
                    );
                    // Permission: write to read-only.
                    let mut arena = Arena::new();
                    let c = chain(
                        &mut arena,
                        g,
                        va,
                        level,
                        &none,
                        leaf(level, OUT, AF | AP_RO),
                    );
                    let regs = regs_for(granule, bits, c.root);
                    expect_fault(
                        walk(&regs, va, W1, &arena),
                        FaultKind::Permission,
                        level,
                        &what("write to RO"),
                    );
                    assert_eq!(walk(&regs, va, R1, &arena).unwrap().size_log2, shift);
                    // External abort on each level's descriptor read.
                    for abort_level in g.start_level..=level {
                        let memory = Aborting {
                            arena: &arena,
                            aborts: BTreeSet::from([c.slot(abort_level)]),
                        };
                        let result = Walker::new(FEATURES, &memory)
                            .with_stage1(regs)
                            .translate(Walk::Stage1(VirtAddr(va)), R1);
                        expect_fault(
                            result,
                            FaultKind::ExternalAbortOnWalk,
                            abort_level,
                            &what("abort"),
                        );
                    }
                }
            }
        }
    }
}

fn simple_page(granule: Granule, bits: u32, va: u64, leaf_bits: u64) -> (Arena, Stage1Regs) {
    let mut arena = Arena::new();
    let c = chain(
        &mut arena,
        geometry(granule, bits),
        va,
        3,
        &none,
        leaf(3, OUT, AF | leaf_bits),
    );
    let regs = regs_for(granule, bits, c.root);
    (arena, regs)
}

#[test]
fn ttbr_beyond_the_output_size_is_an_address_size_fault_at_level_0() {
    let (arena, mut regs) = simple_page(Granule::K4, 39, 0x1000, 0);
    regs.ttbr0 |= 1 << 42;
    expect_fault(
        walk(&regs, 0x1000, R1, &arena),
        FaultKind::AddressSize,
        0,
        "TTBR0 beyond PS",
    );
    assert_eq!(walk(&regs, 0x1000, R1, &arena).unwrap_err().fsc(), 0x00);
}

#[test]
fn epd_and_addresses_outside_both_ranges_fault_at_level_0() {
    let (arena, mut regs) = simple_page(Granule::K4, 39, 0x1000, 0);
    assert!(walk(&regs, 0x1000, R1, &arena).is_ok());
    // Above the 39-bit TTBR0 range, below the TTBR1 range.
    expect_fault(
        walk(&regs, 1 << 39, R1, &arena),
        FaultKind::Translation,
        0,
        "gap",
    );
    expect_fault(
        walk(&regs, 0x00ff_0000_0000_1000, R1, &arena),
        FaultKind::Translation,
        0,
        "top byte",
    );
    // TTBR1 range, disabled by EPD1.
    expect_fault(
        walk(&regs, u64::MAX - 0xfff, R1, &arena),
        FaultKind::Translation,
        0,
        "EPD1",
    );
    regs.tcr |= TCR_EL1::EPD0::SET.value;
    expect_fault(
        walk(&regs, 0x1000, R1, &arena),
        FaultKind::Translation,
        0,
        "EPD0",
    );
}

#[test]
fn ttbr1_uses_the_tg1_encoding_for_every_granule() {
    for granule in Granule::ALL {
        let bits = 42;
        let g = geometry(granule, bits);
        let va = u64::MAX << bits | 0x1234_5000 | (1 << 38);
        let va = va & !granule.offset_mask();
        let mut arena = Arena::new();
        let c = chain(&mut arena, g, va, 3, &none, leaf(3, OUT, AF));
        let regs = Stage1Regs {
            sctlr: SCTLR_EL1::M::SET.value,
            tcr: TCR_EL1::T1SZ.val(u64::from(64 - bits)).value
                | sysreg::tg1(granule).value
                | TCR_EL1::IPS.val(IPS_40).value
                | TCR_EL1::EPD0::SET.value,
            ttbr1: c.root,
            mair: MAIR,
            ..Default::default()
        };
        let t = walk(&regs, va + 0x18, R1, &arena).unwrap();
        assert_eq!(t.output, PhysAddr(OUT + 0x18), "{granule}");
        assert_eq!(t.size_log2, granule.shift());
    }
    // The same two bits mean different granules in TG0 and TG1.
    assert_eq!(sysreg::tg0_granule(0b10), Some(Granule::K16));
    assert_eq!(sysreg::tg1_granule(0b10), Some(Granule::K4));
    assert_eq!(sysreg::tg1_granule(0b00), None);
}

#[test]
fn reserved_or_unimplemented_granule_falls_back_to_4k() {
    let (arena, mut regs) = simple_page(Granule::K4, 39, 0x2000, 0);
    regs.tcr |= sysreg::bits(TCR_EL1::TG0);
    assert!(walk(&regs, 0x2000, R1, &arena).is_ok());
    let a53 = Features::armv8_0(40);
    regs.tcr = (regs.tcr & !(sysreg::bits(TCR_EL1::TG0))) | sysreg::tg0(Granule::K16).value;
    assert!(Walker::new(a53, &arena)
        .with_stage1(regs)
        .translate(Walk::Stage1(VirtAddr(0x2000)), R1)
        .is_ok());
}

#[test]
fn top_byte_ignore_applies_to_data_and_to_fetches_unless_tbid() {
    let (arena, mut regs) = simple_page(Granule::K4, 39, 0x3000, 0);
    let tagged = 0x5a00_0000_0000_3000;
    expect_fault(
        walk(&regs, tagged, R1, &arena),
        FaultKind::Translation,
        0,
        "no TBI",
    );
    regs.tcr |= TCR_EL1::TBI0::SET.value;
    assert_eq!(
        walk(&regs, tagged, R1, &arena).unwrap().output,
        PhysAddr(OUT)
    );
    assert!(walk(&regs, tagged, X1, &arena).is_ok());
    regs.tcr |= TCR_EL1::TBID0::SET.value;
    expect_fault(
        walk(&regs, tagged, X1, &arena),
        FaultKind::Translation,
        0,
        "TBID0 fetch",
    );
}

#[test]
fn tnsz_out_of_range_clamps_or_faults_as_configured() {
    // T0SZ = 10 (< 16): clamped to a 48-bit range, or a level 0 fault.
    let g = geometry(Granule::K4, 48);
    let mut arena = Arena::new();
    let c = chain(&mut arena, g, 0x4000, 3, &none, leaf(3, OUT, AF));
    let mut regs = regs_for(Granule::K4, 48, c.root);
    regs.tcr = (regs.tcr & !0x3f) | 10;
    let clamping = Features {
        tnsz_out_of_range: TnszOutOfRange::Clamp,
        ..FEATURES
    };
    assert!(Walker::new(clamping, &arena)
        .with_stage1(regs)
        .translate(Walk::Stage1(VirtAddr(0x4000)), R1)
        .is_ok());
    let strict = Features {
        tnsz_out_of_range: TnszOutOfRange::Fault,
        ..FEATURES
    };
    let r = Walker::new(strict, &arena)
        .with_stage1(regs)
        .translate(Walk::Stage1(VirtAddr(0x4000)), R1);
    expect_fault(r, FaultKind::Translation, 0, "T0SZ 10 strict");
    // T0SZ = 45 is fine with FEAT_TTST but beyond 39 without it.
    let g = geometry(Granule::K4, 19);
    let mut arena = Arena::new();
    let c = chain(&mut arena, g, 0x5000, 3, &none, leaf(3, OUT, AF));
    let regs = regs_for(Granule::K4, 19, c.root);
    assert_eq!(walk(&regs, 0x5000, R1, &arena).unwrap().level, 3);
    let v80 = Features {
        tnsz_out_of_range: TnszOutOfRange::Fault,
        ..Features::armv8_0(40)
    };
    let r = Walker::new(v80, &arena)
        .with_stage1(regs)
        .translate(Walk::Stage1(VirtAddr(0x5000)), R1);
    expect_fault(r, FaultKind::Translation, 0, "T0SZ 45 without TTST");
}

fn rights(t: &Translation) -> [bool; 6] {
    let p = t.permissions;
    [
        p.el0.read,
        p.el0.write,
        p.el0.execute,
        p.el1.read,
        p.el1.write,
        p.el1.execute,
    ]
}

#[test]
fn access_permissions_follow_the_arm_arm_table() {
    // (leaf bits, [EL0 r w x, EL1 r w x])
    let cases: [(u64, [bool; 6]); 8] = [
        (0, [false, false, true, true, true, true]),
        (AP_EL0, [true, true, true, true, true, false]), // EL0-writable: never EL1-executable
        (AP_RO, [false, false, true, true, false, true]),
        (AP_RO | AP_EL0, [true, false, true, true, false, true]),
        (UXN, [false, false, false, true, true, true]),
        (PXN, [false, false, true, true, true, false]),
        (
            AP_RO | AP_EL0 | UXN | PXN,
            [true, false, false, true, false, false],
        ),
        (AP_EL0 | PXN, [true, true, true, true, true, false]),
    ];
    for (bits, expected) in cases {
        let (arena, regs) = simple_page(Granule::K16, 36, 0x8000, bits);
        let t = walk(&regs, 0x8000, R1, &arena).unwrap();
        assert_eq!(rights(&t), expected, "bits {bits:#x}");
        for (access, allowed) in [R0, W0, X0, R1, W1, X1].into_iter().zip(expected) {
            let r = walk(&regs, 0x8000, access, &arena);
            assert_eq!(r.is_ok(), allowed, "bits {bits:#x} {access:?}");
            if !allowed {
                expect_fault(r, FaultKind::Permission, 3, "permission");
            }
        }
    }
}

#[test]
fn wxn_makes_writable_memory_execute_never() {
    let (arena, mut regs) = simple_page(Granule::K4, 39, 0x8000, AP_EL0);
    regs.sctlr |= SCTLR_EL1::WXN::SET.value;
    let t = walk(&regs, 0x8000, R1, &arena).unwrap();
    assert_eq!(rights(&t), [true, true, false, true, true, false]);
    let (arena, mut regs) = simple_page(Granule::K4, 39, 0x8000, AP_RO | AP_EL0);
    regs.sctlr |= SCTLR_EL1::WXN::SET.value;
    assert_eq!(
        rights(&walk(&regs, 0x8000, R1, &arena).unwrap()),
        [true, false, true, true, false, true]
    );
}

#[test]
fn pan_forbids_el1_data_access_to_el0_pages() {
    let (arena, mut regs) = simple_page(Granule::K4, 39, 0x8000, AP_EL0 | AP_RO);
    regs.pan = true;
    expect_fault(
        walk(&regs, 0x8000, R1, &arena),
        FaultKind::Permission,
        3,
        "PAN read",
    );
    assert!(walk(&regs, 0x8000, X1, &arena).is_ok());
    assert!(walk(&regs, 0x8000, R0, &arena).is_ok());
    let (arena, mut regs) = simple_page(Granule::K4, 39, 0x8000, 0);
    regs.pan = true;
    assert!(walk(&regs, 0x8000, W1, &arena).is_ok());
}

#[test]
fn table_attributes_restrict_every_level_below_unless_hpd() {
    let va = 0x40_0000_8000;
    let g = geometry(Granule::K4, 48);
    for (level_with_bits, table_bits, expected) in [
        (0u8, AP_TABLE_RO, [true, false, true, true, false, true]),
        (1, AP_TABLE_NO_EL0, [false, false, true, true, true, true]),
        (2, XN_TABLE, [true, true, false, true, true, false]),
        (1, PXN_TABLE, [true, true, true, true, true, false]),
        (
            2,
            AP_TABLE_NO_EL0 | AP_TABLE_RO,
            [false, false, true, true, false, true],
        ),
    ] {
        let mut arena = Arena::new();
        let bits = move |level: u8| {
            if level == level_with_bits {
                table_bits
            } else {
                0
            }
        };
        let c = chain(&mut arena, g, va, 3, &bits, leaf(3, OUT, AF | AP_EL0));
        let mut regs = regs_for(Granule::K4, 48, c.root);
        let t = walk(&regs, va, R1, &arena).unwrap();
        assert_eq!(
            rights(&t),
            expected,
            "{table_bits:#x} at level {level_with_bits}"
        );
        // HPD0 (FEAT_HPDS) turns the table bits off.
        regs.tcr |= TCR_EL1::HPD0::SET.value;
        let t = walk(&regs, va, R1, &arena).unwrap();
        assert_eq!(rights(&t), [true, true, true, true, true, false]);
    }
}

#[test]
fn not_global_entries_carry_the_asid_selected_by_a1_and_as() {
    let (arena, mut regs) = simple_page(Granule::K4, 39, 0x8000, NG);
    regs.ttbr0 |= 0xbeef << 48;
    regs.ttbr1 = 0x1234 << 48;
    let t = walk(&regs, 0x8000, R1, &arena).unwrap();
    assert_eq!((t.global, t.asid), (false, Some(0xef)));
    regs.tcr |= TCR_EL1::AS::SET.value;
    assert_eq!(walk(&regs, 0x8000, R1, &arena).unwrap().asid, Some(0xbeef));
    regs.tcr |= TCR_EL1::A1::SET.value;
    assert_eq!(walk(&regs, 0x8000, R1, &arena).unwrap().asid, Some(0x1234));
    let (arena, regs) = simple_page(Granule::K4, 39, 0x8000, 0);
    let t = walk(&regs, 0x8000, R1, &arena).unwrap();
    assert_eq!((t.global, t.asid), (true, None));
}

#[test]
fn hardware_access_flag_management_suppresses_the_fault() {
    let mut arena = Arena::new();
    let c = chain(
        &mut arena,
        geometry(Granule::K64, 42),
        0x10000,
        3,
        &none,
        leaf(3, OUT, 0),
    );
    let mut regs = regs_for(Granule::K64, 42, c.root);
    expect_fault(
        walk(&regs, 0x10000, R1, &arena),
        FaultKind::AccessFlag,
        3,
        "AF",
    );
    regs.tcr |= TCR_EL1::HA::SET.value;
    let with_ha = Features::QEMU_MAX;
    assert!(Walker::new(with_ha, &arena)
        .with_stage1(regs)
        .translate(Walk::Stage1(VirtAddr(0x10000)), R1)
        .is_ok());
    // Without FEAT_HAFDBS the HA bit means nothing.
    let r = Walker::new(Features::armv8_0(40), &arena)
        .with_stage1(regs)
        .translate(Walk::Stage1(VirtAddr(0x10000)), R1);
    expect_fault(r, FaultKind::AccessFlag, 3, "HA without the feature");
}

#[test]
fn contiguous_bit_is_reported_as_the_run_size() {
    for granule in Granule::ALL {
        for level in [2u8, 3] {
            let bits = 42;
            let g = geometry(granule, bits);
            if level < g.start_level || !(level == 3 || block_allowed(granule, level)) {
                continue;
            }
            let mut arena = Arena::new();
            let c = chain(
                &mut arena,
                g,
                0,
                level,
                &none,
                leaf(level, OUT, AF | CONTIGUOUS),
            );
            let t = walk(&regs_for(granule, bits, c.root), 0, R1, &arena).unwrap();
            let expected = level_shift(granule, level) + contiguous_entries_log2(granule, level);
            assert_eq!(
                (t.size_log2, t.contiguous),
                (expected, true),
                "{granule} L{level}"
            );
        }
    }
    assert_eq!(contiguous_entries_log2(Granule::K16, 3), 7);
    assert_eq!(contiguous_entries_log2(Granule::K16, 2), 5);
    assert_eq!(contiguous_entries_log2(Granule::K64, 3), 5);
    assert_eq!(contiguous_entries_log2(Granule::K4, 1), 4);
}

#[test]
fn traced_walk_records_each_step() {
    let va = 0x40_0000_8000;
    let mut arena = Arena::new();
    let c = chain(
        &mut arena,
        geometry(Granule::K4, 48),
        va,
        3,
        &none,
        leaf(3, OUT, AF),
    );
    let regs = regs_for(Granule::K4, 48, c.root);
    let (result, trace) = Walker::new(FEATURES, &arena)
        .with_stage1(regs)
        .trace(Walk::Stage1(VirtAddr(va)), R1);
    assert!(result.is_ok());
    let steps: Vec<_> = trace
        .steps()
        .map(|s| (s.level, s.table + 8 * s.index as u64))
        .collect();
    assert_eq!(steps, c.slots);
    let last = trace.steps().last().unwrap();
    assert_eq!(last.descriptor, leaf(3, OUT, AF));
    let line = std::string::ToString::to_string(last);
    assert!(
        line.starts_with("s1 L3 ") && line.ends_with("page 0x4000000000 AttrIndx=0 AP=00 SH=00 AF"),
        "{line}"
    );
}

#[test]
fn features_decode_from_the_id_registers() {
    // Cortex-A53: PARange 40 bits, 4K and 64K granules, no 16K.
    let a53 = Features::from_id_registers(0x0000_0000_0000_1122, 0, 0, TnszOutOfRange::Clamp);
    assert_eq!(a53, Features::armv8_0(40));
    // A CPU with everything: 48-bit PA, 16K, HAFDBS, HPDS, TTST.
    let max = Features::from_id_registers(
        0x0000_0000_0010_0105 | (1 << 20),
        0x1002,
        0x1000_0000,
        TnszOutOfRange::Fault,
    );
    assert_eq!(max, Features::QEMU_MAX);
}

#[test]
fn stage1_off_is_a_flat_mapping_within_the_pa_size() {
    let arena = Arena::new();
    let regs = Stage1Regs {
        tcr: TCR_EL1::IPS.val(IPS_40).value,
        ..Default::default()
    };
    assert_eq!(
        walk(&regs, 0x1234_5678, W0, &arena).unwrap().output,
        PhysAddr(0x1234_5678)
    );
    let r = Walker::new(Features::armv8_0(PS_BITS), &arena)
        .with_stage1(regs)
        .translate(Walk::Stage1(VirtAddr(1 << 41)), R1);
    expect_fault(r, FaultKind::AddressSize, 0, "flat beyond PA");
}

/// The kernel refuses a host granule exactly when the one ID register
/// decoder says stage 1 lacks it (`memory::mmu::switch_granule` checks
/// `MmuFeatures::stage1`); the walker, given the same decoded features,
/// must then use that granule exactly when the kernel would accept it, and
/// fall back otherwise. Checked for every value of TGran4, TGran16 and
/// TGran64.
#[test]
fn the_kernels_granule_refusal_and_the_walkers_fallback_agree() {
    use crate::arch::id::MmuFeatures;
    let pages: Vec<_> = Granule::ALL
        .into_iter()
        .map(|g| (g, simple_page(g, 39, 0x4000_0000, 0)))
        .collect();
    for tgran4 in 0..16u64 {
        for tgran16 in 0..16u64 {
            for tgran64 in 0..16u64 {
                let mmfr0 = (tgran4 << 28) | (tgran64 << 24) | (tgran16 << 20) | 2;
                let id = MmuFeatures::decode(mmfr0, 0, 0);
                if id.stage1.is_empty() {
                    // No CPU lacks every granule; the walker still picks one.
                    continue;
                }
                let features = Features::from_mmu_features(&id, TnszOutOfRange::Clamp);
                for (granule, (arena, regs)) in &pages {
                    let kernel_accepts = id.stage1.contains(*granule);
                    let used = Walker::new(features, arena)
                        .with_stage1(*regs)
                        .translate(Walk::Stage1(VirtAddr(0x4000_0000)), R1)
                        .map(|t| t.granule);
                    assert_eq!(
                        used == Ok(*granule),
                        kernel_accepts,
                        "{granule} with TGran4 {tgran4:#x} TGran16 {tgran16:#x} TGran64 {tgran64:#x}: walk {used:?}"
                    );
                }
            }
        }
    }
}
