//! The guest physical memory map: regions in, per-page dispatch out.

use alloc::boxed::Box;
use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;

use super::access::{AccessDir, AccessSize, BusError, BusErrorKind};
use super::device::Device;
use super::flat::{flatten, FlatRange};
use super::page_index::{PageIndex, PageSlot};
use super::region::{Backing, Region, RegionError, RegionId, RegionInfo, RegionKind, PA_BITS};
use crate::addr::PhysAddr;
use crate::pagesize::PageSize;

/// How the TLB may treat one physical page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageKind {
    /// The whole page is one RAM or ROM region: its bytes are
    /// `arena()[arena_offset..arena_offset + page size]`.
    Memory {
        /// Offset of the page's first byte in the RAM arena.
        arena_offset: u64,
        /// False for ROM: writes must take the slow path (and are ignored).
        writable: bool,
    },
    /// The whole page is one device: every access goes to it.
    Device,
    /// A sub-page: several regions, or a region and a hole, share the
    /// page. Every access must be dispatched by byte range.
    SubPage,
    /// Nothing at all is mapped in the page: every access is a bus error.
    Unmapped,
}

/// Where one access lands.
#[derive(Clone, Copy)]
enum Target {
    Memory { arena: u64, writable: bool },
    Device { region: usize, offset: u64 },
    Hole,
}

/// The guest physical address space of one machine.
///
/// Regions of any size at any address, overlaps resolved by priority. A
/// page-granular radix tree (see [`PageKind`]) makes every lookup a walk of
/// at most four levels, whatever the number of regions. All RAM and ROM
/// lives in one arena, so a translation can reach it by adding an offset
/// and a bounds-checked slice access: a guest cannot reach host memory
/// outside it.
pub struct PhysMemoryMap {
    page: PageSize,
    regions: Vec<Region>,
    flat: Vec<FlatRange>,
    table: PageIndex,
    arena: Vec<u8>,
    generation: u64,
}

impl PhysMemoryMap {
    /// An empty map working in pages of `page` bytes.
    pub fn new(page: PageSize) -> Self {
        PhysMemoryMap {
            page,
            regions: Vec::new(),
            flat: Vec::new(),
            table: PageIndex::new(page),
            arena: Vec::new(),
            generation: 0,
        }
    }

    /// The page size the map was built with.
    pub fn page_size(&self) -> PageSize {
        self.page
    }

    /// Bumped by every change of layout: TLBs filled before must be flushed.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Adds `size` bytes of zeroed RAM at `base`.
    pub fn add_ram(
        &mut self,
        name: &str,
        base: PhysAddr,
        size: u64,
        priority: i32,
    ) -> Result<RegionId, RegionError> {
        self.add_memory(name, base, size, priority, None)
    }

    /// Adds a ROM holding `contents` at `base`.
    pub fn add_rom(
        &mut self,
        name: &str,
        base: PhysAddr,
        contents: &[u8],
        priority: i32,
    ) -> Result<RegionId, RegionError> {
        self.add_memory(name, base, contents.len() as u64, priority, Some(contents))
    }

    /// Adds a device occupying `size` bytes at `base`.
    pub fn add_mmio(
        &mut self,
        name: &str,
        base: PhysAddr,
        size: u64,
        priority: i32,
        device: Box<dyn Device>,
    ) -> Result<RegionId, RegionError> {
        let info = self.check_new(name, base, size, priority, RegionKind::Mmio)?;
        self.push(Region {
            info,
            backing: Backing::Device(device),
        })
    }

    fn add_memory(
        &mut self,
        name: &str,
        base: PhysAddr,
        size: u64,
        priority: i32,
        rom: Option<&[u8]>,
    ) -> Result<RegionId, RegionError> {
        let kind = if rom.is_some() {
            RegionKind::Rom
        } else {
            RegionKind::Ram
        };
        let info = self.check_new(name, base, size, priority, kind)?;
        let arena = self.arena.len() as u64;
        let new_len = usize::try_from(arena + size).map_err(|_| RegionError::TooMuchMemory {
            name: name.to_string(),
        })?;
        self.arena
            .try_reserve_exact(new_len - self.arena.len())
            .map_err(|_| RegionError::TooMuchMemory {
                name: name.to_string(),
            })?;
        match rom {
            Some(bytes) => self.arena.extend_from_slice(bytes),
            None => self.arena.resize(new_len, 0),
        }
        self.push(Region {
            info,
            backing: Backing::Memory {
                arena,
                writable: rom.is_none(),
            },
        })
    }

