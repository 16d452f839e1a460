//! A direct-mapped software TLB for one MMU index, QEMU-style: one
//! comparator per access kind with flag bits below the page, an addend to
//! reach host RAM, and precise invalidation of large mappings.

use alloc::boxed::Box;
use alloc::vec;
use core::fmt;

use super::entry::{flags, mask, EntryInfo, TlbEntry, GLOBAL};
use super::fill::{AccessKind, FillError, TlbFill};
use super::large::{LargeMapping, LargeTable};
use super::page_source::{PageSizeSource, RuntimePageSize};
use super::stats::TlbStats;
use crate::addr::PhysAddr;
use crate::mem::{PageKind, PhysMemoryMap};
use crate::mmu::MmuIdx;
use crate::pagesize::PageSize;

/// Which entries an invalidation by address drops, by ASID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AsidMatch {
    /// Entries of any ASID (TLBI VAAE1, VAALE1).
    Any,
    /// Entries of this ASID, and global ones (TLBI VAE1, VALE1).
    Asid(u16),
}

/// Which levels an invalidation by address covers.
///
/// This TLB caches only leaf translations (pages, blocks and contiguous
/// runs are all leaves), never intermediate table entries, so both scopes
/// drop the same entries; the distinction matters to a walk cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LevelScope {
    /// Every level (TLBI VAE1 and friends).
    AllLevels,
    /// The last level only (TLBI VALE1 and friends).
    LastLevel,
}

/// What a lookup found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlbLookup {
    /// A usable entry with no flags: host RAM at this arena offset.
    Hit {
        /// Arena offset of the addressed byte.
        host: u64,
    },
    /// An entry for the page whose flags force the slow path.
    Slow {
        /// The TLB slot.
        slot: usize,
        /// The comparator's flag bits ([`flags`]).
        flags: u64,
    },
    /// No usable entry: walk, then fill.
    Miss,
}

/// A TLB that cannot be built or used as asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlbError {
    /// The entry count is not a power of two between 1 and 65536.
    BadEntryCount(usize),
    /// The TLB and the memory map use different page sizes.
    PageSizeMismatch {
        /// The TLB's page size.
        tlb: PageSize,
        /// The memory map's page size.
        map: PageSize,
    },
    /// The fill record was refused.
    Fill(FillError),
}

impl fmt::Display for TlbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlbError::BadEntryCount(n) => {
                write!(f, "TLB of {n} entries: must be a power of two, 1 to 65536")
            }
            TlbError::PageSizeMismatch { tlb, map } => write!(
                f,
                "TLB uses {tlb} pages but the memory map uses {map} pages"
            ),
            TlbError::Fill(e) => e.fmt(f),
        }
    }
}

impl From<FillError> for TlbError {
    fn from(e: FillError) -> Self {
        TlbError::Fill(e)
    }
}

/// Live large-mapping records kept per TLB (beyond this, the oldest is
/// evicted and its entries dropped).
pub const LARGE_MAPPINGS: usize = 16;

/// A direct-mapped software TLB for one MMU index.
pub struct Tlb<P: PageSizeSource = RuntimePageSize> {
    page: P,
    idx_mask: usize,
    asid: u32,
    entries: Box<[TlbEntry]>,
    info: Box<[EntryInfo]>,
    large: LargeTable,
    regime: MmuIdx,
    stats: TlbStats,
}

impl<P: PageSizeSource> Tlb<P> {
    /// An empty TLB of `entries` slots (a power of two, 1 to 65536).
    pub fn new(regime: MmuIdx, page: P, entries: usize) -> Result<Self, TlbError> {
        if !entries.is_power_of_two() || entries > 1 << 16 {
            return Err(TlbError::BadEntryCount(entries));
        }
        Ok(Tlb {
            page,
            idx_mask: entries - 1,
            asid: 0,
            entries: vec![TlbEntry::EMPTY; entries].into_boxed_slice(),
            info: vec![EntryInfo::default(); entries].into_boxed_slice(),
            large: LargeTable::new(LARGE_MAPPINGS, entries),
            regime,
            stats: TlbStats::default(),
        })
    }

    /// The TLB's page size.
    pub fn page_size(&self) -> PageSize {
        self.page.page_size()
    }

