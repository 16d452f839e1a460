//! Data processing -- register (ARM ARM C4.1.95 and C6): 2- and 1-source,
//! logical and add/subtract with shifted or extended registers, with
//! carry, conditional compare and select, 3-source (multiply).

use super::dp_imm::{logical, logical_flags, set_flags};
use super::{add_with_carry, extend_reg, shift_reg, undefined, width, Ctx, ExecResult};
use crate::cpu::insn::Insn;
use crate::cpu::Cpu;

/// UDIV, SDIV, LSLV, LSRV, ASRV, RORV.
pub fn two_source(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let is64 = i.is64();
    let n = width(cpu.regs.x(i.rn()), is64);
    let m = width(cpu.regs.x(i.rm()), is64);
    let r = match i.opc() {
        0b000010 => n.checked_div(m).unwrap_or(0),
        0b000011 => {
            // Division by zero gives 0; INT_MIN / -1 gives INT_MIN.
            if is64 {
                (n as i64)
                    .checked_div(m as i64)
                    .map_or(if m == 0 { 0 } else { n }, |q| q as u64)
            } else {
                let (a, b) = (n as u32 as i32, m as u32 as i32);
                let q = if b == 0 { 0 } else { a.wrapping_div(b) };
                q as u32 as u64
            }
        }
        op @ 0b001000..=0b001011 => {
            let bits = if is64 { 64 } else { 32 };
            shift_reg(n, op & 3, (m % bits) as u32, is64)
        }
        _ => return undefined(),
    };
    cpu.regs.set_x(i.rd(), width(r, is64));
    Ok(())
}

/// RBIT, REV16, REV32, REV, CLZ, CLS.
pub fn one_source(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let is64 = i.is64();
    let n = cpu.regs.x(i.rn());
    let r = match (i.opc(), is64) {
        (0, true) => n.reverse_bits(),
        (0, false) => u64::from((n as u32).reverse_bits()),
        (1, _) => {
            let v = ((n & 0x00ff_00ff_00ff_00ff) << 8) | ((n >> 8) & 0x00ff_00ff_00ff_00ff);
            width(v, is64)
        }
        (2, false) => u64::from((n as u32).swap_bytes()),
        (2, true) => {
            let lo = (n as u32).swap_bytes() as u64;
            let hi = ((n >> 32) as u32).swap_bytes() as u64;
            hi << 32 | lo
        }
        (3, true) => n.swap_bytes(),
        (4, true) => u64::from(n.leading_zeros()),
        (4, false) => u64::from((n as u32).leading_zeros()),
        (5, true) => u64::from((n ^ (n << 1) | 1).leading_zeros()),
        (5, false) => {
            let w = n as u32;
            u64::from((w ^ (w << 1) | 1).leading_zeros())
        }
        _ => return undefined(),
    };
    cpu.regs.set_x(i.rd(), r);
    Ok(())
}

/// AND, BIC, ORR, ORN, EOR, EON, ANDS, BICS (shifted register).
pub fn logical_shifted(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let is64 = i.is64();
    if !is64 && i.imm() >= 32 {
        return undefined();
    }
    let n = cpu.regs.x(i.rn());
    let mut m = shift_reg(cpu.regs.x(i.rm()), i.sh(), i.imm(), is64);
    if i.nbit() == 1 {
        m = !m;
    }
    let r = logical(i.opc(), n, m, is64);
    if i.opc() == 3 {
        logical_flags(cpu, r, is64);
    }
    cpu.regs.set_x(i.rd(), r);
    Ok(())
}

fn add_sub(cpu: &mut Cpu, i: &Insn, n: u64, m: u64, rd_is_sp: bool) {
    let is64 = i.is64();
    let (r, flags) = if i.op_bit() == 1 {
        add_with_carry(n, !m, true, is64)
    } else {
        add_with_carry(n, m, false, is64)
    };
    if i.s_bit() == 1 {
        set_flags(cpu, flags);
        cpu.regs.set_x(i.rd(), r);
    } else if rd_is_sp {
        cpu.regs.set_xsp(i.rd(), r);
    } else {
        cpu.regs.set_x(i.rd(), r);
    }
}