    fn check_new(
        &self,
        name: &str,
        base: PhysAddr,
        size: u64,
        priority: i32,
        kind: RegionKind,
    ) -> Result<RegionInfo, RegionError> {
        if size == 0 {
            return Err(RegionError::EmptyRegion {
                name: name.to_string(),
            });
        }
        match base.0.checked_add(size) {
            Some(end) if end <= 1 << PA_BITS => {}
            _ => {
                return Err(RegionError::OutOfRange {
                    name: name.to_string(),
                    base,
                    size,
                })
            }
        }
        let id = u32::try_from(self.regions.len()).map_err(|_| RegionError::TooManyRegions)?;
        Ok(RegionInfo {
            id: RegionId(id),
            name: name.to_string(),
            base,
            size,
            priority,
            kind,
        })
    }

    fn push(&mut self, region: Region) -> Result<RegionId, RegionError> {
        let id = region.info.id;
        self.regions.push(region);
        self.rebuild();
        Ok(id)
    }

    /// Recomputes the flat view and the page table from the regions.
    fn rebuild(&mut self) {
        self.flat = flatten(&self.regions);
        let mut table = PageIndex::new(self.page);
        let mut partial: Vec<u64> = Vec::new();
        for (i, f) in self.flat.iter().enumerate() {
            let full_lo = f.start.next_multiple_of(self.page.size());
            let full_hi = self.page.page_base(f.end);
            if full_lo < full_hi {
                match self
                    .regions
                    .get(f.region.0 as usize)
                    .map(|r| (r, &r.backing))
                {
                    Some((r, Backing::Memory { arena, writable })) => {
                        let at = arena + (full_lo - r.info.base.0);
                        table.map_memory(full_lo, full_hi, at, *writable);
                    }
                    _ => table.map_dispatch(full_lo, full_hi, i as u32, 1),
                }
            }
            if full_lo >= full_hi || f.start != full_lo {
                partial.push(self.page.page_base(f.start));
            }
            if full_lo >= full_hi || f.end != full_hi {
                partial.push(self.page.page_base(f.end - 1));
            }
        }
        partial.sort_unstable();
        partial.dedup();
        for page in partial {
            let end = page + self.page.size();
            let first = self.flat.partition_point(|f| f.end <= page);
            let count = self.flat[first..].partition_point(|f| f.start < end);
            table.map_dispatch(page, end, first as u32, count as u32);
        }
        self.table = table;
        self.generation += 1;
    }

    /// Facts about every region, in the order they were added.
    pub fn regions(&self) -> impl Iterator<Item = &RegionInfo> {
        self.regions.iter().map(|r| &r.info)
    }

    /// The region that answers an access to `pa`, if any.
    pub fn region_at(&self, pa: PhysAddr) -> Option<RegionId> {
        let i = self.flat.partition_point(|f| f.end <= pa.0);
        self.flat
            .get(i)
            .filter(|f| f.start <= pa.0)
            .map(|f| f.region)
    }

    /// How the page holding `pa` may be cached.
    pub fn page_kind(&self, pa: PhysAddr) -> PageKind {
        match self.table.lookup(pa.0) {
            PageSlot::Empty => PageKind::Unmapped,
            PageSlot::Memory {
                arena_of_page,
                writable,
            } => PageKind::Memory {
                arena_offset: arena_of_page,
                writable,
            },
            PageSlot::Sub { first, count } => {
                let base = self.page.page_base(pa.0);
                let whole_device = count == 1
                    && self.flat.get(first as usize).is_some_and(|f| {
                        f.start <= base
                            && base + self.page.size() <= f.end
                            && matches!(
                                self.regions.get(f.region.0 as usize).map(|r| &r.backing),
                                Some(Backing::Device(_))
                            )
                    });
                if whole_device {
                    PageKind::Device
                } else {
                    PageKind::SubPage
                }
            }
        }
    }

    /// The RAM arena (every RAM and ROM region's bytes).
    pub fn arena(&self) -> &[u8] {
        &self.arena
    }

    /// The RAM arena, writable (the TLB fast path stores through it).
    pub fn arena_mut(&mut self) -> &mut [u8] {
        &mut self.arena
    }

    /// The bytes of a RAM or ROM region.
    pub fn memory(&self, id: RegionId) -> Option<&[u8]> {
        let r = self.regions.get(id.0 as usize)?;
        match r.backing {
            Backing::Memory { arena, .. } => {
                let a = usize::try_from(arena).ok()?;
                let n = usize::try_from(r.info.size).ok()?;
                self.arena.get(a..a.checked_add(n)?)
            }
            Backing::Device(_) => None,
        }
    }

    /// The bytes of a RAM or ROM region, writable.
    pub fn memory_mut(&mut self, id: RegionId) -> Option<&mut [u8]> {
        let r = self.regions.get(id.0 as usize)?;
        match r.backing {
            Backing::Memory { arena, .. } => {
                let a = usize::try_from(arena).ok()?;
                let n = usize::try_from(r.info.size).ok()?;
                self.arena.get_mut(a..a.checked_add(n)?)
            }
            Backing::Device(_) => None,
        }
    }

