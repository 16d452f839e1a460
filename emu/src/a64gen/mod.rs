//! Random A64 integer instructions for differential tests: sequences of
//! base data-processing instructions (ARM ARM C4.1.2 "Data Processing --
//! Immediate" and C4.1.6 "Data Processing -- Register") with conditional,
//! compare and test branches (C4.1.3) that only go forward inside the
//! sequence, and a register file to start them from, so that one sequence
//! can run natively and on the emulator and the results be compared.
//!
//! Every word is an allocated encoding the ARM ARM defines without
//! UNPREDICTABLE or reserved fields, and no word names the stack pointer:
//! where a register field would mean SP (the base of ADD/SUB immediate and
//! extended, the destination of their non-flag-setting forms and of AND,
//! ORR and EOR immediate) it is drawn from X0-X30 only. Fields where 31
//! means the zero register use all 32 values. A harness may therefore use
//! SP (and only SP) for itself; X0-X30 and NZCV are the state compared.

pub mod compare;
pub mod emulated;
pub mod known;
#[cfg(test)]
mod tests;

use alloc::vec::Vec;
use core::fmt;

/// A small deterministic generator (xorshift64*), so that a sequence is
/// reproduced from its seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (0 is replaced, as xorshift would stay 0).
    pub fn new(seed: u64) -> Self {
        Rng(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// The generator for item `index` of a run seeded with `seed`: item
    /// `index` of seed S is item 0 of seed S + `index`, so one item
    /// replays on its own (the seed is mixed by SplitMix64's finaliser).
    pub fn for_item(seed: u64, index: u64) -> Self {
        let mut z = seed.wrapping_add(index).wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng::new(z ^ (z >> 31))
    }

    /// A `bits`-bit field (`bits` <= 32).
    pub fn bits(&mut self, bits: u32) -> u32 {
        (self.next_u64() & ((1u64 << bits) - 1)) as u32
    }

    /// True with probability 1 in `n`.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

/// The instruction classes generated, by the ARM ARM's decode-table
/// headings (C4.1.2, C4.1.3, C4.1.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// ADD, ADDS, SUB, SUBS (immediate).
    AddSubImmediate,
    /// AND, ORR, EOR, ANDS (immediate), bitmask immediates only.
    LogicalImmediate,
    /// MOVN, MOVZ, MOVK.
    MoveWide,
    /// SBFM, BFM, UBFM.
    Bitfield,
    /// EXTR.
    Extract,
    /// ADD, ADDS, SUB, SUBS (shifted register).
    AddSubShifted,
    /// ADD, ADDS, SUB, SUBS (extended register).
    AddSubExtended,
    /// ADC, ADCS, SBC, SBCS.
    AddSubCarry,
    /// AND, BIC, ORR, ORN, EOR, EON, ANDS, BICS (shifted register).
    LogicalShifted,
    /// CCMN, CCMP (register).
    CondCompareRegister,
    /// CCMN, CCMP (immediate).
    CondCompareImmediate,
    /// CSEL, CSINC, CSINV, CSNEG.
    CondSelect,
    /// UDIV, SDIV, LSLV, LSRV, ASRV, RORV.
    DataProcessing2,
    /// RBIT, REV16, REV32, REV, CLZ, CLS.
    DataProcessing1,
    /// MADD, MSUB, SMADDL, SMSUBL, SMULH, UMADDL, UMSUBL, UMULH.
    DataProcessing3,
    /// B.cond, forward inside the sequence.
    CondBranch,
    /// CBZ, CBNZ, forward inside the sequence.
    CompareBranch,
    /// TBZ, TBNZ, forward inside the sequence.
    TestBranch,
    /// STRB, LDRB, LDRSB, STRH, LDRH, LDRSH, STR, LDR, LDRSW (unsigned
    /// immediate offset, general-purpose registers), based on [`BASE`]
    /// and inside [`BUFFER`] bytes from it.
    LoadStore,
    /// The same operations pre- or post-indexed (immediate), based on
    /// [`INDEX`] and moving it by at most [`MAX_STEP`] bytes each.
    LoadStoreIndexed,
}

/// The register the pre- and post-indexed loads and stores address from
/// and write back: X27, which only they write, set by a harness to the
/// buffer's middle ([`INDEX_START`] bytes in). As a sequence runs each
/// word at most once and holds at most [`MAX_LEN`] of them, X27 moves at
/// most [`MAX_LEN`] x [`MAX_STEP`] bytes either way, and every access
/// stays inside the buffer.
pub const INDEX: usize = 27;
/// How far into the buffer X27 starts.
pub const INDEX_START: u64 = BUFFER as u64 / 2;
/// The largest writeback, in bytes, of one indexed access. Steps are
/// multiples of 8, so that X27 stays aligned for every size: the
/// emulator runs with its MMU off, where data accesses are Device and an
/// unaligned one faults, while natively the buffer is Normal memory.
pub const MAX_STEP: i32 = 8;
const _: () = assert!(
    INDEX_START as i64 - (MAX_LEN as i64 * MAX_STEP as i64) >= 0
        && INDEX_START as i64 + MAX_LEN as i64 * MAX_STEP as i64 + 8 <= BUFFER as i64
);

/// The register the generated loads and stores address from: X28, which
/// no generated word writes, set by a harness to the scratch buffer (at
/// the same address natively and on the emulator, so it compares like
/// any other register).
pub const BASE: usize = 28;
/// The scratch buffer's size in bytes: every access lies inside it.
pub const BUFFER: usize = 512;
/// Where [`Sequence::random`] puts the buffer (X28); a harness moves it
/// with [`Sequence::with_buffer_at`].
pub const DEFAULT_BUFFER: u64 = 0x4000_8000;

impl Class {
    /// Every class, in the ARM ARM's order.
    pub const ALL: [Class; 20] = [
        Class::AddSubImmediate,
        Class::LogicalImmediate,
        Class::MoveWide,
        Class::Bitfield,
        Class::Extract,
        Class::AddSubShifted,
        Class::AddSubExtended,
        Class::AddSubCarry,
        Class::LogicalShifted,
        Class::CondCompareRegister,
        Class::CondCompareImmediate,
        Class::CondSelect,
        Class::DataProcessing2,
        Class::DataProcessing1,
        Class::DataProcessing3,
        Class::CondBranch,
        Class::CompareBranch,
        Class::TestBranch,
        Class::LoadStore,
        Class::LoadStoreIndexed,
    ];

    /// The fixed bits every word of the class has: `(mask, value)`, from
    /// the class's row of the ARM ARM's decode table.
    pub const fn pattern(self) -> (u32, u32) {
        match self {
            Class::AddSubImmediate => (0x1f80_0000, 0x1100_0000),
            Class::LogicalImmediate => (0x1f80_0000, 0x1200_0000),
            Class::MoveWide => (0x1f80_0000, 0x1280_0000),
            Class::Bitfield => (0x1f80_0000, 0x1300_0000),
            Class::Extract => (0x7fa0_0000, 0x1380_0000),
            Class::AddSubShifted => (0x1f20_0000, 0x0b00_0000),
            Class::AddSubExtended => (0x1fe0_0000, 0x0b20_0000),
            Class::AddSubCarry => (0x1fe0_fc00, 0x1a00_0000),
            Class::LogicalShifted => (0x1f00_0000, 0x0a00_0000),
            Class::CondCompareRegister => (0x3fe0_0c10, 0x3a40_0000),
            Class::CondCompareImmediate => (0x3fe0_0c10, 0x3a40_0800),
            Class::CondSelect => (0x3fe0_0800, 0x1a80_0000),
            Class::DataProcessing2 => (0x7fe0_0000, 0x1ac0_0000),
            Class::DataProcessing1 => (0x7fff_0000, 0x5ac0_0000),
            Class::DataProcessing3 => (0x7f00_0000, 0x1b00_0000),
            Class::CondBranch => (0xff00_0010, 0x5400_0000),
            Class::CompareBranch => (0x7e00_0000, 0x3400_0000),
            Class::TestBranch => (0x7e00_0000, 0x3600_0000),
            Class::LoadStore => (0x3f00_0000, 0x3900_0000),
            Class::LoadStoreIndexed => (0x3f20_0400, 0x3800_0400),
        }
    }

    /// The class of `word`, if it is one of the generated classes' rows.
    pub fn of(word: u32) -> Option<Class> {
        Class::ALL.into_iter().find(|c| {
            let (mask, value) = c.pattern();
            word & mask == value
        })
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Class::AddSubImmediate => "add/subtract (immediate)",
            Class::LogicalImmediate => "logical (immediate)",
            Class::MoveWide => "move wide (immediate)",
            Class::Bitfield => "bitfield",
            Class::Extract => "extract",
            Class::AddSubShifted => "add/subtract (shifted register)",
            Class::AddSubExtended => "add/subtract (extended register)",
            Class::AddSubCarry => "add/subtract (with carry)",
            Class::LogicalShifted => "logical (shifted register)",
            Class::CondCompareRegister => "conditional compare (register)",
            Class::CondCompareImmediate => "conditional compare (immediate)",
            Class::CondSelect => "conditional select",
            Class::DataProcessing2 => "data-processing (2 source)",
            Class::DataProcessing1 => "data-processing (1 source)",
            Class::DataProcessing3 => "data-processing (3 source)",
            Class::CondBranch => "conditional branch (immediate)",
            Class::CompareBranch => "compare and branch (immediate)",
            Class::TestBranch => "test and branch (immediate)",
            Class::LoadStore => "load/store register (unsigned immediate)",
            Class::LoadStoreIndexed => "load/store register (immediate pre/post-indexed)",
        };
        f.write_str(name)
    }
}

