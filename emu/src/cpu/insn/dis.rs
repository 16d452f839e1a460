//! The disassembler: one function per decoder row, in GNU syntax with the
//! canonical mnemonic (the common aliases MOV, CMP, CMN, TST, NEG, MUL,
//! LSL/LSR/ASR, CSET, NOP and friends where the ARM ARM prefers them).
//! Branch targets print relative to the instruction (`.+0x10`).

use core::fmt::{self, Formatter, Result};

use super::{decode_bit_masks, Insn};
use crate::cpu::exec::sign_extend;
use crate::cpu::exec::simd::expand_imm;

const COND: [&str; 16] = [
    "eq", "ne", "hs", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "al", "nv",
];
const SHIFT: [&str; 4] = ["lsl", "lsr", "asr", "ror"];
const EXTEND: [&str; 8] = [
    "uxtb", "uxth", "uxtw", "uxtx", "sxtb", "sxth", "sxtw", "sxtx",
];

/// A general-purpose register name: `x`/`w` with 31 as `sp` or `zr`.
struct R(usize, bool, bool);

impl fmt::Display for R {
    fn fmt(&self, f: &mut Formatter<'_>) -> Result {
        let R(n, is64, sp) = *self;
        match (n, is64, sp) {
            (31, true, true) => f.write_str("sp"),
            (31, false, true) => f.write_str("wsp"),
            (31, true, false) => f.write_str("xzr"),
            (31, false, false) => f.write_str("wzr"),
            (n, true, _) => write!(f, "x{n}"),
            (n, false, _) => write!(f, "w{n}"),
        }
    }
}

fn x(n: usize) -> R {
    R(n, true, false)
}
fn xsp(n: usize) -> R {
    R(n, true, true)
}
fn r(n: usize, is64: bool) -> R {
    R(n, is64, false)
}
fn rsp(n: usize, is64: bool) -> R {
    R(n, is64, true)
}

struct Rel(i64);

impl fmt::Display for Rel {
    fn fmt(&self, f: &mut Formatter<'_>) -> Result {
        if self.0 < 0 {
            write!(f, ".-{:#x}", -self.0)
        } else {
            write!(f, ".+{:#x}", self.0)
        }
    }
}

/// ADR, ADRP.
pub fn adr(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let imm = sign_extend(u64::from(i.imm() << 2 | i.lo()), 21);
    if i.op_bit() == 1 {
        write!(f, "adrp {}, {}", x(i.rd()), Rel(imm << 12))
    } else {
        write!(f, "adr {}, {}", x(i.rd()), Rel(imm))
    }
}

/// ADD/SUB (immediate).
pub fn add_sub_imm(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let w = i.is64();
    let sh = if i.sh() == 1 { ", lsl #12" } else { "" };
    let (sub, s) = (i.op_bit() == 1, i.s_bit() == 1);
    if s && i.rd() == 31 {
        let m = if sub { "cmp" } else { "cmn" };
        return write!(f, "{m} {}, #{:#x}{sh}", rsp(i.rn(), w), i.imm());
    }
    if !s && !sub && i.imm() == 0 && (i.rd() == 31 || i.rn() == 31) {
        return write!(f, "mov {}, {}", rsp(i.rd(), w), rsp(i.rn(), w));
    }
    let m = match (sub, s) {
        (false, false) => "add",
        (false, true) => "adds",
        (true, false) => "sub",
        (true, true) => "subs",
    };
    let rd = if s { r(i.rd(), w) } else { rsp(i.rd(), w) };
    write!(f, "{m} {rd}, {}, #{:#x}{sh}", rsp(i.rn(), w), i.imm())
}

/// Logical (immediate).
pub fn logical_imm(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let w = i.is64();
    let bits = if w { 64 } else { 32 };
    let Some((imm, _)) = decode_bit_masks(i.nbit(), i.imms(), i.immr(), true, bits) else {
        return write!(f, ".inst {:#010x} // logical immediate, reserved", i.word);
    };
    match i.opc() {
        3 if i.rd() == 31 => write!(f, "tst {}, #{imm:#x}", r(i.rn(), w)),
        1 if i.rn() == 31 => write!(f, "mov {}, #{imm:#x}", rsp(i.rd(), w)),
        opc => {
            let m = ["and", "orr", "eor", "ands"][opc as usize & 3];
            let rd = if opc == 3 {
                r(i.rd(), w)
            } else {
                rsp(i.rd(), w)
            };
            write!(f, "{m} {rd}, {}, #{imm:#x}", r(i.rn(), w))
        }
    }
}

