//! The physical memory map: sub-page regions, unaligned regions, holes,
//! priorities, device constraints, and the PL011 model behind it.

use std::cell::RefCell;
use std::rc::Rc;

use emu::addr::PhysAddr;
use emu::mem::pl011::{self, reg, Pl011};
use emu::mem::{
    AccessConstraints, AccessSize, BusErrorKind, Device, DeviceError, LineSink, PageKind,
    PhysMemoryMap, RegionError, RegionKind,
};
use emu::pagesize::PageSize;

/// A device with `n` bytes of scratch registers, each initialised to
/// `tag`, so a read shows which device answered.
struct Scratch {
    bytes: Vec<u8>,
    constraints: AccessConstraints,
}

impl Scratch {
    fn new(n: usize, tag: u8) -> Box<Self> {
        Box::new(Scratch {
            bytes: vec![tag; n],
            constraints: AccessConstraints::ANY,
        })
    }
}

impl Device for Scratch {
    fn constraints(&self) -> AccessConstraints {
        self.constraints
    }
    fn read(&mut self, offset: u64, size: AccessSize) -> Result<u64, DeviceError> {
        let o = offset as usize;
        let b = self
            .bytes
            .get(o..o + size.bytes() as usize)
            .ok_or(DeviceError::BusError)?;
        Ok(b.iter().rev().fold(0, |a, x| (a << 8) | u64::from(*x)))
    }
    fn write(&mut self, offset: u64, size: AccessSize, value: u64) -> Result<(), DeviceError> {
        let o = offset as usize;
        let b = self
            .bytes
            .get_mut(o..o + size.bytes() as usize)
            .ok_or(DeviceError::BusError)?;
        for (i, x) in b.iter_mut().enumerate() {
            *x = (value >> (8 * i)) as u8;
        }
        Ok(())
    }
}

const RAM_BASE: u64 = 0x4000_0000;

fn machine(page: PageSize) -> PhysMemoryMap {
    let mut m = PhysMemoryMap::new(page);
    m.add_ram("ram", PhysAddr(RAM_BASE), 1 << 20, 0).unwrap();
    m
}

fn unmapped(m: &mut PhysMemoryMap, pa: u64) -> bool {
    let r = m.read(PhysAddr(pa), AccessSize::Byte);
    let w = m.write(PhysAddr(pa), AccessSize::Byte, 0);
    matches!(r, Err(e) if e.kind == BusErrorKind::Unmapped)
        && matches!(w, Err(e) if e.kind == BusErrorKind::Unmapped)
}

#[test]
fn device_of_256_bytes_inside_16k_and_64k_pages_is_dispatched_and_hole_faults() {
    for page in [PageSize::K16, PageSize::K64] {
        let mut m = machine(page);
        let base = 0x0900_0000 + 0x200; // not even page-aligned
        m.add_mmio("dev", PhysAddr(base), 256, 0, Scratch::new(256, 0xd0))
            .unwrap();
        assert_eq!(m.page_kind(PhysAddr(base)), PageKind::SubPage);
        assert_eq!(m.read(PhysAddr(base), AccessSize::Word), Ok(0xd0d0_d0d0));
        // A device filling whole pages is a device page, not a sub-page.
        m.add_mmio(
            "wide",
            PhysAddr(0x2000_0000),
            3 * page.size(),
            0,
            Scratch::new(16, 1),
        )
        .unwrap();
        assert_eq!(
            m.page_kind(PhysAddr(0x2000_0000 + page.size())),
            PageKind::Device
        );
        m.write(
            PhysAddr(base + 0xf8),
            AccessSize::Double,
            0x1122_3344_5566_7788,
        )
        .unwrap();
        assert_eq!(
            m.read(PhysAddr(base + 0xf8), AccessSize::Double),
            Ok(0x1122_3344_5566_7788)
        );
        // The holes on both sides, within the same page.
        assert!(unmapped(&mut m, base - 1), "{page}");
        assert!(unmapped(&mut m, base + 256), "{page}");
        assert!(unmapped(&mut m, page.page_base(base)), "{page}");
        assert!(
            unmapped(&mut m, page.page_base(base) + page.size() - 1),
            "{page}"
        );
        // RAM is unaffected and still a uniform page.
        assert!(matches!(
            m.page_kind(PhysAddr(RAM_BASE)),
            PageKind::Memory { writable: true, .. }
        ));
    }
}