/// A register field where 31 is the zero register: any value.
fn zr(rng: &mut Rng) -> u32 {
    rng.bits(5)
}

/// A register field where 31 would be SP: X0-X30 only.
fn no_sp(rng: &mut Rng) -> u32 {
    rng.below(31) as u32
}

/// An `(N, immr, imms)` triple that DecodeBitMasks (ARM ARM J1.1,
/// `aarch64/instrs/integer/bitmasks/DecodeBitMasks`) accepts as a logical
/// immediate for a `datasize`-bit operation: an element of `esize` bits
/// (2 to `datasize`) holding `ones` consecutive ones (1 to `esize` - 1),
/// rotated right by `immr`. The bits of immr above the element's size are
/// ignored by the decoder and drawn at random, too.
fn bitmask_fields(rng: &mut Rng, sf: u32) -> (u32, u32, u32) {
    let sizes = if sf == 1 { 6 } else { 5 };
    let esize = 2u32 << rng.below(sizes);
    let ones = 1 + rng.below(u64::from(esize) - 1) as u32;
    let (n, imms) = if esize == 64 {
        (1, ones - 1)
    } else {
        // The leading ones of NOT(imms) give the element size: 0xxxxx is
        // 32 bits, 10xxxx 16, 110xxx 8, 1110xx 4, 11110x 2.
        (0, (!(2 * esize - 1) & 0x3f) | (ones - 1))
    };
    let rotation = rng.below(u64::from(esize)) as u32;
    let ignored = if rng.one_in(4) {
        rng.bits(6) & !(esize - 1) & 0x3f
    } else {
        0
    };
    (n, rotation | ignored, imms)
}

