//! Builder scenarios, checked through the walker and the table invariants.

use super::arena::Arena;
use super::invariants;
use super::{s1_regs, FEATURES};
use crate::addr::{PhysAddr, VirtAddr};
use crate::granule::Granule;
use crate::mmu::attrs::{AccessPermissions, Stage1Attributes, Stage2Attributes};
use crate::mmu::builder::{MapError, PageTable};
use crate::mmu::config::TableConfig;
use crate::mmu::fault::{Access, AccessKind, El, FaultKind};
use crate::mmu::translation::Translation;
use crate::mmu::{Walk, Walker};

const READ: Access = Access::new(El::El1, AccessKind::Read);
const G: u64 = 1 << 30;
const M2: u64 = 1 << 21;
const K4: u64 = 1 << 12;

fn rw() -> Stage1Attributes {
    Stage1Attributes::kernel_data(0)
}

fn ro() -> Stage1Attributes {
    Stage1Attributes {
        access: AccessPermissions::PrivilegedReadOnly,
        ..rw()
    }
}

fn setup(granule: Granule, bits: u32) -> (Arena, PageTable) {
    let mut arena = Arena::new();
    let table =
        PageTable::new(TableConfig::stage1(granule, bits, 40).unwrap(), &mut arena).unwrap();
    (arena, table)
}

fn walk(
    table: &PageTable,
    arena: &Arena,
    va: u64,
) -> Result<Translation, crate::mmu::fault::Fault> {
    Walker::new(FEATURES, arena)
        .with_stage1(s1_regs(Some(table), None))
        .translate(Walk::Stage1(VirtAddr(va)), READ)
}

fn finish(table: PageTable, mut arena: Arena) {
    let problems = invariants::check(&table, &arena);
    assert!(problems.is_empty(), "{problems:#?}");
    table.destroy(&mut arena);
    arena.assert_no_leaks();
}

#[test]
fn map_uses_the_largest_block_alignment_allows() {
    let (mut arena, mut table) = setup(Granule::K4, 39);
    // 1G + 2M + 4K starting 1G aligned: one L1 block, one L2 block, one page.
    table
        .map(&mut arena, G, PhysAddr(2 * G), G + M2 + K4, rw())
        .unwrap();
    let t = walk(&table, &arena, G + 0x1234).unwrap();
    assert_eq!(
        (t.level, t.size_log2, t.output),
        (1, 30, PhysAddr(2 * G + 0x1234))
    );
    let t = walk(&table, &arena, 2 * G + 0x10).unwrap();
    assert_eq!((t.level, t.size_log2), (2, 21));
    let t = walk(&table, &arena, 2 * G + M2).unwrap();
    assert_eq!(
        (t.level, t.size_log2, t.output),
        (3, 12, PhysAddr(3 * G + M2))
    );
    assert_eq!(
        walk(&table, &arena, 2 * G + M2 + K4).unwrap_err().kind,
        FaultKind::Translation
    );
    finish(table, arena);
}

#[test]
fn map_falls_back_to_pages_when_output_is_misaligned() {
    let (mut arena, mut table) = setup(Granule::K4, 39);
    table
        .map(&mut arena, G, PhysAddr(2 * G + K4), M2, rw())
        .unwrap();
    let t = walk(&table, &arena, G + M2 - 1).unwrap();
    assert_eq!((t.level, t.output), (3, PhysAddr(2 * G + K4 + M2 - 1)));
    finish(table, arena);
}

#[test]
fn blocks_for_16k_and_64k_are_level_2() {
    for (granule, bits, block) in [(Granule::K16, 47, 1u64 << 25), (Granule::K64, 42, 1 << 29)] {
        let (mut arena, mut table) = setup(granule, bits);
        table
            .map(&mut arena, block, PhysAddr(block * 2), block, rw())
            .unwrap();
        let t = walk(&table, &arena, block + 8).unwrap();
        assert_eq!((t.level, t.size_log2), (2, block.trailing_zeros()));
        finish(table, arena);
    }
}

#[test]
fn map_splits_block_and_keeps_the_rest() {
    let (mut arena, mut table) = setup(Granule::K4, 39);
    table.map(&mut arena, 0, PhysAddr(G), G, rw()).unwrap();
    let inside = 5 * M2 + 3 * K4;
    table.protect(&mut arena, inside, K4, ro()).unwrap();
    let t = walk(&table, &arena, inside).unwrap();
    assert_eq!((t.level, t.output), (3, PhysAddr(G + inside)));
    assert!(!t.permissions.el1.write);
    // The rest of the old block: same output, same attributes, biggest blocks.
    let t = walk(&table, &arena, inside + K4).unwrap();
    assert_eq!((t.level, t.output), (3, PhysAddr(G + inside + K4)));
    assert!(t.permissions.el1.write);
    let t = walk(&table, &arena, 7 * M2).unwrap();
    assert_eq!((t.level, t.output), (2, PhysAddr(G + 7 * M2)));
    let t = walk(&table, &arena, G - 1).unwrap();
    assert_eq!(t.output, PhysAddr(2 * G - 1));
    finish(table, arena);
}