#[test]
fn pl011_4k_inside_64k_page_rest_of_page_is_external_abort() {
    let mut m = machine(PageSize::K64);
    let out = Rc::new(RefCell::new(Vec::new()));
    let o = out.clone();
    m.add_mmio(
        "pl011",
        PhysAddr(0x0900_0000),
        pl011::MMIO_SIZE,
        0,
        Box::new(Pl011::new(Box::new(move |b| o.borrow_mut().push(b)))),
    )
    .unwrap();
    m.write(PhysAddr(0x0900_0000), AccessSize::Word, u64::from(b'A'))
        .unwrap();
    assert_eq!(*out.borrow(), b"A");
    assert_eq!(
        m.read(PhysAddr(0x0900_0fe0), AccessSize::Word),
        Ok(u64::from(pl011::ID_BYTES[0]))
    );
    for hole in [0x0900_1000, 0x0900_8000, 0x0900_fffc] {
        let e = m.read(PhysAddr(hole), AccessSize::Word).unwrap_err();
        assert_eq!(e.kind, BusErrorKind::Unmapped);
        assert_eq!(e.addr, PhysAddr(hole));
    }
}

#[test]
fn ram_and_device_sharing_a_page_each_get_their_bytes() {
    for page in [PageSize::K4, PageSize::K16, PageSize::K64] {
        let mut m = PhysMemoryMap::new(page);
        let ram = m.add_ram("ram", PhysAddr(0x10_0000), 0x1000, 0).unwrap();
        m.add_mmio(
            "dev",
            PhysAddr(0x10_1000),
            0x100,
            0,
            Scratch::new(0x100, 0xee),
        )
        .unwrap();
        if page != PageSize::K4 {
            assert_eq!(m.page_kind(PhysAddr(0x10_0000)), PageKind::SubPage);
        }
        m.write(
            PhysAddr(0x10_0ff8),
            AccessSize::Double,
            0x0102_0304_0506_0708,
        )
        .unwrap();
        assert_eq!(m.memory(ram).unwrap()[0xff8], 0x08);
        assert_eq!(m.read(PhysAddr(0x10_1000), AccessSize::Byte), Ok(0xee));
        // An access straddling RAM and device is split byte by byte.
        assert_eq!(
            m.read(PhysAddr(0x10_0ffe), AccessSize::Word),
            Ok(0xeeee_0102)
        );
        assert!(unmapped(&mut m, 0x10_1100));
    }
}

#[test]
fn unaligned_multi_page_ram_region_is_uniform_inside_and_dispatched_at_edges() {
    for page in PageSize::ALL {
        let mut m = PhysMemoryMap::new(page);
        let base = 0x1_0000_0c00u64;
        let size = 3 * 0x1_0000 + 0x500;
        let id = m.add_ram("odd", PhysAddr(base), size, 0).unwrap();
        let first_full = base.next_multiple_of(page.size());
        if first_full + page.size() <= base + size {
            match m.page_kind(PhysAddr(first_full)) {
                PageKind::Memory {
                    arena_offset,
                    writable: true,
                } => assert_eq!(arena_offset, first_full - base),
                k => panic!("{page}: {k:?}"),
            }
        }
        if !base.is_multiple_of(page.size()) {
            assert_eq!(m.page_kind(PhysAddr(base)), PageKind::SubPage, "{page}");
        }
        assert_eq!(
            m.page_kind(PhysAddr(base + size - 1)),
            if (base + size).is_multiple_of(page.size()) {
                PageKind::Memory {
                    arena_offset: page.page_base(base + size - 1) - base,
                    writable: true,
                }
            } else {
                PageKind::SubPage
            },
            "{page}"
        );
        let pattern: Vec<u8> = (0..size).map(|i| (i * 7 + i / 251) as u8).collect();
        m.write_bytes(PhysAddr(base), &pattern).unwrap();
        assert_eq!(m.memory(id).unwrap(), &pattern[..]);
        for off in [0, 1, 0x3ff, 0x400, 0x1_0000 - 0xc00, size - 8] {
            let want =
                u64::from_le_bytes(pattern[off as usize..off as usize + 8].try_into().unwrap());
            assert_eq!(
                m.read(PhysAddr(base + off), AccessSize::Double),
                Ok(want),
                "{page} {off:#x}"
            );
        }
        assert!(unmapped(&mut m, base - 1));
        assert!(unmapped(&mut m, base + size));
        // A read running off the end faults, naming the access.
        let e = m
            .read(PhysAddr(base + size - 4), AccessSize::Double)
            .unwrap_err();
        assert_eq!(
            (e.addr, e.kind),
            (PhysAddr(base + size - 4), BusErrorKind::Unmapped)
        );
    }
}

