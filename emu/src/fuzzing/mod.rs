//! The checks behind the fuzz targets in `emu/fuzz`, in one place: the
//! cargo-fuzz targets call them on the fuzzer's inputs, and the unit tests
//! replay every checked-in corpus file and crash reproducer through them
//! (`replay`), so a plain `cargo test` on the stable toolchain runs them.
//!
//! Each `check` takes raw bytes and panics when a property fails; any input
//! is valid (a malformed one must be refused cleanly, which is the point).

pub mod builder;
pub mod cpu;
pub mod fdt;
pub mod memmap;
#[cfg(test)]
mod replay;
#[cfg(test)]
mod seeds;
pub mod snapshot;
pub mod tlb;
pub mod walker;

use crate::mmu::tests::arena::Random;

/// A target's check: panics when a property fails.
pub type Check = fn(&[u8]);

/// Every target: its name (the directory of its corpus) and its check.
pub const TARGETS: &[(&str, Check)] = &[
    ("fdt", fdt::check),
    ("walker", walker::check),
    ("snapshot", snapshot::check),
    ("builder", builder::check),
    ("memmap", memmap::check),
    ("tlb", tlb::check),
    ("cpu", cpu::check),
];

/// The fuzzer's bytes read as a stream of choices. Past the end every read
/// is zero, so every input is a complete (if short) scenario.
pub struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Input<'a> {
    /// Choices read from `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data, pos: 0 }
    }

    /// Whether every byte has been used.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// The next byte (0 past the end).
    pub fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    /// The next `n` bytes as a little-endian number (n <= 8).
    pub fn bits(&mut self, n: usize) -> u64 {
        (0..n).fold(0, |v, i| v | u64::from(self.u8()) << (8 * i))
    }

    /// The next byte as a boolean.
    pub fn bool(&mut self) -> bool {
        self.u8() & 1 != 0
    }

    /// The next `n` bytes, fewer at the end of the input.
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let start = self.pos.min(self.data.len());
        let end = start.saturating_add(n).min(self.data.len());
        self.pos = self.pos.saturating_add(n);
        &self.data[start..end]
    }
}

impl Random for Input<'_> {
    /// Two bytes: enough for every choice the scenarios make, and cheap in
    /// fuzzer bytes.
    fn next(&mut self) -> u64 {
        self.bits(2)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n <= 256 {
            u64::from(self.u8()) % n
        } else if n <= 1 << 16 {
            self.bits(2) % n
        } else {
            self.bits(8) % n
        }
    }
}