#[test]
fn protect_back_merges_the_table_into_a_block() {
    let (mut arena, mut table) = setup(Granule::K4, 39);
    table.map(&mut arena, 0, PhysAddr(G), G, rw()).unwrap();
    table.protect(&mut arena, M2 + K4, K4, ro()).unwrap();
    assert_eq!(arena.live_tables(), 3);
    table.protect(&mut arena, M2 + K4, K4, rw()).unwrap();
    assert_eq!(walk(&table, &arena, M2 + K4).unwrap().level, 1);
    assert_eq!(arena.live_tables(), 1);
    finish(table, arena);
}

#[test]
fn unmap_inside_block_splits_and_unmap_all_frees_tables() {
    let (mut arena, mut table) = setup(Granule::K4, 39);
    table.map(&mut arena, 0, PhysAddr(G), G, rw()).unwrap();
    table.unmap(&mut arena, 3 * M2 + K4, 2 * K4).unwrap();
    let fault = walk(&table, &arena, 3 * M2 + 2 * K4).unwrap_err();
    assert_eq!((fault.kind, fault.level), (FaultKind::Translation, 3));
    assert_eq!(
        walk(&table, &arena, 3 * M2).unwrap().output,
        PhysAddr(G + 3 * M2)
    );
    table.unmap(&mut arena, 0, G).unwrap();
    assert_eq!(arena.live_tables(), 1);
    assert_eq!(walk(&table, &arena, 0).unwrap_err().level, 1);
    finish(table, arena);
}

#[test]
fn separate_maps_that_make_a_block_merge() {
    let (mut arena, mut table) = setup(Granule::K4, 39);
    table
        .map(&mut arena, 0, PhysAddr(G), M2 - K4, rw())
        .unwrap();
    table
        .map(&mut arena, M2 - K4, PhysAddr(G + M2 - K4), K4, rw())
        .unwrap();
    assert_eq!(walk(&table, &arena, 0).unwrap().level, 2);
    finish(table, arena);
}

#[test]
fn live_table_does_not_merge_behind_the_hardwares_back() {
    let (mut arena, mut table) = setup(Granule::K4, 39);
    table.set_live(true);
    arena.audit_break_before_make = true;
    table
        .map(&mut arena, 0, PhysAddr(G), M2 - K4, rw())
        .unwrap();
    table
        .map(&mut arena, M2 - K4, PhysAddr(G + M2 - K4), K4, rw())
        .unwrap();
    // Merging would replace a valid table descriptor by a block.
    assert_eq!(walk(&table, &arena, 0).unwrap().level, 3);
    arena.assert_clean();
    // Once the hardware is off it, the next change merges.
    table.set_live(false);
    arena.audit_break_before_make = false;
    table.protect(&mut arena, 0, K4, rw()).unwrap();
    assert_eq!(walk(&table, &arena, 0).unwrap().level, 2);
    finish(table, arena);
}

#[test]
fn map_over_a_mapping_is_refused_and_changes_nothing() {
    let (mut arena, mut table) = setup(Granule::K4, 39);
    table.map(&mut arena, M2, PhysAddr(G), K4, rw()).unwrap();
    assert_eq!(
        table.map(&mut arena, 0, PhysAddr(2 * G), 2 * M2, rw()),
        Err(MapError::AlreadyMapped { address: M2 })
    );
    assert!(walk(&table, &arena, 0).is_err());
    table
        .remap(&mut arena, 0, PhysAddr(2 * G), 2 * M2, ro())
        .unwrap();
    assert_eq!(
        walk(&table, &arena, M2).unwrap().output,
        PhysAddr(2 * G + M2)
    );
    finish(table, arena);
}