/// MOVN, MOVZ, MOVK.
pub fn move_wide(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let m = ["movn", "?", "movz", "movk"][i.opc() as usize & 3];
    write!(f, "{m} {}, #{:#x}", r(i.rd(), i.is64()), i.imm())?;
    if i.sh() != 0 {
        write!(f, ", lsl #{}", 16 * i.sh())?;
    }
    Ok(())
}

/// SBFM, BFM, UBFM (with the shift and extend aliases).
pub fn bitfield(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let w = i.is64();
    let bits = if w { 63 } else { 31 };
    let (rd, rn) = (r(i.rd(), w), r(i.rn(), w));
    let (immr, imms) = (i.immr(), i.imms());
    if immr > bits || imms > bits {
        return write!(f, ".inst {:#010x} // bitfield, reserved", i.word);
    }
    match i.opc() {
        2 if imms != bits && imms + 1 == immr => write!(f, "lsl {rd}, {rn}, #{}", bits - imms),
        2 if imms == bits => write!(f, "lsr {rd}, {rn}, #{immr}"),
        0 if imms == bits => write!(f, "asr {rd}, {rn}, #{immr}"),
        0 if immr == 0 && matches!(imms, 7 | 15 | 31) => {
            let m = ["sxtb", "sxth", "sxtw"][(imms / 8).min(2) as usize];
            write!(f, "{m} {rd}, {}", r(i.rn(), false))
        }
        2 if immr == 0 && matches!(imms, 7 | 15) && !w => {
            let m = if imms == 7 { "uxtb" } else { "uxth" };
            write!(f, "{m} {rd}, {rn}")
        }
        opc => {
            let m = ["sbfm", "bfm", "ubfm", "?"][opc as usize & 3];
            write!(f, "{m} {rd}, {rn}, #{immr}, #{imms}")
        }
    }
}

/// EXTR.
pub fn extract(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let w = i.is64();
    if i.rn() == i.rm() {
        return write!(f, "ror {}, {}, #{}", r(i.rd(), w), r(i.rn(), w), i.imms());
    }
    write!(
        f,
        "extr {}, {}, {}, #{}",
        r(i.rd(), w),
        r(i.rn(), w),
        r(i.rm(), w),
        i.imms()
    )
}

/// B.cond.
pub fn b_cond(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let off = sign_extend(u64::from(i.imm()) << 2, 21);
    write!(f, "b.{} {}", COND[i.cond() as usize & 15], Rel(off))
}

/// SVC, HVC, SMC, BRK, HLT, DCPS.
pub fn exception_generation(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let m = match (i.op_bit(), i.lo()) {
        (0, 1) => "svc",
        (0, 2) => "hvc",
        (0, 3) => "smc",
        (1, 0) => "brk",
        (2, 0) => "hlt",
        (5, 1) => "dcps1",
        (5, 2) => "dcps2",
        (5, 3) => "dcps3",
        _ => {
            return write!(
                f,
                ".inst {:#010x} // exception generation, unallocated",
                i.word
            )
        }
    };
    write!(f, "{m} #{:#x}", i.imm())
}

/// Hints.
pub fn hint(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let n = i.rm_field() << 3 | i.op_bit();
    match n {
        0 => f.write_str("nop"),
        1 => f.write_str("yield"),
        2 => f.write_str("wfe"),
        3 => f.write_str("wfi"),
        4 => f.write_str("sev"),
        5 => f.write_str("sevl"),
        _ => write!(f, "hint #{n:#x}"),
    }
}

/// Barriers.
pub fn barrier(i: &Insn, f: &mut Formatter<'_>) -> Result {
    const OPT: [&str; 16] = [
        "#0x0", "oshld", "oshst", "osh", "#0x4", "nshld", "nshst", "nsh", "#0x8", "ishld", "ishst",
        "ish", "#0xc", "ld", "st", "sy",
    ];
    let crm = i.rm_field() as usize & 15;
    match i.op_bit() {
        2 => f.write_str("clrex"),
        4 => write!(f, "dsb {}", OPT[crm]),
        5 => write!(f, "dmb {}", OPT[crm]),
        6 => f.write_str("isb"),
        7 => f.write_str("sb"),
        op2 => write!(f, ".inst {:#010x} // barrier op2={op2}", i.word),
    }
}

