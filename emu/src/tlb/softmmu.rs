//! The CPU's memory access path: TLB fast path, then the slow path (walk
//! on a miss, dispatch by physical address for flagged entries).

use core::fmt;

use super::direct::{TlbError, TlbLookup};
use super::entry::flags;
use super::fill::{AccessKind, FillError, TlbFill};
use super::page_source::PageSizeSource;
use super::set::TlbSet;
use crate::addr::{PhysAddr, VirtAddr};
use crate::mem::{AccessSize, BusError, PhysMemoryMap};
use crate::mmu::MmuIdx;

/// What the TLB calls on a miss to get the entry: the page-table walker
/// (or, in tests, a scripted stand-in).
pub trait MissHandler {
    /// The walker's fault (translation, permission, access flag...).
    type Fault;

    /// Translates `va` for an access of `kind` through MMU index `idx`,
    /// reporting a fault exactly as the architecture would. The walk reads
    /// its tables from `map`.
    fn handle_miss(
        &mut self,
        map: &PhysMemoryMap,
        idx: MmuIdx,
        va: VirtAddr,
        kind: AccessKind,
    ) -> Result<TlbFill, Self::Fault>;

    /// A store reached a physical page marked as holding translated code.
    fn code_written(&mut self, pa: PhysAddr, size: AccessSize) {
        let _ = (pa, size);
    }
}

/// Why a memory access did not complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryFault<F> {
    /// The walker faulted.
    Translation(F),
    /// The walker returned a mapping that does not permit the access
    /// (a walker should fault instead; never used silently).
    Permission {
        /// The address accessed.
        va: VirtAddr,
        /// The kind of access.
        kind: AccessKind,
    },
    /// The physical access failed: a synchronous external abort.
    Bus(BusError),
    /// The walker's record was refused.
    Tlb(TlbError),
}

impl<F: fmt::Display> fmt::Display for MemoryFault<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MemoryFault::Translation(e) => e.fmt(f),
            MemoryFault::Permission { va, kind } => {
                write!(f, "{kind:?} at {va} not permitted by the translation")
            }
            MemoryFault::Bus(e) => e.fmt(f),
            MemoryFault::Tlb(e) => e.fmt(f),
        }
    }
}

/// Where one access goes once its entry is known.
enum Route {
    Host(u64),
    Phys(PhysAddr),
}

fn le(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}

fn arena_range(host: u64, n: u64) -> Option<core::ops::Range<usize>> {
    let a = usize::try_from(host).ok()?;
    Some(a..a.checked_add(n as usize)?)
}

impl<P: PageSizeSource> TlbSet<P> {
    /// Loads `size` bytes at `va` through MMU index `idx`.
    #[inline]
    pub fn load<T: MissHandler>(
        &mut self,
        map: &mut PhysMemoryMap,
        t: &mut T,
        idx: MmuIdx,
        va: VirtAddr,
        size: AccessSize,
    ) -> Result<u64, MemoryFault<T::Fault>> {
        let n = size.bytes();
        if let Some(host) = self.tlb_mut(idx).probe(va.0, n, AccessKind::Read) {
            if let Some(b) = arena_range(host, n).and_then(|r| map.arena().get(r)) {
                return Ok(le(b));
            }
        }
        self.slow_access(map, t, idx, va, size, AccessKind::Read, 0)
    }

    /// Fetches a 4-byte instruction at `va` through MMU index `idx`.
    #[inline]
    pub fn fetch<T: MissHandler>(
        &mut self,
        map: &mut PhysMemoryMap,
        t: &mut T,
        idx: MmuIdx,
        va: VirtAddr,
    ) -> Result<u32, MemoryFault<T::Fault>> {
        if let Some(host) = self.tlb_mut(idx).probe(va.0, 4, AccessKind::Execute) {
            if let Some(b) = arena_range(host, 4).and_then(|r| map.arena().get(r)) {
                return Ok(le(b) as u32);
            }
        }
        self.slow_access(map, t, idx, va, AccessSize::Word, AccessKind::Execute, 0)
            .map(|v| v as u32)
    }

    /// Stores the low `size` bytes of `value` at `va` through `idx`.
    #[inline]
    pub fn store<T: MissHandler>(
        &mut self,
        map: &mut PhysMemoryMap,
        t: &mut T,
        idx: MmuIdx,
        va: VirtAddr,
        size: AccessSize,
        value: u64,
    ) -> Result<(), MemoryFault<T::Fault>> {
        let n = size.bytes();
        if let Some(host) = self.tlb_mut(idx).probe(va.0, n, AccessKind::Write) {
            if let Some(b) = arena_range(host, n).and_then(|r| map.arena_mut().get_mut(r)) {
                for (i, byte) in b.iter_mut().enumerate() {
                    *byte = (value >> (8 * i)) as u8;
                }
                return Ok(());
            }
        }
        self.slow_access(map, t, idx, va, size, AccessKind::Write, value)
            .map(|_| ())
    }

