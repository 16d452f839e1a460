//! TLB target: loads, stores and fetches through [`TlbSet`] and the stage-1
//! walker over guest tables in guest RAM, interleaved with table changes
//! (each followed by the TLBIs the architecture asks for), TLBIs, ASID
//! switches and PAN changes. Each access is checked against a reference
//! that walks every byte of it on its own, on a twin memory map holding
//! the same tables: the TLB may only ever give what a fresh walk gives.
//!
//! Addresses are drawn near the mapped ranges, and guest pages next to
//! each other map far apart, so that an access crossing a guest page
//! boundary (inside or across a TLB page) is common.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

use super::memmap::Scratch;
use super::Input;
use crate::addr::{PhysAddr, VirtAddr};
use crate::arch::sysreg::{TCR_EL1, TTBR};
use crate::granule::Granule;
use crate::mem::{AccessSize, PhysMemoryMap};
use crate::mmu::attrs::{AccessPermissions, Stage1Attributes};
use crate::mmu::fault::{Access, AccessKind, El};
use crate::mmu::memory::TableMemory;
use crate::mmu::regime::Features;
use crate::mmu::{PageTable, TableConfig};
use crate::mmu::{Walk, Walker};
use crate::pagesize::PageSize;
use crate::tlb::{
    AsidMatch, LevelScope, MemoryFault, MmuIdx, RuntimePageSize, Stage1Walker, TlbSet,
};

const RAM: u64 = 0x4000_0000;
/// Guest RAM, in guest pages: mapping targets below `TABLES_AT`, the
/// guest's tables above it (up to 16 of them). Small, because a fresh
/// machine per input is most of the cost.
const RAM_PAGES: u64 = 48;
const TABLES_AT: u64 = 32;
const ROM: u64 = 0x1000_0000;
/// A 256-byte device at the start of an otherwise empty page.
const DEVICE: u64 = 0x0900_0000;
const HOLE: u64 = 0x2000_0000;
const MAX_OPS: usize = 48;
/// Page-by-page invalidation up to this many pages, else VMALLE1.
const MAX_TLBI_PAGES: u64 = 64;

/// Table memory in the guest RAM of both memory maps at once, with its
/// allocator kept across operations.
struct Tables<'m> {
    maps: [&'m mut PhysMemoryMap; 2],
    alloc: &'m mut Allocator,
}

struct Allocator {
    next: u64,
    end: u64,
    freed: Vec<(u64, usize)>,
}

impl TableMemory for Tables<'_> {
    fn allocate_table(&mut self, bytes: usize) -> Option<PhysAddr> {
        let at = match self.alloc.freed.iter().position(|&(_, b)| b == bytes) {
            Some(i) => self.alloc.freed.swap_remove(i).0,
            None => {
                let at = self.alloc.next.next_multiple_of(bytes as u64);
                if at + bytes as u64 > self.alloc.end {
                    return None;
                }
                self.alloc.next = at + bytes as u64;
                at
            }
        };
        let zeros = vec![0u8; bytes];
        for m in &mut self.maps {
            m.write_bytes(PhysAddr(at), &zeros).ok()?;
        }
        Some(PhysAddr(at))
    }

    fn free_table(&mut self, table: PhysAddr, bytes: usize) {
        self.alloc.freed.push((table.0, bytes));
    }

    fn read_descriptor(&self, address: PhysAddr) -> u64 {
        let mut b = [0u8; 8];
        let _ = self.maps[0].read_bytes(address, &mut b);
        u64::from_le_bytes(b)
    }

    fn write_descriptor(&mut self, address: PhysAddr, value: u64) {
        for m in &mut self.maps {
            let _ = m.write_bytes(address, &value.to_le_bytes());
        }
    }
}

/// Bytes that differ from their neighbours, made once: a fresh machine
/// per input is most of this target's cost.
fn pattern() -> &'static [u8] {
    static PATTERN: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    PATTERN.get_or_init(|| (0..TABLES_AT << 16).map(|i| (i % 251) as u8).collect())
}