/// MSR (immediate).
pub fn msr_imm(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let field = match (i.opc(), i.op_bit()) {
        (0, 5) => "spsel",
        (3, 6) => "daifset",
        (3, 7) => "daifclr",
        (0, 3) => "uao",
        (0, 4) => "pan",
        _ => {
            return write!(
                f,
                "msr s0_{}_c4_c{}_{}, #{}",
                i.opc(),
                i.rm_field(),
                i.op_bit(),
                i.rm_field()
            )
        }
    };
    write!(f, "msr {field}, #{}", i.rm_field())
}

/// SYS, SYSL (AT, DC, IC, TLBI by name).
pub fn sys(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let e = crate::cpu::sysreg::Encoding::of(i.word);
    let name = match (e.op1, e.crn, e.crm, e.op2) {
        (0, 8, 3, 0) => Some("tlbi vmalle1is"),
        (0, 8, 3, 1) => Some("tlbi vae1is"),
        (0, 8, 3, 2) => Some("tlbi aside1is"),
        (0, 8, 3, 3) => Some("tlbi vaae1is"),
        (0, 8, 3, 5) => Some("tlbi vale1is"),
        (0, 8, 3, 7) => Some("tlbi vaale1is"),
        (0, 8, 7, 0) => Some("tlbi vmalle1"),
        (0, 8, 7, 1) => Some("tlbi vae1"),
        (0, 8, 7, 2) => Some("tlbi aside1"),
        (0, 8, 7, 3) => Some("tlbi vaae1"),
        (0, 8, 7, 5) => Some("tlbi vale1"),
        (0, 8, 7, 7) => Some("tlbi vaale1"),
        (0, 7, 8, 0) => Some("at s1e1r"),
        (0, 7, 8, 1) => Some("at s1e1w"),
        (0, 7, 8, 2) => Some("at s1e0r"),
        (0, 7, 8, 3) => Some("at s1e0w"),
        (0, 7, 1, 0) => Some("ic ialluis"),
        (0, 7, 5, 0) => Some("ic iallu"),
        (3, 7, 5, 1) => Some("ic ivau"),
        (3, 7, 4, 1) => Some("dc zva"),
        (3, 7, 10, 1) => Some("dc cvac"),
        (3, 7, 11, 1) => Some("dc cvau"),
        (3, 7, 14, 1) => Some("dc civac"),
        (0, 7, 6, 1) => Some("dc ivac"),
        (0, 7, 6, 2) => Some("dc isw"),
        (0, 7, 10, 2) => Some("dc csw"),
        (0, 7, 14, 2) => Some("dc cisw"),
        _ => None,
    };
    let no_operand = matches!(
        (e.op1, e.crn, e.crm, e.op2),
        (0, 8, 3 | 7, 0) | (0, 7, 1 | 5, 0)
    );
    match name {
        Some(n) if no_operand && i.rt() == 31 => f.write_str(n),
        Some(n) => write!(f, "{n}, {}", x(i.rt())),
        None => write!(
            f,
            "{} #{}, c{}, c{}, #{}, {}",
            if i.lo() == 1 { "sysl" } else { "sys" },
            e.op1,
            e.crn,
            e.crm,
            e.op2,
            x(i.rt())
        ),
    }
}

/// MRS, MSR (register).
pub fn sysreg_move(i: &Insn, f: &mut Formatter<'_>) -> Result {
    use crate::cpu::sysreg::{lookup, Encoding, Reg};
    let e = Encoding::of(i.word);
    let name = lookup(e).filter(|r| *r != Reg::ID_RAZ);
    let mut reg = alloc::string::String::new();
    match name {
        Some(r) => {
            let _ = fmt::write(&mut reg, format_args!("{r:?}"));
            reg.make_ascii_lowercase();
        }
        None => {
            let _ = fmt::write(
                &mut reg,
                format_args!("s{}_{}_c{}_c{}_{}", e.op0, e.op1, e.crn, e.crm, e.op2),
            );
        }
    }
    if i.lo() == 1 {
        write!(f, "mrs {}, {reg}", x(i.rt()))
    } else {
        write!(f, "msr {reg}, {}", x(i.rt()))
    }
}

/// BR, BLR, RET.
pub fn br(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let m = match (i.word >> 21) & 3 {
        0 => "br",
        1 => "blr",
        _ => "ret",
    };
    if m == "ret" && i.rn() == 30 {
        return f.write_str("ret");
    }
    write!(f, "{m} {}", x(i.rn()))
}

/// ERET.
pub fn eret(_: &Insn, f: &mut Formatter<'_>) -> Result {
    f.write_str("eret")
}

/// B, BL.
pub fn b_imm(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let off = sign_extend(u64::from(i.imm()) << 2, 28);
    let m = if i.op_bit() == 1 { "bl" } else { "b" };
    write!(f, "{m} {}", Rel(off))
}