    /// The number of slots.
    pub fn capacity(&self) -> usize {
        self.entries.len()
    }

    /// The MMU index this TLB serves.
    pub fn regime(&self) -> MmuIdx {
        self.regime
    }

    /// The ASID whose non-global entries match (from TTBRn_EL1.ASID).
    pub fn asid(&self) -> u16 {
        self.asid as u16
    }

    /// Switches ASID. Entries are tagged, so nothing is flushed: entries of
    /// other ASIDs simply stop matching.
    pub fn set_asid(&mut self, asid: u16) {
        self.asid = u32::from(asid);
    }

    /// The counters.
    pub fn stats(&self) -> &TlbStats {
        &self.stats
    }

    /// Zeroes the counters.
    pub fn reset_stats(&mut self) {
        self.stats = TlbStats::default();
    }

    /// How many large mappings are being tracked for invalidation.
    pub fn live_large_mappings(&self) -> usize {
        self.large.len()
    }

    /// How many slots hold a translation.
    pub fn valid_entries(&self) -> usize {
        self.entries.iter().filter(|e| e.is_valid()).count()
    }

    /// The slot an address maps to.
    #[inline(always)]
    pub fn slot_of(&self, va: u64) -> usize {
        (va >> self.page.shift()) as usize & self.idx_mask
    }

    /// The hot part of a slot.
    pub fn entry(&self, slot: usize) -> Option<&TlbEntry> {
        self.entries.get(slot)
    }

    /// The cold part of a slot.
    pub fn info(&self, slot: usize) -> Option<&EntryInfo> {
        self.info.get(slot)
    }

    #[inline(always)]
    fn comparator(e: &TlbEntry, kind: AccessKind) -> u64 {
        match kind {
            AccessKind::Read => e.addr_read,
            AccessKind::Write => e.addr_write,
            AccessKind::Execute => e.addr_code,
        }
    }

    #[inline(always)]
    fn asid_ok(&self, tag: u32) -> bool {
        tag == self.asid || tag == GLOBAL
    }

    /// The fast path: the arena offset of `va` if an entry without flags
    /// covers all `size` bytes of the access for `kind`. Counts a hit.
    #[inline(always)]
    pub fn probe(&mut self, va: u64, size: u64, kind: AccessKind) -> Option<u64> {
        let page_mask = self.page.page_mask();
        let e = &self.entries[self.slot_of(va)];
        let page = va & page_mask;
        let last_page = va.wrapping_add(size.wrapping_sub(1)) & page_mask;
        if Self::comparator(e, kind) == page && last_page == page && self.asid_ok(e.asid) {
            self.stats.hits = self.stats.hits.wrapping_add(1);
            Some(va.wrapping_add(e.addend))
        } else {
            None
        }
    }

    /// The slow path's lookup, after [`Tlb::probe`] failed: counts a
    /// slow-path access or a miss. Drops a do-not-cache entry.
    pub fn lookup(&mut self, va: u64, kind: AccessKind) -> TlbLookup {
        let page_mask = self.page.page_mask();
        let slot = self.slot_of(va);
        let e = self.entries[slot];
        let cmp = Self::comparator(&e, kind);
        let page = va & page_mask;
        if !self.asid_ok(e.asid) || cmp & (page_mask | flags::INVALID) != page {
            self.stats.misses = self.stats.misses.wrapping_add(1);
            return TlbLookup::Miss;
        }
        let fl = cmp & flags::ALL;
        if fl == 0 {
            // Usable, but the caller's access crossed the page.
            return TlbLookup::Hit {
                host: va.wrapping_add(e.addend),
            };
        }
        let other_guest_page = fl & flags::SMALL_PAGE != 0 && !self.info[slot].mapping_contains(va);
        if fl & flags::NOCACHE != 0 || other_guest_page {
            if fl & flags::NOCACHE != 0 {
                self.drop_slot(slot);
            }
            self.stats.misses = self.stats.misses.wrapping_add(1);
            return TlbLookup::Miss;
        }
        self.stats.slow_path = self.stats.slow_path.wrapping_add(1);
        TlbLookup::Slow { slot, flags: fl }
    }

