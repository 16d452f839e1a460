//! Stage 2 and two-stage walks: SL0 per granule, concatenated roots, S2AP,
//! XN, MemAttr, faults on the stage-1 walk (S1PTW) and on the final IPA.

use super::arena::Arena;
use super::hand::{chain, leaf, AF};
use super::{s1_regs, FEATURES};
use crate::addr::{IntermPhysAddr, PhysAddr, VirtAddr};
use crate::arch::par;
use crate::granule::Granule;
use crate::mmu::attrs::{
    Shareability, Stage1Attributes, Stage2Access, Stage2Attributes, S2_MEMATTR_DEVICE_NGNRE,
};
use crate::mmu::builder::PageTable;
use crate::mmu::config::{Stage, TableConfig};
use crate::mmu::fault::{Access, AccessKind, El, FaultKind};
use crate::mmu::geometry::Geometry;
use crate::mmu::regime::{Features, Stage2Regs};
use crate::mmu::{Walk, Walker};

const R1: Access = Access::new(El::El1, AccessKind::Read);
const W1: Access = Access::new(El::El1, AccessKind::Write);
const X0: Access = Access::new(El::El0, AccessKind::Execute);

fn s2_regs(table: &PageTable) -> Stage2Regs {
    Stage2Regs {
        vtcr: table.config().vtcr_el2_bits(),
        vttbr: table.root().0,
    }
}

#[test]
fn every_granule_and_start_level_with_concatenation_translates() {
    // (granule, IPA bits, start level, concatenated tables)
    let cases = [
        (Granule::K4, 40, 1, 2),
        (Granule::K4, 34, 2, 16),
        (Granule::K4, 48, 0, 1),
        (Granule::K4, 39, 1, 1),
        (Granule::K4, 44, 0, 1),
        (Granule::K16, 40, 2, 16),
        (Granule::K16, 40, 1, 1),
        (Granule::K16, 48, 1, 2),
        (Granule::K16, 37, 2, 2),
        (Granule::K16, 25, 3, 1),
        (Granule::K64, 46, 2, 16),
        (Granule::K64, 48, 1, 1),
        (Granule::K64, 43, 2, 2),
        (Granule::K64, 33, 3, 16),
    ];
    for (granule, bits, level, tables) in cases {
        let config = TableConfig::stage2(granule, bits, level, 48).unwrap();
        assert_eq!(config.concatenated_tables(), tables, "{granule} {bits}");
        let mut arena = Arena::new();
        let mut table = PageTable::new(config, &mut arena).unwrap();
        let page = granule.size();
        // The last page of the IPA space lands in the last concatenated table.
        let ipa = (1u64 << bits) - page;
        table
            .map(
                &mut arena,
                ipa,
                PhysAddr(0x1234 * page),
                page,
                Stage2Attributes::normal_ram(),
            )
            .unwrap();
        table
            .map(
                &mut arena,
                0,
                PhysAddr(0x99 * page),
                page,
                Stage2Attributes::normal_ram(),
            )
            .unwrap();
        let regs = s2_regs(&table);
        let t = Walker::new(FEATURES, &arena)
            .with_stage2(regs)
            .translate(Walk::Stage2(IntermPhysAddr(ipa + 8)), W1)
            .unwrap();
        assert_eq!(
            t.output,
            PhysAddr(0x1234 * page + 8),
            "{granule} {bits} L{level}"
        );
        let t = Walker::new(FEATURES, &arena)
            .with_stage2(regs)
            .translate(Walk::Stage2(IntermPhysAddr(16)), R1)
            .unwrap();
        assert_eq!(t.output, PhysAddr(0x99 * page + 16));
        let f = Walker::new(FEATURES, &arena)
            .with_stage2(regs)
            .translate(Walk::Stage2(IntermPhysAddr(page)), R1)
            .unwrap_err();
        assert_eq!(
            (f.stage, f.kind, f.s1ptw),
            (Stage::Stage2, FaultKind::Translation, false)
        );
        assert_eq!(f.ipa, Some(IntermPhysAddr(page)));
        // Beyond T0SZ: level 0 translation fault.
        let f = Walker::new(FEATURES, &arena)
            .with_stage2(regs)
            .translate(Walk::Stage2(IntermPhysAddr(1 << bits)), R1)
            .unwrap_err();
        assert_eq!((f.kind, f.level), (FaultKind::Translation, 0));
        table.destroy(&mut arena);
        arena.assert_no_leaks();
    }
}