/// CBZ, CBNZ.
pub fn cbz(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let off = sign_extend(u64::from(i.imm()) << 2, 21);
    let m = if i.op_bit() == 1 { "cbnz" } else { "cbz" };
    write!(f, "{m} {}, {}", r(i.rt(), i.is64()), Rel(off))
}

/// TBZ, TBNZ.
pub fn tbz(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let off = sign_extend(u64::from(i.imm()) << 2, 16);
    let m = if i.op_bit() == 1 { "tbnz" } else { "tbz" };
    let bit = i.b5() << 5 | i.imms();
    write!(f, "{m} {}, #{bit}, {}", r(i.rt(), i.b5() == 1), Rel(off))
}

/// Exclusives and ordered.
pub fn exclusive(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let (o2, l, o1, o0) = (i.op_bit(), i.lo(), i.w(), i.opc());
    let sfx = ["b", "h", "", ""][i.size() as usize & 3];
    let w64 = i.size() == 3;
    let base = xsp(i.rn());
    match (o2, o1) {
        (0, 0) => {
            let m = match (l, o0) {
                (0, 0) => "stxr",
                (0, _) => "stlxr",
                (_, 0) => "ldxr",
                _ => "ldaxr",
            };
            if l == 1 {
                write!(f, "{m}{sfx} {}, [{base}]", r(i.rt(), w64))
            } else {
                write!(
                    f,
                    "{m}{sfx} {}, {}, [{base}]",
                    r(i.rs(), false),
                    r(i.rt(), w64)
                )
            }
        }
        (0, 1) if i.size() >= 2 => {
            let m = match (l, o0) {
                (0, 0) => "stxp",
                (0, _) => "stlxp",
                (_, 0) => "ldxp",
                _ => "ldaxp",
            };
            if l == 1 {
                write!(f, "{m} {}, {}, [{base}]", r(i.rt(), w64), r(i.rt2(), w64))
            } else {
                write!(
                    f,
                    "{m} {}, {}, {}, [{base}]",
                    r(i.rs(), false),
                    r(i.rt(), w64),
                    r(i.rt2(), w64)
                )
            }
        }
        (1, 0) => {
            let m = match (l, o0) {
                (0, 0) => "stllr",
                (0, _) => "stlr",
                (_, 0) => "ldlar",
                _ => "ldar",
            };
            write!(f, "{m}{sfx} {}, [{base}]", r(i.rt(), w64))
        }
        (o2, _) => {
            let ord = match (l, o0) {
                (0, 0) => "",
                (0, _) => "l",
                (_, 0) => "a",
                _ => "al",
            };
            if o2 == 1 {
                write!(
                    f,
                    "cas{ord}{sfx} {}, {}, [{base}]",
                    r(i.rs(), w64),
                    r(i.rt(), w64)
                )
            } else {
                let w = i.size() & 1 == 1;
                write!(
                    f,
                    "casp{ord} {}, {}, {}, {}, [{base}]",
                    r(i.rs(), w),
                    r((i.rs() + 1) & 31, w),
                    r(i.rt(), w),
                    r((i.rt() + 1) & 31, w)
                )
            }
        }
    }
}

/// Atomic memory operations.
pub fn atomic(i: &Insn, f: &mut Formatter<'_>) -> Result {
    const OPS: [&str; 8] = [
        "ldadd", "ldclr", "ldeor", "ldset", "ldsmax", "ldsmin", "ldumax", "ldumin",
    ];
    let op = match (i.w(), i.opc()) {
        (0, o) => OPS[o as usize & 7],
        (_, 0) => "swp",
        _ => return write!(f, ".inst {:#010x} // atomic, not implemented", i.word),
    };
    let ord = match (i.op_bit(), i.lo()) {
        (0, 0) => "",
        (0, _) => "l",
        (_, 0) => "a",
        _ => "al",
    };
    let sfx = ["b", "h", "", ""][i.size() as usize & 3];
    let w64 = i.size() == 3;
    write!(
        f,
        "{op}{ord}{sfx} {}, {}, [{}]",
        r(i.rs(), w64),
        r(i.rt(), w64),
        xsp(i.rn())
    )
}