#[test]
fn bad_arguments_get_typed_errors() {
    let (mut arena, mut table) = setup(Granule::K16, 36);
    let page = 1 << 14;
    assert_eq!(
        table.map(&mut arena, K4, PhysAddr(0), page, rw()),
        Err(MapError::Misaligned { value: K4 })
    );
    assert_eq!(
        table.map(&mut arena, 0, PhysAddr(K4), page, rw()),
        Err(MapError::Misaligned { value: K4 })
    );
    assert_eq!(
        table.map(&mut arena, 0, PhysAddr(0), K4, rw()),
        Err(MapError::Misaligned { value: K4 })
    );
    assert_eq!(
        table.map(&mut arena, (1 << 36) - page, PhysAddr(0), 2 * page, rw()),
        Err(MapError::InputOutOfRange {
            address: (1 << 36) - page
        })
    );
    assert_eq!(
        table.map(&mut arena, 0, PhysAddr((1 << 40) - page), 2 * page, rw()),
        Err(MapError::OutputOutOfRange {
            address: (1 << 40) - page
        })
    );
    assert_eq!(
        table.map(
            &mut arena,
            0,
            PhysAddr(0),
            page,
            Stage2Attributes::normal_ram()
        ),
        Err(MapError::WrongStage)
    );
    let bad = Stage1Attributes {
        attr_index: 8,
        ..rw()
    };
    assert_eq!(
        table.map(&mut arena, 0, PhysAddr(0), page, bad),
        Err(MapError::AttributeOutOfRange)
    );
    finish(table, arena);
}

#[test]
fn live_table_refuses_changes_that_need_break_before_make() {
    let (mut arena, mut table) = setup(Granule::K4, 39);
    table.map(&mut arena, 0, PhysAddr(G), G, rw()).unwrap();
    table.set_live(true);
    arena.audit_break_before_make = true;
    // Mapping into invalid entries is fine.
    table.map(&mut arena, G, PhysAddr(0), K4, rw()).unwrap();
    // Splitting the block is not.
    assert_eq!(
        table.protect(&mut arena, K4, K4, ro()),
        Err(MapError::BreakBeforeMake { address: K4 })
    );
    assert_eq!(
        table.unmap(&mut arena, 0, K4),
        Err(MapError::BreakBeforeMake { address: 0 })
    );
    // A permission change of the whole block is allowed ...
    table.protect(&mut arena, 0, G, ro()).unwrap();
    assert!(!walk(&table, &arena, 0).unwrap().permissions.el1.write);
    // ... a memory-type change is not.
    let device = Stage1Attributes {
        attr_index: 1,
        ..ro()
    };
    assert_eq!(
        table.protect(&mut arena, 0, G, device),
        Err(MapError::BreakBeforeMake { address: 0 })
    );
    assert_eq!(
        table.remap(&mut arena, 0, PhysAddr(2 * G), G, rw()),
        Err(MapError::BreakBeforeMake { address: 0 })
    );
    // Unmapping whole entries is a break, which is allowed.
    table.unmap(&mut arena, 0, G).unwrap();
    assert!(walk(&table, &arena, 0).is_err());
    table.set_live(false);
    finish(table, arena);
}

#[test]
fn out_of_memory_during_map_leaves_the_table_unchanged() {
    let (mut arena, mut table) = setup(Granule::K4, 39);
    table.map(&mut arena, 0, PhysAddr(G), K4, rw()).unwrap();
    let before = arena.live_tables();
    arena.limit = Some(arena.allocations + 3);
    // Misaligned output: pages over 3 x 2M need an L2 table and 3 L3 tables.
    assert_eq!(
        table.map(&mut arena, G, PhysAddr(K4), 3 * M2, rw()),
        Err(MapError::OutOfMemory)
    );
    assert_eq!(arena.live_tables(), before);
    assert!(walk(&table, &arena, G).is_err());
    assert_eq!(walk(&table, &arena, 0).unwrap().output, PhysAddr(G));
    arena.limit = None;
    table
        .map(&mut arena, G, PhysAddr(K4), 3 * M2, rw())
        .unwrap();
    finish(table, arena);
}

#[test]
fn out_of_memory_during_unmap_changes_nothing() {
    let (mut arena, mut table) = setup(Granule::K4, 39);
    table.map(&mut arena, 0, PhysAddr(G), G, rw()).unwrap();
    arena.limit = Some(arena.allocations + 1);
    // Unmapping one page of a 1G block needs two splits.
    assert_eq!(table.unmap(&mut arena, K4, K4), Err(MapError::OutOfMemory));
    assert_eq!(walk(&table, &arena, K4).unwrap().level, 1);
    assert_eq!(arena.live_tables(), 1);
    arena.limit = None;
    finish(table, arena);
}