    /// Counts a slow-path access served straight from a fresh fill.
    pub fn count_slow_path(&mut self) {
        self.stats.slow_path = self.stats.slow_path.wrapping_add(1);
    }

    /// The output address of `va` through `slot`, if the slot's mapping
    /// covers it.
    pub fn phys_addr(&self, slot: usize, va: u64) -> Option<PhysAddr> {
        let i = self.info.get(slot)?;
        i.mapping_contains(va)
            .then(|| PhysAddr(i.pa_base.wrapping_add(va - i.map_base)))
    }

    /// Installs the translation `fill` (for the page holding `fill.va`),
    /// looking the output page up in `map`. Returns the slot.
    ///
    /// A mapping smaller than the TLB page (a small guest page) is never
    /// cached as a whole TLB page: the entry is marked [`flags::SMALL_PAGE`],
    /// so every access goes to the slow path, which only uses it for
    /// addresses inside the recorded guest page.
    pub fn fill(&mut self, fill: &TlbFill, map: &PhysMemoryMap) -> Result<usize, TlbError> {
        if map.page_size() != self.page.page_size() {
            return Err(TlbError::PageSizeMismatch {
                tlb: self.page.page_size(),
                map: map.page_size(),
            });
        }
        fill.validate()?;
        let shift = self.page.shift();
        let page_mask = self.page.page_mask();
        let va = fill.va.0;
        let page = va & page_mask;
        let slot = self.slot_of(va);
        let map_shift = fill.size_log2;
        let map_base = fill.map_base();
        let pa_base = fill.pa.0 & !fill.size_mask();

        let mut common = 0;
        let mut write_extra = 0;
        let mut addend = 0;
        if u32::from(map_shift) < shift {
            common |= flags::SMALL_PAGE;
        } else {
            match map.page_kind(PhysAddr(fill.pa.0 & page_mask)) {
                PageKind::Memory {
                    arena_offset,
                    writable,
                } => {
                    addend = arena_offset.wrapping_sub(page);
                    if !writable {
                        write_extra |= flags::MMIO;
                    }
                }
                PageKind::SubPage => common |= flags::SUBPAGE,
                PageKind::Device | PageKind::Unmapped => common |= flags::MMIO,
            }
        }
        if fill.flags.do_not_cache {
            common |= flags::NOCACHE;
        }
        if fill.flags.watched {
            write_extra |= flags::WATCH;
        }
        let perms = match self.regime {
            MmuIdx::El0 => fill.perms.el0,
            _ => fill.perms.el1,
        };
        let cmp = |ok: bool, extra: u64| {
            if ok {
                page | common | extra
            } else {
                super::entry::EMPTY
            }
        };
        let asid = fill.asid.map_or(GLOBAL, u32::from);
        self.entries[slot] = TlbEntry {
            addr_read: cmp(perms.read, 0),
            addr_write: cmp(perms.write, write_extra),
            addr_code: cmp(perms.execute, 0),
            addend,
            asid,
        };
        self.info[slot] = EntryInfo {
            page,
            map_base,
            map_shift,
            pa_base,
            ipa_base: fill.ipa.map(|ipa| ipa.0 & !fill.size_mask()),
            mair: fill.attrs.mair,
        };
        self.stats.fills = self.stats.fills.wrapping_add(1);
        if u32::from(map_shift) > shift {
            if let Some(evicted) = self.large.record(map_base, map_shift, asid, slot) {
                self.drop_mapping(&evicted);
                self.large.retire(evicted);
            }
        }
        Ok(slot)
    }

    fn drop_slot(&mut self, slot: usize) {
        if let Some(e) = self.entries.get_mut(slot) {
            if e.is_valid() {
                self.stats.invalidated = self.stats.invalidated.wrapping_add(1);
            }
            *e = TlbEntry::EMPTY;
        }
        if let Some(i) = self.info.get_mut(slot) {
            *i = EntryInfo::default();
        }
    }

    /// Drops the slots a large-mapping record lists that still hold it.
    fn drop_mapping(&mut self, rec: &LargeMapping) {
        for slot in rec.slot_iter() {
            let (Some(e), Some(i)) = (self.entries.get(slot), self.info.get(slot)) else {
                continue;
            };
            if e.asid == rec.asid && i.map_base == rec.base && i.map_shift == rec.shift {
                self.drop_slot(slot);
            }
        }
    }