/// One random word of `class`.
pub fn instruction(rng: &mut Rng, class: Class) -> u32 {
    let sf = rng.bits(1);
    let (_, fixed) = class.pattern();
    match class {
        Class::AddSubImmediate => {
            // sf op S 100010 sh imm12 Rn Rd; Rn is SP-capable, and so is Rd
            // unless S (flag-setting) makes 31 the zero register.
            let s = rng.bits(1);
            let rd = if s == 1 { zr(rng) } else { no_sp(rng) };
            fixed
                | sf << 31
                | rng.bits(1) << 30
                | s << 29
                | rng.bits(1) << 22
                | rng.bits(12) << 10
                | no_sp(rng) << 5
                | rd
        }
        Class::LogicalImmediate => {
            // sf opc 100100 N immr imms Rn Rd; Rd is SP-capable except for
            // ANDS (opc 11).
            let opc = rng.bits(2);
            let (n, immr, imms) = bitmask_fields(rng, sf);
            let rd = if opc == 0b11 { zr(rng) } else { no_sp(rng) };
            fixed | sf << 31 | opc << 29 | n << 22 | immr << 16 | imms << 10 | zr(rng) << 5 | rd
        }
        Class::MoveWide => {
            // sf opc 100101 hw imm16 Rd; opc 01 is unallocated, and so is
            // hw >= 2 for 32 bits.
            let opc = [0b00, 0b10, 0b11][rng.below(3) as usize];
            let hw = if sf == 1 { rng.bits(2) } else { rng.bits(1) };
            fixed | sf << 31 | opc << 29 | hw << 21 | rng.bits(16) << 5 | zr(rng)
        }
        Class::Bitfield => {
            // sf opc 100110 N immr imms Rn Rd; opc 11 is unallocated; N
            // must equal sf, and 32-bit forms have immr, imms < 32.
            let opc = rng.below(3) as u32;
            let width = if sf == 1 { 6 } else { 5 };
            fixed
                | sf << 31
                | opc << 29
                | sf << 22
                | rng.bits(width) << 16
                | rng.bits(width) << 10
                | zr(rng) << 5
                | zr(rng)
        }
        Class::Extract => {
            // sf 00 100111 N 0 Rm imms Rn Rd; N equals sf, imms < 32 for
            // 32 bits. Rn == Rm is the ROR (immediate) alias.
            let width = if sf == 1 { 6 } else { 5 };
            let rn = zr(rng);
            let rm = if rng.one_in(4) { rn } else { zr(rng) };
            fixed | sf << 31 | sf << 22 | rm << 16 | rng.bits(width) << 10 | rn << 5 | zr(rng)
        }
        Class::AddSubShifted => {
            // sf op S 01011 shift 0 Rm imm6 Rn Rd; shift 11 is reserved,
            // and so is imm6 >= 32 for 32 bits.
            let shift = rng.below(3) as u32;
            let width = if sf == 1 { 6 } else { 5 };
            fixed
                | sf << 31
                | rng.bits(2) << 29
                | shift << 22
                | zr(rng) << 16
                | rng.bits(width) << 10
                | zr(rng) << 5
                | zr(rng)
        }
        Class::AddSubExtended => {
            // sf op S 01011 00 1 Rm option imm3 Rn Rd; imm3 > 4 is
            // reserved; Rn is SP-capable, Rd too unless S.
            let s = rng.bits(1);
            let rd = if s == 1 { zr(rng) } else { no_sp(rng) };
            fixed
                | sf << 31
                | rng.bits(1) << 30
                | s << 29
                | zr(rng) << 16
                | rng.bits(3) << 13
                | (rng.below(5) as u32) << 10
                | no_sp(rng) << 5
                | rd
        }
        Class::AddSubCarry => {
            // sf op S 11010000 Rm 000000 Rn Rd.
            fixed | sf << 31 | rng.bits(2) << 29 | zr(rng) << 16 | zr(rng) << 5 | zr(rng)
        }
        Class::LogicalShifted => {
            // sf opc 01010 shift N Rm imm6 Rn Rd; imm6 >= 32 is reserved
            // for 32 bits.
            let width = if sf == 1 { 6 } else { 5 };
            fixed
                | sf << 31
                | rng.bits(2) << 29
                | rng.bits(2) << 22
                | rng.bits(1) << 21
                | zr(rng) << 16
                | rng.bits(width) << 10
                | zr(rng) << 5
                | zr(rng)
        }
        Class::CondCompareRegister | Class::CondCompareImmediate => {
            // sf op 1 11010010 Rm/imm5 cond x 0 Rn 0 nzcv.
            fixed
                | sf << 31
                | rng.bits(1) << 30
                | rng.bits(5) << 16
                | rng.bits(4) << 12
                | zr(rng) << 5
                | rng.bits(4)
        }
        Class::CondSelect => {
            // sf op 0 11010100 Rm cond 0 o2 Rn Rd.
            fixed
                | sf << 31
                | rng.bits(1) << 30
                | zr(rng) << 16
                | rng.bits(4) << 12
                | rng.bits(1) << 10
                | zr(rng) << 5
                | zr(rng)
        }
        Class::DataProcessing2 => {
            // sf 0 0 11010110 Rm opcode Rn Rd: UDIV 000010, SDIV 000011,
            // LSLV 001000, LSRV 001001, ASRV 001010, RORV 001011.
            let opcode = [
                0b00_0010, 0b00_0011, 0b00_1000, 0b00_1001, 0b00_1010, 0b00_1011,
            ][rng.below(6) as usize];
            fixed | sf << 31 | zr(rng) << 16 | opcode << 10 | zr(rng) << 5 | zr(rng)
        }
        Class::DataProcessing1 => {
            // sf 1 0 11010110 00000 opcode Rn Rd: RBIT 000000, REV16
            // 000001, REV32/REV 000010, REV (64 bits only) 000011, CLZ
            // 000100, CLS 000101.
            let opcode = if sf == 1 {
                rng.below(6) as u32
            } else {
                [0, 1, 2, 4, 5][rng.below(5) as usize]
            };
            fixed | sf << 31 | opcode << 10 | zr(rng) << 5 | zr(rng)
        }
        Class::DataProcessing3 => {
            // sf 00 11011 op31 Rm o0 Ra Rn Rd: MADD/MSUB (op31 000) for
            // both sizes; SMADDL/SMSUBL 001, SMULH 010 (o0 0, Ra 11111),
            // UMADDL/UMSUBL 101, UMULH 110 (o0 0, Ra 11111): 64 bits only.
            let (sf, op31, o0, ra) = match if sf == 1 { rng.below(5) } else { 0 } {
                0 => (sf, 0b000, rng.bits(1), zr(rng)),
                1 => (1, 0b001, rng.bits(1), zr(rng)),
                2 => (1, 0b010, 0, 31),
                3 => (1, 0b101, rng.bits(1), zr(rng)),
                _ => (1, 0b110, 0, 31),
            };
            fixed
                | sf << 31
                | op31 << 21
                | zr(rng) << 16
                | o0 << 15
                | ra << 10
                | zr(rng) << 5
                | zr(rng)
        }
        // Branches to the next instruction; a sequence aims them further
        // ([`retarget`]). B.cond: 01010100 imm19 0 cond (bit 4 set is
        // BC.cond, FEAT_HBC). CBZ/CBNZ: sf 011010 op imm19 Rt. TBZ/TBNZ:
        // b5 011011 op b40 imm14 Rt (b5 set tests bits 32-63 of Xt).
        Class::CondBranch => fixed | 1 << 5 | rng.bits(4),
        Class::CompareBranch => fixed | sf << 31 | rng.bits(1) << 24 | 1 << 5 | zr(rng),
        Class::TestBranch => {
            fixed | sf << 31 | rng.bits(1) << 24 | rng.bits(5) << 19 | 1 << 5 | zr(rng)
        }
        Class::LoadStore => {
            // size 111 0 01 opc imm12 Rn Rt: opc 00 stores, 01 loads, 1x
            // sign-extends (to 64 bits for 10, 32 for 11); size 10 opc 11
            // and size 11 opc 1x are PRFM or unallocated. imm12 is scaled
            // by the size, and kept inside the buffer. Rt is never the
            // base (a load would move it, a store would store an address).
            let (size, opc) = size_opc(rng);
            let imm12 = rng.below((BUFFER >> size) as u64) as u32;
            fixed | size << 30 | opc << 22 | imm12 << 10 | (BASE as u32) << 5 | data_register(rng)
        }
        Class::LoadStoreIndexed => {
            // size 111 0 00 opc 0 imm9 pp Rn Rt: pp 01 post-, 11
            // pre-indexed; size 10 opc 11 and size 11 opc 1x unallocated.
            // Rt is neither base: a writeback to Rt's own register is
            // CONSTRAINED UNPREDICTABLE.
            let (size, opc) = size_opc(rng);
            let step = 8 * (rng.below(2 * MAX_STEP as u64 / 8 + 1) as i32) - MAX_STEP;
            let imm9 = (step as u32) & 0x1ff;
            fixed
                | size << 30
                | opc << 22
                | imm9 << 12
                | rng.bits(1) << 11
                | (INDEX as u32) << 5
                | data_register(rng)
        }
    }
}