#[test]
fn holes_are_bus_errors_everywhere() {
    let mut m = machine(PageSize::K4);
    for pa in [
        0,
        0x3fff_ffff,
        RAM_BASE + (1 << 20),
        1 << 47,
        (1 << 48) - 1,
        1 << 48,
        u64::MAX,
    ] {
        assert!(unmapped(&mut m, pa), "{pa:#x}");
        assert_eq!(m.page_kind(PhysAddr(pa)), PageKind::Unmapped);
    }
    let e = m
        .read_vec(PhysAddr(RAM_BASE + (1 << 20) - 2), 4)
        .unwrap_err();
    assert_eq!(e.kind, BusErrorKind::Unmapped);
}

#[test]
fn higher_priority_overlay_wins_and_lower_one_added_later_does_not() {
    for page in [PageSize::K1, PageSize::K16] {
        let mut m = machine(page);
        // A ROM overlay in the middle of RAM, not page-aligned.
        let rom = [0xabu8; 0x300];
        m.add_rom("rom", PhysAddr(RAM_BASE + 0x1100), &rom, 1)
            .unwrap();
        // A device below RAM's priority: invisible.
        m.add_mmio(
            "hidden",
            PhysAddr(RAM_BASE + 0x8000),
            0x100,
            -1,
            Scratch::new(0x100, 0x55),
        )
        .unwrap();
        assert_eq!(
            m.read(PhysAddr(RAM_BASE + 0x1100), AccessSize::Byte),
            Ok(0xab)
        );
        assert_eq!(m.read(PhysAddr(RAM_BASE + 0x10ff), AccessSize::Byte), Ok(0));
        assert_eq!(m.read(PhysAddr(RAM_BASE + 0x1400), AccessSize::Byte), Ok(0));
        // Writes to ROM are ignored; RAM beneath is untouched.
        m.write(PhysAddr(RAM_BASE + 0x1200), AccessSize::Word, 0)
            .unwrap();
        assert_eq!(
            m.read(PhysAddr(RAM_BASE + 0x1200), AccessSize::Word),
            Ok(0xabab_abab)
        );
        assert_eq!(m.read(PhysAddr(RAM_BASE + 0x8000), AccessSize::Byte), Ok(0));
        // Equal priority: the later region wins.
        let top = m
            .add_mmio(
                "top",
                PhysAddr(RAM_BASE + 0x9000),
                0x10,
                0,
                Scratch::new(0x10, 0x77),
            )
            .unwrap();
        assert_eq!(
            m.read(PhysAddr(RAM_BASE + 0x9000), AccessSize::Byte),
            Ok(0x77)
        );
        assert_eq!(m.region_at(PhysAddr(RAM_BASE + 0x900f)), Some(top));
        assert_ne!(m.region_at(PhysAddr(RAM_BASE + 0x9010)), Some(top));
    }
}

#[test]
fn many_small_devices_each_answer_their_own_range() {
    let mut m = PhysMemoryMap::new(PageSize::K64);
    for i in 0..200u64 {
        m.add_mmio(
            "d",
            PhysAddr(0x2000_0000 + i * 0x400),
            0x100,
            0,
            Scratch::new(0x100, i as u8),
        )
        .unwrap();
    }
    for i in 0..200u64 {
        let pa = 0x2000_0000 + i * 0x400;
        assert_eq!(m.read(PhysAddr(pa + 0x80), AccessSize::Byte), Ok(i & 0xff));
        assert!(unmapped(&mut m, pa + 0x100));
    }
}

#[test]
fn large_ram_with_1k_pages_builds_without_per_page_entries() {
    let mut m = PhysMemoryMap::new(PageSize::K1);
    let id = m
        .add_ram("big", PhysAddr(0x8000_0000), 64 << 20, 0)
        .unwrap();
    m.write(PhysAddr(0x8000_0000 + (50 << 20) + 3), AccessSize::Byte, 9)
        .unwrap();
    assert_eq!(m.memory(id).unwrap()[(50 << 20) + 3], 9);
    assert!(matches!(
        m.page_kind(PhysAddr(0x8000_0000 + (63 << 20))),
        PageKind::Memory { arena_offset, .. } if arena_offset == 63 << 20
    ));
}