    /// The device behind an MMIO region.
    pub fn device_mut(&mut self, id: RegionId) -> Option<&mut (dyn Device + 'static)> {
        match &mut self.regions.get_mut(id.0 as usize)?.backing {
            Backing::Device(d) => Some(d.as_mut()),
            Backing::Memory { .. } => None,
        }
    }

    /// The device behind an MMIO region, read-only.
    pub fn device(&self, id: RegionId) -> Option<&(dyn Device + 'static)> {
        match &self.regions.get(id.0 as usize)?.backing {
            Backing::Device(d) => Some(d.as_ref()),
            Backing::Memory { .. } => None,
        }
    }

    /// Where the access at `pa` lands, and how many bytes from `pa` on
    /// land in the same place.
    fn target(&self, pa: u64) -> (Target, u64) {
        let page_left = self.page.size() - (pa & self.page.offset_mask());
        match self.table.lookup(pa) {
            PageSlot::Empty => (Target::Hole, page_left),
            PageSlot::Memory {
                arena_of_page,
                writable,
            } => (
                Target::Memory {
                    arena: arena_of_page + (pa & self.page.offset_mask()),
                    writable,
                },
                page_left,
            ),
            PageSlot::Sub { first, count } => {
                let lo = first as usize;
                let hi = lo.saturating_add(count as usize).min(self.flat.len());
                let ranges = self.flat.get(lo..hi).unwrap_or(&[]);
                let i = ranges.partition_point(|f| f.end <= pa);
                match ranges.get(i) {
                    Some(f) if f.start <= pa => {
                        let r = f.region.0 as usize;
                        let Some(region) = self.regions.get(r) else {
                            return (Target::Hole, 1);
                        };
                        let offset = pa - region.info.base.0;
                        let t = match region.backing {
                            Backing::Memory { arena, writable } => Target::Memory {
                                arena: arena + offset,
                                writable,
                            },
                            Backing::Device(_) => Target::Device { region: r, offset },
                        };
                        (t, f.end - pa)
                    }
                    // A hole inside a sub-page: up to the next range.
                    Some(f) => (Target::Hole, f.start - pa),
                    None => (Target::Hole, page_left),
                }
            }
        }
    }

