//! The A64 decoder: a declarative table (one row per encoding, in
//! [`table`]) and a lookup bucketed by the top eleven bits, built once.
//!
//! A row's pattern has 32 characters, most significant bit first: `0` and
//! `1` must match, `-` is ignored, and a letter names a field. All bits of
//! one letter, read from left to right, make up that field's value (see
//! [`Insn`]'s accessors for the letters). `_` may separate groups and is
//! skipped. The row also names the function that executes it and the one
//! that disassembles it, so decode, dispatch and disassembly come from one
//! line and cannot drift apart.

mod table;

use alloc::vec::Vec;
use core::fmt;

pub use table::{Op, ROWS};

use super::insn::Insn;

/// One decoder row.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    /// What the row decodes to.
    pub op: Op,
    /// The instruction (or instruction group) name, as the ARM ARM gives it.
    pub name: &'static str,
    /// The ARM ARM decode-table heading the row is filed under.
    pub heading: &'static str,
    /// The bit pattern.
    pub pattern: &'static str,
}

/// Number of field letters (`a` to `z`).
pub const LETTERS: usize = 26;

/// A pattern that is not 32 bits of `0`, `1`, `-` and lowercase letters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadPattern(pub &'static str);

/// The compiled form of a row: what must match, and where each field is.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// Bits that must match.
    pub mask: u32,
    /// Their values.
    pub value: u32,
    /// Field runs, most significant first: (letter, shift, width).
    runs: Vec<(u8, u8, u8)>,
}

/// Parses a pattern into its mask, value and field runs.
pub fn compile(pattern: &'static str) -> Result<Compiled, BadPattern> {
    let mut mask = 0u32;
    let mut value = 0u32;
    let mut runs: Vec<(u8, u8, u8)> = Vec::new();
    let mut bit = 32i32;
    let mut prev: Option<u8> = None;
    for ch in pattern.bytes() {
        if ch == b'_' {
            continue;
        }
        bit -= 1;
        if bit < 0 {
            return Err(BadPattern(pattern));
        }
        let b = bit as u8;
        match ch {
            b'0' | b'1' => {
                mask |= 1 << b;
                value |= u32::from(ch - b'0') << b;
                prev = None;
            }
            b'-' => prev = None,
            b'a'..=b'z' => {
                let l = ch - b'a';
                match runs.last_mut() {
                    Some(run) if prev == Some(l) => {
                        run.1 = b;
                        run.2 += 1;
                    }
                    _ => runs.push((l, b, 1)),
                }
                prev = Some(l);
            }
            _ => return Err(BadPattern(pattern)),
        }
    }
    if bit != 0 {
        return Err(BadPattern(pattern));
    }
    Ok(Compiled { mask, value, runs })
}

impl Compiled {
    /// Whether `word` matches.
    #[inline(always)]
    pub fn matches(&self, word: u32) -> bool {
        word & self.mask == self.value
    }

    /// The field values of `word`, indexed by letter.
    #[inline]
    pub fn fields(&self, word: u32) -> [u32; LETTERS] {
        let mut f = [0u32; LETTERS];
        for &(l, shift, width) in &self.runs {
            let v = (word >> shift) & ((1u32 << width) - 1);
            let slot = &mut f[l as usize];
            *slot = (*slot << width) | v;
        }
        f
    }
}

/// Bits of the word the buckets are indexed by.
const BUCKET_SHIFT: u32 = 21;
/// Number of buckets.
const BUCKETS: usize = 1 << (32 - BUCKET_SHIFT);

/// The decoder: the compiled rows and, per value of the top eleven bits,
/// the rows that can match, most specific first.
pub struct Decoder {
    compiled: Vec<Compiled>,
    buckets: Vec<Vec<u16>>,
}

impl fmt::Debug for Decoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decoder({} rows)", self.compiled.len())
    }
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// Builds the lookup from [`ROWS`]. A row whose pattern is malformed
    /// never matches (the table test rejects such rows).
    pub fn new() -> Self {
        let compiled: Vec<Compiled> = ROWS
            .iter()
            .map(|r| {
                compile(r.pattern).unwrap_or(Compiled {
                    // Matches nothing: bit 0 must be both 0 and 1.
                    mask: 0,
                    value: 1,
                    runs: Vec::new(),
                })
            })
            .collect();
        let mut buckets = Vec::with_capacity(BUCKETS);
        for key in 0..BUCKETS as u32 {
            let top = key << BUCKET_SHIFT;
            let top_mask = u32::MAX << BUCKET_SHIFT;
            let mut rows: Vec<u16> = (0..compiled.len() as u16)
                .filter(|&i| {
                    let c = &compiled[i as usize];
                    (top ^ c.value) & c.mask & top_mask == 0
                })
                .collect();
            // More specific (more fixed bits) first; table order otherwise.
            rows.sort_by_key(|&i| core::cmp::Reverse(compiled[i as usize].mask.count_ones()));
            buckets.push(rows);
        }
        Decoder { compiled, buckets }
    }

    /// The index into [`ROWS`] of the row that decodes `word`.
    #[inline]
    pub fn row_of(&self, word: u32) -> Option<usize> {
        let bucket = self.buckets.get((word >> BUCKET_SHIFT) as usize)?;
        bucket
            .iter()
            .map(|&i| i as usize)
            .find(|&i| self.compiled[i].matches(word))
    }

    /// Decodes `word`; `None` means it is unallocated (or not implemented):
    /// UNDEFINED.
    #[inline]
    pub fn decode(&self, word: u32) -> Option<Insn> {
        let i = self.row_of(word)?;
        Some(Insn {
            op: ROWS[i].op,
            word,
            f: self.compiled[i].fields(word),
        })
    }

    /// The compiled rows, in table order.
    pub fn compiled(&self) -> &[Compiled] {
        &self.compiled
    }
}

