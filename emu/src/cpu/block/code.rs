//! Where translated code lives in guest physical memory, for
//! self-modifying code.
//!
//! Code is tracked in 1K chunks (the smallest page size) whatever the TLB
//! page size: each chunk lists the blocks that have bytes in it. The TLB's
//! watch flag works at the TLB page (1K to 64K): a TLB page is watched while
//! any of its chunks holds a block, so every store to it takes the slow
//! path, which looks the written bytes' chunk up here and drops only the
//! blocks whose bytes it overlaps.
//! - At 1K pages the watch flag and the chunk coincide: stores to a 1K page
//!   without code stay on the fast path.
//! - At 64K pages one watched page spans 64 chunks: stores anywhere in it
//!   take the slow path (a map lookup), but data next to code still drops
//!   nothing, since only overlapping blocks go.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// log2 of a chunk.
pub const CHUNK_SHIFT: u32 = crate::pagesize::PageSize::MIN_SHIFT;

/// Blocks by the 1K chunks of guest physical memory they occupy.
#[derive(Default)]
pub struct CodeMap {
    chunks: BTreeMap<u64, Vec<u32>>,
}

impl CodeMap {
    fn chunk_range(pa: u64, len: u64) -> core::ops::RangeInclusive<u64> {
        let last = pa.saturating_add(len.max(1) - 1);
        (pa >> CHUNK_SHIFT)..=(last >> CHUNK_SHIFT)
    }

    /// Records block `id` at `[pa, pa + len)`.
    pub fn add(&mut self, id: u32, pa: u64, len: u64) {
        for c in Self::chunk_range(pa, len) {
            self.chunks.entry(c).or_default().push(id);
        }
    }

    /// Forgets block `id` at `[pa, pa + len)`.
    pub fn remove(&mut self, id: u32, pa: u64, len: u64) {
        for c in Self::chunk_range(pa, len) {
            if let Some(v) = self.chunks.get_mut(&c) {
                v.retain(|&b| b != id);
                if v.is_empty() {
                    self.chunks.remove(&c);
                }
            }
        }
    }

    /// The blocks with bytes in the chunks `[pa, pa + len)` touches
    /// (a superset of those overlapping the bytes; each may repeat).
    pub fn candidates(&self, pa: u64, len: u64, out: &mut Vec<u32>) {
        if self.chunks.is_empty() {
            return;
        }
        for c in Self::chunk_range(pa, len) {
            if let Some(v) = self.chunks.get(&c) {
                out.extend_from_slice(v);
            }
        }
    }

    /// Whether any block has bytes in the `2^shift`-byte page holding `pa`.
    pub fn page_has_code(&self, pa: u64, shift: u32) -> bool {
        if self.chunks.is_empty() {
            return false;
        }
        let base = pa >> shift << shift;
        let first = base >> CHUNK_SHIFT;
        let last = (base + ((1u64 << shift) - 1)) >> CHUNK_SHIFT;
        self.chunks.range(first..=last).next().is_some()
    }

    /// Whether nothing is tracked.
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.chunks.clear();
    }
}