#[test]
fn inconsistent_sl0_and_t0sz_fault_at_level_0() {
    let mut arena = Arena::new();
    let table = PageTable::new(
        TableConfig::stage2(Granule::K4, 40, 1, 40).unwrap(),
        &mut arena,
    )
    .unwrap();
    let mut regs = s2_regs(&table);
    // SL0 = 0 (level 2) cannot cover 40 bits with 16 tables.
    regs.vtcr &= !(0b11 << 6);
    let f = Walker::new(FEATURES, &arena)
        .with_stage2(regs)
        .translate(Walk::Stage2(IntermPhysAddr(0)), R1)
        .unwrap_err();
    assert_eq!(
        (f.stage, f.kind, f.level),
        (Stage::Stage2, FaultKind::Translation, 0)
    );
    // SL0 = 3 with 4K is level 3 only with FEAT_TTST.
    regs.vtcr |= 0b11 << 6;
    let f = Walker::new(Features::armv8_0(40), &arena)
        .with_stage2(regs)
        .translate(Walk::Stage2(IntermPhysAddr(0)), R1)
        .unwrap_err();
    assert_eq!((f.kind, f.level), (FaultKind::Translation, 0));
    // A 44-bit IPA on a 40-bit PA CPU.
    let table44 = PageTable::new(
        TableConfig::stage2(Granule::K4, 44, 0, 40).unwrap(),
        &mut arena,
    )
    .unwrap();
    let f = Walker::new(Features::armv8_0(40), &arena)
        .with_stage2(s2_regs(&table44))
        .translate(Walk::Stage2(IntermPhysAddr(0)), R1)
        .unwrap_err();
    assert_eq!((f.kind, f.level), (FaultKind::Translation, 0));
    table.destroy(&mut arena);
    table44.destroy(&mut arena);
    arena.assert_no_leaks();
}

#[test]
fn s2ap_xn_and_memattr_decode() {
    let mut arena = Arena::new();
    let mut table = PageTable::new(
        TableConfig::stage2_fewest_levels(Granule::K4, 40, 40).unwrap(),
        &mut arena,
    )
    .unwrap();
    let page = 0x1000;
    for (i, access) in Stage2Access::ALL.into_iter().enumerate() {
        let attrs = Stage2Attributes {
            access,
            xn: i % 2 == 0,
            mem_attr: S2_MEMATTR_DEVICE_NGNRE,
            shareability: Shareability::Inner,
            ..Stage2Attributes::normal_ram()
        };
        table
            .map(
                &mut arena,
                i as u64 * page,
                PhysAddr(i as u64 * page),
                page,
                attrs,
            )
            .unwrap();
    }
    let regs = s2_regs(&table);
    for (i, access) in Stage2Access::ALL.into_iter().enumerate() {
        let ipa = IntermPhysAddr(i as u64 * page);
        let (r, w) = (access.bits() & 1 != 0, access.bits() & 2 != 0);
        for (kind, allowed) in [(R1, r), (W1, w), (X0, i % 2 != 0)] {
            let result = Walker::new(FEATURES, &arena)
                .with_stage2(regs)
                .translate(Walk::Stage2(ipa), kind);
            match result {
                Ok(t) => {
                    assert!(allowed, "{access:?} {kind:?}");
                    assert_eq!(t.attributes.mair, 0x04);
                    assert!(t.attributes.is_device());
                }
                Err(f) => {
                    assert!(!allowed, "{access:?} {kind:?}: {f}");
                    assert_eq!(
                        (f.stage, f.kind, f.level),
                        (Stage::Stage2, FaultKind::Permission, 3)
                    );
                }
            }
        }
    }
    table.destroy(&mut arena);
    arena.assert_no_leaks();
}

