//! Rules of the access path that the CPU relies on: accesses that cross a
//! guest page inside one TLB page (issue 11, defect 5) are translated and
//! checked page by page, a store that faults writes nothing, and a change
//! of PSTATE.PAN reaches the cached privileged entries.

use emu::addr::{PhysAddr, VirtAddr};
use emu::arch::sysreg::TCR_EL1;
use emu::granule::Granule;
use emu::mem::{AccessSize, GuestTableMemory, PhysMemoryMap};
use emu::mmu::fault::FaultKind;
use emu::mmu::regime::{Features, Stage1Regs};
use emu::mmu::{AccessPermissions, PageTable, Stage1Attributes, TableConfig};
use emu::pagesize::PageSize;
use emu::tlb::{MemoryFault, MmuIdx, RuntimePageSize, Stage1Walker, TlbSet, WalkerError};

const RAM: u64 = 0x4000_0000;
const RAM_SIZE: u64 = 8 << 20;
const TABLES: u64 = RAM + (4 << 20);

struct Guest {
    map: PhysMemoryMap,
    tlbs: TlbSet<RuntimePageSize>,
    walker: Stage1Walker,
}

fn attrs(access: AccessPermissions, el0_exec: bool) -> Stage1Attributes {
    Stage1Attributes {
        access,
        uxn: !el0_exec,
        ..Stage1Attributes::kernel_data(0)
    }
}

/// A guest whose RAM holds byte `i % 251` at RAM + i, with the mappings
/// `(va, pa, len, attrs)` in one TTBR0 table set.
fn guest(
    page: PageSize,
    granule: Granule,
    va_bits: u32,
    mappings: &[(u64, u64, u64, Stage1Attributes)],
) -> Guest {
    let mut map = PhysMemoryMap::new(page);
    map.add_ram("ram", PhysAddr(RAM), RAM_SIZE, 0).unwrap();
    let pattern: Vec<u8> = (0..TABLES - RAM).map(|i| (i % 251) as u8).collect();
    map.write_bytes(PhysAddr(RAM), &pattern).unwrap();
    let config = TableConfig::stage1(granule, va_bits, 48).unwrap();
    let mut mem = GuestTableMemory::new(&mut map, PhysAddr(TABLES), PhysAddr(RAM + RAM_SIZE));
    let mut table = PageTable::new(config, &mut mem).unwrap();
    for &(va, pa, len, a) in mappings {
        table.map(&mut mem, va, PhysAddr(pa), len, a).unwrap();
    }
    let regs = Stage1Regs {
        sctlr: 1,
        tcr: config.tcr_el1_bits() | TCR_EL1::EPD1::SET.value,
        ttbr0: table.root().0,
        mair: 0xff,
        ..Default::default()
    };
    Guest {
        map,
        tlbs: TlbSet::new(RuntimePageSize(page), 64).unwrap(),
        walker: Stage1Walker {
            regs,
            features: Features::QEMU_MAX,
            walks: 0,
        },
    }
}

fn pattern_at(pa: u64) -> u8 {
    ((pa - RAM) % 251) as u8
}

fn is_fault(r: &Result<impl core::fmt::Debug, MemoryFault<WalkerError>>, kind: FaultKind) -> bool {
    matches!(r, Err(MemoryFault::Translation(WalkerError::Fault(f))) if f.kind == kind)
}

#[test]
fn fetch_across_into_an_unmapped_guest_page_faults() {
    // 64K TLB pages, 16K guest pages, 38-bit VA: four pages at
    // 0xF_FFFF_C000 end at 0x10_0000_C000, inside the TLB page of the
    // last one.
    let va = 0xF_FFFF_C000;
    let mut g = guest(
        PageSize::K64,
        Granule::K16,
        38,
        &[(va, RAM, 0x1_0000, attrs(AccessPermissions::ReadWrite, true))],
    );
    let last = 0x10_0000_BFFC;
    assert_eq!(
        g.tlbs
            .fetch(&mut g.map, &mut g.walker, MmuIdx::El0, VirtAddr(last)),
        Ok(u32::from_le_bytes(core::array::from_fn(|i| {
            pattern_at(RAM + (last - va) + i as u64)
        })))
    );
    let crossing = g.tlbs.fetch(
        &mut g.map,
        &mut g.walker,
        MmuIdx::El0,
        VirtAddr(0x10_0000_BFFF),
    );
    assert!(is_fault(&crossing, FaultKind::Translation), "{crossing:?}");
}

#[test]
fn store_across_into_an_unmapped_guest_page_writes_nothing() {
    // 16K TLB pages, 4K guest pages, only VA 0 mapped (to RAM + 0x5000).
    let pa = RAM + 0x5000;
    let mut g = guest(
        PageSize::K16,
        Granule::K4,
        39,
        &[(0, pa, 0x1000, attrs(AccessPermissions::ReadWrite, false))],
    );
    let before: Vec<u8> = (pa..pa + 0x2000).map(pattern_at).collect();
    let r = g.tlbs.store(
        &mut g.map,
        &mut g.walker,
        MmuIdx::El1,
        VirtAddr(0xFFC),
        AccessSize::Double,
        u64::MAX,
    );
    assert!(is_fault(&r, FaultKind::Translation), "{r:?}");
    let mut after = vec![0; 0x2000];
    g.map.read_bytes(PhysAddr(pa), &mut after).unwrap();
    assert!(before == after, "a faulting store changed memory");
}

