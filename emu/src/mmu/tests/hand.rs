//! Hand-built translation tables: a chain of tables from the root down to
//! one descriptor, written raw, so walker tests do not depend on the builder.

use super::arena::Arena;
use crate::mmu::geometry::Geometry;
use std::vec::Vec;

/// Table descriptor type bits.
pub const TABLE: u64 = 0b11;
/// Page descriptor type bits.
pub const PAGE: u64 = 0b11;
/// Block descriptor type bits.
pub const BLOCK: u64 = 0b01;
/// AF.
pub const AF: u64 = 1 << 10;

/// A chain of tables for one input address.
pub struct Chain {
    pub root: u64,
    /// (level, address of the descriptor used at that level).
    pub slots: Vec<(u8, u64)>,
}

impl Chain {
    /// The address of the descriptor read at `level`.
    pub fn slot(&self, level: u8) -> u64 {
        self.slots.iter().find(|(l, _)| *l == level).unwrap().1
    }
}

/// Build tables for `input` from the root down to `last_level`, whose
/// descriptor is `last`; `table_bits(level)` adds bits to the table
/// descriptor at each level above.
pub fn chain(
    arena: &mut Arena,
    g: Geometry,
    input: u64,
    last_level: u8,
    table_bits: &dyn Fn(u8) -> u64,
    last: u64,
) -> Chain {
    let root_bytes = g.table_bytes(g.start_level).max(g.granule.size()) as usize;
    let root = arena.table(root_bytes);
    let mut table = root;
    let mut slots = Vec::new();
    for level in g.start_level..=last_level {
        let slot = table + 8 * g.index(level, input) as u64;
        slots.push((level, slot));
        if level == last_level {
            arena.poke(slot, last);
        } else {
            let next = arena.table(g.granule.size() as usize);
            arena.poke(slot, next | TABLE | table_bits(level));
            table = next;
        }
    }
    Chain { root, slots }
}

/// A leaf descriptor at `level` for `output` with `bits`.
pub fn leaf(level: u8, output: u64, bits: u64) -> u64 {
    output | bits | if level == 3 { PAGE } else { BLOCK }
}