#[test]
fn device_access_constraints_are_bus_errors() {
    let mut m = machine(PageSize::K4);
    let mut d = Scratch::new(0x100, 0);
    d.constraints = AccessConstraints {
        min: AccessSize::Half,
        max: AccessSize::Word,
        aligned: true,
    };
    m.add_mmio("strict", PhysAddr(0x100_0000), 0x100, 0, d)
        .unwrap();
    let pa = PhysAddr(0x100_0000);
    assert_eq!(
        m.read(pa, AccessSize::Byte).unwrap_err().kind,
        BusErrorKind::AccessSize
    );
    assert_eq!(
        m.read(pa, AccessSize::Double).unwrap_err().kind,
        BusErrorKind::AccessSize
    );
    assert_eq!(
        m.write(pa.add(2), AccessSize::Word, 0).unwrap_err().kind,
        BusErrorKind::Alignment
    );
    assert_eq!(m.read(pa.add(2), AccessSize::Half), Ok(0));
    // Loader accesses do not reach devices.
    assert_eq!(
        m.write_bytes(pa, &[1]).unwrap_err().kind,
        BusErrorKind::NotMemory
    );
}

#[test]
fn bad_regions_are_refused_with_typed_errors() {
    let mut m = PhysMemoryMap::new(PageSize::K4);
    assert!(matches!(
        m.add_ram("z", PhysAddr(0), 0, 0),
        Err(RegionError::EmptyRegion { .. })
    ));
    assert!(matches!(
        m.add_ram("far", PhysAddr((1 << 48) - 4096), 8192, 0),
        Err(RegionError::OutOfRange { .. })
    ));
    assert!(matches!(
        m.add_ram("wrap", PhysAddr(u64::MAX), 2, 0),
        Err(RegionError::OutOfRange { .. })
    ));
    assert_eq!(m.regions().count(), 0);
    let id = m.add_rom("boot", PhysAddr(0), &[1, 2, 3], 0).unwrap();
    let info = m.regions().next().unwrap();
    assert_eq!((info.id, info.kind, info.size), (id, RegionKind::Rom, 3));
}

#[test]
fn pl011_reports_flags_ids_and_stores_control_registers() {
    let lines = Rc::new(RefCell::new(Vec::<String>::new()));
    let l = lines.clone();
    let sink = LineSink::new(move |line: &[u8]| {
        l.borrow_mut()
            .push(format!("guest| {}", String::from_utf8_lossy(line)))
    });
    let mut m = machine(PageSize::K4);
    let base = 0x0900_0000;
    let id = m
        .add_mmio(
            "pl011",
            PhysAddr(base),
            pl011::MMIO_SIZE,
            0,
            Box::new(Pl011::new(Box::new(sink))),
        )
        .unwrap();
    let rd = |m: &mut PhysMemoryMap, off| m.read(PhysAddr(base + off), AccessSize::Word).unwrap();
    assert_eq!(
        rd(&mut m, reg::UARTFR) as u32,
        pl011::fr::TXFE | pl011::fr::RXFE
    );
    assert_eq!(rd(&mut m, reg::UARTCR), 0x300);
    for (i, b) in pl011::ID_BYTES.iter().enumerate() {
        assert_eq!(rd(&mut m, 0xfe0 + 4 * i as u64), u64::from(*b));
    }
    for b in b"hello\r\nworld\n" {
        // Byte-wide stores to UARTDR, as many guests do.
        m.write(PhysAddr(base), AccessSize::Byte, u64::from(*b))
            .unwrap();
    }
    assert_eq!(*lines.borrow(), ["guest| hello", "guest| world"]);
    m.write(PhysAddr(base + reg::UARTCR), AccessSize::Word, 0x301)
        .unwrap();
    m.write(PhysAddr(base + reg::UARTIMSC), AccessSize::Word, 0x20)
        .unwrap();
    m.write(PhysAddr(base + reg::UARTIBRD), AccessSize::Word, 26)
        .unwrap();
    assert_eq!(rd(&mut m, reg::UARTCR), 0x301);
    assert_eq!(rd(&mut m, reg::UARTIBRD), 26);
    assert_eq!(
        rd(&mut m, reg::UARTMIS),
        0x20,
        "TX interrupt raised and unmasked"
    );
    m.write(PhysAddr(base + reg::UARTICR), AccessSize::Word, 0x20)
        .unwrap();
    assert_eq!(rd(&mut m, reg::UARTRIS), 0);
    assert!(m.device_mut(id).is_some());
    // 8-byte and unaligned accesses are bus errors; reserved offsets too.
    assert_eq!(
        m.read(PhysAddr(base), AccessSize::Double).unwrap_err().kind,
        BusErrorKind::AccessSize
    );
    assert_eq!(
        m.read(PhysAddr(base + 2), AccessSize::Word)
            .unwrap_err()
            .kind,
        BusErrorKind::Alignment
    );
    assert_eq!(
        m.read(PhysAddr(base + 0x100), AccessSize::Word)
            .unwrap_err()
            .kind,
        BusErrorKind::DeviceRefused
    );
}

