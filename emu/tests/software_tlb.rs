//! The software TLB: fill, hit and miss, every invalidation, large
//! mappings, small guest pages, ASIDs, and the slow-path flags.

use std::cell::RefCell;
use std::rc::Rc;

use emu::addr::{IntermPhysAddr, PhysAddr, VirtAddr};
use emu::granule::Granule;
use emu::mem::{AccessSize, BusErrorKind, PhysMemoryMap};
use emu::pagesize::PageSize;
use emu::tlb::{
    AccessKind, AsidMatch, ConstPageSize, FillError, FillFlags, LevelScope, MemoryAttributes,
    MemoryFault, MissHandler, MmuIdx, Permissions, RuntimePageSize, Rwx, Tlb, TlbError, TlbFill,
    TlbSet, LARGE_MAPPINGS,
};

const RAM: u64 = 0x4000_0000;
const RAM_SIZE: u64 = 4 << 20;

#[derive(Clone, Copy, Debug)]
struct Mapping {
    va: u64,
    size_log2: u8,
    granule: Granule,
    pa: u64,
    perms: Rwx,
    asid: Option<u16>,
    ipa: Option<u64>,
    flags: FillFlags,
}

fn page(va: u64, pa: u64) -> Mapping {
    Mapping {
        va,
        size_log2: 12,
        granule: Granule::K4,
        pa,
        perms: Rwx::ALL,
        asid: None,
        ipa: None,
        flags: FillFlags::default(),
    }
}

