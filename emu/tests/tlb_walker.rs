//! The software TLB filled by the real stage 1 walker, over guest tables the
//! builder made in guest RAM: every pairing of guest granule and TLB page
//! size gives the guest exactly what its tables say.

use emu::addr::{PhysAddr, VirtAddr};
use emu::granule::Granule;
use emu::mem::{AccessSize, GuestTableMemory, PhysMemoryMap};
use emu::mmu::fault::{Fault, FaultKind};
use emu::mmu::regime::{Features, Stage1Regs};
use emu::mmu::{AccessPermissions, PageTable, Stage1Attributes, TableConfig};
use emu::pagesize::PageSize;
use emu::tlb::{
    AsidMatch, LevelScope, MemoryFault, MmuIdx, RuntimePageSize, Stage1Walker, TlbSet, WalkerError,
};

const RAM: u64 = 0x4000_0000;
const RAM_SIZE: u64 = 80 << 20;
/// Where the guest's tables go.
const TABLES: u64 = RAM + (64 << 20);
/// Guest pages with alternating permissions and scattered targets.
const SMALL_VA: u64 = 0x1000_0000;
const SMALL_PAGES: u64 = 8;
/// A large mapping: a 2 MiB block (4K), a 32 MiB block (16K), or a
/// contiguous run of 32 pages, 2 MiB (64K, whose blocks are 512 MiB).
const BLOCK_VA: u64 = 0x8000_0000;
const BLOCK_PA: u64 = RAM;
const SCTLR_M: u64 = 1;

fn large_size(granule: Granule) -> u64 {
    match granule {
        Granule::K16 => 32 << 20,
        _ => 2 << 20,
    }
}

fn large_attrs() -> Stage1Attributes {
    Stage1Attributes {
        contiguous: true,
        ..attrs(AccessPermissions::PrivilegedReadWrite)
    }
}

fn attrs(access: AccessPermissions) -> Stage1Attributes {
    Stage1Attributes {
        access,
        ..Stage1Attributes::kernel_data(0)
    }
}

/// The PA a small guest page is mapped to: every other page, backwards, so
/// neighbours in VA are far apart in PA.
fn small_target(i: u64, granule: Granule) -> u64 {
    RAM + (48 << 20) + (SMALL_PAGES - i) * 2 * granule.size()
}

struct Guest {
    map: PhysMemoryMap,
    tlbs: TlbSet<RuntimePageSize>,
    walker: Stage1Walker,
    table: PageTable,
}

fn guest(page: PageSize, granule: Granule) -> Guest {
    let mut map = PhysMemoryMap::new(page);
    map.add_ram("ram", PhysAddr(RAM), RAM_SIZE, 0).unwrap();
    // Every 8-byte word of the RAM the tests read holds its own address:
    // the first MiB of both places the large mapping goes, and the small
    // pages' targets.
    let mut block = vec![0u8; 1 << 20];
    for mb in [0, 2, 32, 48, 49] {
        let base = RAM + (mb << 20);
        for (i, word) in block.chunks_mut(8).enumerate() {
            word.copy_from_slice(&(base + 8 * i as u64).to_le_bytes());
        }
        map.write_bytes(PhysAddr(base), &block).unwrap();
    }
    let config = TableConfig::stage1(granule, 39, 48).unwrap();
    let mut mem = GuestTableMemory::new(&mut map, PhysAddr(TABLES), PhysAddr(RAM + RAM_SIZE));
    let mut table = PageTable::new(config, &mut mem).unwrap();
    table
        .map(
            &mut mem,
            BLOCK_VA,
            PhysAddr(BLOCK_PA),
            large_size(granule),
            large_attrs(),
        )
        .unwrap();
    for i in 0..SMALL_PAGES {
        let access = if i % 2 == 0 {
            AccessPermissions::PrivilegedReadOnly
        } else {
            AccessPermissions::ReadWrite
        };
        let va = SMALL_VA + i * granule.size();
        let pa = PhysAddr(small_target(i, granule));
        table
            .map(&mut mem, va, pa, granule.size(), attrs(access))
            .unwrap();
    }
    let regs = Stage1Regs {
        sctlr: SCTLR_M,
        tcr: config.tcr_el1_bits() | emu::arch::sysreg::TCR_EL1::EPD1::SET.value,
        ttbr0: table.root().0,
        ttbr1: 0,
        mair: 0xff,
        pan: false,
    };
    Guest {
        map,
        tlbs: TlbSet::new(RuntimePageSize(page), 64).unwrap(),
        walker: Stage1Walker {
            regs,
            features: Features::QEMU_MAX,
            walks: 0,
        },
        table,
    }
}

impl Guest {
    fn load(&mut self, idx: MmuIdx, va: u64) -> Result<u64, MemoryFault<WalkerError>> {
        self.tlbs.load(
            &mut self.map,
            &mut self.walker,
            idx,
            VirtAddr(va),
            AccessSize::Double,
        )
    }

