//! Data processing -- immediate (ARM ARM C4.1.86 and C6): PC-relative
//! addressing, add/subtract, logical, move wide, bitfield, extract.

use super::{add_with_carry, undefined, width, Ctx, ExecResult};
use crate::cpu::insn::{decode_bit_masks, Insn};
use crate::cpu::Cpu;

/// Sets NZCV from bits 3:0.
#[inline(always)]
pub(crate) fn set_flags(cpu: &mut Cpu, f: u32) {
    let p = &mut cpu.regs.pstate;
    p.n = f & 8 != 0;
    p.z = f & 4 != 0;
    p.c = f & 2 != 0;
    p.v = f & 1 != 0;
}

/// The logical operation `opc` (AND, ORR, EOR, ANDS) of both logical
/// classes, immediate and shifted register, at the operation's width.
#[inline]
pub(crate) fn logical(opc: u32, a: u64, b: u64, is64: bool) -> u64 {
    width(
        match opc {
            0 | 3 => a & b,
            1 => a | b,
            _ => a ^ b,
        },
        is64,
    )
}

/// NZ from a result, C and V cleared (logical operations).
#[inline(always)]
pub(crate) fn logical_flags(cpu: &mut Cpu, r: u64, is64: bool) {
    let n = if is64 { r >> 63 } else { (r >> 31) & 1 };
    set_flags(cpu, (n as u32) << 3 | ((r == 0) as u32) << 2);
}

/// ADR, ADRP.
pub fn adr(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let imm = super::sign_extend(u64::from(i.imm() << 2 | i.lo()), 21);
    let pc = cpu.regs.pc;
    let v = if i.op_bit() == 1 {
        (pc & !0xfff).wrapping_add((imm << 12) as u64)
    } else {
        pc.wrapping_add(imm as u64)
    };
    cpu.regs.set_x(i.rd(), v);
    Ok(())
}

/// ADD, ADDS, SUB, SUBS (immediate).
pub fn add_sub_imm(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let is64 = i.is64();
    let imm = u64::from(i.imm()) << (12 * i.sh());
    let x = cpu.regs.xsp(i.rn());
    let (r, flags) = if i.op_bit() == 1 {
        add_with_carry(x, !imm, true, is64)
    } else {
        add_with_carry(x, imm, false, is64)
    };
    if i.s_bit() == 1 {
        set_flags(cpu, flags);
        cpu.regs.set_x(i.rd(), r);
    } else {
        cpu.regs.set_xsp(i.rd(), r);
    }
    Ok(())
}

/// AND, ORR, EOR, ANDS (immediate).
pub fn logical_imm(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let is64 = i.is64();
    if !is64 && i.nbit() == 1 {
        return undefined();
    }
    let bits = if is64 { 64 } else { 32 };
    let Some((imm, _)) = decode_bit_masks(i.nbit(), i.imms(), i.immr(), true, bits) else {
        return undefined();
    };
    let x = cpu.regs.x(i.rn());
    let r = logical(i.opc(), x, imm, is64);
    if i.opc() == 3 {
        logical_flags(cpu, r, is64);
        cpu.regs.set_x(i.rd(), r);
    } else {
        cpu.regs.set_xsp(i.rd(), r);
    }
    Ok(())
}

/// MOVN, MOVZ, MOVK.
pub fn move_wide(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let is64 = i.is64();
    if i.opc() == 1 || (!is64 && i.sh() >= 2) {
        return undefined();
    }
    let pos = 16 * i.sh();
    let imm = u64::from(i.imm()) << pos;
    let r = match i.opc() {
        0 => !imm,
        2 => imm,
        _ => (cpu.regs.x(i.rd()) & !(0xffffu64 << pos)) | imm,
    };
    cpu.regs.set_x(i.rd(), width(r, is64));
    Ok(())
}

/// SBFM, BFM, UBFM.
pub fn bitfield(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let is64 = i.is64();
    if i.opc() == 3 || u32::from(is64) != i.nbit() {
        return undefined();
    }
    if !is64 && (i.immr() >= 32 || i.imms() >= 32) {
        return undefined();
    }
    let bits = if is64 { 64 } else { 32 };
    let Some((wmask, tmask)) = decode_bit_masks(i.nbit(), i.imms(), i.immr(), false, bits) else {
        return undefined();
    };
    let (r, s) = (i.immr(), i.imms());
    let src = width(cpu.regs.x(i.rn()), is64);
    let rot = if is64 {
        src.rotate_right(r)
    } else {
        u64::from((src as u32).rotate_right(r))
    };
    let dst = if i.opc() == 1 { cpu.regs.x(i.rd()) } else { 0 };
    let bot = (dst & !wmask) | (rot & wmask);
    let top = match i.opc() {
        // SBFM replicates bit S of the source.
        0 if (src >> s) & 1 == 1 => u64::MAX,
        1 => dst,
        _ => 0,
    };
    let res = (top & !tmask) | (bot & tmask);
    cpu.regs.set_x(i.rd(), width(res, is64));
    Ok(())
}

/// EXTR.
pub fn extract(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let is64 = i.is64();
    if u32::from(is64) != i.nbit() || (!is64 && i.imms() >= 32) {
        return undefined();
    }
    let lsb = i.imms();
    let n = cpu.regs.x(i.rn());
    let m = cpu.regs.x(i.rm());
    let r = if is64 {
        if lsb == 0 {
            m
        } else {
            (m >> lsb) | (n << (64 - lsb))
        }
    } else {
        let concat = (n as u32 as u64) << 32 | (m as u32 as u64);
        (concat >> lsb) as u32 as u64
    };
    cpu.regs.set_x(i.rd(), r);
    Ok(())
}