#[test]
fn contiguous_runs_get_the_contiguous_bit_for_every_granule() {
    // (granule, VA bits, entry size at level 3, run length)
    for (granule, bits, run) in [
        (Granule::K4, 39, 16u64),
        (Granule::K16, 36, 128),
        (Granule::K64, 42, 32),
    ] {
        let (mut arena, mut table) = setup(granule, bits);
        let page = granule.size();
        let attrs = Stage1Attributes {
            contiguous: true,
            ..rw()
        };
        // Output offset by one page from block alignment, so no blocks.
        let out = PhysAddr(G * 4 + run * page);
        table
            .map(&mut arena, run * page, out, 2 * run * page, attrs)
            .unwrap();
        let t = walk(&table, &arena, run * page + 5).unwrap();
        assert!(t.contiguous);
        assert_eq!(t.size_log2, granule.shift() + run.trailing_zeros());
        // Breaking a run clears the bit on the whole run, not its neighbour.
        table
            .protect(
                &mut arena,
                run * page,
                page,
                Stage1Attributes {
                    contiguous: true,
                    ..ro()
                },
            )
            .unwrap();
        let t = walk(&table, &arena, run * page + page).unwrap();
        assert!(!t.contiguous);
        assert_eq!(t.size_log2, granule.shift());
        assert!(walk(&table, &arena, 2 * run * page).unwrap().contiguous);
        finish(table, arena);
    }
}

#[test]
fn contiguous_blocks_make_bigger_tlb_entries() {
    // 16K: 32 level-2 blocks of 32M make a 1G entry.
    let (mut arena, mut table) = setup(Granule::K16, 47);
    let attrs = Stage1Attributes {
        contiguous: true,
        ..rw()
    };
    table.map(&mut arena, 0, PhysAddr(G), G, attrs).unwrap();
    let t = walk(&table, &arena, G - 1).unwrap();
    assert_eq!((t.level, t.size_log2, t.contiguous), (2, 30, true));
    finish(table, arena);
}

#[test]
fn runs_at_the_top_of_a_table_may_map_low_outputs() {
    // The last run of a level-2 table mapped to output 0: its first entry's
    // output would be below zero if computed naively.
    let (mut arena, mut table) = setup(Granule::K4, 39);
    let attrs = Stage1Attributes {
        contiguous: true,
        ..rw()
    };
    table
        .map(&mut arena, G - M2, PhysAddr(0), M2, attrs)
        .unwrap();
    table
        .map(
            &mut arena,
            2 * G - 16 * M2,
            PhysAddr(0x4000_0000),
            16 * M2,
            attrs,
        )
        .unwrap();
    let t = walk(&table, &arena, 2 * G - 1).unwrap();
    assert_eq!(
        (t.output, t.size_log2),
        (PhysAddr(0x4000_0000 + 16 * M2 - 1), 25)
    );
    assert_eq!(walk(&table, &arena, G - 1).unwrap().size_log2, 21);
    finish(table, arena);
}

#[test]
fn linking_a_new_table_into_a_live_table_publishes_first() {
    let (mut arena, mut table) = setup(Granule::K4, 39);
    table.map(&mut arena, 0, PhysAddr(0), K4, rw()).unwrap();
    assert_eq!(arena.publishes, 0);
    table.set_live(true);
    table.map(&mut arena, G, PhysAddr(0), K4, rw()).unwrap();
    // A new level-2 and a new level-3 table were linked.
    assert_eq!(arena.publishes, 2);
    table.set_live(false);
    finish(table, arena);
}

#[test]
fn upper_range_tables_serve_ttbr1() {
    let mut arena = Arena::new();
    let config = TableConfig::stage1_upper(Granule::K64, 42, 40).unwrap();
    let mut table = PageTable::new(config, &mut arena).unwrap();
    let va = 0xffff_fc00_0001_0000u64;
    assert_eq!(
        table.map(&mut arena, 0x1_0000, PhysAddr(0), 0x1_0000, rw()),
        Err(MapError::InputOutOfRange { address: 0x1_0000 })
    );
    table
        .map(&mut arena, va, PhysAddr(0x4001_0000), 0x1_0000, rw())
        .unwrap();
    let regs = s1_regs(None, Some(&table));
    let t = Walker::new(FEATURES, &arena)
        .with_stage1(regs)
        .translate(Walk::Stage1(VirtAddr(va + 0x88)), READ)
        .unwrap();
    assert_eq!(t.output, PhysAddr(0x4001_0088));
    let top = 0xffff_ffff_ffff_0000u64;
    table
        .map(&mut arena, top, PhysAddr(0x5000_0000), 0x1_0000, rw())
        .unwrap();
    let t = Walker::new(FEATURES, &arena)
        .with_stage1(regs)
        .translate(Walk::Stage1(VirtAddr(u64::MAX)), READ)
        .unwrap();
    assert_eq!(t.output, PhysAddr(0x5000_ffff));
    finish(table, arena);
}