    /// Everything the fast path does not serve.
    #[allow(clippy::too_many_arguments)]
    fn slow_access<T: MissHandler>(
        &mut self,
        map: &mut PhysMemoryMap,
        t: &mut T,
        idx: MmuIdx,
        va: VirtAddr,
        size: AccessSize,
        kind: AccessKind,
        value: u64,
    ) -> Result<u64, MemoryFault<T::Fault>> {
        let n = size.bytes();
        let page_mask = self.tlb(idx).page_size().page_mask();
        if va.0 & page_mask != va.0.wrapping_add(n - 1) & page_mask {
            // Crosses a TLB page: byte by byte, each with its own entry.
            let mut v = 0;
            for i in 0..n {
                let b = self.slow_access(
                    map,
                    t,
                    idx,
                    va.add(i),
                    AccessSize::Byte,
                    kind,
                    value >> (8 * i),
                )?;
                v |= b << (8 * i);
            }
            return Ok(v);
        }
        let route = match self.tlb_mut(idx).lookup(va.0, kind) {
            TlbLookup::Hit { host } => Route::Host(host),
            TlbLookup::Slow { slot, flags } => self.route(idx, slot, va, flags, t, size)?,
            TlbLookup::Miss => {
                self.sync_map(map);
                let fill = t
                    .handle_miss(map, idx, va, kind)
                    .map_err(MemoryFault::Translation)?;
                let perms = match idx {
                    MmuIdx::El0 => fill.perms.el0,
                    _ => fill.perms.el1,
                };
                if !perms.allows(kind) {
                    return Err(MemoryFault::Permission { va, kind });
                }
                let tlb = self.tlb_mut(idx);
                let slot = tlb.fill(&fill, map).map_err(MemoryFault::Tlb)?;
                let Some(e) = tlb.entry(slot).copied() else {
                    return Err(MemoryFault::Tlb(TlbError::Fill(FillError::WrongAddress {
                        accessed: va,
                        filled: fill.va,
                    })));
                };
                let cmp = match kind {
                    AccessKind::Read => e.addr_read,
                    AccessKind::Write => e.addr_write,
                    AccessKind::Execute => e.addr_code,
                };
                if cmp & page_mask != va.0 & page_mask {
                    return Err(MemoryFault::Tlb(TlbError::Fill(FillError::WrongAddress {
                        accessed: va,
                        filled: fill.va,
                    })));
                }
                match cmp & flags::ALL {
                    0 => Route::Host(va.0.wrapping_add(e.addend)),
                    fl => {
                        tlb.count_slow_path();
                        self.route(idx, slot, va, fl, t, size)?
                    }
                }
            }
        };
        match route {
            Route::Host(host) => {
                let r = arena_range(host, n);
                let bus = MemoryFault::Bus(BusError {
                    addr: PhysAddr(host),
                    size,
                    dir: if kind == AccessKind::Write {
                        crate::mem::AccessDir::Write
                    } else {
                        crate::mem::AccessDir::Read
                    },
                    kind: crate::mem::BusErrorKind::Unmapped,
                });
                if kind == AccessKind::Write {
                    let b = r.and_then(|r| map.arena_mut().get_mut(r)).ok_or(bus)?;
                    for (i, byte) in b.iter_mut().enumerate() {
                        *byte = (value >> (8 * i)) as u8;
                    }
                    Ok(0)
                } else {
                    let b = r.and_then(|r| map.arena().get(r)).ok_or(bus)?;
                    Ok(le(b))
                }
            }
            Route::Phys(pa) if kind == AccessKind::Write => map
                .write(pa, size, value)
                .map(|_| 0)
                .map_err(MemoryFault::Bus),
            Route::Phys(pa) => map.read(pa, size).map_err(MemoryFault::Bus),
        }
    }

    /// Where an access through a flagged entry goes.
    fn route<T: MissHandler>(
        &mut self,
        idx: MmuIdx,
        slot: usize,
        va: VirtAddr,
        fl: u64,
        t: &mut T,
        size: AccessSize,
    ) -> Result<Route, MemoryFault<T::Fault>> {
        let tlb = self.tlb(idx);
        let Some(pa) = tlb.phys_addr(slot, va.0) else {
            return Err(MemoryFault::Tlb(TlbError::Fill(FillError::WrongAddress {
                accessed: va,
                filled: VirtAddr(tlb.info(slot).map_or(0, |i| i.map_base)),
            })));
        };
        if fl & flags::WATCH != 0 {
            t.code_written(pa, size);
        }
        if fl & (flags::MMIO | flags::SUBPAGE | flags::SMALL_PAGE | flags::NOCACHE) != 0 {
            return Ok(Route::Phys(pa));
        }
        // Only WATCH was set: the page is RAM, reach it via the addend.
        let addend = tlb.entry(slot).map_or(0, |e| e.addend);
        Ok(Route::Host(va.0.wrapping_add(addend)))
    }
}