/// A guest with stage-1 tables at IPA 0x1000_0000.. (mapped by stage 2 to
/// PA 0x8000_0000.. in the arena) and data at IPA 0x4000_0000.
struct Guest {
    arena: Arena,
    s1: PageTable,
    s2: PageTable,
}

/// Stage-2 table memory that hands out guest tables: the arena allocates at
/// PAs; stage 1 must name them by IPA, so the guest's stage-1 tables are
/// built with hand-made chains instead (see `two_stage_*` tests).
fn guest() -> Guest {
    let mut arena = Arena::new();
    let mut s2 = PageTable::new(
        TableConfig::stage2(Granule::K4, 40, 1, 40).unwrap(),
        &mut arena,
    )
    .unwrap();
    let s1 = PageTable::new(
        TableConfig::stage1(Granule::K16, 36, 40).unwrap(),
        &mut arena,
    )
    .unwrap();
    // Identity-map the arena (where the stage-1 tables are) in stage 2, so
    // stage-1 table IPAs equal their PAs.
    s2.map(
        &mut arena,
        0x8000_0000,
        PhysAddr(0x8000_0000),
        0x4000_0000,
        Stage2Attributes::normal_ram(),
    )
    .unwrap();
    Guest { arena, s1, s2 }
}

#[test]
fn two_stage_walk_translates_through_both_stages() {
    let mut g = guest();
    let s1_attrs = Stage1Attributes::kernel_data(0);
    g.s1.map(
        &mut g.arena,
        0x10_0000,
        PhysAddr(0x4000_0000),
        0x4000,
        s1_attrs,
    )
    .unwrap();
    g.s2.map(
        &mut g.arena,
        0x4000_0000,
        PhysAddr(0x2_0000_0000),
        0x20_0000,
        Stage2Attributes::normal_ram(),
    )
    .unwrap();
    let s1 = s1_regs(Some(&g.s1), None);
    let s2 = s2_regs(&g.s2);
    let t = Walker::new(FEATURES, &g.arena)
        .with_stage1(s1)
        .with_stage2(s2)
        .translate(Walk::TwoStage(VirtAddr(0x10_0010)), W1)
        .unwrap();
    assert_eq!(t.output, PhysAddr(0x2_0000_0010));
    // A 16K stage-1 page inside a 2M stage-2 block: the TLB entry is 16K.
    assert_eq!(t.size_log2, 14);
    assert_eq!(t.attributes.mair, 0xff);
    // Stage 1 alone (AT S1E1R with stage 2 on) gives the IPA.
    let t = Walker::new(FEATURES, &g.arena)
        .with_stage1(s1)
        .with_stage2(s2)
        .translate(Walk::Stage1UnderStage2(VirtAddr(0x10_0010)), R1)
        .unwrap();
    assert_eq!(t.output, PhysAddr(0x4000_0010));
    // Every step: 2 stage-1 levels, each preceded by its stage-2 walk (a 1G
    // block at the concatenated level-1 root), then the final IPA's walk
    // (a 2M block at level 2).
    let (_, trace) = Walker::new(FEATURES, &g.arena)
        .with_stage1(s1)
        .with_stage2(s2)
        .trace(Walk::TwoStage(VirtAddr(0x10_0010)), R1);
    let stages: std::vec::Vec<_> = trace.steps().map(|s| (s.stage, s.level)).collect();
    use Stage::*;
    assert_eq!(
        stages,
        [
            (Stage2, 1),
            (Stage1, 2),
            (Stage2, 1),
            (Stage1, 3),
            (Stage2, 1),
            (Stage2, 2)
        ]
    );
    g.s1.destroy(&mut g.arena);
    g.s2.destroy(&mut g.arena);
    g.arena.assert_no_leaks();
}

