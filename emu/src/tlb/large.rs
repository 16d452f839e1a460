//! Live large mappings: for each block or contiguous run that filled TLB
//! entries, which slots it filled. An invalidation by address that falls
//! anywhere in such a mapping drops exactly those slots, not the whole TLB
//! (QEMU keeps one covering range per MMU index and flushes everything
//! when an invalidation hits it).

use alloc::vec;
use alloc::vec::Vec;

/// One live large mapping.
#[derive(Clone, Debug)]
pub(crate) struct LargeMapping {
    pub(crate) base: u64,
    pub(crate) shift: u8,
    pub(crate) asid: u32,
    /// One bit per TLB slot that was filled from this mapping (some may
    /// have been overwritten since; the owner checks before dropping).
    pub(crate) slots: Vec<u64>,
    /// Fill order, to evict the oldest record when the table is full.
    pub(crate) age: u64,
}

impl LargeMapping {
    pub(crate) fn contains(&self, va: u64) -> bool {
        self.base == va & !super::entry::mask(self.shift)
    }

    /// The slots recorded, in increasing order.
    pub(crate) fn slot_iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.slots.iter().enumerate().flat_map(|(w, bits)| {
            let mut b = *bits;
            core::iter::from_fn(move || {
                if b == 0 {
                    return None;
                }
                let i = b.trailing_zeros() as usize;
                b &= b - 1;
                Some(w * 64 + i)
            })
        })
    }
}

/// A bounded table of live large mappings.
#[derive(Clone, Debug)]
pub(crate) struct LargeTable {
    pub(crate) recs: Vec<LargeMapping>,
    /// Cleared slot sets of retired records, reused so fills never allocate
    /// once the table has warmed up.
    spare: Vec<Vec<u64>>,
    capacity: usize,
    words: usize,
    clock: u64,
}

impl LargeTable {
    pub(crate) fn new(capacity: usize, tlb_entries: usize) -> Self {
        LargeTable {
            recs: Vec::with_capacity(capacity),
            spare: Vec::with_capacity(capacity),
            capacity: capacity.max(1),
            words: tlb_entries.div_ceil(64),
            clock: 0,
        }
    }

    /// Records that `slot` was filled from the mapping. Returns a record
    /// evicted to make room, whose slots the caller must drop.
    pub(crate) fn record(
        &mut self,
        base: u64,
        shift: u8,
        asid: u32,
        slot: usize,
    ) -> Option<LargeMapping> {
        self.clock += 1;
        let (w, bit) = (slot / 64, 1u64 << (slot % 64));
        if let Some(r) = self
            .recs
            .iter_mut()
            .find(|r| r.base == base && r.shift == shift && r.asid == asid)
        {
            if let Some(word) = r.slots.get_mut(w) {
                *word |= bit;
            }
            r.age = self.clock;
            return None;
        }
        let mut evicted = None;
        if self.recs.len() >= self.capacity {
            let oldest = self
                .recs
                .iter()
                .enumerate()
                .min_by_key(|(_, r)| r.age)
                .map(|(i, _)| i);
            evicted = oldest.map(|i| self.recs.swap_remove(i));
        }
        let mut slots = self.spare.pop().unwrap_or_else(|| vec![0u64; self.words]);
        if let Some(word) = slots.get_mut(w) {
            *word |= bit;
        }
        self.recs.push(LargeMapping {
            base,
            shift,
            asid,
            slots,
            age: self.clock,
        });
        evicted
    }

    /// Takes back a record's slot set for reuse.
    pub(crate) fn retire(&mut self, mut rec: LargeMapping) {
        rec.slots.fill(0);
        self.spare.push(rec.slots);
    }

    /// Removes every record for which `pick` holds.
    pub(crate) fn remove_matching(&mut self, mut pick: impl FnMut(&LargeMapping) -> bool) {
        let mut i = 0;
        while i < self.recs.len() {
            if pick(&self.recs[i]) {
                let rec = self.recs.swap_remove(i);
                self.retire(rec);
            } else {
                i += 1;
            }
        }
    }

    pub(crate) fn clear(&mut self) {
        while let Some(rec) = self.recs.pop() {
            self.retire(rec);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.recs.len()
    }
}