fn block(va: u64, pa: u64, granule: Granule, size_log2: u8) -> Mapping {
    Mapping {
        size_log2,
        granule,
        ..page(va, pa)
    }
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Fault {
    Translation(u64),
    Permission(u64),
}

/// A stand-in for the page-table walker: a list of mappings, the current
/// ASID, and a count of walks.
#[derive(Default)]
struct Walker {
    maps: Vec<Mapping>,
    asid: u16,
    walks: usize,
    code_writes: Vec<u64>,
}

impl Walker {
    fn with(maps: &[Mapping]) -> Self {
        Walker {
            maps: maps.to_vec(),
            ..Walker::default()
        }
    }
}

impl MissHandler for Walker {
    type Fault = Fault;

    fn handle_miss(
        &mut self,
        _: &PhysMemoryMap,
        _: MmuIdx,
        va: VirtAddr,
        kind: AccessKind,
    ) -> Result<TlbFill, Fault> {
        self.walks += 1;
        let m = self
            .maps
            .iter()
            .find(|m| {
                va.0 >> m.size_log2 == m.va >> m.size_log2 && m.asid.is_none_or(|a| a == self.asid)
            })
            .ok_or(Fault::Translation(va.0))?;
        if !m.perms.allows(kind) {
            return Err(Fault::Permission(va.0));
        }
        let off = va.0 & ((1 << m.size_log2) - 1);
        Ok(TlbFill {
            va,
            pa: PhysAddr((m.pa & !((1 << m.size_log2) - 1)) + off),
            ipa: m
                .ipa
                .map(|i| IntermPhysAddr((i & !((1 << m.size_log2) - 1)) + off)),
            size_log2: m.size_log2,
            granule: m.granule,
            perms: Permissions::from_rights(m.perms, m.perms),
            asid: m.asid,
            attrs: MemoryAttributes::default(),
            flags: m.flags,
        })
    }

    fn code_written(&mut self, pa: PhysAddr, _: AccessSize) {
        self.code_writes.push(pa.0);
    }
}

struct Rig {
    map: PhysMemoryMap,
    tlbs: TlbSet<RuntimePageSize>,
    w: Walker,
}

impl Rig {
    fn new(p: PageSize, entries: usize, maps: &[Mapping]) -> Self {
        let mut map = PhysMemoryMap::new(p);
        map.add_ram("ram", PhysAddr(RAM), RAM_SIZE, 0).unwrap();
        Rig {
            map,
            tlbs: TlbSet::new(RuntimePageSize(p), entries).unwrap(),
            w: Walker::with(maps),
        }
    }
    fn load(&mut self, va: u64, size: AccessSize) -> Result<u64, MemoryFault<Fault>> {
        self.tlbs
            .load(&mut self.map, &mut self.w, MmuIdx::El1, VirtAddr(va), size)
    }
    fn ld(&mut self, va: u64) -> u64 {
        self.load(va, AccessSize::Double).unwrap()
    }
    fn st(&mut self, va: u64, v: u64) -> Result<(), MemoryFault<Fault>> {
        self.tlbs.store(
            &mut self.map,
            &mut self.w,
            MmuIdx::El1,
            VirtAddr(va),
            AccessSize::Double,
            v,
        )
    }
    /// Whether an access to `va` needs a walk (and leaves the TLB filled).
    fn walks_for(&mut self, va: u64) -> bool {
        let before = self.w.walks;
        let _ = self.load(va, AccessSize::Byte);
        self.w.walks > before
    }
    fn tlb(&self) -> &Tlb<RuntimePageSize> {
        self.tlbs.tlb(MmuIdx::El1)
    }
    fn poke(&mut self, pa: u64, v: u64) {
        self.map.write(PhysAddr(pa), AccessSize::Double, v).unwrap();
    }
}

#[test]
fn fill_then_hit_then_miss_for_every_page_size() {
    for p in PageSize::ALL {
        let size_log2 = p.shift().max(12) as u8;
        let va = 0x1234_0000_0000u64;
        let mut r = Rig::new(p, 64, &[block(va, RAM, Granule::K4, size_log2)]);
        r.poke(RAM + 0x10, 0xfeed);
        assert_eq!(r.ld(va + 0x10), 0xfeed, "{p}");
        assert_eq!(
            (r.w.walks, r.tlb().stats().misses, r.tlb().stats().fills),
            (1, 1, 1)
        );
        assert_eq!(r.ld(va + 0x18), 0);
        r.st(va + 0x20, 0xbeef).unwrap();
        assert_eq!(r.ld(va + 0x20), 0xbeef);
        assert_eq!(r.w.walks, 1, "{p}: hits need no walk");
        assert_eq!(r.tlb().stats().hits, 3, "{p}");
        assert_eq!(
            r.map.read(PhysAddr(RAM + 0x20), AccessSize::Double),
            Ok(0xbeef)
        );
        assert_eq!(
            r.load(va + (1 << size_log2), AccessSize::Byte),
            Err(MemoryFault::Translation(Fault::Translation(
                va + (1 << size_log2)
            )))
        );
        assert_eq!(r.tlb().stats().misses, 2);
    }
}

#[test]
fn const_page_size_tlb_behaves_like_runtime_one() {
    let mut map = PhysMemoryMap::new(PageSize::K16);
    map.add_ram("ram", PhysAddr(RAM), RAM_SIZE, 0).unwrap();
    let mut tlbs = TlbSet::new(ConstPageSize::<14>::new(), 16).unwrap();
    let mut w = Walker::with(&[block(0x8000, RAM, Granule::K16, 14)]);
    map.write(PhysAddr(RAM + 8), AccessSize::Word, 77).unwrap();
    for _ in 0..3 {
        let v = tlbs
            .load(
                &mut map,
                &mut w,
                MmuIdx::El1,
                VirtAddr(0x8008),
                AccessSize::Word,
            )
            .unwrap();
        assert_eq!(v, 77);
    }
    assert_eq!(w.walks, 1);
    assert_eq!(tlbs.tlb(MmuIdx::El1).stats().hits, 2);
}

#[test]
fn conflicting_pages_evict_each_other_in_a_direct_mapped_tlb() {
    let entries = 4;
    let a = 0x10_0000u64;
    let b = a + entries as u64 * 0x1000; // same slot
    let mut r = Rig::new(
        PageSize::K4,
        entries,
        &[page(a, RAM), page(b, RAM + 0x1000)],
    );
    assert!(r.walks_for(a));
    assert!(!r.walks_for(a));
    assert!(r.walks_for(b));
    assert!(r.walks_for(a), "b evicted a");
    assert_eq!(r.tlb().slot_of(a), r.tlb().slot_of(b));
}

#[test]
fn read_only_mapping_refuses_stores_and_fetches() {
    let mut m = page(0x5000, RAM);
    m.perms = Rwx::RO;
    let mut r = Rig::new(PageSize::K4, 16, &[m]);
    assert_eq!(r.ld(0x5000), 0);
    assert_eq!(
        r.st(0x5000, 1),
        Err(MemoryFault::Translation(Fault::Permission(0x5000)))
    );
    let f = r
        .tlbs
        .fetch(&mut r.map, &mut r.w, MmuIdx::El1, VirtAddr(0x5000));
    assert_eq!(f, Err(MemoryFault::Translation(Fault::Permission(0x5000))));
    assert_eq!(r.ld(0x5000), 0, "the read entry survived");
}

#[test]
fn invalidate_all_drops_every_entry() {
    let maps: Vec<_> = (0..8).map(|i| page(i * 0x1000, RAM + i * 0x1000)).collect();
    let mut r = Rig::new(PageSize::K4, 16, &maps);
    for i in 0..8 {
        r.walks_for(i * 0x1000);
    }
    assert_eq!(r.tlb().valid_entries(), 8);
    r.tlbs.tlbi_vmalle1();
    assert_eq!(r.tlb().valid_entries(), 0);
    for i in 0..8 {
        assert!(r.walks_for(i * 0x1000));
    }
    assert_eq!(r.tlb().stats().invalidated, 8);
}

#[test]
fn invalidate_by_va_respects_asid_and_global_entries() {
    let (va1, va2) = (0x1000u64, 0x2000u64);
    let mut m1 = page(va1, RAM);
    m1.asid = Some(1);
    let mut r = Rig::new(PageSize::K4, 16, &[m1, page(va2, RAM + 0x1000)]);
    r.w.asid = 1;
    r.tlbs.set_asid(1);
    r.walks_for(va1);
    r.walks_for(va2);
    // VAE1 with another ASID: the ASID-1 entry stays.
    r.tlbs
        .tlbi_va_e1(va1, AsidMatch::Asid(2), LevelScope::AllLevels);
    assert!(!r.walks_for(va1));
    // VAE1 with its ASID: gone.
    r.tlbs
        .tlbi_va_e1(va1, AsidMatch::Asid(1), LevelScope::AllLevels);
    assert!(r.walks_for(va1));
    // A global entry matches any ASID.
    r.tlbs
        .tlbi_va_e1(va2, AsidMatch::Asid(7), LevelScope::AllLevels);
    assert!(r.walks_for(va2));
    // VAAE1: every ASID.
    r.tlbs
        .tlbi_va_e1(va1, AsidMatch::Any, LevelScope::AllLevels);
    assert!(r.walks_for(va1));
    // Another page is untouched by all of this.
    assert!(!r.walks_for(va2));
}

#[test]
fn last_level_invalidation_drops_pages_and_blocks() {
    let mut r = Rig::new(
        PageSize::K4,
        64,
        &[
            page(0x1000, RAM),
            block(0x20_0000, RAM + 0x20_0000, Granule::K4, 21),
        ],
    );
    r.walks_for(0x1000);
    r.walks_for(0x20_3000);
    r.tlbs
        .tlbi_va_e1(0x1000, AsidMatch::Any, LevelScope::LastLevel);
    r.tlbs
        .tlbi_va_e1(0x3f_f000, AsidMatch::Any, LevelScope::LastLevel);
    assert!(r.walks_for(0x1000));
    assert!(r.walks_for(0x20_3000));
}

#[test]
fn invalidate_by_asid_keeps_globals_and_other_asids() {
    let mut a = page(0x1000, RAM);
    a.asid = Some(3);
    let mut b = page(0x2000, RAM);
    b.asid = Some(4);
    let g = page(0x3000, RAM);
    let mut blk = block(0x40_0000, RAM, Granule::K4, 21);
    blk.asid = Some(3);
    let mut r = Rig::new(PageSize::K4, 64, &[a, b, g, blk]);
    r.w.asid = 3;
    r.tlbs.set_asid(3);
    r.walks_for(0x1000);
    r.walks_for(0x3000);
    r.walks_for(0x40_5000);
    r.w.asid = 4;
    r.tlbs.set_asid(4);
    r.walks_for(0x2000);
    r.tlbs.tlbi_aside1(3);
    assert!(!r.walks_for(0x2000));
    assert!(!r.walks_for(0x3000));
    r.w.asid = 3;
    r.tlbs.set_asid(3);
    assert!(r.walks_for(0x1000));
    assert!(r.walks_for(0x40_5000));
    assert_eq!(
        r.tlb().live_large_mappings(),
        1,
        "re-filled block tracked again"
    );
}

#[test]
fn invalidate_by_ipa_drops_stage2_and_combined_entries() {
    let ipa = 0x8000_0000u64;
    let mut s1 = page(0x7000, RAM);
    s1.ipa = Some(ipa);
    let mut other = page(0x9000, RAM + 0x1000);
    other.ipa = Some(ipa + 0x10_0000);
    let s2 = page(ipa, RAM);
    let mut r = Rig::new(PageSize::K4, 16, &[s1, other, s2]);
    r.walks_for(0x7000);
    r.walks_for(0x9000);
    let s2_walk = |r: &mut Rig| {
        let before = r.w.walks;
        r.tlbs
            .load(
                &mut r.map,
                &mut r.w,
                MmuIdx::Stage2,
                VirtAddr(ipa + 8),
                AccessSize::Byte,
            )
            .unwrap();
        r.w.walks > before
    };
    assert!(s2_walk(&mut r));
    assert!(!s2_walk(&mut r));
    r.tlbs.tlbi_ipas2e1(ipa + 0x123, LevelScope::LastLevel);
    assert!(s2_walk(&mut r), "stage 2 entry dropped");
    assert!(
        r.walks_for(0x7000),
        "combined entry through that IPA dropped"
    );
    assert!(!r.walks_for(0x9000), "entry through another IPA kept");
}

#[test]
fn large_page_invalidated_by_address_in_another_of_its_small_pages() {
    // (granule, log2 of the block or contiguous run)
    let cases = [
        (Granule::K4, 21u8), // 2M block
        (Granule::K4, 16),   // 16 x 4K contiguous run
        (Granule::K16, 25),  // 32M block
        (Granule::K16, 21),  // 128 x 16K contiguous run
        (Granule::K64, 29),  // 512M block
        (Granule::K64, 21),  // 32 x 64K contiguous run
    ];
    for p in PageSize::ALL {
        for (g, log2) in cases {
            if u32::from(log2) <= p.shift() {
                continue;
            }
            let base = 1u64 << 32;
            let size = 1u64 << log2;
            // In the next block, in a slot of its own.
            let outside = base + size + p.size();
            let mut r = Rig::new(
                p,
                256,
                &[block(base, RAM, g, log2), block(base + size, RAM, g, log2)],
            );
            let (a, b, c) = (base, base + size - p.size(), base + size / 2 + p.size());
            for va in [a, b, outside] {
                assert!(r.walks_for(va));
            }
            assert!(!r.walks_for(a) && !r.walks_for(b));
            // Invalidate by an address in a page never touched.
            r.tlbs.tlbi_va_e1(c, AsidMatch::Any, LevelScope::AllLevels);
            assert!(r.walks_for(a), "{p} {g} 2^{log2}: first page dropped");
            assert!(r.walks_for(b), "{p} {g} 2^{log2}: last page dropped");
            assert!(!r.walks_for(outside), "{p} {g} 2^{log2}: neighbour kept");
        }
    }
}

#[test]
fn large_mapping_table_overflow_stays_correct() {
    let n = LARGE_MAPPINGS as u64 + 5;
    let maps: Vec<_> = (0..n)
        .map(|i| block((i + 1) << 30, RAM, Granule::K4, 21))
        .collect();
    let mut r = Rig::new(PageSize::K4, 1024, &maps);
    for i in 0..n {
        r.walks_for(((i + 1) << 30) + 0x1000 * (i + 1));
    }
    assert!(r.tlb().live_large_mappings() <= LARGE_MAPPINGS);
    for i in 0..n {
        let base = (i + 1) << 30;
        r.tlbs
            .tlbi_va_e1(base + 0x10_0000, AsidMatch::Any, LevelScope::AllLevels);
        assert!(r.walks_for(base + 0x1000 * (i + 1)), "block {i}");
    }
}

/// Four 4K guest pages in one larger TLB page: distinct targets and
/// permissions, one hole.
fn small_page_rig(p: PageSize) -> Rig {
    let base = 0x20_0000u64;
    let mut ro = page(base + 0x1000, RAM);
    ro.perms = Rwx::RO;
    let mut r = Rig::new(
        p,
        64,
        &[
            page(base, RAM + 0x3000),
            ro,
            page(base + 0x3000, RAM + 0x8000),
        ],
    );
    r.poke(RAM + 0x3000, 0xaaaa);
    r.poke(RAM, 0xbbbb);
    r.poke(RAM + 0x8000, 0xcccc);
    r
}

#[test]
fn small_guest_pages_under_a_larger_tlb_page_are_never_cached_whole() {
    let base = 0x20_0000u64;
    for p in [PageSize::K16, PageSize::K64] {
        let mut r = small_page_rig(p);
        for _ in 0..2 {
            assert_eq!(r.ld(base), 0xaaaa, "{p}");
            assert_eq!(r.ld(base + 0x1000), 0xbbbb, "{p}");
            assert_eq!(r.ld(base + 0x3000), 0xcccc, "{p}");
            assert_eq!(
                r.load(base + 0x2000, AccessSize::Byte),
                Err(MemoryFault::Translation(Fault::Translation(base + 0x2000)))
            );
            assert_eq!(
                r.st(base + 0x1008, 1),
                Err(MemoryFault::Translation(Fault::Permission(base + 0x1008)))
            );
        }
        r.st(base + 8, 0x5555).unwrap();
        assert_eq!(
            r.map.read(PhysAddr(RAM + 0x3008), AccessSize::Double),
            Ok(0x5555)
        );
        assert_eq!(r.tlb().stats().hits, 0, "{p}: never on the fast path");
        // Repeated accesses to one guest page reuse the entry (slow path,
        // no walk); moving to another guest page walks again.
        let walks = r.w.walks;
        r.ld(base + 0x3008);
        r.ld(base + 0x3010);
        assert_eq!(r.w.walks, walks + 1);
        assert!(r.tlb().stats().slow_path > 0);
        // Invalidating any guest page of the TLB page drops the entry.
        r.tlbs
            .tlbi_va_e1(base + 0x3000, AsidMatch::Any, LevelScope::LastLevel);
        assert!(r.walks_for(base + 0x3000));
    }
}

#[test]
fn guest_pages_larger_than_1k_tlb_pages_fill_one_entry_per_tlb_page() {
    let mut r = small_page_rig(PageSize::K1);
    let base = 0x20_0000u64;
    for off in [0, 0x400, 0x800, 0xc00] {
        assert!(r.walks_for(base + 0x1000 + off));
        assert!(!r.walks_for(base + 0x1000 + off));
    }
    assert_eq!(r.ld(base + 0x1000), 0xbbbb);
    assert!(r.st(base + 0x1c00, 1).is_err());
    // The 4K guest page is larger than the TLB page: invalidating its last
    // 1K drops all four entries.
    r.tlbs
        .tlbi_va_e1(base + 0x1c00, AsidMatch::Any, LevelScope::AllLevels);
    for off in [0, 0x400, 0x800, 0xc00] {
        assert!(r.walks_for(base + 0x1000 + off), "{off:#x}");
    }
}

#[test]
fn asids_isolate_address_spaces_without_flushing() {
    let va = 0x40_0000u64;
    let mut a = page(va, RAM);
    a.asid = Some(1);
    let mut b = page(va, RAM + 0x1000);
    b.asid = Some(2);
    let g = page(0x80_0000, RAM + 0x2000);
    let mut r = Rig::new(PageSize::K16, 16, &[a, b, g]);
    r.poke(RAM, 111);
    r.poke(RAM + 0x1000, 222);
    r.poke(RAM + 0x2000, 333);
    for round in 0..3 {
        for (asid, want) in [(1u16, 111), (2, 222)] {
            r.w.asid = asid;
            r.tlbs.set_asid(asid);
            assert_eq!(r.ld(va), want, "round {round} asid {asid}");
            assert_eq!(r.ld(0x80_0000), 333);
        }
    }
    assert_eq!(r.tlb().stats().flushes, 0);
    // The global page was walked once for all ASIDs.
    r.tlbs.set_asid(9);
    assert!(!r.walks_for(0x80_0000));
}

#[test]
fn device_pages_take_the_slow_path_and_holes_abort() {
    let mut r = Rig::new(PageSize::K64, 16, &[page(0x9000_0000, 0x0900_0000)]);
    let out = Rc::new(RefCell::new(Vec::new()));
    let o = out.clone();
    r.map
        .add_mmio(
            "uart",
            PhysAddr(0x0900_0000),
            0x1000,
            0,
            Box::new(emu::mem::Pl011::new(Box::new(move |b| {
                o.borrow_mut().push(b)
            }))),
        )
        .unwrap();
    r.tlbs.flush_all();
    r.tlbs
        .store(
            &mut r.map,
            &mut r.w,
            MmuIdx::El1,
            VirtAddr(0x9000_0000),
            AccessSize::Word,
            0x41,
        )
        .unwrap();
    let fr = r.load(0x9000_0018, AccessSize::Word).unwrap();
    assert_eq!(fr & 0x90, 0x90);
    assert_eq!(*out.borrow(), b"A");
    assert_eq!(r.tlb().stats().hits, 0);
    assert!(r.tlb().stats().slow_path >= 1);
    assert_eq!(r.w.walks, 1);
    // A guest mapping can point beyond the device: external abort.
    let mut big = page(0xa000_0000, 0x0900_0000);
    big.size_log2 = 16;
    r.w.maps.push(big);
    match r.load(0xa000_2000, AccessSize::Word) {
        Err(MemoryFault::Bus(e)) => assert_eq!(e.kind, BusErrorKind::Unmapped),
        other => panic!("{other:?}"),
    }
}

#[test]
fn physical_sub_page_under_a_tlb_page_is_dispatched_by_byte_range() {
    for p in [PageSize::K16, PageSize::K64] {
        // A guest block maps the whole TLB page onto 4K of RAM followed
        // by a 256-byte device and a hole.
        let mut r = Rig::new(p, 16, &[block(0x100_0000, 0x2000_0000, Granule::K4, 21)]);
        r.map
            .add_ram("sram", PhysAddr(0x2000_0000), 0x1000, 0)
            .unwrap();
        r.map
            .add_mmio(
                "uart",
                PhysAddr(0x2000_1000),
                0x100,
                0,
                Box::new(emu::mem::Pl011::new(Box::new(|_b: u8| {}))),
            )
            .unwrap();
        r.st(0x100_0008, 0x77).unwrap();
        assert_eq!(r.ld(0x100_0008), 0x77, "{p}");
        assert_eq!(
            r.map.read(PhysAddr(0x2000_0008), AccessSize::Byte),
            Ok(0x77)
        );
        assert_eq!(
            r.load(0x100_1fe0, AccessSize::Word),
            Err(MemoryFault::Bus(emu::mem::BusError {
                addr: PhysAddr(0x2000_1fe0),
                size: AccessSize::Word,
                dir: emu::mem::AccessDir::Read,
                kind: BusErrorKind::Unmapped
            }))
        );
        assert_eq!(
            r.load(0x100_1018, AccessSize::Word).map(|v| v & 0x90),
            Ok(0x90)
        );
        assert_eq!(
            r.tlb().stats().hits,
            0,
            "{p}: sub-page never on the fast path"
        );
        assert_eq!(r.w.walks, 1, "{p}: one entry serves the whole sub-page");
    }
}

#[test]
fn adding_a_region_flushes_stale_translations() {
    let mut r = Rig::new(
        PageSize::K4,
        16,
        &[page(0x1000, RAM), page(0x2000, RAM + 0x1000)],
    );
    r.ld(0x1000);
    r.map
        .add_rom("overlay", PhysAddr(RAM), &[1; 0x1000], 5)
        .unwrap();
    r.ld(0x2000); // a walk notices the new layout
    assert_eq!(r.load(0x1000, AccessSize::Byte), Ok(1));
}

#[test]
fn rom_pages_read_fast_and_ignore_writes() {
    let mut r = Rig::new(PageSize::K4, 16, &[page(0x1000, 0)]);
    r.map
        .add_rom("boot", PhysAddr(0), &[7u8; 0x1000], 0)
        .unwrap();
    r.tlbs.flush_all();
    assert_eq!(r.load(0x1000, AccessSize::Byte), Ok(7));
    r.st(0x1000, 0).unwrap();
    assert_eq!(r.load(0x1000, AccessSize::Byte), Ok(7));
    assert_eq!(r.tlb().stats().hits, 1);
}

#[test]
fn stores_to_watched_code_pages_reach_the_translator() {
    let mut m = page(0x1000, RAM);
    m.flags.watched = true;
    let mut r = Rig::new(PageSize::K4, 16, &[m, page(0x2000, RAM + 0x1000)]);
    r.st(0x1008, 5).unwrap();
    r.st(0x1010, 6).unwrap();
    assert_eq!(r.w.code_writes, [RAM + 8, RAM + 0x10]);
    assert_eq!(r.ld(0x1008), 5, "loads stay fast");
    // Watching a page after the fact.
    r.st(0x2000, 1).unwrap();
    r.tlbs
        .tlb_mut(MmuIdx::El1)
        .set_watch(PhysAddr(RAM + 0x1000), true);
    r.st(0x2000, 2).unwrap();
    assert_eq!(r.w.code_writes.last(), Some(&(RAM + 0x1000)));
    r.tlbs
        .tlb_mut(MmuIdx::El1)
        .set_watch(PhysAddr(RAM + 0x1000), false);
    let n = r.w.code_writes.len();
    r.st(0x2000, 3).unwrap();
    assert_eq!(r.w.code_writes.len(), n);
    assert_eq!(r.ld(0x2000), 3);
}

#[test]
fn do_not_cache_translations_walk_on_every_access() {
    let mut m = page(0x1000, RAM);
    m.flags.do_not_cache = true;
    let mut r = Rig::new(PageSize::K4, 16, &[m]);
    r.poke(RAM, 42);
    for i in 1..=3 {
        assert_eq!(r.ld(0x1000), 42);
        assert_eq!(r.w.walks, i);
    }
    assert_eq!(r.tlb().stats().hits, 0);
}

#[test]
fn unaligned_access_across_pages_uses_both_translations() {
    let mut r = Rig::new(
        PageSize::K4,
        16,
        &[page(0x1000, RAM + 0x5000), page(0x2000, RAM)],
    );
    r.poke(RAM + 0x5ff8, 0x1111_2222_3333_4444);
    r.poke(RAM, 0x5555_6666_7777_8888);
    assert_eq!(r.ld(0x1ffc), 0x7777_8888_1111_2222);
    r.st(0x1fff, 0xffee_ddcc_bbaa_9988).unwrap();
    assert_eq!(
        r.map.read(PhysAddr(RAM + 0x5fff), AccessSize::Byte),
        Ok(0x88)
    );
    assert_eq!(
        r.map.read(PhysAddr(RAM), AccessSize::Double),
        Ok(0x55ff_eedd_ccbb_aa99)
    );
}

#[test]
fn counters_are_displayed_for_the_shell() {
    let mut r = Rig::new(PageSize::K4, 16, &[page(0x1000, RAM)]);
    r.ld(0x1000);
    r.ld(0x1000);
    r.tlbs.tlbi_vmalle1();
    let s = r.tlbs.to_string();
    assert!(s.contains("tlb el1: 16 entries of 4K pages"), "{s}");
    assert!(
        s.contains("hits 1 misses 1 fills 1 slow-path 0 flushes 1 invalidated 1"),
        "{s}"
    );
    assert!(s.lines().last().unwrap().starts_with("tlb total:"), "{s}");
}

#[test]
fn bad_configurations_and_fills_are_refused() {
    for n in [0, 3, 100, 1 << 17] {
        assert_eq!(
            TlbSet::new(RuntimePageSize(PageSize::K4), n).err(),
            Some(TlbError::BadEntryCount(n))
        );
    }
    let mut map = PhysMemoryMap::new(PageSize::K16);
    map.add_ram("ram", PhysAddr(RAM), RAM_SIZE, 0).unwrap();
    let mut t = Tlb::new(MmuIdx::El1, RuntimePageSize(PageSize::K4), 16).unwrap();
    let mut w = Walker::with(&[page(0x1000, RAM)]);
    let fill = w
        .handle_miss(&map, MmuIdx::El1, VirtAddr(0x1000), AccessKind::Read)
        .unwrap();
    assert_eq!(
        t.fill(&fill, &map),
        Err(TlbError::PageSizeMismatch {
            tlb: PageSize::K4,
            map: PageSize::K16
        })
    );
    let map4 = {
        let mut m = PhysMemoryMap::new(PageSize::K4);
        m.add_ram("ram", PhysAddr(RAM), RAM_SIZE, 0).unwrap();
        m
    };
    let bad_size = TlbFill {
        size_log2: 11,
        ..fill
    };
    assert!(matches!(
        t.fill(&bad_size, &map4),
        Err(TlbError::Fill(FillError::BadSize { .. }))
    ));
    let misaligned = TlbFill {
        pa: PhysAddr(RAM + 0x10),
        ..fill
    };
    assert!(matches!(
        t.fill(&misaligned, &map4),
        Err(TlbError::Fill(FillError::Misaligned { .. }))
    ));
}

/// A walker that answers with a translation of the wrong address.
struct Liar;

impl MissHandler for Liar {
    type Fault = ();
    fn handle_miss(
        &mut self,
        map: &PhysMemoryMap,
        _: MmuIdx,
        _: VirtAddr,
        _: AccessKind,
    ) -> Result<TlbFill, ()> {
        Walker::with(&[page(0x9000, RAM)])
            .handle_miss(map, MmuIdx::El1, VirtAddr(0x9000), AccessKind::Read)
            .map_err(|_| ())
    }
}

#[test]
fn a_fill_for_another_address_is_an_error_not_a_wrong_answer() {
    let mut map = PhysMemoryMap::new(PageSize::K4);
    map.add_ram("ram", PhysAddr(RAM), RAM_SIZE, 0).unwrap();
    let mut tlbs = TlbSet::new(RuntimePageSize(PageSize::K4), 16).unwrap();
    let r = tlbs.load(
        &mut map,
        &mut Liar,
        MmuIdx::El1,
        VirtAddr(0x1000),
        AccessSize::Byte,
    );
    assert!(matches!(
        r,
        Err(MemoryFault::Tlb(TlbError::Fill(
            FillError::WrongAddress { .. }
        )))
    ));
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Random remapping with the TLBIs the architecture requires, against the
/// walker itself as the reference: the TLB must never answer with a stale
/// or wrong translation, whatever the TLB page size and guest granule.
#[test]
fn random_remapping_with_required_tlbis_never_returns_stale_data() {
    const CHUNK: u64 = 2 << 20;
    const CHUNKS: u64 = 8;
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    for round in 0..24 {
        let p = PageSize::ALL[round % 4];
        let g = Granule::ALL[(round / 4) % 3];
        let gsize = g.size();
        let mut r = Rig::new(p, [4, 16, 64][round % 3], &[]);
        let pattern: Vec<u8> = (0..RAM_SIZE)
            .map(|o| (o ^ (o >> 8) ^ (o >> 16)) as u8)
            .collect();
        r.map.write_bytes(PhysAddr(RAM), &pattern).unwrap();
        // Chunk c is either one 2M mapping (a block with 4K granule, a
        // contiguous run otherwise) or a few single pages.
        let new_chunk = |rng: &mut Rng, c: u64| -> Vec<Mapping> {
            let va = (c + 1) * CHUNK;
            if rng.below(2) == 0 {
                vec![block(va, RAM + rng.below(2) * CHUNK, g, 21)]
            } else {
                let mut pages = Vec::new();
                for i in 0..CHUNK / gsize {
                    if rng.below(4) == 0 {
                        let pa = RAM + rng.below(RAM_SIZE / gsize) * gsize;
                        pages.push(block(va + i * gsize, pa, g, g.shift() as u8));
                    }
                }
                pages
            }
        };
        let mut chunks: Vec<Vec<Mapping>> = (0..CHUNKS).map(|c| new_chunk(&mut rng, c)).collect();
        r.w.maps = chunks.concat();
        for op in 0..1500 {
            if rng.below(10) == 0 {
                // Remap a chunk, then invalidate as the architecture
                // requires: one TLBI per old leaf entry, by any address in it.
                let c = rng.below(CHUNKS) as usize;
                let old = std::mem::replace(&mut chunks[c], new_chunk(&mut rng, c as u64));
                r.w.maps = chunks.concat();
                for m in old {
                    let va = m.va + rng.below(1 << m.size_log2);
                    let scope = if rng.below(2) == 0 {
                        LevelScope::LastLevel
                    } else {
                        LevelScope::AllLevels
                    };
                    r.tlbs.tlbi_va_e1(va, AsidMatch::Asid(0), scope);
                }
                continue;
            }
            let va = (CHUNK + rng.below(CHUNKS * CHUNK)) & !7;
            let got = r.load(va, AccessSize::Double);
            let want =
                r.w.handle_miss(&r.map, MmuIdx::El1, VirtAddr(va), AccessKind::Read)
                    .map(|f| {
                        let o = (f.pa.0 - RAM) as usize;
                        u64::from_le_bytes(pattern[o..o + 8].try_into().unwrap())
                    })
                    .map_err(MemoryFault::Translation);
            assert_eq!(
                got, want,
                "round {round} ({p} TLB, {g} guest) op {op} va {va:#x}"
            );
        }
    }
}
