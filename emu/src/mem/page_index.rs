//! The per-page view of the memory map: a four-level radix tree over the
//! physical page number, whose slots at any level can stand for a whole
//! uniformly-mapped span, so even gigabytes of RAM need only a few nodes.

use alloc::boxed::Box;
use alloc::vec;

use super::region::PA_BITS;
use crate::pagesize::PageSize;

const LEVELS: usize = 4;

/// What one slot of the radix tree stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    /// Nothing mapped anywhere in the slot's span.
    Empty,
    /// The whole span is one RAM or ROM region; `arena` is the arena offset
    /// of the span's first byte.
    Memory { arena: u64, writable: bool },
    /// Pages that are not uniform RAM/ROM (devices, partial regions,
    /// mixtures): accesses are dispatched by byte range through the flat
    /// ranges `first..first + count`.
    Sub { first: u32, count: u32 },
    /// A lower-level node.
    Table(Box<[Slot]>),
}

/// The result of looking up one page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PageSlot {
    Empty,
    Memory { arena_of_page: u64, writable: bool },
    Sub { first: u32, count: u32 },
}

/// The radix tree.
pub(crate) struct PageIndex {
    page: PageSize,
    /// Index bits per level, root first.
    bits: [u32; LEVELS],
    /// log2 of the bytes one slot spans, per level.
    span_shift: [u32; LEVELS],
    root: Box<[Slot]>,
}

impl PageIndex {
    pub(crate) fn new(page: PageSize) -> Self {
        let total = PA_BITS - page.shift();
        let low = total / LEVELS as u32;
        let bits = [total - 3 * low, low, low, low];
        let mut span_shift = [0; LEVELS];
        let mut s = page.shift();
        for l in (0..LEVELS).rev() {
            span_shift[l] = s;
            s += bits[l];
        }
        PageIndex {
            page,
            bits,
            span_shift,
            root: vec![Slot::Empty; 1 << bits[0]].into_boxed_slice(),
        }
    }

    fn index(&self, level: usize, pa: u64) -> usize {
        ((pa >> self.span_shift[level]) & ((1 << self.bits[level]) - 1)) as usize
    }

    /// Looks up the page holding `pa` (which must be below 2^PA_BITS).
    pub(crate) fn lookup(&self, pa: u64) -> PageSlot {
        if pa >> PA_BITS != 0 {
            return PageSlot::Empty;
        }
        let mut node: &[Slot] = &self.root;
        for level in 0..LEVELS {
            match node.get(self.index(level, pa)) {
                None | Some(Slot::Empty) => return PageSlot::Empty,
                Some(Slot::Memory { arena, writable }) => {
                    let span_base = pa & !((1u64 << self.span_shift[level]) - 1);
                    let page_base = self.page.page_base(pa);
                    return PageSlot::Memory {
                        arena_of_page: arena + (page_base - span_base),
                        writable: *writable,
                    };
                }
                Some(Slot::Sub { first, count }) => {
                    return PageSlot::Sub {
                        first: *first,
                        count: *count,
                    }
                }
                Some(Slot::Table(t)) => node = t,
            }
        }
        PageSlot::Empty
    }

    /// Maps the page-aligned range `[lo, hi)` uniformly to memory whose
    /// arena offset at `lo` is `arena`.
    pub(crate) fn map_memory(&mut self, lo: u64, hi: u64, arena: u64, writable: bool) {
        let mut root = core::mem::take(&mut self.root);
        self.fill(&mut root, 0, 0, lo, hi, &|s| Slot::Memory {
            arena: arena + (s - lo),
            writable,
        });
        self.root = root;
    }

    /// Marks the page-aligned range `[lo, hi)` as dispatched through flat
    /// ranges `first..first + count`.
    pub(crate) fn map_dispatch(&mut self, lo: u64, hi: u64, first: u32, count: u32) {
        let mut root = core::mem::take(&mut self.root);
        self.fill(&mut root, 0, 0, lo, hi, &|_| Slot::Sub { first, count });
        self.root = root;
    }

    /// Sets every slot of `node` (at `level`, first byte `base`) that lies
    /// inside `[lo, hi)` to `make(slot_start)`, descending where a slot is
    /// only partly inside.
    fn fill(
        &self,
        node: &mut [Slot],
        level: usize,
        base: u64,
        lo: u64,
        hi: u64,
        make: &dyn Fn(u64) -> Slot,
    ) {
        let span = 1u64 << self.span_shift[level];
        let node_end = base + span * node.len() as u64;
        let (lo_c, hi_c) = (lo.max(base), hi.min(node_end));
        if lo_c >= hi_c {
            return;
        }
        let first = ((lo_c - base) >> self.span_shift[level]) as usize;
        let last = ((hi_c - 1 - base) >> self.span_shift[level]) as usize;
        for i in first..=last {
            let s_start = base + span * i as u64;
            let s_end = s_start + span;
            let Some(slot) = node.get_mut(i) else { return };
            if lo <= s_start && s_end <= hi {
                *slot = make(s_start);
            } else if level + 1 < LEVELS {
                let mut child = self.expand(slot, level);
                self.fill(&mut child, level + 1, s_start, lo, hi, make);
                *slot = Slot::Table(child);
            }
        }
    }

    /// The children of `slot` as a table: a uniform slot is split so each
    /// child keeps its share of the span.
    fn expand(&self, slot: &mut Slot, level: usize) -> Box<[Slot]> {
        let n = 1usize << self.bits[level + 1];
        let child_span = 1u64 << self.span_shift[level + 1];
        match core::mem::replace(slot, Slot::Empty) {
            Slot::Table(t) => t,
            Slot::Memory { arena, writable } => (0..n)
                .map(|i| Slot::Memory {
                    arena: arena + child_span * i as u64,
                    writable,
                })
                .collect(),
            sub @ Slot::Sub { .. } => vec![sub; n].into_boxed_slice(),
            Slot::Empty => vec![Slot::Empty; n].into_boxed_slice(),
        }
    }
}