/// The top-level encoding classes an UNDEFINED instruction is counted
/// under (ARM ARM C4.1, "A64 instruction set encoding", op0 and, for
/// FP/SIMD, the main groups).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EncodingClass {
    /// Reserved, SME and unallocated top-level encodings.
    Reserved,
    /// SVE.
    Sve,
    /// Data processing -- immediate.
    DataProcessingImmediate,
    /// Branches, exception generating and system instructions.
    BranchExceptionSystem,
    /// Loads and stores of general-purpose registers.
    LoadStore,
    /// Advanced SIMD and FP loads and stores.
    LoadStoreSimdFp,
    /// Data processing -- register.
    DataProcessingRegister,
    /// Scalar floating-point (arithmetic, conversions, compares).
    ScalarFloatingPoint,
    /// Advanced SIMD (vector and scalar).
    AdvancedSimd,
    /// Cryptographic extensions.
    Cryptographic,
}

impl EncodingClass {
    /// Number of classes.
    pub const COUNT: usize = 10;

    /// Every class, in index order.
    pub const ALL: [EncodingClass; Self::COUNT] = [
        EncodingClass::Reserved,
        EncodingClass::Sve,
        EncodingClass::DataProcessingImmediate,
        EncodingClass::BranchExceptionSystem,
        EncodingClass::LoadStore,
        EncodingClass::LoadStoreSimdFp,
        EncodingClass::DataProcessingRegister,
        EncodingClass::ScalarFloatingPoint,
        EncodingClass::AdvancedSimd,
        EncodingClass::Cryptographic,
    ];

    /// The index into counters.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The class of an instruction word.
    pub fn of(word: u32) -> EncodingClass {
        let op0 = (word >> 25) & 0xf;
        match op0 {
            0b0000 | 0b0001 | 0b0011 => EncodingClass::Reserved,
            0b0010 => EncodingClass::Sve,
            0b1000 | 0b1001 => EncodingClass::DataProcessingImmediate,
            0b1010 | 0b1011 => EncodingClass::BranchExceptionSystem,
            0b0101 | 0b1101 => EncodingClass::DataProcessingRegister,
            0b0111 | 0b1111 => {
                let top = word >> 24;
                let aes_sha2 = (word >> 17) & 0b11111 == 0b10100 && (word >> 22) & 0b11 == 0;
                let sha_three_reg =
                    (word >> 21) & 0b111 == 0 && (word >> 15) & 1 == 0 && (word >> 10) & 0b11 == 0;
                if top == 0xce
                    || top == 0x4e && aes_sha2
                    || top == 0x5e && (aes_sha2 || sha_three_reg)
                {
                    EncodingClass::Cryptographic
                } else if word & (1 << 30) == 0 && (top & 0x1f == 0x1e || top & 0x1f == 0x1f) {
                    EncodingClass::ScalarFloatingPoint
                } else {
                    EncodingClass::AdvancedSimd
                }
            }
            _ => {
                // op0 = x1x0: loads and stores; bit 26 is V.
                if word & (1 << 26) != 0 {
                    EncodingClass::LoadStoreSimdFp
                } else {
                    EncodingClass::LoadStore
                }
            }
        }
    }

    /// The class's name for reports.
    pub const fn name(self) -> &'static str {
        match self {
            EncodingClass::Reserved => "reserved/unallocated",
            EncodingClass::Sve => "SVE",
            EncodingClass::DataProcessingImmediate => "data processing (immediate)",
            EncodingClass::BranchExceptionSystem => "branches, exceptions, system",
            EncodingClass::LoadStore => "loads and stores",
            EncodingClass::LoadStoreSimdFp => "SIMD&FP loads and stores",
            EncodingClass::DataProcessingRegister => "data processing (register)",
            EncodingClass::ScalarFloatingPoint => "scalar floating-point",
            EncodingClass::AdvancedSimd => "Advanced SIMD",
            EncodingClass::Cryptographic => "cryptographic",
        }
    }

    /// Whether the class is FP/SIMD (CPACR_EL1.FPEN traps it).
    pub const fn is_fp_simd(self) -> bool {
        matches!(
            self,
            EncodingClass::LoadStoreSimdFp
                | EncodingClass::ScalarFloatingPoint
                | EncodingClass::AdvancedSimd
                | EncodingClass::Cryptographic
        )
    }
}

impl fmt::Display for EncodingClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
