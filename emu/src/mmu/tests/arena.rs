//! Test support: a tracking table memory that catches leaks, double frees,
//! wrong sizes and accesses outside live tables; a walk memory that injects
//! external aborts; a small deterministic PRNG.

use crate::addr::PhysAddr;
use crate::mmu::memory::{ExternalAbort, TableMemory, WalkMemory};
use core::hash::{BuildHasherDefault, Hasher};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::format;
use std::string::String;
use std::vec::Vec;

/// A multiplicative hasher: descriptor addresses are well spread already,
/// and SipHash made the randomized tests several times slower.
#[derive(Default)]
pub struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = (value >> 3).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// Where the arena starts handing out tables.
pub const ARENA_BASE: u64 = 0x8000_0000;

/// Sparse table memory with an allocator that records every mistake.
#[derive(Default)]
pub struct Arena {
    words: HashMap<u64, u64, BuildHasherDefault<AddressHasher>>,
    live: BTreeMap<u64, usize>,
    free_list: Vec<(u64, usize)>,
    next: u64,
    /// Allocations allowed before `allocate_table` fails (None: no limit).
    pub limit: Option<usize>,
    /// Every misuse seen.
    pub errors: Vec<String>,
    /// Tables allocated so far.
    pub allocations: usize,
    /// Calls of `publish`.
    pub publishes: usize,
    /// Record as an error every write that replaces a valid descriptor by a
    /// different valid one other than by permission bits: what a live table
    /// must never see without break-before-make.
    pub audit_break_before_make: bool,
}

impl Arena {
    /// An empty arena.
    pub fn new() -> Self {
        Arena {
            next: ARENA_BASE,
            ..Default::default()
        }
    }

    /// Tables currently allocated.
    pub fn live_tables(&self) -> usize {
        self.live.len()
    }

    fn table_of(&self, address: u64) -> Option<u64> {
        let (&start, &bytes) = self.live.range(..=address).next_back()?;
        (address < start + bytes as u64).then_some(start)
    }

    fn check(&mut self, address: PhysAddr, what: &str) {
        if !address.0.is_multiple_of(8) {
            self.errors.push(format!("unaligned {what} at {address}"));
        }
        if self.table_of(address.0).is_none() {
            self.errors
                .push(format!("{what} outside any live table at {address}"));
        }
    }

    /// Panic with every recorded misuse, if any.
    pub fn assert_clean(&self) {
        assert!(
            self.errors.is_empty(),
            "table memory misuse: {:#?}",
            self.errors
        );
    }

    /// Panic if any table is still allocated (after `destroy`).
    pub fn assert_no_leaks(&self) {
        self.assert_clean();
        assert!(self.live.is_empty(), "leaked tables: {:x?}", self.live);
    }

    /// Write a descriptor without the live-table check (hand-built tables
    /// that point at garbage on purpose).
    pub fn poke(&mut self, address: u64, value: u64) {
        self.words.insert(address, value);
    }

    /// Allocate a table, panicking on exhaustion (hand-built tests).
    pub fn table(&mut self, bytes: usize) -> u64 {
        self.allocate_table(bytes).expect("arena exhausted").0
    }
}

impl TableMemory for Arena {
    fn allocate_table(&mut self, bytes: usize) -> Option<PhysAddr> {
        if let Some(limit) = self.limit {
            if self.allocations >= limit {
                return None;
            }
        }
        self.allocations += 1;
        let address = match self.free_list.iter().rposition(|&(_, b)| b == bytes) {
            Some(i) => self.free_list.remove(i).0,
            None => {
                let align = bytes as u64;
                let address = self.next.div_ceil(align) * align;
                self.next = address + align;
                address
            }
        };
        self.live.insert(address, bytes);
        Some(PhysAddr(address))
    }

    fn free_table(&mut self, table: PhysAddr, bytes: usize) {
        match self.live.remove(&table.0) {
            None => self
                .errors
                .push(format!("double free or bad free of {table}")),
            Some(b) if b != bytes => self
                .errors
                .push(format!("free of {table} with {bytes} bytes, allocated {b}")),
            Some(_) => {
                for offset in (0..bytes as u64).step_by(8) {
                    self.words.remove(&(table.0 + offset));
                }
                self.free_list.push((table.0, bytes));
            }
        }
    }

    fn read_descriptor(&self, address: PhysAddr) -> u64 {
        // Reads of freed tables are not recorded here (reads take &self); the
        // words are cleared on free, so a stale read sees an invalid entry.
        self.words.get(&address.0).copied().unwrap_or(0)
    }

    fn write_descriptor(&mut self, address: PhysAddr, value: u64) {
        self.check(address, "write");
        let old = self.words.insert(address.0, value).unwrap_or(0);
        let both_valid = old & value & crate::mmu::descriptor::VALID != 0;
        let changed = (old ^ value) & !crate::mmu::descriptor::PERMISSION_BITS;
        if self.audit_break_before_make && both_valid && changed != 0 {
            self.errors.push(format!(
                "break-before-make violated at {address}: {old:#x} -> {value:#x}"
            ));
        }
    }

    fn publish(&mut self) {
        self.publishes += 1;
    }
}

/// Walk memory over an arena where some addresses abort.
pub struct Aborting<'a> {
    /// The tables.
    pub arena: &'a Arena,
    /// Descriptor addresses that abort.
    pub aborts: BTreeSet<u64>,
}

impl WalkMemory for Aborting<'_> {
    fn read_descriptor(&self, address: PhysAddr) -> Result<u64, ExternalAbort> {
        if self.aborts.contains(&address.0) {
            Err(ExternalAbort)
        } else {
            Ok(TableMemory::read_descriptor(self.arena, address))
        }
    }
}

/// A source of choices: a PRNG for the randomized tests, the fuzzer's bytes
/// for the fuzz targets (`crate::fuzzing::Input`), so both drive the same
/// scenario code.
pub trait Random {
    /// The next 64 bits.
    fn next(&mut self) -> u64;

    /// A value in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability 1/n.
    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    /// A random element.
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// SplitMix64: small, fast, deterministic.
pub struct Rng(pub u64);

impl Random for Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}