#[test]
fn pl011_receive_fifo_drives_rxfe_and_data_register() {
    let mut u = Pl011::new(Box::new(|_b: u8| {}));
    assert!(u.push_input(b'x'));
    assert!(u.push_input(b'y'));
    let fr = u.read(reg::UARTFR, AccessSize::Word).unwrap() as u32;
    assert_eq!(fr & pl011::fr::RXFE, 0);
    assert_eq!(u.read(reg::UARTDR, AccessSize::Word), Ok(u64::from(b'x')));
    assert_eq!(u.read(reg::UARTDR, AccessSize::Byte), Ok(u64::from(b'y')));
    let fr = u.read(reg::UARTFR, AccessSize::Word).unwrap() as u32;
    assert_ne!(fr & pl011::fr::RXFE, 0);
    for _ in 0..pl011::RX_FIFO_DEPTH {
        assert!(u.push_input(0));
    }
    assert!(!u.push_input(0), "overrun when full");
    let fr = u.read(reg::UARTFR, AccessSize::Word).unwrap() as u32;
    assert_ne!(fr & pl011::fr::RXFF, 0);
    u.write(reg::UARTIMSC, AccessSize::Word, u64::from(pl011::int::RX))
        .unwrap();
    assert!(u.irq_pending());
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

#[test]
fn random_overlapping_layouts_match_a_linear_reference_model() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for round in 0..40 {
        let page = PageSize::ALL[round % 4];
        let mut m = PhysMemoryMap::new(page);
        // (base, size, priority, tag, is_ram)
        let mut model: Vec<(u64, u64, i32, u8, bool)> = Vec::new();
        for i in 0..12 {
            let base = rng.below(0x4_0000);
            let big = rng.below(3) == 0;
            let size = 1 + rng.below(if big { 0x3_0000 } else { 0x800 });
            let prio = rng.below(3) as i32 - 1;
            let tag = 0x10 + i as u8;
            let ram = rng.below(2) == 0;
            if ram {
                let id = m.add_ram("r", PhysAddr(base), size, prio).unwrap();
                m.memory_mut(id).unwrap().fill(tag);
            } else {
                m.add_mmio(
                    "d",
                    PhysAddr(base),
                    size,
                    prio,
                    Scratch::new(size as usize, tag),
                )
                .unwrap();
            }
            model.push((base, size, prio, tag, ram));
        }
        let expect = |pa: u64| {
            model
                .iter()
                .enumerate()
                .filter(|(_, r)| r.0 <= pa && pa < r.0 + r.1)
                .max_by_key(|(i, r)| (r.2, *i))
                .map(|(i, r)| (i, r.3, r.4))
        };
        let mut probes: Vec<u64> = model
            .iter()
            .flat_map(|r| [r.0, r.0 + r.1, r.0 + r.1 - 1, r.0.saturating_sub(1)])
            .collect();
        probes.extend((0..400).map(|_| rng.below(0x8_0000)));
        for pa in probes {
            let got = m.read(PhysAddr(pa), AccessSize::Byte);
            match expect(pa) {
                Some((i, tag, _)) => {
                    assert_eq!(got, Ok(u64::from(tag)), "round {round} pa {pa:#x}");
                    assert_eq!(m.region_at(PhysAddr(pa)).map(|r| r.0 as usize), Some(i));
                }
                None => assert_eq!(got.map_err(|e| e.kind), Err(BusErrorKind::Unmapped)),
            }
            // A page the TLB may cache must really be one RAM region.
            if let PageKind::Memory { arena_offset, .. } = m.page_kind(PhysAddr(pa)) {
                let pbase = page.page_base(pa);
                for off in [0, page.size() / 2, page.size() - 1] {
                    let e = expect(pbase + off).expect("uniform page fully mapped");
                    assert!(e.2, "uniform page is RAM");
                    assert_eq!(m.arena()[(arena_offset + off) as usize], e.1);
                }
            }
        }
    }
}