    /// Reads `size` bytes at `pa` (little-endian), as the CPU's slow path.
    pub fn read(&mut self, pa: PhysAddr, size: AccessSize) -> Result<u64, BusError> {
        let n = size.bytes();
        let err = |kind| BusError {
            addr: pa,
            size,
            dir: AccessDir::Read,
            kind,
        };
        let (target, run) = self.target(pa.0);
        if run < n {
            // The access straddles two targets: byte by byte, as a bus would.
            let mut v = 0;
            for i in 0..n {
                let b = self
                    .read(pa.add(i), AccessSize::Byte)
                    .map_err(|e| err(e.kind))?;
                v |= b << (8 * i);
            }
            return Ok(v);
        }
        match target {
            Target::Hole => Err(err(BusErrorKind::Unmapped)),
            Target::Memory { arena, .. } => {
                let bytes = slice_at(&self.arena, arena, n).ok_or(err(BusErrorKind::Unmapped))?;
                Ok(bytes
                    .iter()
                    .rev()
                    .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
            }
            Target::Device { region, offset } => {
                let Some(Backing::Device(dev)) =
                    self.regions.get_mut(region).map(|r| &mut r.backing)
                else {
                    return Err(err(BusErrorKind::Unmapped));
                };
                check_constraints(dev.as_ref(), offset, size).map_err(err)?;
                dev.read(offset, size)
                    .map(|v| v & size.value_mask())
                    .map_err(|_| err(BusErrorKind::DeviceRefused))
            }
        }
    }

    /// Writes the low `size` bytes of `value` at `pa`, as the CPU's slow
    /// path. Writes to ROM are ignored.
    pub fn write(&mut self, pa: PhysAddr, size: AccessSize, value: u64) -> Result<(), BusError> {
        let n = size.bytes();
        let err = |kind| BusError {
            addr: pa,
            size,
            dir: AccessDir::Write,
            kind,
        };
        let (target, run) = self.target(pa.0);
        if run < n {
            for i in 0..n {
                self.write(pa.add(i), AccessSize::Byte, value >> (8 * i))
                    .map_err(|e| err(e.kind))?;
            }
            return Ok(());
        }
        match target {
            Target::Hole => Err(err(BusErrorKind::Unmapped)),
            Target::Memory {
                writable: false, ..
            } => Ok(()),
            Target::Memory { arena, .. } => {
                let bytes =
                    slice_at_mut(&mut self.arena, arena, n).ok_or(err(BusErrorKind::Unmapped))?;
                for (i, b) in bytes.iter_mut().enumerate() {
                    *b = (value >> (8 * i)) as u8;
                }
                Ok(())
            }
            Target::Device { region, offset } => {
                let Some(Backing::Device(dev)) =
                    self.regions.get_mut(region).map(|r| &mut r.backing)
                else {
                    return Err(err(BusErrorKind::Unmapped));
                };
                check_constraints(dev.as_ref(), offset, size).map_err(err)?;
                dev.write(offset, size, value & size.value_mask())
                    .map_err(|_| err(BusErrorKind::DeviceRefused))
            }
        }
    }

    /// Copies guest memory at `pa` into `buf` (a loader's or debugger's
    /// access: RAM and ROM only, no device side effects).
    pub fn read_bytes(&self, pa: PhysAddr, buf: &mut [u8]) -> Result<(), BusError> {
        let mut done = 0usize;
        while done < buf.len() {
            let at = pa.add(done as u64);
            let (target, run) = self.target(at.0);
            let n = run.min((buf.len() - done) as u64) as usize;
            let err = |kind| loader_error(at, AccessDir::Read, kind);
            match target {
                Target::Memory { arena, .. } => {
                    let src = slice_at(&self.arena, arena, n as u64)
                        .ok_or(err(BusErrorKind::Unmapped))?;
                    buf[done..done + n].copy_from_slice(src);
                }
                Target::Hole => return Err(err(BusErrorKind::Unmapped)),
                Target::Device { .. } => return Err(err(BusErrorKind::NotMemory)),
            }
            done += n;
        }
        Ok(())
    }

    /// Copies `data` into guest memory at `pa` (a loader's access: RAM and
    /// ROM alike, devices refused).
    pub fn write_bytes(&mut self, pa: PhysAddr, data: &[u8]) -> Result<(), BusError> {
        let mut done = 0usize;
        while done < data.len() {
            let at = pa.add(done as u64);
            let (target, run) = self.target(at.0);
            let n = run.min((data.len() - done) as u64) as usize;
            let err = |kind| loader_error(at, AccessDir::Write, kind);
            match target {
                Target::Memory { arena, .. } => {
                    let dst = slice_at_mut(&mut self.arena, arena, n as u64)
                        .ok_or(err(BusErrorKind::Unmapped))?;
                    dst.copy_from_slice(&data[done..done + n]);
                }
                Target::Hole => return Err(err(BusErrorKind::Unmapped)),
                Target::Device { .. } => return Err(err(BusErrorKind::NotMemory)),
            }
            done += n;
        }
        Ok(())
    }

    /// `len` bytes of guest memory at `pa`, copied out (RAM and ROM only).
    pub fn read_vec(&self, pa: PhysAddr, len: usize) -> Result<Vec<u8>, BusError> {
        let mut v = vec![0; len];
        self.read_bytes(pa, &mut v)?;
        Ok(v)
    }
}

fn loader_error(addr: PhysAddr, dir: AccessDir, kind: BusErrorKind) -> BusError {
    BusError {
        addr,
        size: AccessSize::Byte,
        dir,
        kind,
    }
}

fn slice_at(arena: &[u8], at: u64, n: u64) -> Option<&[u8]> {
    let a = usize::try_from(at).ok()?;
    arena.get(a..a.checked_add(usize::try_from(n).ok()?)?)
}

fn slice_at_mut(arena: &mut [u8], at: u64, n: u64) -> Option<&mut [u8]> {
    let a = usize::try_from(at).ok()?;
    arena.get_mut(a..a.checked_add(usize::try_from(n).ok()?)?)
}

fn check_constraints(dev: &dyn Device, offset: u64, size: AccessSize) -> Result<(), BusErrorKind> {
    let c = dev.constraints();
    if size < c.min || size > c.max {
        Err(BusErrorKind::AccessSize)
    } else if c.aligned && offset & (size.bytes() - 1) != 0 {
        Err(BusErrorKind::Alignment)
    } else {
        Ok(())
    }
}

impl core::fmt::Debug for PhysMemoryMap {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PhysMemoryMap")
            .field("page", &self.page)
            .field("regions", &self.regions().collect::<Vec<_>>())
            .field("arena_bytes", &self.arena.len())
            .finish()
    }
}

/// One line per region: `base-end kind name (priority)`.
impl core::fmt::Display for PhysMemoryMap {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        writeln!(f, "physical memory map, {} pages:", self.page)?;
        for r in self.regions() {
            writeln!(
                f,
                "  {:#011x}-{:#011x} {:4} {} (priority {})",
                r.base.0,
                r.base.0 + r.size - 1,
                r.kind,
                r.name,
                r.priority
            )?;
        }
        Ok(())
    }
}
