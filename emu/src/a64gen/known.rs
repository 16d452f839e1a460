//! Known answers: single instructions with their registers and flags
//! before and after, the "after" worked out from the ARM ARM's pseudocode
//! (AddWithCarry, DecodeBitMasks, the shift and extend functions, the
//! divide's RoundTowardsZero with a zero divisor giving zero). They check
//! the kernel's native harness (a frame that lost a register or the flags
//! fails them) and, through the same table, the emulator.

use super::{Outcome, Sequence};

/// One instruction and what the architecture says it does.
pub struct KnownAnswer {
    /// The instruction, as binutils prints it.
    pub asm: &'static str,
    /// Its encoding.
    pub word: u32,
    /// NZCV before (bits 31:28).
    pub nzcv_in: u64,
    /// Registers set before (the rest hold [`filler`]).
    pub inputs: &'static [(usize, u64)],
    /// Registers changed after.
    pub outputs: &'static [(usize, u64)],
    /// NZCV after.
    pub nzcv_out: u64,
}

/// The value register `n` holds unless a case sets it: distinct in every
/// register, so that a misplaced store shows.
pub const fn filler(n: usize) -> u64 {
    0x5a5a_0000_0000_0000 | ((n as u64) << 32) | (n as u64 * 0x0101)
}

impl KnownAnswer {
    /// The case as a one-instruction sequence.
    pub fn sequence(&self) -> Sequence {
        let mut x = [0; 31];
        for (n, r) in x.iter_mut().enumerate() {
            *r = filler(n);
        }
        for &(n, v) in self.inputs {
            x[n] = v;
        }
        Sequence::new(x, self.nzcv_in, &[self.word]).expect("one instruction")
    }

    /// What the ARM ARM says the registers and flags are afterwards.
    pub fn expected(&self) -> Outcome {
        let sequence = self.sequence();
        let mut x = sequence.x;
        for &(n, v) in self.outputs {
            x[n] = v;
        }
        Outcome {
            x,
            nzcv: self.nzcv_out,
            buffer: sequence.buffer,
        }
    }
}

const MAX: u64 = u64::MAX;
const MIN: u64 = i64::MIN as u64;
const N: u64 = 1 << 31;
const Z: u64 = 1 << 30;
const C: u64 = 1 << 29;
const V: u64 = 1 << 28;

macro_rules! known {
    ($($asm:literal $word:literal nzcv $nin:expr => $nout:expr; in [$($i:literal = $iv:expr),*] out [$($o:literal = $ov:expr),*];)*) => {
        &[$(KnownAnswer {
            asm: $asm,
            word: $word,
            nzcv_in: $nin,
            inputs: &[$(($i, $iv)),*],
            outputs: &[$(($o, $ov)),*],
            nzcv_out: $nout,
        }),*]
    };
}