#[test]
fn stage2_fault_on_a_stage1_table_fetch_sets_s1ptw() {
    let mut g = guest();
    g.s1.map(
        &mut g.arena,
        0x10_0000,
        PhysAddr(0x4000_0000),
        0x4000,
        Stage1Attributes::kernel_data(0),
    )
    .unwrap();
    let s1 = s1_regs(Some(&g.s1), None);
    let mut s2 = s2_regs(&g.s2);
    // Take the stage-1 tables out of stage 2.
    g.s2.unmap(&mut g.arena, 0x8000_0000, 0x4000_0000).unwrap();
    s2.vttbr = g.s2.root().0;
    let result = Walker::new(FEATURES, &g.arena)
        .with_stage1(s1)
        .with_stage2(s2)
        .translate(Walk::TwoStage(VirtAddr(0x10_0000)), R1);
    let f = result.unwrap_err();
    assert_eq!(
        (f.stage, f.kind, f.s1ptw),
        (Stage::Stage2, FaultKind::Translation, true)
    );
    // The first stage-1 descriptor read: index 0 of the level-2 root.
    assert_eq!((f.ipa, f.level), (Some(IntermPhysAddr(g.s1.root().0)), 1));
    let p = par::par_el1(&Err(f));
    assert_eq!(p & (par::F | par::S | par::PTW), par::F | par::S | par::PTW);
    // Read-only stage 2 is fine for the walk, no access is not.
    g.s2.map(
        &mut g.arena,
        0x8000_0000,
        PhysAddr(0x8000_0000),
        0x4000_0000,
        Stage2Attributes {
            access: Stage2Access::None,
            ..Stage2Attributes::normal_ram()
        },
    )
    .unwrap();
    let f = Walker::new(FEATURES, &g.arena)
        .with_stage1(s1)
        .with_stage2(s2)
        .translate(Walk::TwoStage(VirtAddr(0x10_0000)), R1)
        .unwrap_err();
    assert_eq!(
        (f.stage, f.kind, f.s1ptw),
        (Stage::Stage2, FaultKind::Permission, true)
    );
    g.s2.protect(
        &mut g.arena,
        0x8000_0000,
        0x4000_0000,
        Stage2Attributes {
            access: Stage2Access::ReadOnly,
            ..Stage2Attributes::normal_ram()
        },
    )
    .unwrap();
    // Now the walk succeeds and the final IPA (unmapped in stage 2) faults
    // without S1PTW.
    let f = Walker::new(FEATURES, &g.arena)
        .with_stage1(s1)
        .with_stage2(s2)
        .translate(Walk::TwoStage(VirtAddr(0x10_0000)), R1)
        .unwrap_err();
    assert_eq!(
        (f.stage, f.kind, f.s1ptw),
        (Stage::Stage2, FaultKind::Translation, false)
    );
    assert_eq!(f.ipa, Some(IntermPhysAddr(0x4000_0000)));
    g.s1.destroy(&mut g.arena);
    g.s2.destroy(&mut g.arena);
    g.arena.assert_no_leaks();
}