/// The register of a single transfer and the mnemonic.
fn single(i: &Insn) -> Option<(&'static str, alloc::string::String)> {
    use alloc::string::ToString;
    let (size, opc) = (i.size(), i.opc());
    if i.v() == 1 {
        let (bytes, load) = match (size, opc) {
            (0, 2) => (16, false),
            (0, 3) => (16, true),
            (_, 0 | 1) => (1u32 << size, opc == 1),
            _ => return None,
        };
        let p = match bytes {
            1 => "b",
            2 => "h",
            4 => "s",
            8 => "d",
            _ => "q",
        };
        let m = if load { "ldr" } else { "str" };
        return Some((m, alloc::format!("{p}{}", i.rt())));
    }
    let sfx = ["b", "h", "", ""][size as usize];
    let (m, w64) = match opc {
        0 => ("str", size == 3),
        1 => ("ldr", size == 3),
        2 if size == 3 => return Some(("prfm", alloc::format!("#{:#x}", i.rt()))),
        2 => ("ldrs", true),
        _ => ("ldrs", false),
    };
    let m: &'static str = match (m, sfx) {
        ("str", "b") => "strb",
        ("str", "h") => "strh",
        ("ldr", "b") => "ldrb",
        ("ldr", "h") => "ldrh",
        ("ldrs", "b") => "ldrsb",
        ("ldrs", "h") => "ldrsh",
        ("ldrs", _) => "ldrsw",
        (m, _) => m,
    };
    Some((m, r(i.rt(), w64).to_string()))
}

/// LDUR/STUR, LDTR/STTR, pre-/post-indexed.
pub fn imm9(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let Some((m, rt)) = single(i) else {
        return write!(f, ".inst {:#010x} // load/store, unallocated", i.word);
    };
    let off = sign_extend(u64::from(i.imm()), 9);
    let base = xsp(i.rn());
    match i.w() {
        0 => {
            let m = alloc::format!("{}u{}", &m[..2], &m[2..]);
            let m = m.replace("prufm", "prfum");
            write!(f, "{m} {rt}, [{base}, #{off}]")
        }
        1 => write!(f, "{m} {rt}, [{base}], #{off}"),
        2 => {
            let m = alloc::format!("{}t{}", &m[..2], &m[2..]);
            write!(f, "{m} {rt}, [{base}, #{off}]")
        }
        _ => write!(f, "{m} {rt}, [{base}, #{off}]!"),
    }
}

/// LDR/STR (register offset).
pub fn register_offset(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let Some((m, rt)) = single(i) else {
        return write!(f, ".inst {:#010x} // load/store, unallocated", i.word);
    };
    let opt = i.sh() as usize & 7;
    let scale = if i.v() == 1 && i.size() == 0 && i.opc() >= 2 {
        4
    } else {
        i.size()
    };
    let rm = r(i.rm(), opt & 1 == 1);
    let amount = if i.s_bit() == 1 {
        alloc::format!(" #{scale}")
    } else {
        alloc::string::String::new()
    };
    if opt == 3 {
        if i.s_bit() == 1 {
            write!(f, "{m} {rt}, [{}, {rm}, lsl{amount}]", xsp(i.rn()))
        } else {
            write!(f, "{m} {rt}, [{}, {rm}]", xsp(i.rn()))
        }
    } else {
        write!(
            f,
            "{m} {rt}, [{}, {rm}, {}{amount}]",
            xsp(i.rn()),
            EXTEND[opt]
        )
    }
}

/// LDR/STR (unsigned immediate).
pub fn unsigned_offset(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let Some((m, rt)) = single(i) else {
        return write!(f, ".inst {:#010x} // load/store, unallocated", i.word);
    };
    let scale = if i.v() == 1 && i.size() == 0 && i.opc() >= 2 {
        4
    } else {
        i.size()
    };
    let off = u64::from(i.imm()) << scale;
    write!(f, "{m} {rt}, [{}, #{off}]", xsp(i.rn()))
}

/// Literal loads.
pub fn literal(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let off = sign_extend(u64::from(i.imm()) << 2, 21);
    let rt = i.rt();
    match (i.v(), i.opc()) {
        (0, 0) => write!(f, "ldr {}, {}", r(rt, false), Rel(off)),
        (0, 1) => write!(f, "ldr {}, {}", x(rt), Rel(off)),
        (0, 2) => write!(f, "ldrsw {}, {}", x(rt), Rel(off)),
        (0, _) => write!(f, "prfm #{rt:#x}, {}", Rel(off)),
        (_, 0) => write!(f, "ldr s{rt}, {}", Rel(off)),
        (_, 1) => write!(f, "ldr d{rt}, {}", Rel(off)),
        (_, 2) => write!(f, "ldr q{rt}, {}", Rel(off)),
        _ => write!(f, ".inst {:#010x} // literal load, unallocated", i.word),
    }
}