#[test]
fn accesses_across_small_guest_pages_use_each_page_s_own_translation() {
    // 64K TLB pages, 4K guest pages mapped far apart and backwards: page
    // 0 is read-write, page 1 read-only, page 2 unmapped.
    let (p0, p1) = (RAM + 0x3_0000, RAM + 0x1_0000);
    let rw = attrs(AccessPermissions::PrivilegedReadWrite, false);
    let ro = attrs(AccessPermissions::PrivilegedReadOnly, false);
    let mut g = guest(
        PageSize::K64,
        Granule::K4,
        39,
        &[(0, p0, 0x1000, rw), (0x1000, p1, 0x1000, ro)],
    );
    let load = |g: &mut Guest, va: u64| {
        g.tlbs.load(
            &mut g.map,
            &mut g.walker,
            MmuIdx::El1,
            VirtAddr(va),
            AccessSize::Double,
        )
    };
    // Bytes 0xFFD..0x1000 from page 0's target, the rest from page 1's.
    let expected = u64::from_le_bytes(core::array::from_fn(|i| {
        let va = 0xFFD + i as u64;
        pattern_at(if va < 0x1000 {
            p0 + va
        } else {
            p1 + va - 0x1000
        })
    }));
    for _ in 0..2 {
        assert_eq!(load(&mut g, 0xFFD), Ok(expected));
    }
    let r = load(&mut g, 0x1FFD);
    assert!(is_fault(&r, FaultKind::Translation), "{r:?}");
    // A store into the read-only page faults and leaves page 0 alone.
    let r = g.tlbs.store(
        &mut g.map,
        &mut g.walker,
        MmuIdx::El1,
        VirtAddr(0xFFD),
        AccessSize::Double,
        0,
    );
    assert!(is_fault(&r, FaultKind::Permission), "{r:?}");
    assert_eq!(load(&mut g, 0xFFD), Ok(expected));
}

#[test]
fn a_pan_change_reaches_cached_privileged_entries() {
    // An EL0-accessible page: EL1 may read it with PAN clear, not with PAN
    // set (ARM ARM D8.4.2, "PSTATE.PAN").
    let mut g = guest(
        PageSize::K4,
        Granule::K4,
        39,
        &[(0, RAM, 0x1000, attrs(AccessPermissions::ReadWrite, false))],
    );
    let load = |g: &mut Guest, idx| {
        g.tlbs.load(
            &mut g.map,
            &mut g.walker,
            idx,
            VirtAddr(0x10),
            AccessSize::Byte,
        )
    };
    let byte = Ok(u64::from(pattern_at(RAM + 0x10)));
    assert_eq!(load(&mut g, MmuIdx::El1), byte);
    assert_eq!(load(&mut g, MmuIdx::El0), byte);
    let walks = g.walker.walks;
    g.walker.regs.pan = true;
    g.tlbs.set_pan(true);
    let r = load(&mut g, MmuIdx::El1);
    assert!(is_fault(&r, FaultKind::Permission), "{r:?}");
    // The EL0 entry stayed: no walk for it.
    let walks_after_el1 = g.walker.walks;
    assert_eq!(load(&mut g, MmuIdx::El0), byte);
    assert_eq!(g.walker.walks, walks_after_el1);
    assert!(walks_after_el1 > walks);
    g.walker.regs.pan = false;
    g.tlbs.set_pan(false);
    assert_eq!(load(&mut g, MmuIdx::El1), byte);
}

/// Found by the tlb fuzz target: with PAN set, an EL1 fetch (which PAN
/// allows) filled an entry that then let an EL1 read of the same EL0 page
/// through.
#[test]
fn an_entry_filled_by_a_fetch_under_pan_does_not_serve_reads() {
    let mut g = guest(
        PageSize::K4,
        Granule::K4,
        39,
        &[(
            0,
            RAM,
            0x1000,
            Stage1Attributes {
                pxn: false,
                ..attrs(AccessPermissions::ReadOnly, false)
            },
        )],
    );
    g.walker.regs.pan = true;
    g.tlbs.set_pan(true);
    // EL1 may execute it (not EL0-writable, PXN clear), PAN or not.
    let fetched = g
        .tlbs
        .fetch(&mut g.map, &mut g.walker, MmuIdx::El1, VirtAddr(0x10));
    assert!(fetched.is_ok(), "{fetched:?}");
    let r = g.tlbs.load(
        &mut g.map,
        &mut g.walker,
        MmuIdx::El1,
        VirtAddr(0x10),
        AccessSize::Byte,
    );
    assert!(is_fault(&r, FaultKind::Permission), "{r:?}");
}