#[test]
fn device_at_either_stage_makes_the_result_device() {
    let mut g = guest();
    g.s1.map(
        &mut g.arena,
        0,
        PhysAddr(0x4000_0000),
        0x4000,
        Stage1Attributes::kernel_data(0),
    )
    .unwrap();
    g.s2.map(
        &mut g.arena,
        0x4000_0000,
        PhysAddr(0x900_0000),
        0x1000,
        Stage2Attributes {
            mem_attr: S2_MEMATTR_DEVICE_NGNRE,
            ..Stage2Attributes::normal_ram()
        },
    )
    .unwrap();
    let t = Walker::new(FEATURES, &g.arena)
        .with_stage1(s1_regs(Some(&g.s1), None))
        .with_stage2(s2_regs(&g.s2))
        .translate(Walk::TwoStage(VirtAddr(0)), R1)
        .unwrap();
    assert_eq!(t.attributes.mair, 0x04);
    assert_eq!(t.attributes.shareability, Shareability::Outer);
    assert_eq!(t.size_log2, 12);
    g.s1.destroy(&mut g.arena);
    g.s2.destroy(&mut g.arena);
    g.arena.assert_no_leaks();
}

#[test]
fn hand_built_stage2_block_at_level_1_with_4k() {
    let mut arena = Arena::new();
    let g = Geometry {
        granule: Granule::K4,
        input_bits: 40,
        start_level: 1,
    };
    // IPA with bit 39 set indexes the second concatenated table.
    let ipa = (1u64 << 39) | (3 << 30) | 0x1234;
    let c = chain(
        &mut arena,
        g,
        ipa,
        1,
        &|_| 0,
        leaf(1, 0x40_0000_0000, AF | (0b11 << 6) | (0xf << 2)),
    );
    assert_eq!(c.slot(1), c.root + 8 * (512 + 3));
    let regs = Stage2Regs {
        vtcr: 24 | (0b01 << 6) | (0b010 << 16),
        vttbr: c.root,
    };
    let t = Walker::new(FEATURES, &arena)
        .with_stage2(regs)
        .translate(Walk::Stage2(IntermPhysAddr(ipa)), R1)
        .unwrap();
    assert_eq!(
        (t.output, t.level, t.size_log2),
        (PhysAddr(0x40_0000_1234), 1, 30)
    );
}

#[test]
fn stage1_tables_are_found_through_their_ipas() {
    // Stage-1 tables live at PAs in the arena but are named by IPAs
    // `DELTA` higher; only stage 2 connects the two.
    const DELTA: u64 = 0x10_0000_0000;
    let mut arena = Arena::new();
    let mut s2 = PageTable::new(
        TableConfig::stage2(Granule::K4, 40, 1, 40).unwrap(),
        &mut arena,
    )
    .unwrap();
    let ram = Stage2Attributes::normal_ram();
    s2.map(
        &mut arena,
        0x8000_0000 + DELTA,
        PhysAddr(0x8000_0000),
        0x4000_0000,
        ram,
    )
    .unwrap();
    s2.map(
        &mut arena,
        0x7000_0000,
        PhysAddr(0x1_2340_0000),
        0x20_0000,
        ram,
    )
    .unwrap();
    let va = 0x40_1234_5000u64 & ((1 << 39) - 1);
    let g = Geometry {
        granule: Granule::K4,
        input_bits: 39,
        start_level: 1,
    };
    let l1 = arena.table(0x1000);
    let l2 = arena.table(0x1000);
    let l3 = arena.table(0x1000);
    arena.poke(l1 + 8 * g.index(1, va) as u64, (l2 + DELTA) | 0b11);
    arena.poke(l2 + 8 * g.index(2, va) as u64, (l3 + DELTA) | 0b11);
    arena.poke(l3 + 8 * g.index(3, va) as u64, leaf(3, 0x7000_0000, AF));
    let s1 = crate::mmu::regime::Stage1Regs {
        sctlr: crate::arch::sysreg::SCTLR_EL1::M::SET.value,
        tcr: 25 | (0b010 << 32) | crate::arch::sysreg::TCR_EL1::EPD1::SET.value,
        ttbr0: l1 + DELTA,
        mair: super::MAIR,
        ..Default::default()
    };
    let regs = s2_regs(&s2);
    let t = Walker::new(FEATURES, &arena)
        .with_stage1(s1)
        .with_stage2(regs)
        .translate(Walk::TwoStage(VirtAddr(va + 0x10)), R1)
        .unwrap();
    assert_eq!(t.output, PhysAddr(0x1_2340_0010));
    let t = Walker::new(FEATURES, &arena)
        .with_stage1(s1)
        .with_stage2(regs)
        .translate(Walk::Stage1UnderStage2(VirtAddr(va)), R1)
        .unwrap();
    assert_eq!(t.output, PhysAddr(0x7000_0000));
    // Read as PAs, the IPAs lead nowhere.
    let f = Walker::new(FEATURES, &arena)
        .with_stage1(s1)
        .translate(Walk::Stage1(VirtAddr(va)), R1)
        .unwrap_err();
    assert_eq!((f.stage, f.kind), (Stage::Stage1, FaultKind::Translation));
    s2.destroy(&mut arena);
    for table in [l1, l2, l3] {
        crate::mmu::memory::TableMemory::free_table(&mut arena, PhysAddr(table), 0x1000);
    }
    arena.assert_no_leaks();
}