    fn store(&mut self, va: u64, value: u64) -> Result<(), MemoryFault<WalkerError>> {
        self.tlbs.store(
            &mut self.map,
            &mut self.walker,
            MmuIdx::El1,
            VirtAddr(va),
            AccessSize::Double,
            value,
        )
    }
}

fn every_pairing() -> impl Iterator<Item = (PageSize, Granule)> {
    [PageSize::K1, PageSize::K4, PageSize::K16, PageSize::K64]
        .into_iter()
        .flat_map(|p| Granule::ALL.into_iter().map(move |g| (p, g)))
}

#[test]
fn small_guest_pages_keep_their_own_targets_and_permissions() {
    for (page, granule) in every_pairing() {
        let mut g = guest(page, granule);
        // Twice: the second round must hit the TLB and still be right.
        for _ in 0..2 {
            for i in 0..SMALL_PAGES {
                let va = SMALL_VA + i * granule.size() + 0x18;
                let pa = small_target(i, granule) + 0x18;
                assert_eq!(
                    g.load(MmuIdx::El1, va),
                    Ok(pa),
                    "{page} TLB, {granule} guest, page {i}"
                );
                let el0 = g.load(MmuIdx::El0, va);
                if i % 2 == 0 {
                    assert!(
                        matches!(
                            el0,
                            Err(MemoryFault::Translation(WalkerError::Fault(Fault {
                                kind: FaultKind::Permission,
                                ..
                            })))
                        ),
                        "EL0 read of a privileged page: {el0:?} ({page} TLB, {granule} guest)"
                    );
                    let write = g.store(va, 0);
                    assert!(
                        matches!(
                            write,
                            Err(MemoryFault::Translation(WalkerError::Fault(Fault {
                                kind: FaultKind::Permission,
                                ..
                            })))
                        ),
                        "write to a read-only page: {write:?} ({page} TLB, {granule} guest)"
                    );
                } else {
                    assert_eq!(el0, Ok(pa));
                }
            }
        }
        assert!(g.walker.walks > 0);
    }
}

#[test]
fn unmapped_neighbour_of_a_small_page_faults() {
    for (page, granule) in every_pairing() {
        let mut g = guest(page, granule);
        let last = SMALL_VA + SMALL_PAGES * granule.size();
        assert!(g.load(MmuIdx::El1, last - 8).is_ok());
        let result = g.load(MmuIdx::El1, last);
        assert!(
            matches!(
                result,
                Err(MemoryFault::Translation(WalkerError::Fault(Fault {
                    kind: FaultKind::Translation,
                    ..
                })))
            ),
            "{result:?} ({page} TLB, {granule} guest)"
        );
    }
}

#[test]
fn invalidating_a_block_by_another_small_page_drops_the_cached_one() {
    for (page, granule) in every_pairing() {
        let mut g = guest(page, granule);
        let touched = BLOCK_VA + 0x10;
        let other = BLOCK_VA + 3 * granule.size() + page.size() + 0x20;
        assert_eq!(g.load(MmuIdx::El1, touched), Ok(BLOCK_PA + 0x10));
        // Remap the whole block elsewhere, as a guest would (after
        // break-before-make), then invalidate by an address in a small page
        // of the block that was never touched.
        let size = large_size(granule);
        let moved = RAM + size;
        {
            let mut mem =
                GuestTableMemory::new(&mut g.map, PhysAddr(TABLES), PhysAddr(RAM + RAM_SIZE));
            g.table
                .remap(&mut mem, BLOCK_VA, PhysAddr(moved), size, large_attrs())
                .unwrap();
        }
        g.tlbs
            .tlbi_va_e1(other, AsidMatch::Any, LevelScope::AllLevels);
        assert_eq!(
            g.load(MmuIdx::El1, touched),
            Ok(moved + 0x10),
            "stale block translation survived TLBI by {other:#x} ({page} TLB, {granule} guest)"
        );
    }
}

#[test]
fn a_miss_in_a_regime_the_walker_does_not_model_is_an_error_naming_it() {
    let mut g = guest(PageSize::K4, Granule::K4);
    assert_eq!(g.load(MmuIdx::El1, BLOCK_VA), Ok(BLOCK_PA));
    for idx in [MmuIdx::El2, MmuIdx::Stage2] {
        let walks = g.walker.walks;
        let result = g.load(idx, BLOCK_VA);
        assert_eq!(
            result,
            Err(MemoryFault::Translation(WalkerError::Unmodelled(idx))),
            "{idx:?} must not walk the EL1&0 tables"
        );
        assert_eq!(g.walker.walks, walks, "no walk is made for {idx:?}");
        let message = WalkerError::Unmodelled(idx).to_string();
        assert!(message.contains(idx.name()), "{message}");
    }
}
