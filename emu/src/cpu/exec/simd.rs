//! The part of FP/SIMD that compilers emit in integer code (ARM ARM
//! C4.1.96 and C7): FMOV between general and FP registers, the Advanced
//! SIMD copy group (DUP, SMOV, UMOV, INS), modified immediates (MOVI,
//! MVNI, ORR, BIC, FMOV) and the vector logical operations. Everything
//! checks CPACR_EL1.FPEN first.

use super::{undefined, Ctx, ExecResult};
use crate::cpu::insn::Insn;
use crate::cpu::Cpu;

/// Keeps the low 64 bits unless `q` (a 64-bit vector write clears the
/// upper half).
fn with_q(v: u128, q: bool) -> u128 {
    if q {
        v
    } else {
        v & u128::from(u64::MAX)
    }
}

/// FMOV (general): W<->S, X<->D, X<->V.D\[1\]. The conversions that share
/// the group are not implemented: UNDEFINED.
pub fn fmov_general(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let (sf, ftype, rmode, opc) = (i.sf(), i.size(), i.sh(), i.opc());
    if opc != 0b110 && opc != 0b111 {
        return undefined();
    }
    let to_fp = opc == 0b111;
    cpu.check_fp_enabled()?;
    let (d, n) = (i.rd(), i.rn());
    match (sf, ftype, rmode) {
        (0, 0b00, 0b00) => {
            if to_fp {
                cpu.regs.set_v(d, u128::from(cpu.regs.x(n) as u32));
            } else {
                cpu.regs.set_x(d, cpu.regs.v(n) as u32 as u64);
            }
        }
        (1, 0b01, 0b00) => {
            if to_fp {
                cpu.regs.set_v(d, u128::from(cpu.regs.x(n)));
            } else {
                cpu.regs.set_x(d, cpu.regs.v(n) as u64);
            }
        }
        (1, 0b10, 0b01) => {
            if to_fp {
                let low = cpu.regs.v(d) & u128::from(u64::MAX);
                cpu.regs.set_v(d, low | u128::from(cpu.regs.x(n)) << 64);
            } else {
                cpu.regs.set_x(d, (cpu.regs.v(n) >> 64) as u64);
            }
        }
        _ => return undefined(),
    }
    Ok(())
}

/// Element `idx` of `size`-log2-byte elements of `v`.
fn element(v: u128, size: u32, idx: u32) -> u64 {
    let bits = 8 << size;
    let mask = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    ((v >> (idx * bits)) as u64) & mask
}

/// `v` with element `idx` replaced by `e`.
fn set_element(v: u128, size: u32, idx: u32, e: u64) -> u128 {
    let bits = 8 << size;
    let mask: u128 = if bits == 64 {
        u128::from(u64::MAX)
    } else {
        (1u128 << bits) - 1
    };
    let sh = idx * bits;
    (v & !(mask << sh)) | ((u128::from(e) & mask) << sh)
}

fn replicate(e: u64, size: u32) -> u128 {
    let mut v = 0u128;
    for k in 0..(16 >> size) {
        v = set_element(v, size, k, e);
    }
    v
}

/// DUP (element, general), SMOV, UMOV, INS (general, element).
pub fn copy(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let imm5 = i.imm();
    let imm4 = i.imms();
    let q = i.q() == 1;
    if imm5 & 0xf == 0 {
        return undefined();
    }
    let size = imm5.trailing_zeros();
    let idx = imm5 >> (size + 1);
    let (d, n) = (i.rd(), i.rn());
    match (i.op_bit(), imm4) {
        (0, 0b0000) => {
            if size == 3 && !q {
                return undefined();
            }
            cpu.check_fp_enabled()?;
            let e = element(cpu.regs.v(n), size, idx);
            cpu.regs.set_v(d, with_q(replicate(e, size), q));
        }
        (0, 0b0001) => {
            if size == 3 && !q {
                return undefined();
            }
            cpu.check_fp_enabled()?;
            let e = cpu.regs.x(n);
            cpu.regs.set_v(d, with_q(replicate(e, size), q));
        }
        (0, 0b0101) => {
            if size >= 3 || (!q && size == 2) {
                return undefined();
            }
            cpu.check_fp_enabled()?;
            let e = super::sign_extend(element(cpu.regs.v(n), size, idx), 8 << size) as u64;
            cpu.regs.set_x(d, super::width(e, q));
        }
        (0, 0b0111) => {
            if (q && size != 3) || (!q && size == 3) {
                return undefined();
            }
            cpu.check_fp_enabled()?;
            cpu.regs.set_x(d, element(cpu.regs.v(n), size, idx));
        }
        (0, 0b0011) if q => {
            cpu.check_fp_enabled()?;
            let v = set_element(cpu.regs.v(d), size, idx, cpu.regs.x(n));
            cpu.regs.set_v(d, v);
        }
        (1, _) if q => {
            cpu.check_fp_enabled()?;
            let src = imm4 >> size;
            let e = element(cpu.regs.v(n), size, src);
            let v = set_element(cpu.regs.v(d), size, idx, e);
            cpu.regs.set_v(d, v);
        }
        _ => return undefined(),
    }
    Ok(())
}

