//! The typed instruction: the row it decoded to and its fields, with a
//! `Display` that is the disassembler used in traces.

pub mod dis;

use core::fmt;

use super::decode::{Op, LETTERS};

/// A decoded instruction: which row ([`Op`]) and the values of its fields.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    /// The row.
    pub op: Op,
    /// The instruction word.
    pub word: u32,
    /// Field values by letter (`a` = 0).
    pub f: [u32; LETTERS],
}

macro_rules! fields {
    ($($(#[$doc:meta])* $name:ident = $letter:literal;)*) => {
        impl Insn {
            $(
                $(#[$doc])*
                #[inline(always)]
                pub fn $name(&self) -> u32 {
                    self.f[($letter - b'a') as usize]
                }
            )*
        }
    };
}

fields! {
    /// `d`: Rd.
    rd_field = b'd';
    /// `n`: Rn.
    rn_field = b'n';
    /// `m`: Rm.
    rm_field = b'm';
    /// `a`: Ra.
    ra_field = b'a';
    /// `t`: Rt.
    rt_field = b't';
    /// `u`: Rt2.
    rt2_field = b'u';
    /// `s`: Rs.
    rs_field = b's';
    /// `f`: sf.
    sf = b'f';
    /// `i`: the main immediate.
    imm = b'i';
    /// `j`: imms, or a second immediate.
    imms = b'j';
    /// `r`: immr.
    immr = b'r';
    /// `e`: N.
    nbit = b'e';
    /// `h`: shift type, hw, sh or option.
    sh = b'h';
    /// `c`: cond.
    cond = b'c';
    /// `o`: opc, opcode or option.
    opc = b'o';
    /// `p`: op.
    op_bit = b'p';
    /// `k`: S.
    s_bit = b'k';
    /// `x`: size.
    size = b'x';
    /// `q`: Q.
    q = b'q';
    /// `l`: immlo, L.
    lo = b'l';
    /// `b`: b5.
    b5 = b'b';
    /// `w`: o0, o1, index mode.
    w = b'w';
    /// `v`: V.
    v = b'v';
}

impl Insn {
    /// Rd as an index.
    #[inline(always)]
    pub fn rd(&self) -> usize {
        self.rd_field() as usize
    }
    /// Rn as an index.
    #[inline(always)]
    pub fn rn(&self) -> usize {
        self.rn_field() as usize
    }
    /// Rm as an index.
    #[inline(always)]
    pub fn rm(&self) -> usize {
        self.rm_field() as usize
    }
    /// Ra as an index.
    #[inline(always)]
    pub fn ra(&self) -> usize {
        self.ra_field() as usize
    }
    /// Rt as an index.
    #[inline(always)]
    pub fn rt(&self) -> usize {
        self.rt_field() as usize
    }
    /// Rt2 as an index.
    #[inline(always)]
    pub fn rt2(&self) -> usize {
        self.rt2_field() as usize
    }
    /// Rs as an index.
    #[inline(always)]
    pub fn rs(&self) -> usize {
        self.rs_field() as usize
    }
    /// Whether sf selects 64-bit operation.
    #[inline(always)]
    pub fn is64(&self) -> bool {
        self.sf() != 0
    }
}

impl fmt::Display for Insn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.op.disassemble(self, f)
    }
}

impl fmt::Debug for Insn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x} {:?} `{}`", self.word, self.op, self)
    }
}

/// DecodeBitMasks (ARM ARM J1, shared pseudocode) for logical immediates
/// and bitfield moves: (wmask, tmask), or `None` for a reserved encoding.
pub fn decode_bit_masks(
    n: u32,
    imms: u32,
    immr: u32,
    immediate: bool,
    bits: u32,
) -> Option<(u64, u64)> {
    let combined = (n << 6) | (!imms & 0x3f);
    if combined == 0 {
        return None;
    }
    let len = 31 - combined.leading_zeros();
    if len < 1 || (1u32 << len) > bits {
        return None;
    }
    let levels = (1u32 << len) - 1;
    if immediate && imms & levels == levels {
        return None;
    }
    let s = imms & levels;
    let r = immr & levels;
    let diff = s.wrapping_sub(r) & levels;
    let esize = 1u32 << len;
    let ones = |k: u32| if k >= 64 { u64::MAX } else { (1u64 << k) - 1 };
    let emask = ones(esize);
    let welem = ones(s + 1);
    let telem = ones(diff + 1);
    let ror = |v: u64, r: u32| {
        if r == 0 {
            v
        } else {
            ((v >> r) | (v << (esize - r))) & emask
        }
    };
    let replicate = |e: u64| {
        let mut out = 0u64;
        let mut i = 0;
        while i < bits {
            out |= e << i;
            i += esize;
        }
        out & ones(bits)
    };
    Some((replicate(ror(welem, r)), replicate(telem)))
}
