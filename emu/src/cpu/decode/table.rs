//! The A64 decoder table: one row per encoding, under the ARM ARM's
//! decode-table headings (C4.1). Each row: name in [`Op`], the ARM ARM's
//! name, the pattern, the function that executes it and the one that
//! disassembles it.
//!
//! Field letters (see [`Insn`](crate::cpu::Insn)): `d` Rd, `n` Rn, `m` Rm,
//! `a` Ra, `t` Rt, `u` Rt2, `s` Rs, `f` sf, `i` imm, `j` imms/second
//! immediate, `r` immr, `e` N, `h` shift/hw/sh, `c` cond, `o` opc/option,
//! `p` op, `k` S, `x` size, `q` Q, `l` immlo/L, `b` b5, `w` o0/o1/o2/index,
//! `v` V.
//!
//! Encodings the table leaves out (pointer authentication, MTE, RCpc,
//! the rest of FP/SIMD among them) decode to nothing: UNDEFINED.

use core::fmt;

use super::Row;
use crate::cpu::exec::{branch, dp_imm, dp_reg, ldst, simd, Ctx, ExecResult};
use crate::cpu::insn::{dis, Insn};
use crate::cpu::Cpu;

macro_rules! decode_table {
    ($( $heading:literal: $( $op:ident, $name:literal, $pattern:literal, $exec:path, $dis:path; )* )*) => {
        /// What a word decodes to: one variant per table row.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[allow(non_camel_case_types)]
        pub enum Op {
            $($( #[doc = $name] $op, )*)*
        }

        /// The table, in source order.
        pub static ROWS: &[Row] = &[
            $($( Row { op: Op::$op, name: $name, heading: $heading, pattern: $pattern }, )*)*
        ];

        impl Op {
            /// Executes `insn` (whose op is `self`).
            #[inline]
            pub(crate) fn execute(self, cpu: &mut Cpu, ctx: &mut Ctx<'_>, insn: &Insn) -> ExecResult {
                match self {
                    $($( Op::$op => $exec(cpu, ctx, insn), )*)*
                }
            }

            /// Disassembles `insn` (whose op is `self`).
            pub(crate) fn disassemble(self, insn: &Insn, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $($( Op::$op => $dis(insn, f), )*)*
                }
            }
        }
    };
}

decode_table! {
    "Data Processing -- Immediate: PC-rel. addressing":
        ADR, "ADR, ADRP", "pll10000iiiiiiiiiiiiiiiiiiiddddd", dp_imm::adr, dis::adr;
    "Data Processing -- Immediate: Add/subtract (immediate)":
        ADD_SUB_imm, "ADD, ADDS, SUB, SUBS (immediate)", "fpk100010hiiiiiiiiiiiinnnnnddddd", dp_imm::add_sub_imm, dis::add_sub_imm;
    "Data Processing -- Immediate: Logical (immediate)":
        LOGICAL_imm, "AND, ORR, EOR, ANDS (immediate)", "foo100100errrrrrjjjjjjnnnnnddddd", dp_imm::logical_imm, dis::logical_imm;
    "Data Processing -- Immediate: Move wide (immediate)":
        MOVE_WIDE, "MOVN, MOVZ, MOVK", "foo100101hhiiiiiiiiiiiiiiiiddddd", dp_imm::move_wide, dis::move_wide;
    "Data Processing -- Immediate: Bitfield":
        BITFIELD, "SBFM, BFM, UBFM", "foo100110errrrrrjjjjjjnnnnnddddd", dp_imm::bitfield, dis::bitfield;
    "Data Processing -- Immediate: Extract":
        EXTR, "EXTR", "f00100111e0mmmmmjjjjjjnnnnnddddd", dp_imm::extract, dis::extract;

    "Branches, Exception Generating and System instructions: Conditional branch (immediate)":
        B_cond, "B.cond", "01010100iiiiiiiiiiiiiiiiiii0cccc", branch::b_cond, dis::b_cond;
    "Branches, Exception Generating and System instructions: Exception generation":
        EXCEPTION, "SVC, HVC, SMC, BRK, HLT, DCPS", "11010100pppiiiiiiiiiiiiiiii000ll", branch::exception_generation, dis::exception_generation;
    "Branches, Exception Generating and System instructions: Hints":
        HINT, "HINT (NOP, YIELD, WFE, WFI, SEV, SEVL...)", "11010101000000110010mmmmppp11111", branch::hint, dis::hint;
    "Branches, Exception Generating and System instructions: Barriers":
        BARRIER, "CLREX, DSB, DMB, ISB, SB", "11010101000000110011mmmmppp11111", branch::barrier, dis::barrier;
    "Branches, Exception Generating and System instructions: PSTATE":
        MSR_imm, "MSR (immediate)", "1101010100000ooo0100mmmmppp11111", branch::msr_imm, dis::msr_imm;
    "Branches, Exception Generating and System instructions: System instructions":
        SYS, "SYS, SYSL (AT, DC, IC, TLBI)", "1101010100l01ooonnnnmmmmpppttttt", branch::sys, dis::sys;
    "Branches, Exception Generating and System instructions: System register move":
        MRS_MSR, "MRS, MSR (register)", "1101010100l1wooonnnnmmmmpppttttt", branch::sysreg_move, dis::sysreg_move;
    "Branches, Exception Generating and System instructions: Unconditional branch (register)":
        BR, "BR", "1101011000011111000000nnnnn00000", branch::br, dis::br;
        BLR, "BLR", "1101011000111111000000nnnnn00000", branch::blr, dis::br;
        RET, "RET", "1101011001011111000000nnnnn00000", branch::ret, dis::br;
        ERET, "ERET", "11010110100111110000001111100000", branch::eret, dis::eret;
    "Branches, Exception Generating and System instructions: Unconditional branch (immediate)":
        B_imm, "B, BL", "p00101iiiiiiiiiiiiiiiiiiiiiiiiii", branch::b_imm, dis::b_imm;
    "Branches, Exception Generating and System instructions: Compare and branch (immediate)":
        CBZ, "CBZ, CBNZ", "f011010piiiiiiiiiiiiiiiiiiittttt", branch::cbz, dis::cbz;
    "Branches, Exception Generating and System instructions: Test and branch (immediate)":
        TBZ, "TBZ, TBNZ", "b011011pjjjjjiiiiiiiiiiiiiittttt", branch::tbz, dis::tbz;

    "Loads and Stores: Load/store exclusive register and ordered":
        LDST_EXCL, "LDXR, STXR, LDAXR, STLXR, LDXP, STXP, LDAXP, STLXP, LDAR, STLR, CAS, CASP", "xx001000plwsssssouuuuunnnnnttttt", ldst::exclusive, dis::exclusive;
    "Loads and Stores: Load register (literal)":
        LDR_lit, "LDR, LDRSW, PRFM (literal); LDR (literal, SIMD&FP)", "oo011v00iiiiiiiiiiiiiiiiiiittttt", ldst::literal, dis::literal;
    "Loads and Stores: Load/store register pair (no-allocate, post-, pre-indexed, offset)":
        LDST_PAIR, "LDP, STP, LDPSW, LDNP, STNP (and SIMD&FP)", "oo101v0wwliiiiiiiuuuuunnnnnttttt", ldst::pair, dis::pair;
    "Loads and Stores: Load/store register (unscaled, post-indexed, unprivileged, pre-indexed)":
        LDST_imm9, "LDUR, STUR, LDTR, STTR, LDR/STR (pre/post-indexed), PRFUM", "xx111v00oo0iiiiiiiiiwwnnnnnttttt", ldst::imm9, dis::imm9;
    "Loads and Stores: Atomic memory operations":
        ATOMIC, "LDADD, LDCLR, LDEOR, LDSET, LDSMAX, LDSMIN, LDUMAX, LDUMIN, SWP", "xx111v00pl1ssssswooo00nnnnnttttt", ldst::atomic, dis::atomic;
    "Loads and Stores: Load/store register (register offset)":
        LDST_reg, "LDR, STR (register), PRFM (register)", "xx111v00oo1mmmmmhhhk10nnnnnttttt", ldst::register_offset, dis::register_offset;
    "Loads and Stores: Load/store register (unsigned immediate)":
        LDST_uimm, "LDR, STR (unsigned immediate), PRFM", "xx111v01ooiiiiiiiiiiiinnnnnttttt", ldst::unsigned_offset, dis::unsigned_offset;

    "Data Processing -- Register: Data-processing (2 source)":
        DP2, "UDIV, SDIV, LSLV, LSRV, ASRV, RORV", "f0011010110mmmmmoooooonnnnnddddd", dp_reg::two_source, dis::two_source;
    "Data Processing -- Register: Data-processing (1 source)":
        DP1, "RBIT, REV16, REV32, REV, CLZ, CLS", "f101101011000000oooooonnnnnddddd", dp_reg::one_source, dis::one_source;
    "Data Processing -- Register: Logical (shifted register)":
        LOGICAL_reg, "AND, BIC, ORR, ORN, EOR, EON, ANDS, BICS (shifted register)", "foo01010hhemmmmmiiiiiinnnnnddddd", dp_reg::logical_shifted, dis::logical_shifted;
    "Data Processing -- Register: Add/subtract (shifted register)":
        ADD_SUB_shifted, "ADD, ADDS, SUB, SUBS (shifted register)", "fpk01011hh0mmmmmiiiiiinnnnnddddd", dp_reg::add_sub_shifted, dis::add_sub_shifted;
    "Data Processing -- Register: Add/subtract (extended register)":
        ADD_SUB_ext, "ADD, ADDS, SUB, SUBS (extended register)", "fpk01011001mmmmmoooiiinnnnnddddd", dp_reg::add_sub_extended, dis::add_sub_extended;
    "Data Processing -- Register: Add/subtract (with carry)":
        ADC, "ADC, ADCS, SBC, SBCS", "fpk11010000mmmmm000000nnnnnddddd", dp_reg::add_sub_carry, dis::add_sub_carry;
    "Data Processing -- Register: Conditional compare (register)":
        CCMP_reg, "CCMN, CCMP (register)", "fp111010010mmmmmcccc00nnnnn0jjjj", dp_reg::cond_compare_reg, dis::cond_compare;
    "Data Processing -- Register: Conditional compare (immediate)":
        CCMP_imm, "CCMN, CCMP (immediate)", "fp111010010iiiiicccc10nnnnn0jjjj", dp_reg::cond_compare_imm, dis::cond_compare;
    "Data Processing -- Register: Conditional select":
        CSEL, "CSEL, CSINC, CSINV, CSNEG", "fp011010100mmmmmcccc0onnnnnddddd", dp_reg::cond_select, dis::cond_select;
    "Data Processing -- Register: Data-processing (3 source)":
        DP3, "MADD, MSUB, SMADDL, SMSUBL, SMULH, UMADDL, UMSUBL, UMULH", "f0011011ooommmmmpaaaaannnnnddddd", dp_reg::three_source, dis::three_source;

    "Data Processing -- Scalar Floating-Point and Advanced SIMD: Conversion between floating-point and integer":
        FMOV_gen, "FMOV (general)", "f0011110xx1hhooo000000nnnnnddddd", simd::fmov_general, dis::fmov_general;
    "Data Processing -- Scalar Floating-Point and Advanced SIMD: Advanced SIMD copy":
        SIMD_COPY, "DUP, SMOV, UMOV, INS", "0qp01110000iiiii0jjjj1nnnnnddddd", simd::copy, dis::simd_copy;
    "Data Processing -- Scalar Floating-Point and Advanced SIMD: Advanced SIMD modified immediate":
        SIMD_MODIMM, "MOVI, MVNI, ORR, BIC (vector, immediate), FMOV (vector, immediate)", "0qp0111100000iiioooow1jjjjjddddd", simd::modified_immediate, dis::simd_modified_immediate;
    "Data Processing -- Scalar Floating-Point and Advanced SIMD: Advanced SIMD three same (logical)":
        SIMD_LOGIC, "AND, BIC, ORR, ORN, EOR, BSL, BIT, BIF (vector)", "0qp01110xx1mmmmm000111nnnnnddddd", simd::logical, dis::simd_logical;
}
