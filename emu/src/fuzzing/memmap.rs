//! Memory-map target: layouts of RAM, ROM and devices that overlap, with
//! priorities, then reads and writes (CPU and loader accesses), each
//! checked byte by byte against a model that knows only "the highest
//! priority wins, later regions win ties". Pages the TLB may cache must
//! really be uniform.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

use super::Input;
use crate::addr::PhysAddr;
use crate::mem::{AccessSize, BusErrorKind, Device, DeviceError, PageKind, PhysMemoryMap};
use crate::pagesize::PageSize;

/// Regions live in this window (and a few near the top of the PA space).
const WINDOW: u64 = 0x4_0000;
const TOP: u64 = 1 << 48;
const MAX_REGIONS: usize = 8;
const MAX_OPS: usize = 64;

/// A device that is plain memory: what it holds is easy to model.
pub struct Scratch(pub Vec<u8>);

impl Device for Scratch {
    fn read(&mut self, offset: u64, size: AccessSize) -> Result<u64, DeviceError> {
        let at = usize::try_from(offset).map_err(|_| DeviceError::BusError)?;
        let bytes = self
            .0
            .get(at..at + size.bytes() as usize)
            .ok_or(DeviceError::BusError)?;
        Ok(bytes.iter().rev().fold(0, |v, b| (v << 8) | u64::from(*b)))
    }

    fn write(&mut self, offset: u64, size: AccessSize, value: u64) -> Result<(), DeviceError> {
        let at = usize::try_from(offset).map_err(|_| DeviceError::BusError)?;
        let bytes = self
            .0
            .get_mut(at..at + size.bytes() as usize)
            .ok_or(DeviceError::BusError)?;
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (value >> (8 * i)) as u8;
        }
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Ram,
    Rom,
    Device,
}

struct ModelRegion {
    base: u64,
    priority: i32,
    kind: Kind,
    bytes: Vec<u8>,
}

/// The reference: regions in the order added, each with its contents.
#[derive(Default)]
struct Model {
    regions: Vec<ModelRegion>,
}

impl Model {
    /// The region that owns `pa`, and the offset in it.
    fn owner(&self, pa: u64) -> Option<(usize, usize)> {
        self.regions
            .iter()
            .enumerate()
            .filter(|(_, r)| r.base <= pa && pa - r.base < r.bytes.len() as u64)
            .max_by_key(|(i, r)| (r.priority, *i))
            .map(|(i, r)| (i, (pa - r.base) as usize))
    }

    /// A CPU read of one byte: `None` for a hole.
    fn read(&self, pa: u64) -> Option<u8> {
        self.owner(pa).map(|(i, o)| self.regions[i].bytes[o])
    }
}

/// An address in the window, or just below the top of the PA space
/// (regions there may end beyond it, and must be refused).
fn address(input: &mut Input<'_>) -> u64 {
    match input.u8() % 8 {
        0 => TOP - 1 - input.bits(2),
        _ => input.bits(3) % WINDOW,
    }
}

/// Where a probe goes: near an edge, never far past the top.
fn probe(edge: u64, delta: i8) -> u64 {
    edge.saturating_add_signed(i64::from(delta))
        .min(TOP + 0x100)
}

fn size(input: &mut Input<'_>, page: u64) -> u64 {
    match input.u8() % 4 {
        0 => page * (1 + input.bits(1) % 4),
        1 => input.bits(1),
        _ => input.bits(2) % 0x3000,
    }
}

/// One input: a page size, regions, then accesses.
pub fn check(data: &[u8]) {
    let mut input = Input::new(data);
    let page = PageSize::ALL[usize::from(input.u8() % 4)];
    let mut map = PhysMemoryMap::new(page);
    let mut model = Model::default();
    let regions = usize::from(input.u8()) % (MAX_REGIONS + 1);
    for i in 0..regions {
        let kind = [Kind::Ram, Kind::Rom, Kind::Device][usize::from(input.u8() % 3)];
        let mut base = address(&mut input);
        if input.bool() {
            base = page.page_base(base);
        }
        let size = size(&mut input, page.size());
        let priority = i32::from(input.u8() % 3) - 1;
        let contents: Vec<u8> = (0..size).map(|b| (b as u8) ^ (0x40 + i as u8)).collect();
        let added = match kind {
            Kind::Ram => map.add_ram("ram", PhysAddr(base), size, priority),
            Kind::Rom => map.add_rom("rom", PhysAddr(base), &contents, priority),
            Kind::Device => map.add_mmio(
                "dev",
                PhysAddr(base),
                size,
                priority,
                Box::new(Scratch(contents.clone())),
            ),
        };
        let valid = size > 0 && base.checked_add(size).is_some_and(|end| end <= TOP);
        assert_eq!(
            added.is_ok(),
            valid,
            "region {base:#x}+{size:#x}: {added:?}"
        );
        if added.is_ok() {
            let bytes = match kind {
                Kind::Ram => vec![0; size as usize],
                _ => contents,
            };
            model.regions.push(ModelRegion {
                base,
                priority,
                kind,
                bytes,
            });
        }
    }
    // Probes start at region edges, where the mistakes are.
    let edges: Vec<u64> = model
        .regions
        .iter()
        .flat_map(|r| [r.base, r.base + r.bytes.len() as u64])
        .collect();
    for _ in 0..MAX_OPS {
        if input.is_empty() {
            break;
        }
        let op = input.u8();
        let pa = match edges.len() {
            0 => address(&mut input),
            n => {
                let edge = edges[usize::from(input.u8()) % n];
                probe(edge, input.u8() as i8)
            }
        };
        let size = AccessSize::ALL[usize::from(op >> 4) % 4];
        match op % 4 {
            0 => cpu_read(&mut map, &model, pa, size),
            1 => cpu_write(&mut map, &mut model, pa, size, input.bits(8)),
            2 => loader_read(&map, &model, pa, 1 + usize::from(input.u8() % 32)),
            _ => {
                let data: Vec<u8> = input.bytes(1 + usize::from(op >> 3) % 32).to_vec();
                loader_write(&mut map, &mut model, pa, &data);
            }
        }
        check_page(&map, &model, page, pa);
    }
}