/// A size and opc of an allocated general-purpose load or store other
/// than PRFM.
fn size_opc(rng: &mut Rng) -> (u32, u32) {
    loop {
        let (size, opc) = (rng.bits(2), rng.bits(2));
        if !(size == 0b10 && opc == 0b11 || size == 0b11 && opc >= 0b10) {
            return (size, opc);
        }
    }
}

/// A data register for a load or store: any but the two bases.
fn data_register(rng: &mut Rng) -> u32 {
    let rt = zr(rng);
    if rt as usize == BASE || rt as usize == INDEX {
        rt + 2
    } else {
        rt
    }
}

/// Whether `word` is a load or store of the generated classes that stays
/// inside the buffer: [`BUFFER`] bytes from [`BASE`] (unsigned offset),
/// or from [`INDEX`] moving it by a multiple of 8 up to [`MAX_STEP`], with a data
/// register that is neither base.
pub fn in_buffer(word: u32) -> bool {
    let size = word >> 30;
    let rn = ((word >> 5) & 31) as usize;
    let rt = (word & 31) as usize;
    match Class::of(word) {
        Some(Class::LoadStore) => {
            let offset = ((word >> 10) & 0xfff) << size;
            rn == BASE && offset as usize + (1 << size) <= BUFFER
        }
        Some(Class::LoadStoreIndexed) => {
            // imm9, sign-extended.
            let step = (((word >> 12) & 0x1ff) as i32) << 23 >> 23;
            rn == INDEX && rt != INDEX && rt != BASE && step.abs() <= MAX_STEP && step % 8 == 0
        }
        _ => false,
    }
}