/// ADD, ADDS, SUB, SUBS (shifted register).
pub fn add_sub_shifted(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let is64 = i.is64();
    if i.sh() == 3 || (!is64 && i.imm() >= 32) {
        return undefined();
    }
    let n = cpu.regs.x(i.rn());
    let m = shift_reg(cpu.regs.x(i.rm()), i.sh(), i.imm(), is64);
    add_sub(cpu, i, n, m, false);
    Ok(())
}

/// ADD, ADDS, SUB, SUBS (extended register).
pub fn add_sub_extended(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    if i.imm() > 4 {
        return undefined();
    }
    let n = cpu.regs.xsp(i.rn());
    let m = extend_reg(cpu.regs.x(i.rm()), i.opc(), i.imm());
    add_sub(cpu, i, n, m, true);
    Ok(())
}

/// ADC, ADCS, SBC, SBCS.
pub fn add_sub_carry(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let n = cpu.regs.x(i.rn());
    let mut m = cpu.regs.x(i.rm());
    if i.op_bit() == 1 {
        m = !m;
    }
    let (r, flags) = add_with_carry(n, m, cpu.regs.pstate.c, i.is64());
    if i.s_bit() == 1 {
        set_flags(cpu, flags);
    }
    cpu.regs.set_x(i.rd(), r);
    Ok(())
}

fn cond_compare(cpu: &mut Cpu, i: &Insn, m: u64) {
    if cpu.regs.pstate.condition_holds(i.cond()) {
        let n = cpu.regs.x(i.rn());
        let (_, flags) = if i.op_bit() == 1 {
            add_with_carry(n, !m, true, i.is64())
        } else {
            add_with_carry(n, m, false, i.is64())
        };
        set_flags(cpu, flags);
    } else {
        set_flags(cpu, i.imms());
    }
}

/// CCMN, CCMP (register).
pub fn cond_compare_reg(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let m = cpu.regs.x(i.rm());
    cond_compare(cpu, i, m);
    Ok(())
}

/// CCMN, CCMP (immediate).
pub fn cond_compare_imm(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    cond_compare(cpu, i, u64::from(i.imm()));
    Ok(())
}

/// CSEL, CSINC, CSINV, CSNEG.
pub fn cond_select(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let r = if cpu.regs.pstate.condition_holds(i.cond()) {
        cpu.regs.x(i.rn())
    } else {
        let m = cpu.regs.x(i.rm());
        match (i.op_bit(), i.opc()) {
            (0, 0) => m,
            (0, _) => m.wrapping_add(1),
            (_, 0) => !m,
            _ => m.wrapping_neg(),
        }
    };
    cpu.regs.set_x(i.rd(), width(r, i.is64()));
    Ok(())
}

/// MADD, MSUB, SMADDL, SMSUBL, SMULH, UMADDL, UMSUBL, UMULH.
pub fn three_source(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let is64 = i.is64();
    let n = cpu.regs.x(i.rn());
    let m = cpu.regs.x(i.rm());
    let a = cpu.regs.x(i.ra());
    let sub = i.op_bit() == 1;
    let r = match (i.opc(), is64) {
        (0, _) => {
            let p = n.wrapping_mul(m);
            width(
                if sub {
                    a.wrapping_sub(p)
                } else {
                    a.wrapping_add(p)
                },
                is64,
            )
        }
        (0b001, true) | (0b101, true) => {
            let p = if i.opc() == 1 {
                (n as i32 as i64).wrapping_mul(m as i32 as i64) as u64
            } else {
                (n as u32 as u64).wrapping_mul(m as u32 as u64)
            };
            if sub {
                a.wrapping_sub(p)
            } else {
                a.wrapping_add(p)
            }
        }
        (0b010, true) if !sub => ((i128::from(n as i64) * i128::from(m as i64)) >> 64) as u64,
        (0b110, true) if !sub => ((u128::from(n) * u128::from(m)) >> 64) as u64,
        _ => return undefined(),
    };
    cpu.regs.set_x(i.rd(), r);
    Ok(())
}