fn cpu_read(map: &mut PhysMemoryMap, model: &Model, pa: u64, size: AccessSize) {
    let n = size.bytes();
    let got = map.read(PhysAddr(pa), size);
    let bytes: Option<Vec<u8>> = (0..n).map(|i| model.read(pa + i)).collect();
    match bytes {
        Some(b) => {
            let want = b.iter().rev().fold(0, |v, x| (v << 8) | u64::from(*x));
            assert_eq!(got, Ok(want), "read of {n} at {pa:#x}");
        }
        _ => assert!(
            got.is_err(),
            "read of {n} at {pa:#x} across a hole: {got:?}"
        ),
    }
}

fn cpu_write(map: &mut PhysMemoryMap, model: &mut Model, pa: u64, size: AccessSize, value: u64) {
    let n = size.bytes();
    let got = map.write(PhysAddr(pa), size, value);
    // Byte by byte in order, as far as the first hole; ROM ignores writes.
    let mut hole = false;
    for i in 0..n {
        match model.owner(pa + i) {
            Some((r, o)) if !hole => {
                if model.regions[r].kind != Kind::Rom {
                    model.regions[r].bytes[o] = (value >> (8 * i)) as u8;
                }
            }
            Some(_) => {}
            None => hole = true,
        }
    }
    assert_eq!(got.is_err(), hole, "write of {n} at {pa:#x}: {got:?}");
    if let Err(e) = got {
        assert_eq!(e.kind, BusErrorKind::Unmapped);
    }
}

fn loader_read(map: &PhysMemoryMap, model: &Model, pa: u64, len: usize) {
    let mut buf = vec![0; len];
    let got = map.read_bytes(PhysAddr(pa), &mut buf);
    let want: Option<Vec<u8>> = (0..len as u64)
        .map(|i| {
            let (r, o) = model.owner(pa + i)?;
            (model.regions[r].kind != Kind::Device).then(|| model.regions[r].bytes[o])
        })
        .collect();
    match want {
        Some(w) => {
            assert_eq!(got, Ok(()), "loader read of {len} at {pa:#x}");
            assert_eq!(buf, w, "loader read of {len} at {pa:#x}");
        }
        None => assert!(got.is_err(), "loader read of {len} at {pa:#x}: {got:?}"),
    }
}

fn loader_write(map: &mut PhysMemoryMap, model: &mut Model, pa: u64, data: &[u8]) {
    let got = map.write_bytes(PhysAddr(pa), data);
    // RAM and ROM alike, in order, as far as the first hole or device.
    let mut stopped = false;
    for (i, &b) in data.iter().enumerate() {
        match model.owner(pa + i as u64) {
            Some((r, o)) if model.regions[r].kind != Kind::Device => {
                model.regions[r].bytes[o] = b;
            }
            _ => {
                stopped = true;
                break;
            }
        }
    }
    assert_eq!(got.is_err(), stopped, "loader write at {pa:#x}: {got:?}");
}

/// The page of `pa`, as the TLB would see it, agrees with the model.
fn check_page(map: &PhysMemoryMap, model: &Model, page: PageSize, pa: u64) {
    let base = page.page_base(pa);
    let owners = [0, page.size() / 2, page.size() - 1].map(|o| model.owner(base + o));
    match map.page_kind(PhysAddr(pa)) {
        PageKind::Memory {
            arena_offset,
            writable,
        } => {
            for (o, owner) in [0, page.size() / 2, page.size() - 1]
                .into_iter()
                .zip(owners)
            {
                let (r, off) = owner.expect("a cacheable page is fully mapped");
                let region = &model.regions[r];
                assert_ne!(region.kind, Kind::Device, "device page cached as memory");
                assert_eq!(writable, region.kind == Kind::Ram);
                assert_eq!(
                    map.arena()[(arena_offset + o) as usize],
                    region.bytes[off],
                    "arena byte {o:#x} of page {base:#x}"
                );
                assert_eq!(
                    Some(r),
                    owners[0].map(|x| x.0),
                    "page {base:#x} not uniform"
                );
            }
        }
        PageKind::Device => {
            for owner in owners {
                let (r, _) = owner.expect("a device page is fully mapped");
                assert_eq!(model.regions[r].kind, Kind::Device);
            }
        }
        PageKind::Unmapped => assert!(owners.iter().all(Option::is_none)),
        PageKind::SubPage => {}
    }
}