/// Pairs.
pub fn pair(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let load = i.lo() == 1;
    let (size, prefix, signed) = match (i.v(), i.opc()) {
        (0, 0) => (4, "w", false),
        (0, 1) if load => (4, "x", true),
        (0, 2) => (8, "x", false),
        (1, 0) => (4, "s", false),
        (1, 1) => (8, "d", false),
        (1, 2) => (16, "q", false),
        _ => return write!(f, ".inst {:#010x} // load/store pair, unallocated", i.word),
    };
    let m = match (load, signed, i.w()) {
        (true, true, _) => "ldpsw",
        (true, _, 0) => "ldnp",
        (false, _, 0) => "stnp",
        (true, _, _) => "ldp",
        (false, _, _) => "stp",
    };
    let off = sign_extend(u64::from(i.imm()), 7) * size;
    let reg = |n: usize| {
        if n == 31 && (prefix == "w" || prefix == "x") {
            alloc::format!("{prefix}zr")
        } else {
            alloc::format!("{prefix}{n}")
        }
    };
    let (t, t2, base) = (reg(i.rt()), reg(i.rt2()), xsp(i.rn()));
    match i.w() {
        1 => write!(f, "{m} {t}, {t2}, [{base}], #{off}"),
        3 => write!(f, "{m} {t}, {t2}, [{base}, #{off}]!"),
        _ => write!(f, "{m} {t}, {t2}, [{base}, #{off}]"),
    }
}

/// Data-processing (2 source).
pub fn two_source(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let w = i.is64();
    let m = match i.opc() {
        2 => "udiv",
        3 => "sdiv",
        8 => "lsl",
        9 => "lsr",
        10 => "asr",
        11 => "ror",
        _ => {
            return write!(
                f,
                ".inst {:#010x} // data-processing (2 source), not implemented",
                i.word
            )
        }
    };
    write!(
        f,
        "{m} {}, {}, {}",
        r(i.rd(), w),
        r(i.rn(), w),
        r(i.rm(), w)
    )
}

/// Data-processing (1 source).
pub fn one_source(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let w = i.is64();
    let m = match (i.opc(), w) {
        (0, _) => "rbit",
        (1, _) => "rev16",
        (2, false) => "rev",
        (2, true) => "rev32",
        (3, true) => "rev",
        (4, _) => "clz",
        (5, _) => "cls",
        _ => {
            return write!(
                f,
                ".inst {:#010x} // data-processing (1 source), unallocated",
                i.word
            )
        }
    };
    write!(f, "{m} {}, {}", r(i.rd(), w), r(i.rn(), w))
}

fn shifted_operand(i: &Insn, f: &mut Formatter<'_>, w: bool) -> Result {
    write!(f, "{}", r(i.rm(), w))?;
    if i.imm() != 0 {
        write!(f, ", {} #{}", SHIFT[i.sh() as usize & 3], i.imm())?;
    }
    Ok(())
}

/// Logical (shifted register).
pub fn logical_shifted(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let w = i.is64();
    let idx = (i.opc() << 1 | i.nbit()) as usize & 7;
    let m = ["and", "bic", "orr", "orn", "eor", "eon", "ands", "bics"][idx];
    if idx == 2 && i.rn() == 31 && i.imm() == 0 {
        return write!(f, "mov {}, {}", r(i.rd(), w), r(i.rm(), w));
    }
    if idx == 3 && i.rn() == 31 {
        write!(f, "mvn {}, ", r(i.rd(), w))?;
        return shifted_operand(i, f, w);
    }
    if idx == 6 && i.rd() == 31 {
        write!(f, "tst {}, ", r(i.rn(), w))?;
        return shifted_operand(i, f, w);
    }
    write!(f, "{m} {}, {}, ", r(i.rd(), w), r(i.rn(), w))?;
    shifted_operand(i, f, w)
}

/// Add/subtract (shifted register).
pub fn add_sub_shifted(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let w = i.is64();
    let (sub, s) = (i.op_bit() == 1, i.s_bit() == 1);
    if s && i.rd() == 31 {
        write!(f, "{} {}, ", if sub { "cmp" } else { "cmn" }, r(i.rn(), w))?;
        return shifted_operand(i, f, w);
    }
    if sub && i.rn() == 31 {
        write!(f, "{} {}, ", if s { "negs" } else { "neg" }, r(i.rd(), w))?;
        return shifted_operand(i, f, w);
    }
    let m = ["add", "adds", "sub", "subs"][(i.op_bit() << 1 | i.s_bit()) as usize & 3];
    write!(f, "{m} {}, {}, ", r(i.rd(), w), r(i.rn(), w))?;
    shifted_operand(i, f, w)
}