/// AdvSIMDExpandImm (ARM ARM J1): the 64-bit immediate of `op`, `cmode`
/// and `imm8`, or `None` if unallocated.
pub fn expand_imm(op: u32, cmode: u32, imm8: u32) -> Option<u64> {
    let imm8 = u64::from(imm8);
    let rep32 = |v: u64| v << 32 | v;
    let rep16 = |v: u64| rep32(v << 16 | v);
    Some(match cmode >> 1 {
        0b000 => rep32(imm8),
        0b001 => rep32(imm8 << 8),
        0b010 => rep32(imm8 << 16),
        0b011 => rep32(imm8 << 24),
        0b100 => rep16(imm8),
        0b101 => rep16(imm8 << 8),
        0b110 => {
            if cmode & 1 == 0 {
                rep32(imm8 << 8 | 0xff)
            } else {
                rep32(imm8 << 16 | 0xffff)
            }
        }
        _ => match (cmode & 1, op) {
            (0, 0) => imm8 * 0x0101_0101_0101_0101,
            (0, _) => (0..8).fold(0u64, |acc, k| {
                acc | if imm8 >> k & 1 == 1 {
                    0xffu64 << (8 * k)
                } else {
                    0
                }
            }),
            (_, 0) => {
                let (a, b, low) = (imm8 >> 7, (imm8 >> 6) & 1, imm8 & 0x3f);
                let s = a << 31 | (b ^ 1) << 30 | (if b == 1 { 0x1f } else { 0 }) << 25 | low << 19;
                rep32(s)
            }
            _ => {
                let (a, b, low) = (imm8 >> 7, (imm8 >> 6) & 1, imm8 & 0x3f);
                a << 63 | (b ^ 1) << 62 | (if b == 1 { 0xff } else { 0 }) << 54 | low << 48
            }
        },
    })
}

/// MOVI, MVNI, ORR (vector, immediate), BIC (vector, immediate), FMOV
/// (vector, immediate; single and double precision).
pub fn modified_immediate(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let (q, op, cmode) = (i.q() == 1, i.op_bit(), i.opc());
    if i.w() == 1 || (cmode == 0b1111 && op == 1 && !q) {
        return undefined();
    }
    let imm8 = i.imm() << 5 | i.imms();
    let Some(imm) = expand_imm(op, cmode, imm8) else {
        return undefined();
    };
    cpu.check_fp_enabled()?;
    let imm128 = u128::from(imm) << 64 | u128::from(imm);
    let d = i.rd();
    // ORR and BIC: cmode 0xx1 and 10x1.
    let logical = cmode & 1 == 1 && cmode < 0b1100;
    let shifted_ones_or_bytes = cmode >= 0b1100;
    let r = if logical {
        let old = cpu.regs.v(d);
        if op == 0 {
            old | imm128
        } else {
            old & !imm128
        }
    } else if op == 1 && (!shifted_ones_or_bytes || cmode >> 1 == 0b110) {
        !imm128
    } else {
        imm128
    };
    cpu.regs.set_v(d, with_q(r, q));
    Ok(())
}

/// AND, BIC, ORR, ORN, EOR, BSL, BIT, BIF (vector).
pub fn logical(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    cpu.check_fp_enabled()?;
    let (d, n, m) = (i.rd(), i.rn(), i.rm());
    let (vd, vn, vm) = (cpu.regs.v(d), cpu.regs.v(n), cpu.regs.v(m));
    let r = match (i.op_bit(), i.size()) {
        (0, 0) => vn & vm,
        (0, 1) => vn & !vm,
        (0, 2) => vn | vm,
        (0, _) => vn | !vm,
        (_, 0) => vn ^ vm,
        (_, 1) => (vd & vn) | (!vd & vm),
        (_, 2) => (vd & !vm) | (vn & vm),
        _ => (vd & vm) | (vn & !vm),
    };
    cpu.regs.set_v(d, with_q(r, i.q() == 1));
    Ok(())
}