/// The instructions a branch word skips forward (its offset, in
/// instructions, is this plus one), or `None` if `word` is no branch of a
/// generated class or goes backwards.
pub fn branch_skip(word: u32) -> Option<u64> {
    let offset = match Class::of(word)? {
        Class::CondBranch | Class::CompareBranch => (word >> 5) & 0x7_ffff,
        Class::TestBranch => (word >> 5) & 0x3fff,
        _ => return None,
    };
    // The sign bit of imm19/imm14 set is a backward branch.
    let negative = match Class::of(word)? {
        Class::TestBranch => offset >> 13 != 0,
        _ => offset >> 18 != 0,
    };
    (!negative && offset > 0).then(|| u64::from(offset) - 1)
}

/// `word` (a branch) aimed `skip` instructions past the next one.
fn retarget(word: u32, skip: u32) -> u32 {
    let field = match Class::of(word) {
        Some(Class::TestBranch) => 0x3fff << 5,
        _ => 0x7_ffff << 5,
    };
    (word & !field) | ((skip + 1) << 5)
}

/// NOP.
pub const NOP: u32 = 0xd503_201f;

/// Whether running `word`, wherever it is, can only change X0-X30 and
/// NZCV or take an exception: a word of one of the generated
/// data-processing classes that names no SP (in the 2-source class only
/// the six generated operations, as the rest of that row, MTE's IRG and
/// SUBP among them, can write SP), NOP, or a permanently undefined UDF.
/// Branches are judged by their place in a sequence
/// ([`Sequence::escape`]).
pub fn harmless(word: u32) -> bool {
    if word >> 16 == 0 {
        return true;
    }
    if word == NOP {
        return true;
    }
    let Some(class) = Class::of(word) else {
        return false;
    };
    let rd_sp = word & 31 == 31;
    let rn_sp = (word >> 5) & 31 == 31;
    let sets_flags = (word >> 29) & 1 == 1;
    match class {
        Class::AddSubImmediate | Class::AddSubExtended => !rn_sp && (sets_flags || !rd_sp),
        Class::LogicalImmediate => !rd_sp || (word >> 29) & 3 == 0b11,
        Class::DataProcessing2 => matches!((word >> 10) & 0x3f, 2 | 3 | 8..=11),
        // Where a load or store goes depends on X28: see
        // [`Sequence::escape`].
        Class::LoadStore | Class::LoadStoreIndexed => false,
        // Where a branch goes depends on where it is: see
        // [`Sequence::escape`].
        Class::CondBranch | Class::CompareBranch | Class::TestBranch => false,
        _ => true,
    }
}