fn machine(page: PageSize, g: u64) -> PhysMemoryMap {
    let mut m = PhysMemoryMap::new(page);
    m.add_ram("ram", PhysAddr(RAM), RAM_PAGES * g, 0).unwrap();
    m.write_bytes(PhysAddr(RAM), &pattern()[..(TABLES_AT * g) as usize])
        .unwrap();
    m.add_rom("rom", PhysAddr(ROM), &pattern()[7..0x1_0007], 0)
        .unwrap();
    let dev: Vec<u8> = (0..0x100u32).map(|i| i as u8 ^ 0xc3).collect();
    m.add_mmio(
        "scratch",
        PhysAddr(DEVICE),
        0x100,
        0,
        Box::new(Scratch(dev)),
    )
    .unwrap();
    m
}

struct Guest {
    map: PhysMemoryMap,
    /// The reference's memory: the same layout, tables and writes.
    twin: PhysMemoryMap,
    tlbs: TlbSet<RuntimePageSize>,
    walker: Stage1Walker,
    tables: [PageTable; 2],
    alloc: Allocator,
    granule: Granule,
    /// Two table sets, one per ASID, every mapping non-global. With one,
    /// ASID switches keep the tables and mappings may be global.
    per_asid: bool,
    asid: u16,
}

impl Guest {
    fn edit(&mut self, which: usize, f: impl FnOnce(&mut PageTable, &mut Tables<'_>)) {
        let mut mem = Tables {
            maps: [&mut self.map, &mut self.twin],
            alloc: &mut self.alloc,
        };
        f(&mut self.tables[which], &mut mem);
    }

    fn set_asid(&mut self, asid: u16) {
        let table = &self.tables[usize::from(self.per_asid && asid == 2)];
        self.asid = asid;
        self.walker.regs.ttbr0 = table.root().0 | TTBR::ASID.val(u64::from(asid)).value;
        self.tlbs.set_asid(asid);
    }

    /// The TLBIs a guest owes after changing `[va, va + len)`.
    fn invalidate(&mut self, va: u64, len: u64) {
        let g = self.granule.size();
        if len / g > MAX_TLBI_PAGES {
            self.tlbs.tlbi_vmalle1();
            return;
        }
        for page in (va..va + len).step_by(g as usize) {
            self.tlbs
                .tlbi_va_e1(page, AsidMatch::Any, LevelScope::AllLevels);
        }
    }
}

/// A VA near one of a few anchors: the bottom of the space, both sides of
/// a 2M and a 1G boundary, and the top of the 39-bit range.
fn va_near(input: &mut Input<'_>, g: u64) -> u64 {
    let anchors = [0, (1 << 21) - 4 * g, (1 << 30) - 4 * g, (1 << 39) - 8 * g];
    let anchor = anchors[usize::from(input.u8() % 4)];
    anchor + (u64::from(input.u8() % 8)) * g
}

fn attrs(input: &mut Input<'_>, not_global: bool) -> Stage1Attributes {
    let flags = input.u8();
    Stage1Attributes {
        attr_index: 0,
        access: AccessPermissions::ALL[usize::from(flags % 4)],
        uxn: flags & 4 != 0,
        pxn: flags & 8 != 0,
        not_global: not_global || flags & 16 != 0,
        access_flag: flags & 32 == 0 || flags & 64 == 0,
        contiguous: flags & 128 != 0,
        ..Stage1Attributes::kernel_data(0)
    }
}

/// A target: RAM pages spread backwards, ROM, the device page, a hole.
fn target(input: &mut Input<'_>, g: u64) -> u64 {
    match input.u8() % 8 {
        0 => ROM,
        1 => DEVICE,
        2 => HOLE,
        // At most 26 pages below the tables.
        k => RAM + TABLES_AT * g - u64::from(k) * 2 * g - u64::from(input.u8() % 4) * 4 * g,
    }
}

/// One input: page size, granule, table mode, then operations.
pub fn check(data: &[u8]) {
    let mut input = Input::new(data);
    let page = PageSize::ALL[usize::from(input.u8() % 4)];
    let granule = Granule::ALL[usize::from(input.u8() % 3)];
    let per_asid = input.bool();
    let config = TableConfig::stage1(granule, 39, 48).unwrap();
    let g = granule.size();
    let mut map = machine(page, g);
    let mut twin = machine(page, g);
    let mut alloc = Allocator {
        next: RAM + TABLES_AT * g,
        end: RAM + RAM_PAGES * g,
        freed: Vec::new(),
    };
    let tables = {
        let mut mem = Tables {
            maps: [&mut map, &mut twin],
            alloc: &mut alloc,
        };
        [
            PageTable::new(config, &mut mem).unwrap(),
            PageTable::new(config, &mut mem).unwrap(),
        ]
    };
    let mut walker = Stage1Walker {
        regs: Default::default(),
        features: Features::QEMU_MAX,
        walks: 0,
    };
    walker.regs.sctlr = 1;
    walker.regs.tcr = config.tcr_el1_bits() | TCR_EL1::EPD1::SET.value;
    walker.regs.mair = 0xff;
    let mut guest = Guest {
        map,
        twin,
        tlbs: TlbSet::new(RuntimePageSize(page), 16).unwrap(),
        walker,
        tables,
        alloc,
        granule,
        per_asid,
        asid: 1,
    };
    guest.set_asid(1);
    // A few mappings to start with.
    for _ in 0..1 + input.u8() % 4 {
        map_one(&mut guest, &mut input, g);
    }
    for _ in 0..MAX_OPS {
        if input.is_empty() {
            break;
        }
        match input.u8() % 16 {
            0..=4 => access(&mut guest, &mut input, AccessKind::Read),
            5..=7 => access(&mut guest, &mut input, AccessKind::Write),
            8 | 9 => access(&mut guest, &mut input, AccessKind::Execute),
            10 => map_one(&mut guest, &mut input, g),
            11 => change(&mut guest, &mut input, g),
            12 => {
                let va = va_near(&mut input, g) + u64::from(input.u8()) * 8;
                let scope = if input.bool() {
                    LevelScope::LastLevel
                } else {
                    LevelScope::AllLevels
                };
                let asid = if input.bool() {
                    AsidMatch::Any
                } else {
                    AsidMatch::Asid(guest.asid)
                };
                guest.tlbs.tlbi_va_e1(va, asid, scope);
            }
            13 => match input.u8() % 3 {
                0 => guest.tlbs.tlbi_vmalle1(),
                1 => guest.tlbs.tlbi_aside1(1),
                _ => guest.tlbs.tlbi_aside1(2),
            },
            14 => {
                let other = 3 - guest.asid;
                guest.set_asid(other);
            }
            _ => {
                guest.walker.regs.pan = !guest.walker.regs.pan;
                guest.tlbs.set_pan(guest.walker.regs.pan);
            }
        }
    }
}

fn map_one(guest: &mut Guest, input: &mut Input<'_>, g: u64) {
    let va = va_near(input, g);
    let len = g * (1 + u64::from(input.u8() % 4));
    let pa = target(input, g);
    let which = usize::from(guest.per_asid && input.bool());
    let a = attrs(input, guest.per_asid);
    guest.edit(which, |t, mem| {
        let _ = t.map(mem, va, PhysAddr(pa), len, a);
    });
}

fn change(guest: &mut Guest, input: &mut Input<'_>, g: u64) {
    let va = va_near(input, g);
    let len = g * (1 + u64::from(input.u8() % 8));
    let which = usize::from(guest.per_asid && input.bool());
    let op = input.u8() % 3;
    let pa = target(input, g);
    let a = attrs(input, guest.per_asid);
    guest.edit(which, |t, mem| {
        let _ = match op {
            0 => t.unmap(mem, va, len),
            1 => t.protect(mem, va, len, a),
            _ => t.remap(mem, va, PhysAddr(pa), len, a),
        };
    });
    guest.invalidate(va, len);
}

/// What the reference expects of an access: a fault or the bytes' PAs.
fn reference(
    guest: &Guest,
    idx: MmuIdx,
    va: u64,
    n: u64,
    kind: AccessKind,
) -> Result<Vec<u64>, crate::mmu::Fault> {
    let el = if idx == MmuIdx::El0 { El::El0 } else { El::El1 };
    let walker = Walker::new(guest.walker.features, &guest.twin).with_stage1(guest.walker.regs);
    (0..n)
        .map(|i| {
            let t = walker.translate(
                Walk::Stage1(VirtAddr(va.wrapping_add(i))),
                Access::new(el, kind),
            )?;
            Ok(t.output.0)
        })
        .collect()
}

fn access(guest: &mut Guest, input: &mut Input<'_>, kind: AccessKind) {
    let g = guest.granule.size();
    let idx = if input.bool() {
        MmuIdx::El0
    } else {
        MmuIdx::El1
    };
    let size = match kind {
        AccessKind::Execute => AccessSize::Word,
        _ => AccessSize::ALL[usize::from(input.u8() % 4)],
    };
    let n = size.bytes();
    // Near a guest page boundary most of the time.
    let base = va_near(input, g) + g * u64::from(input.u8() % 4);
    let va = match input.u8() % 4 {
        0 => base + u64::from(input.u8()) * 8,
        _ => base.wrapping_sub(u64::from(input.u8() % 16)),
    };
    let value = input.bits(8);
    let expected = reference(guest, idx, va, n, kind);
    let got = match kind {
        AccessKind::Read => {
            guest
                .tlbs
                .load(&mut guest.map, &mut guest.walker, idx, VirtAddr(va), size)
        }
        AccessKind::Execute => guest
            .tlbs
            .fetch(&mut guest.map, &mut guest.walker, idx, VirtAddr(va))
            .map(u64::from),
        AccessKind::Write => guest
            .tlbs
            .store(
                &mut guest.map,
                &mut guest.walker,
                idx,
                VirtAddr(va),
                size,
                value,
            )
            .map(|()| 0),
    };
    let context = || alloc::format!("{kind:?} of {n} at {va:#x} through {idx:?}");
    let pas = match (expected, got) {
        (Err(want), Err(MemoryFault::Translation(f))) => {
            assert_eq!(f, crate::tlb::WalkerError::Fault(want), "{}", context());
            return;
        }
        (Err(want), got) => panic!(
            "{}: the walk faults ({want:?}), the TLB gives {got:?}",
            context()
        ),
        (Ok(pas), got) => (pas, got),
    };
    let (pas, got) = pas;
    // Every byte translated: now the memory side, byte by byte.
    let mut want = Ok(0u64);
    for (i, &pa) in pas.iter().enumerate() {
        let r = if kind == AccessKind::Write {
            guest
                .twin
                .write(PhysAddr(pa), AccessSize::Byte, value >> (8 * i))
                .map(|()| 0)
        } else {
            guest.twin.read(PhysAddr(pa), AccessSize::Byte)
        };
        match r {
            Ok(b) => want = want.map(|v| v | b << (8 * i)),
            Err(_) => {
                want = Err(());
                break;
            }
        }
    }
    match (want, got) {
        (Ok(v), Ok(x)) => assert_eq!(x, v, "{}", context()),
        (Err(()), Err(MemoryFault::Bus(_))) => {}
        (want, got) => panic!(
            "{}: the reference gives {want:?}, the TLB {got:?}",
            context()
        ),
    }
    // Whatever a store did, both memories agree where it could land: at
    // each byte's own PA and at the first byte's PA plus the offset.
    if kind == AccessKind::Write {
        for i in 0..n {
            for pa in [pas[i as usize], pas[0].wrapping_add(i)] {
                let a = guest.map.read(PhysAddr(pa), AccessSize::Byte);
                let b = guest.twin.read(PhysAddr(pa), AccessSize::Byte);
                assert_eq!(a.ok(), b.ok(), "{}: memory differs at {pa:#x}", context());
            }
        }
    }
}
