//! TLB counters, shown by the kernel's `tlb` shell command.

use core::fmt;

/// Event counts of one TLB (they wrap, never overflow).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TlbStats {
    /// Accesses served by the fast path.
    pub hits: u64,
    /// Lookups that found no usable entry (a walk follows).
    pub misses: u64,
    /// Entries installed.
    pub fills: u64,
    /// Invalidation operations (of any kind).
    pub flushes: u64,
    /// Entries dropped by invalidations.
    pub invalidated: u64,
    /// Accesses that found their entry but had to take the slow path
    /// (MMIO, sub-page, watched, small guest page, do-not-cache).
    pub slow_path: u64,
}

impl TlbStats {
    /// Adds `other` into `self`.
    pub fn accumulate(&mut self, other: &TlbStats) {
        self.hits = self.hits.wrapping_add(other.hits);
        self.misses = self.misses.wrapping_add(other.misses);
        self.fills = self.fills.wrapping_add(other.fills);
        self.flushes = self.flushes.wrapping_add(other.flushes);
        self.invalidated = self.invalidated.wrapping_add(other.invalidated);
        self.slow_path = self.slow_path.wrapping_add(other.slow_path);
    }
}

impl fmt::Display for TlbStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "hits {} misses {} fills {} slow-path {} flushes {} invalidated {}",
            self.hits, self.misses, self.fills, self.slow_path, self.flushes, self.invalidated
        )
    }
}