    fn asid_matches(tag: u32, m: AsidMatch) -> bool {
        match m {
            AsidMatch::Any => true,
            AsidMatch::Asid(a) => tag == GLOBAL || tag == u32::from(a),
        }
    }

    /// Drops everything (TLBI VMALLE1, ALLE1...).
    pub fn invalidate_all(&mut self) {
        self.stats.flushes = self.stats.flushes.wrapping_add(1);
        let valid = self.valid_entries() as u64;
        self.stats.invalidated = self.stats.invalidated.wrapping_add(valid);
        self.entries.fill(TlbEntry::EMPTY);
        self.info.fill(EntryInfo::default());
        self.large.clear();
    }

    /// Drops every entry whose translation contains `va` (TLBI VAE1,
    /// VALE1, VAAE1, VAALE1): the entry of `va`'s own TLB page, and every
    /// entry filled from a block or contiguous run that contains `va`,
    /// whichever small page of it was touched.
    pub fn invalidate_va(&mut self, va: u64, asid: AsidMatch, scope: LevelScope) {
        let _ = scope; // Leaf entries only: both scopes drop the same.
        self.stats.flushes = self.stats.flushes.wrapping_add(1);
        let slot = self.slot_of(va);
        let page = va & self.page.page_mask();
        if self.info[slot].page == page && Self::asid_matches(self.entries[slot].asid, asid) {
            self.drop_slot(slot);
        }
        let mut i = 0;
        while i < self.large.recs.len() {
            let r = &self.large.recs[i];
            if r.contains(va) && Self::asid_matches(r.asid, asid) {
                let rec = self.large.recs.swap_remove(i);
                self.drop_mapping(&rec);
                self.large.retire(rec);
            } else {
                i += 1;
            }
        }
    }

    /// Drops every non-global entry of `asid` (TLBI ASIDE1).
    pub fn invalidate_asid(&mut self, asid: u16) {
        self.stats.flushes = self.stats.flushes.wrapping_add(1);
        let tag = u32::from(asid);
        for slot in 0..self.entries.len() {
            if self.entries[slot].asid == tag {
                self.drop_slot(slot);
            }
        }
        self.large.remove_matching(|r| r.asid == tag);
    }

    /// Drops every combined stage 1+2 entry whose IPA range contains `ipa`
    /// (for TLBI IPAS2E1 on the stage 1 TLBs; more than the architecture
    /// asks, which is always safe).
    pub fn invalidate_ipa(&mut self, ipa: u64) {
        self.stats.flushes = self.stats.flushes.wrapping_add(1);
        for slot in 0..self.info.len() {
            let i = &self.info[slot];
            if i.ipa_base.is_some_and(|b| b == ipa & !mask(i.map_shift)) {
                self.drop_slot(slot);
            }
        }
    }

    /// Marks (or unmarks) the physical page holding `pa` as holding
    /// translated code: stores through existing entries for it then take
    /// the slow path (QEMU's `tlb_protect_code` / `tlb_unprotect_code`).
    pub fn set_watch(&mut self, pa: PhysAddr, watched: bool) {
        let page_mask = self.page.page_mask();
        for slot in 0..self.entries.len() {
            let i = &self.info[slot];
            let Some(pa_page) = self.phys_addr(slot, i.page.max(i.map_base)) else {
                continue;
            };
            let e = &mut self.entries[slot];
            if pa_page.0 & page_mask != pa.0 & page_mask || e.addr_write & flags::INVALID != 0 {
                continue;
            }
            if watched {
                e.addr_write |= flags::WATCH;
            } else {
                e.addr_write &= !flags::WATCH;
            }
        }
    }
}

impl<P: PageSizeSource> fmt::Display for Tlb<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tlb {}: {} entries of {} pages, {} valid, {} large mappings tracked, {}",
            self.regime.name(),
            self.capacity(),
            self.page_size(),
            self.valid_entries(),
            self.live_large_mappings(),
            self.stats
        )
    }
}