/// The cases.
pub const KNOWN: &[KnownAnswer] = known! {
    // Unsigned overflow: carry out, zero result.
    "adds x0, x1, x2" 0xab02_0020 nzcv 0 => Z | C; in [1 = MAX, 2 = 1] out [0 = 0];
    // Signed overflow: N and V.
    "adds x0, x1, x2" 0xab02_0020 nzcv 0 => N | V; in [1 = i64::MAX as u64, 2 = 1] out [0 = MIN];
    // Equal operands: Z, and C (no borrow).
    "subs x3, x4, x5" 0xeb05_0083 nzcv 0 => Z | C; in [4 = 5, 5 = 5] out [3 = 0];
    // 0 - 1 in 32 bits: a borrow (C clear), the upper half of X4 unread
    // and of X3 zeroed.
    "subs w3, w4, w5" 0x6b05_0083 nzcv 0 => N; in [4 = 0xffff_ffff_0000_0000, 5 = 1] out [3 = 0xffff_ffff];
    // INT_MIN / -1 wraps to INT_MIN; flags untouched.
    "sdiv x6, x7, x8" 0x9ac8_0ce6 nzcv N | C => N | C; in [7 = MIN, 8 = MAX] out [6 = MIN];
    // Division by zero gives zero.
    "udiv w9, w10, w11" 0x1acb_0949 nzcv 0 => 0; in [10 = 7, 11 = 0] out [9 = 0];
    "sdiv x12, x13, xzr" 0x9adf_0dac nzcv 0 => 0; in [13 = 5] out [12 = 0];
    // (2^64 - 1)^2 = 2^128 - 2^65 + 1.
    "umulh x14, x15, x16" 0x9bd0_7dee nzcv 0 => 0; in [15 = MAX, 16 = MAX] out [14 = MAX - 1];
    // (-1) * (-1) = 1: high half 0.
    "smulh x17, x15, x16" 0x9b50_7df1 nzcv 0 => 0; in [15 = MAX, 16 = MAX] out [17 = 0];
    "adc x18, x19, x20" 0x9a14_0272 nzcv C => C; in [19 = 1, 20 = 2] out [18 = 4];
    // EQ fails (Z clear): NZCV becomes the immediate 0b0101.
    "ccmp x21, x22, #0x5, eq" 0xfa56_02a5 nzcv 0 => Z | V; in [21 = 1, 22 = 1] out [];
    "clz x23, x24" 0xdac0_1317 nzcv 0 => 0; in [24 = 1] out [23 = 63];
    "cls w25, w26" 0x5ac0_1759 nzcv 0 => 0; in [26 = 0xffff_ffff] out [25 = 31];
    "rbit w27, w28" 0x5ac0_039b nzcv 0 => 0; in [28 = 0xffff_ffff_0000_0001] out [27 = 0x8000_0000];
    "mov x30, #0x12340000" 0xd2a2_469e nzcv 0 => 0; in [] out [30 = 0x1234_0000];
    "movk x29, #0xbeef" 0xf297_ddfd nzcv 0 => 0; in [29 = 0x1111_2222_3333_4444] out [29 = 0x1111_2222_3333_beef];
    // GE fails (N != V): the negated second operand.
    "csneg x0, x1, x2, ge" 0xda82_a420 nzcv N => N; in [2 = 5] out [0 = 5u64.wrapping_neg()];
    "extr x3, x4, x5, #8" 0x93c5_2083 nzcv 0 => 0; in [4 = 0x0011_2233_4455_6677, 5 = 0x8899_aabb_ccdd_eeff] out [3 = 0x7788_99aa_bbcc_ddee];
    // The shift amount is taken modulo the register size.
    "lsl w6, w7, w8" 0x1ac8_20e6 nzcv 0 => 0; in [7 = 3, 8 = 33] out [6 = 6];
    "asr x9, x10, x11" 0x9acb_2949 nzcv 0 => 0; in [10 = MIN, 11 = 63] out [9 = MAX];
    // Logical flag setting clears C and V.
    "ands x0, x1, #0xff" 0xf240_1c20 nzcv C | V => Z; in [1 = 0x100] out [0 = 0];
    "sxtb x2, w3" 0x9340_1c62 nzcv 0 => 0; in [3 = 0x80] out [2 = 0xffff_ffff_ffff_ff80];
    "bfxil x4, x5, #4, #4" 0xb344_1ca4 nzcv 0 => 0; in [4 = MAX, 5 = 0xab0] out [4 = MAX - 4];
    "add x0, x1, w2, sxtw #2" 0x8b22_c820 nzcv 0 => 0; in [1 = 0x1000, 2 = 0xffff_ffff] out [0 = 0xffc];
    // 0 - 0 - 1 (C clear): all ones, no carry.
    "sbcs w12, w13, w14" 0x7a0e_01ac nzcv 0 => N; in [13 = 0, 14 = 0] out [12 = 0xffff_ffff];
    "smaddl x15, w16, w17, x18" 0x9b31_4a0f nzcv 0 => 0; in [16 = 0xffff_fffe, 17 = 3, 18 = 10] out [15 = 4];
    "msub x19, x20, x21, x22" 0x9b15_da93 nzcv 0 => 0; in [20 = 7, 21 = 6, 22 = 100] out [19 = 58];
    "rev16 w23, w24" 0x5ac0_0717 nzcv 0 => 0; in [24 = 0x1122_3344] out [23 = 0x2211_4433];
    "ror x25, x26, #4" 0x93da_1359 nzcv 0 => 0; in [26 = 1] out [25 = 1 << 60];
    "eor x27, x28, x29, ror #60" 0xcadd_f39b nzcv 0 => 0; in [28 = 0xff, 29 = 1] out [27 = 0xef];
    "orn w0, w1, w2, lsr #1" 0x2a62_0420 nzcv 0 => 0; in [1 = 1, 2 = 0xffff_fffe] out [0 = 0x8000_0001];
};