/// One random word of a random class.
pub fn any_instruction(rng: &mut Rng) -> u32 {
    let class = Class::ALL[rng.below(Class::ALL.len() as u64) as usize];
    instruction(rng, class)
}

/// A register value: mostly the edge cases of the integer instructions
/// (zero, one, all ones, the signed extremes of both sizes, single bits,
/// small numbers of either sign), sometimes any 32- or 64-bit value.
pub fn register_value(rng: &mut Rng) -> u64 {
    match rng.below(12) {
        0 => 0,
        1 => 1,
        2 => u64::MAX,
        3 => [i64::MIN as u64, i64::MAX as u64][rng.below(2) as usize],
        4 => [0x8000_0000, 0x7fff_ffff, 0xffff_ffff, 0xffff_ffff_8000_0000][rng.below(4) as usize],
        5 => 1 << rng.below(64),
        6 => rng.below(64),
        7 => rng.below(64).wrapping_neg(),
        8 => u64::from(rng.bits(32)),
        _ => rng.next_u64(),
    }
}

/// Whether `word` (a generated word) writes its Rd field (bits 4:0): every
/// generated class but the conditional compares.
fn writes_rd(word: u32) -> bool {
    if matches!(
        Class::of(word),
        Some(Class::LoadStore | Class::LoadStoreIndexed)
    ) {
        return (word >> 22) & 3 != 0;
    }
    !matches!(
        Class::of(word),
        Some(
            Class::CondCompareRegister
                | Class::CondCompareImmediate
                | Class::CondBranch
                | Class::CompareBranch
                | Class::TestBranch
        ) | None
    )
}