#[test]
fn hardware_access_flag_update_needs_stage2_write_to_the_table() {
    // ARM ARM: with TCR_EL1.HA the walk sets a clear access flag by writing
    // the descriptor, after the permission checks; under stage 2 that write
    // is a stage-2 access to the table, so a read-only table page gives a
    // stage-2 permission fault on the walk (S1PTW). QEMU 7.2 and 10 agree
    // (the kernel's walker::stage12_vs_at_* with random HA found it).
    let mut g = guest();
    let mut attrs = Stage1Attributes::kernel_data(0);
    attrs.access_flag = false;
    g.s1.map(
        &mut g.arena,
        0x10_0000,
        PhysAddr(0x4000_0000),
        0x4000,
        attrs,
    )
    .unwrap();
    g.s2.map(
        &mut g.arena,
        0x4000_0000,
        PhysAddr(0x2_0000_0000),
        0x20_0000,
        Stage2Attributes::normal_ram(),
    )
    .unwrap();
    let features = Features {
        hardware_access_flag: true,
        ..FEATURES
    };
    let mut s1 = s1_regs(Some(&g.s1), None);
    let s2 = s2_regs(&g.s2);
    let walk = |arena: &Arena, s1| {
        Walker::new(features, arena)
            .with_stage1(s1)
            .with_stage2(s2)
            .translate(Walk::TwoStage(VirtAddr(0x10_0010)), R1)
    };
    // Without HA: a stage-1 access flag fault at the level-3 page.
    let f = walk(&g.arena, s1).unwrap_err();
    assert_eq!(
        (f.stage, f.kind, f.level),
        (Stage::Stage1, FaultKind::AccessFlag, 3)
    );
    // With HA and the tables read/write in stage 2: translated.
    s1.tcr |= crate::arch::sysreg::TCR_EL1::HA::SET.value;
    assert_eq!(walk(&g.arena, s1).unwrap().output, PhysAddr(0x2_0000_0010));
    // With the tables read-only in stage 2: the update faults, at the
    // level of the stage-2 block (1G at level 1) that maps the table.
    g.s2.protect(
        &mut g.arena,
        0x8000_0000,
        0x4000_0000,
        Stage2Attributes {
            access: Stage2Access::ReadOnly,
            ..Stage2Attributes::normal_ram()
        },
    )
    .unwrap();
    let f = walk(&g.arena, s1).unwrap_err();
    assert_eq!(
        (f.stage, f.kind, f.s1ptw, f.level),
        (Stage::Stage2, FaultKind::Permission, true, 1)
    );
    // An access flag already set needs no update.
    g.s1.protect(
        &mut g.arena,
        0x10_0000,
        0x4000,
        Stage1Attributes::kernel_data(0),
    )
    .unwrap();
    assert!(walk(&g.arena, s1).is_ok());
    g.s1.destroy(&mut g.arena);
    g.s2.destroy(&mut g.arena);
    g.arena.assert_no_leaks();
}
