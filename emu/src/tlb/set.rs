//! The TLBs of one CPU, one per MMU index, and the TLBI operations that
//! reach several of them at once.

use core::fmt;

use super::direct::{AsidMatch, LevelScope, Tlb, TlbError};
use super::page_source::PageSizeSource;
use super::stats::TlbStats;
use crate::mmu::MmuIdx;

/// One TLB per [`MmuIdx`].
pub struct TlbSet<P: PageSizeSource> {
    pub(crate) tlbs: [Tlb<P>; 4],
    /// The memory map layout the entries were filled from.
    map_generation: Option<u64>,
}

impl<P: PageSizeSource> TlbSet<P> {
    /// Four empty TLBs of `entries` slots each.
    pub fn new(page: P, entries: usize) -> Result<Self, TlbError> {
        Ok(TlbSet {
            tlbs: [
                Tlb::new(MmuIdx::El0, page, entries)?,
                Tlb::new(MmuIdx::El1, page, entries)?,
                Tlb::new(MmuIdx::El2, page, entries)?,
                Tlb::new(MmuIdx::Stage2, page, entries)?,
            ],
            map_generation: None,
        })
    }

    /// Flushes everything if `map`'s layout changed since the entries were
    /// filled (a region was added). The machine calls this after changing
    /// its map; the slow path calls it on every walk as well.
    pub fn sync_map(&mut self, map: &crate::mem::PhysMemoryMap) {
        let g = Some(map.generation());
        if self.map_generation != g {
            if self.map_generation.is_some() {
                self.flush_all();
            }
            self.map_generation = g;
        }
    }

    fn index(idx: MmuIdx) -> usize {
        match idx {
            MmuIdx::El0 => 0,
            MmuIdx::El1 => 1,
            MmuIdx::El2 => 2,
            MmuIdx::Stage2 => 3,
        }
    }

    /// The TLB of one MMU index.
    pub fn tlb(&self, idx: MmuIdx) -> &Tlb<P> {
        &self.tlbs[Self::index(idx)]
    }

    /// The TLB of one MMU index, mutable.
    pub fn tlb_mut(&mut self, idx: MmuIdx) -> &mut Tlb<P> {
        &mut self.tlbs[Self::index(idx)]
    }

    fn el10(&mut self) -> impl Iterator<Item = &mut Tlb<P>> {
        self.tlbs[..2].iter_mut()
    }

    /// Sets the EL1&0 regime's current ASID (a write to TTBRn_EL1 or
    /// TCR_EL1.A1 changing the active ASID).
    pub fn set_asid(&mut self, asid: u16) {
        self.el10().for_each(|t| t.set_asid(asid));
    }

    /// Drops every entry of every TLB (e.g. the memory map changed).
    pub fn flush_all(&mut self) {
        self.tlbs.iter_mut().for_each(Tlb::invalidate_all);
    }

    /// TLBI VMALLE1: every EL1&0 entry.
    pub fn tlbi_vmalle1(&mut self) {
        self.el10().for_each(Tlb::invalidate_all);
    }

    /// TLBI ALLE1: every EL1&0 entry and every stage 2 entry.
    pub fn tlbi_alle1(&mut self) {
        self.tlbi_vmalle1();
        self.tlb_mut(MmuIdx::Stage2).invalidate_all();
    }

    /// TLBI VAE1 / VALE1 (`asid` = `Asid(..)`) and VAAE1 / VAALE1
    /// (`asid` = `Any`): entries of the EL1&0 regime containing `va`.
    pub fn tlbi_va_e1(&mut self, va: u64, asid: AsidMatch, scope: LevelScope) {
        self.el10().for_each(|t| t.invalidate_va(va, asid, scope));
    }

    /// TLBI ASIDE1: every non-global EL1&0 entry of `asid`.
    pub fn tlbi_aside1(&mut self, asid: u16) {
        self.el10().for_each(|t| t.invalidate_asid(asid));
    }

    /// TLBI IPAS2E1 / IPAS2LE1: stage 2 entries containing `ipa`, and
    /// (conservatively) combined stage 1+2 entries through it.
    pub fn tlbi_ipas2e1(&mut self, ipa: u64, scope: LevelScope) {
        self.tlb_mut(MmuIdx::Stage2)
            .invalidate_va(ipa, AsidMatch::Any, scope);
        self.el10().for_each(|t| t.invalidate_ipa(ipa));
    }

    /// TLBI ALLE2: every EL2 entry.
    pub fn tlbi_alle2(&mut self) {
        self.tlb_mut(MmuIdx::El2).invalidate_all();
    }

    /// TLBI VAE2 / VALE2: EL2 entries containing `va`.
    pub fn tlbi_vae2(&mut self, va: u64, scope: LevelScope) {
        self.tlb_mut(MmuIdx::El2)
            .invalidate_va(va, AsidMatch::Any, scope);
    }

    /// The counters of all TLBs together.
    pub fn total_stats(&self) -> TlbStats {
        let mut s = TlbStats::default();
        self.tlbs.iter().for_each(|t| s.accumulate(t.stats()));
        s
    }
}

/// One line per TLB, as the kernel's `tlb` command prints it.
impl<P: PageSizeSource> fmt::Display for TlbSet<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for t in &self.tlbs {
            writeln!(f, "{t}")?;
        }
        write!(f, "tlb total: {}", self.total_stats())
    }
}