/// Gives some divisions of `words` the operands the ARM ARM singles out:
/// a zero divisor (the result is zero), and for SDIV the most negative
/// dividend over -1 (the quotient overflows and wraps to the dividend).
/// Only operands that no earlier instruction writes are set, so the
/// division sees them; the upper half of a 32-bit operand stays random.
fn plant_division_edge_cases(rng: &mut Rng, x: &mut [u64; 31], words: &[u32]) {
    for (k, &word) in words.iter().enumerate() {
        let opcode = (word >> 10) & 0x3f;
        if Class::of(word) != Some(Class::DataProcessing2) || !(2..=3).contains(&opcode) {
            continue;
        }
        let (rn, rm) = (((word >> 5) & 31) as usize, ((word >> 16) & 31) as usize);
        let written = |r: usize| {
            words[..k]
                .iter()
                .any(|&w| writes_rd(w) && (w & 31) as usize == r)
        };
        if rn == rm || rn == 31 || rm == 31 || written(rn) || written(rm) || rng.one_in(2) {
            continue;
        }
        let wide = word >> 31 == 1;
        let upper = if wide { 0 } else { rng.next_u64() << 32 };
        let (min, minus_one) = if wide {
            (i64::MIN as u64, u64::MAX)
        } else {
            (0x8000_0000 | upper, 0xffff_ffff | upper)
        };
        if opcode == 3 && rng.one_in(2) {
            x[rn] = min;
            x[rm] = minus_one;
        } else {
            x[rm] = upper;
        }
    }
}

/// The most instructions a [`Sequence`] holds.
pub const MAX_LEN: usize = 16;

/// A start state and the instructions to run from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sequence {
    /// X0-X30 before the first instruction.
    pub x: [u64; 31],
    /// NZCV before the first instruction, as the NZCV register holds it
    /// (bits 31:28).
    pub nzcv: u64,
    /// The scratch buffer's bytes before the first instruction.
    pub buffer: [u8; BUFFER],
    words: [u32; MAX_LEN],
    len: usize,
}

impl Sequence {
    /// A sequence of `words` (at most [`MAX_LEN`]) from `x` and `nzcv`.
    pub fn new(x: [u64; 31], nzcv: u64, words: &[u32]) -> Option<Self> {
        let mut sequence = Sequence {
            x,
            nzcv: nzcv & NZCV_MASK,
            buffer: [0; BUFFER],
            words: [0; MAX_LEN],
            len: words.len(),
        };
        sequence
            .words
            .get_mut(..words.len())?
            .copy_from_slice(words);
        Some(sequence)
    }

    /// A random sequence of 1 to `max_len` instructions (at most
    /// [`MAX_LEN`]) from random registers and flags.
    pub fn random(rng: &mut Rng, max_len: usize) -> Self {
        let max_len = max_len.clamp(1, MAX_LEN);
        let mut x = [0; 31];
        for r in &mut x {
            *r = register_value(rng);
        }
        let nzcv = u64::from(rng.bits(4)) << 28;
        let len = 1 + rng.below(max_len as u64) as usize;
        let mut words = [0; MAX_LEN];
        for (i, w) in words[..len].iter_mut().enumerate() {
            *w = any_instruction(rng);
            if writes_rd(*w) && matches!((*w & 31) as usize, BASE | INDEX) {
                // X27 and X28 stay the bases (X29, X30 instead).
                *w += 2;
            }
            if branch_skip(*w).is_some() {
                // Forward, at most to the end of the sequence.
                *w = retarget(*w, rng.below((len - i) as u64) as u32);
            }
        }
        plant_division_edge_cases(rng, &mut x, &words[..len]);
        x[BASE] = DEFAULT_BUFFER;
        x[INDEX] = DEFAULT_BUFFER + INDEX_START;
        let mut buffer = [0; BUFFER];
        for b in &mut buffer {
            *b = register_value(rng) as u8;
        }
        Sequence {
            x,
            nzcv,
            buffer,
            words,
            len,
        }
    }