/// Add/subtract (extended register).
pub fn add_sub_extended(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let w = i.is64();
    let m = ["add", "adds", "sub", "subs"][(i.op_bit() << 1 | i.s_bit()) as usize & 3];
    let opt = i.opc() as usize & 7;
    let rm = r(i.rm(), opt & 3 == 3);
    let rd = if i.s_bit() == 1 {
        r(i.rd(), w)
    } else {
        rsp(i.rd(), w)
    };
    write!(f, "{m} {rd}, {}, {rm}, {}", rsp(i.rn(), w), EXTEND[opt])?;
    if i.imm() != 0 {
        write!(f, " #{}", i.imm())?;
    }
    Ok(())
}

/// ADC, ADCS, SBC, SBCS.
pub fn add_sub_carry(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let w = i.is64();
    let m = ["adc", "adcs", "sbc", "sbcs"][(i.op_bit() << 1 | i.s_bit()) as usize & 3];
    write!(
        f,
        "{m} {}, {}, {}",
        r(i.rd(), w),
        r(i.rn(), w),
        r(i.rm(), w)
    )
}

/// CCMN, CCMP.
pub fn cond_compare(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let w = i.is64();
    let m = if i.op_bit() == 1 { "ccmp" } else { "ccmn" };
    let c = COND[i.cond() as usize & 15];
    if i.word & (1 << 11) != 0 {
        write!(
            f,
            "{m} {}, #{}, #{:#x}, {c}",
            r(i.rn(), w),
            i.imm(),
            i.imms()
        )
    } else {
        write!(
            f,
            "{m} {}, {}, #{:#x}, {c}",
            r(i.rn(), w),
            r(i.rm(), w),
            i.imms()
        )
    }
}

/// Conditional select.
pub fn cond_select(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let w = i.is64();
    let idx = (i.op_bit() << 1 | i.opc()) as usize & 3;
    let c = i.cond() as usize & 15;
    if idx == 1 && i.rn() == 31 && i.rm() == 31 && c < 14 {
        return write!(f, "cset {}, {}", r(i.rd(), w), COND[c ^ 1]);
    }
    if idx == 2 && i.rn() == 31 && i.rm() == 31 && c < 14 {
        return write!(f, "csetm {}, {}", r(i.rd(), w), COND[c ^ 1]);
    }
    let m = ["csel", "csinc", "csinv", "csneg"][idx];
    write!(
        f,
        "{m} {}, {}, {}, {}",
        r(i.rd(), w),
        r(i.rn(), w),
        r(i.rm(), w),
        COND[c]
    )
}

/// Data-processing (3 source).
pub fn three_source(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let w = i.is64();
    let sub = i.op_bit() == 1;
    let (d, n, m, a) = (i.rd(), i.rn(), i.rm(), i.ra());
    match i.opc() {
        0 if a == 31 => write!(
            f,
            "{} {}, {}, {}",
            if sub { "mneg" } else { "mul" },
            r(d, w),
            r(n, w),
            r(m, w)
        ),
        0 => write!(
            f,
            "{} {}, {}, {}, {}",
            if sub { "msub" } else { "madd" },
            r(d, w),
            r(n, w),
            r(m, w),
            r(a, w)
        ),
        1 | 5 => {
            let u = if i.opc() == 5 { "u" } else { "s" };
            let op = if sub { "msubl" } else { "maddl" };
            write!(
                f,
                "{u}{op} {}, {}, {}, {}",
                x(d),
                r(n, false),
                r(m, false),
                x(a)
            )
        }
        2 => write!(f, "smulh {}, {}, {}", x(d), x(n), x(m)),
        6 => write!(f, "umulh {}, {}, {}", x(d), x(n), x(m)),
        _ => write!(
            f,
            ".inst {:#010x} // data-processing (3 source), unallocated",
            i.word
        ),
    }
}

/// FMOV (general).
pub fn fmov_general(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let to_fp = i.opc() == 7;
    let (d, n) = (i.rd(), i.rn());
    let (fp, gp) = match (i.sf(), i.size(), i.sh(), i.opc() >> 1) {
        (0, 0, 0, 3) => ("s", false),
        (1, 1, 0, 3) => ("d", true),
        (1, 2, 1, 3) => {
            return if to_fp {
                write!(f, "fmov v{d}.d[1], {}", x(n))
            } else {
                write!(f, "fmov {}, v{n}.d[1]", x(d))
            }
        }
        _ => {
            return write!(
                f,
                ".inst {:#010x} // FP<->integer conversion, not implemented",
                i.word
            )
        }
    };
    if to_fp {
        write!(f, "fmov {fp}{d}, {}", r(n, gp))
    } else {
        write!(f, "fmov {}, {fp}{n}", r(d, gp))
    }
}

