//! The decoder table's own checks: patterns well formed, every row decodes
//! its own pattern unless a strictly more specific row claims the word,
//! no two rows ambiguous, and random words decode without a panic.

use crate::cpu::decode::{compile, Compiled, Decoder, ROWS};

/// xorshift64*: deterministic, seedable.
pub(crate) struct Rng(pub u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn every_pattern_compiles_to_32_bits() {
    for r in ROWS {
        assert!(
            compile(r.pattern).is_ok(),
            "bad pattern for {}: {}",
            r.name,
            r.pattern
        );
        assert!(!r.heading.is_empty());
    }
}

fn more_specific(a: &Compiled, b: &Compiled) -> bool {
    // a's fixed bits include b's, and more of them.
    a.mask & b.mask == b.mask && a.mask != b.mask
}

#[test]
fn every_row_decodes_its_own_pattern_or_a_more_specific_row() {
    let d = Decoder::new();
    let mut rng = Rng(0x1234_5678);
    for (i, c) in d.compiled().iter().enumerate() {
        for _ in 0..2000 {
            let word = (rng.next() as u32 & !c.mask) | c.value;
            let got = d.row_of(word).expect("a row's own pattern must decode");
            if got != i {
                let g = &d.compiled()[got];
                assert!(
                    more_specific(g, c),
                    "{word:#010x}: row {} ({}) decoded as {} ({}), which is not more specific",
                    ROWS[i].name,
                    ROWS[i].pattern,
                    ROWS[got].name,
                    ROWS[got].pattern
                );
            }
        }
    }
}

#[test]
fn a_million_random_words_decode_without_panic_and_unambiguously() {
    let d = Decoder::new();
    let mut rng = Rng(0xdead_beef_cafe);
    let mut decoded = 0;
    for _ in 0..1_000_000 {
        let word = rng.next() as u32;
        let insn = d.decode(word);
        if let Some(insn) = insn {
            decoded += 1;
            // The winner is more specific than every other matching row.
            let win = d.row_of(word).unwrap();
            for (j, c) in d.compiled().iter().enumerate() {
                if j != win && c.matches(word) {
                    assert!(
                        more_specific(&d.compiled()[win], c),
                        "{word:#010x} ambiguous"
                    );
                }
            }
            // The disassembler never panics either.
            let _ = alloc::format!("{insn}");
        }
    }
    assert!(
        decoded > 100_000,
        "only {decoded} of 10^6 random words decoded"
    );
}

#[test]
fn known_words_decode_to_their_rows() {
    use crate::cpu::decode::Op;
    let d = Decoder::new();
    // Encodings from the GNU assembler (aarch64-linux-gnu-as).
    let cases: &[(u32, Op, &str)] = &[
        (0x91000420, Op::ADD_SUB_imm, "add x0, x1, #0x1"),
        (0xd503201f, Op::HINT, "nop"),
        (0xd65f03c0, Op::RET, "ret"),
        (0xd69f03e0, Op::ERET, "eret"),
        (0xf9400020, Op::LDST_uimm, "ldr x0, [x1, #0]"),
        (0xa9bf7bfd, Op::LDST_PAIR, "stp x29, x30, [sp, #-16]!"),
        (0xc85f7c20, Op::LDST_EXCL, "ldxr x0, [x1]"),
        (0xd4000001, Op::EXCEPTION, "svc #0x0"),
        (0xd53b4200, Op::MRS_MSR, "mrs x0, nzcv"),
        (0x9ac20820, Op::DP2, "udiv x0, x1, x2"),
        (0x4e080c20, Op::SIMD_COPY, "dup v0.2d, x1"),
        (0x6f00e400, Op::SIMD_MODIMM, "movi v0.2d, #0x0"),
        (0xd508871f, Op::SYS, "tlbi vmalle1"),
    ];
    for &(word, op, text) in cases {
        let i = d
            .decode(word)
            .unwrap_or_else(|| panic!("{word:#010x} did not decode"));
        assert_eq!(i.op, op, "{word:#010x}");
        assert_eq!(alloc::format!("{i}"), text, "{word:#010x}");
    }
    // Unallocated: all zeros (UDF #0), and an SVE word.
    assert!(d.decode(0).is_none());
    assert!(d.decode(0x0420_0000).is_none());
}