    /// The sequence with its buffer at `address` (X28, and X27
    /// [`INDEX_START`] bytes in).
    pub fn with_buffer_at(mut self, address: u64) -> Self {
        self.x[BASE] = address;
        self.x[INDEX] = address + INDEX_START;
        self
    }

    /// The instruction words.
    pub fn words(&self) -> &[u32] {
        &self.words[..self.len]
    }

    /// The first `len` instructions from the same state, the rest
    /// replaced by NOPs, so that a branch among the first lands where it
    /// did and the state at the end is the state after them.
    pub fn prefix(&self, len: usize) -> Self {
        let mut prefix = self.clone();
        for w in &mut prefix.words[len.min(self.len)..self.len] {
            *w = NOP;
        }
        prefix
    }

    /// The first instruction that could escape a harness that runs the
    /// sequence natively, if any: one that is not [`harmless`] nor a
    /// forward branch landing inside the sequence or just past its end.
    ///
    /// A load or store is accepted if it stays inside the buffer
    /// ([`in_buffer`]), X28 holds `buffer`, X27 `buffer` + [`INDEX_START`],
    /// and no word writes either (but for the indexed accesses' own
    /// writeback to X27).
    pub fn escape(&self, buffer: u64) -> Option<(usize, u32)> {
        let len = self.len as u64;
        let base_kept = self.x[BASE] == buffer
            && self.x[INDEX] == buffer + INDEX_START
            && !self.words().iter().any(|&w| writes_base(w));
        self.words().iter().copied().enumerate().find(|&(i, w)| {
            let lands_inside = branch_skip(w).is_some_and(|skip| i as u64 + 1 + skip <= len);
            let buffered = base_kept && in_buffer(w);
            !harmless(w) && !lands_inside && !buffered
        })
    }
}

/// The NZCV bits of the NZCV register (bits 31:28).
pub const NZCV_MASK: u64 = 0xf000_0000;

/// Whether `word` may write X27 or X28 through its Rd (Rt) field: it
/// names one there and is not a generated word known to leave it (a
/// compare, a branch, a store).
fn writes_base(word: u32) -> bool {
    matches!((word & 31) as usize, BASE | INDEX) && (Class::of(word).is_none() || writes_rd(word))
}

/// X0-X30, NZCV and the buffer after a sequence ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// X0-X30.
    pub x: [u64; 31],
    /// NZCV (bits 31:28).
    pub nzcv: u64,
    /// The scratch buffer's bytes.
    pub buffer: [u8; BUFFER],
}

/// Where two outcomes differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// Xn.
    X(usize),
    /// NZCV.
    Nzcv,
    /// The buffer's byte at this offset.
    Byte(usize),
}

/// One register (or NZCV) where two outcomes differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Difference {
    /// Which register, flags or byte.
    pub place: Place,
    /// The first outcome's value.
    pub left: u64,
    /// The second outcome's value.
    pub right: u64,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.place {
            Place::X(n) => write!(f, "X{n} {:#x} / {:#x}", self.left, self.right),
            Place::Nzcv => write!(f, "NZCV {:#x} / {:#x}", self.left >> 28, self.right >> 28),
            Place::Byte(o) => write!(f, "buffer[{o:#x}] {:#x} / {:#x}", self.left, self.right),
        }
    }
}

impl Outcome {
    /// Where `self` and `other` differ, X0 to X30, then NZCV, then the
    /// buffer's bytes.
    pub fn differences(&self, other: &Outcome) -> Vec<Difference> {
        let registers = (0..31)
            .filter(|&i| self.x[i] != other.x[i])
            .map(|i| Difference {
                place: Place::X(i),
                left: self.x[i],
                right: other.x[i],
            });
        let flags = (self.nzcv != other.nzcv).then_some(Difference {
            place: Place::Nzcv,
            left: self.nzcv,
            right: other.nzcv,
        });
        let bytes = (0..BUFFER)
            .filter(|&o| self.buffer[o] != other.buffer[o])
            .map(|o| Difference {
                place: Place::Byte(o),
                left: u64::from(self.buffer[o]),
                right: u64::from(other.buffer[o]),
            });
        registers.chain(flags).chain(bytes).collect()
    }
}