fn arrangement(size: u32, q: bool) -> &'static str {
    match (size, q) {
        (0, false) => "8b",
        (0, true) => "16b",
        (1, false) => "4h",
        (1, true) => "8h",
        (2, false) => "2s",
        (2, true) => "4s",
        (_, false) => "1d",
        (_, true) => "2d",
    }
}

/// DUP, SMOV, UMOV, INS.
pub fn simd_copy(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let imm5 = i.imm();
    if imm5 & 0xf == 0 {
        return write!(f, ".inst {:#010x} // AdvSIMD copy, unallocated", i.word);
    }
    let size = imm5.trailing_zeros();
    let idx = imm5 >> (size + 1);
    let t = ["b", "h", "s", "d"][size as usize];
    let q = i.q() == 1;
    let (d, n) = (i.rd(), i.rn());
    match (i.op_bit(), i.imms()) {
        (0, 0) => write!(f, "dup v{d}.{}, v{n}.{t}[{idx}]", arrangement(size, q)),
        (0, 1) => write!(f, "dup v{d}.{}, {}", arrangement(size, q), r(n, size == 3)),
        (0, 5) => write!(f, "smov {}, v{n}.{t}[{idx}]", r(d, q)),
        (0, 7) => write!(f, "umov {}, v{n}.{t}[{idx}]", r(d, q)),
        (0, 3) => write!(f, "mov v{d}.{t}[{idx}], {}", r(n, size == 3)),
        (1, imm4) => write!(f, "mov v{d}.{t}[{idx}], v{n}.{t}[{}]", imm4 >> size),
        _ => write!(f, ".inst {:#010x} // AdvSIMD copy, unallocated", i.word),
    }
}

/// MOVI, MVNI, ORR, BIC, FMOV (vector, immediate).
pub fn simd_modified_immediate(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let (q, op, cmode) = (i.q() == 1, i.op_bit(), i.opc());
    let imm8 = i.imm() << 5 | i.imms();
    let d = i.rd();
    let Some(imm) = expand_imm(op, cmode, imm8) else {
        return write!(f, ".inst {:#010x} // AdvSIMD modified immediate", i.word);
    };
    match cmode {
        0b1110 if op == 1 && !q => write!(f, "movi d{d}, #{imm:#x}"),
        0b1110 if op == 1 => write!(f, "movi v{d}.2d, #{imm:#x}"),
        0b1110 => write!(f, "movi v{d}.{}, #{imm8:#x}", arrangement(0, q)),
        0b1111 => write!(
            f,
            "fmov v{d}.{}, #{imm:#x}",
            if op == 1 { "2d" } else { arrangement(2, q) }
        ),
        _ => {
            let logical = cmode & 1 == 1 && cmode < 0b1100;
            let m = match (logical, op) {
                (true, 0) => "orr",
                (true, _) => "bic",
                (false, 0) => "movi",
                (false, _) => "mvni",
            };
            let esize = if cmode >> 2 == 0b10 { 1 } else { 2 };
            let (shift, msl) = match cmode >> 1 {
                0b000 | 0b100 => (0, false),
                0b001 | 0b101 => (8, false),
                0b010 => (16, false),
                0b011 => (24, false),
                _ => (if cmode & 1 == 0 { 8 } else { 16 }, true),
            };
            write!(f, "{m} v{d}.{}, #{imm8:#x}", arrangement(esize, q))?;
            if msl {
                write!(f, ", msl #{shift}")
            } else if shift != 0 {
                write!(f, ", lsl #{shift}")
            } else {
                Ok(())
            }
        }
    }
}

/// Vector logical.
pub fn simd_logical(i: &Insn, f: &mut Formatter<'_>) -> Result {
    let m = ["and", "bic", "orr", "orn", "eor", "bsl", "bit", "bif"]
        [(i.op_bit() << 2 | i.size()) as usize & 7];
    let a = arrangement(0, i.q() == 1);
    if m == "orr" && i.rn() == i.rm() {
        return write!(f, "mov v{}.{a}, v{}.{a}", i.rd(), i.rn());
    }
    write!(f, "{m} v{}.{a}, v{}.{a}, v{}.{a}", i.rd(), i.rn(), i.rm())
}
