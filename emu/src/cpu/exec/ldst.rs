//! Loads and stores (ARM ARM C4.1.88 and C6): every addressing form of the
//! single-register and pair instructions for general-purpose and SIMD&FP
//! registers, literal loads, exclusives with the local monitor, and
//! load-acquire/store-release.

use super::{extend_reg, sign_extend, undefined, Ctx, ExecResult};
use crate::cpu::exception::Exception;
use crate::cpu::insn::Insn;
use crate::cpu::memory::{AccessType, SCTLR_SA, SCTLR_SA0};
use crate::cpu::Cpu;
use crate::mmu::fault::AccessKind;

/// What one register transfer moves.
#[derive(Clone, Copy, Debug)]
struct Xfer {
    /// Bytes per register.
    size: usize,
    /// A SIMD&FP register (B/H/S/D/Q).
    simd: bool,
    /// A load (else a store).
    load: bool,
    /// Sign-extend the loaded value.
    signed: bool,
    /// The destination is an X register (else W) for general loads.
    reg64: bool,
}

/// The base register Rn, with 31 as SP checked for 16-byte alignment
/// (SCTLR_EL1.SA at EL1, SA0 at EL0).
fn base(cpu: &Cpu, n: usize) -> Result<u64, Exception> {
    if n != 31 {
        return Ok(cpu.regs.x(n));
    }
    let sp = cpu.regs.sp();
    let check = if cpu.regs.pstate.el == 0 {
        SCTLR_SA0
    } else {
        SCTLR_SA
    };
    if cpu.sys.sctlr & check != 0 && sp & 0xf != 0 {
        return Err(Exception::sp_alignment());
    }
    Ok(sp)
}

/// Decodes size/V/opc of the single-register forms: `None` is
/// unallocated, `Some(None)` a prefetch.
fn single_xfer(i: &Insn) -> Option<Option<Xfer>> {
    let size = i.size();
    let opc = i.opc();
    if i.v() == 1 {
        let (bytes, load) = match (size, opc) {
            (0, 2) => (16, false),
            (0, 3) => (16, true),
            (_, 0 | 1) => (1usize << size, opc == 1),
            _ => return None,
        };
        return Some(Some(Xfer {
            size: bytes,
            simd: true,
            load,
            signed: false,
            reg64: false,
        }));
    }
    let bytes = 1usize << size;
    Some(Some(match opc {
        0 => Xfer {
            size: bytes,
            simd: false,
            load: false,
            signed: false,
            reg64: size == 3,
        },
        1 => Xfer {
            size: bytes,
            simd: false,
            load: true,
            signed: false,
            reg64: size == 3,
        },
        2 if size == 3 => return Some(None),
        2 => Xfer {
            size: bytes,
            simd: false,
            load: true,
            signed: true,
            reg64: true,
        },
        _ if size >= 2 => return None,
        _ => Xfer {
            size: bytes,
            simd: false,
            load: true,
            signed: true,
            reg64: false,
        },
    }))
}

fn access(x: &Xfer) -> AccessType {
    AccessType {
        kind: if x.load {
            AccessKind::Read
        } else {
            AccessKind::Write
        },
        unprivileged: false,
        align: x.size as u64,
        strict: false,
    }
}

/// One register to or from memory at `addr`.
fn transfer(
    cpu: &mut Cpu,
    ctx: &mut Ctx<'_>,
    addr: u64,
    x: &Xfer,
    rt: usize,
    acc: &AccessType,
) -> ExecResult {
    if x.simd {
        let mut buf = [0u8; 16];
        if x.load {
            cpu.read_mem(ctx.mem, addr, &mut buf[..x.size], acc)?;
            cpu.regs.set_v(rt, u128::from_le_bytes(buf));
        } else {
            let v = cpu.regs.v(rt).to_le_bytes();
            cpu.write_mem(ctx.mem, addr, &v[..x.size], acc)?;
        }
        return Ok(());
    }
    if x.load {
        let v = cpu.load(ctx.mem, addr, x.size, acc)?;
        let v = if x.signed {
            sign_extend(v, 8 * x.size as u32) as u64
        } else {
            v
        };
        cpu.regs.set_x(rt, super::width(v, x.reg64));
    } else {
        let v = cpu.regs.x(rt);
        cpu.store(ctx.mem, addr, x.size, v, acc)?;
    }
    Ok(())
}

/// LDUR/STUR, LDTR/STTR, and pre-/post-indexed LDR/STR (immediate).
pub fn imm9(cpu: &mut Cpu, ctx: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let mode = i.w();
    let Some(xfer) = single_xfer(i) else {
        return undefined();
    };
    let unprivileged = mode == 0b10;
    let Some(x) = xfer else {
        // PRFUM is a hint; prefetch forms with writeback are unallocated.
        return if mode == 0 { Ok(()) } else { undefined() };
    };
    if x.simd {
        if unprivileged {
            return undefined();
        }
        cpu.check_fp_enabled()?;
    }
    let off = sign_extend(u64::from(i.imm()), 9) as u64;
    let n = i.rn();
    let b = base(cpu, n)?;
    let addr = if mode == 0b01 { b } else { b.wrapping_add(off) };
    let writeback = mode & 1 == 1;
    let mut acc = access(&x);
    acc.unprivileged = unprivileged;
    transfer(cpu, ctx, addr, &x, i.rt(), &acc)?;
    if writeback {
        cpu.regs.set_xsp(n, b.wrapping_add(off));
    }
    Ok(())
}

/// LDR/STR (unsigned immediate), PRFM (immediate).
pub fn unsigned_offset(cpu: &mut Cpu, ctx: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let Some(xfer) = single_xfer(i) else {
        return undefined();
    };
    let Some(x) = xfer else {
        return Ok(());
    };
    if x.simd {
        cpu.check_fp_enabled()?;
    }
    let addr = base(cpu, i.rn())?.wrapping_add(u64::from(i.imm()) * x.size as u64);
    let acc = access(&x);
    transfer(cpu, ctx, addr, &x, i.rt(), &acc)
}

/// LDR/STR (register), PRFM (register).
pub fn register_offset(cpu: &mut Cpu, ctx: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let option = i.sh();
    if option & 0b010 == 0 {
        return undefined();
    }
    let Some(xfer) = single_xfer(i) else {
        return undefined();
    };
    let Some(x) = xfer else {
        return Ok(());
    };
    if x.simd {
        cpu.check_fp_enabled()?;
    }
    let shift = if i.s_bit() == 1 {
        x.size.trailing_zeros()
    } else {
        0
    };
    let off = extend_reg(cpu.regs.x(i.rm()), option, shift);
    let addr = base(cpu, i.rn())?.wrapping_add(off);
    let acc = access(&x);
    transfer(cpu, ctx, addr, &x, i.rt(), &acc)
}

/// LDR (literal), LDRSW (literal), PRFM (literal), LDR (literal, SIMD&FP).
pub fn literal(cpu: &mut Cpu, ctx: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let x = match (i.v(), i.opc()) {
        (0, 0) => Xfer {
            size: 4,
            simd: false,
            load: true,
            signed: false,
            reg64: false,
        },
        (0, 1) => Xfer {
            size: 8,
            simd: false,
            load: true,
            signed: false,
            reg64: true,
        },
        (0, 2) => Xfer {
            size: 4,
            simd: false,
            load: true,
            signed: true,
            reg64: true,
        },
        (0, _) => return Ok(()),
        (_, 3) => return undefined(),
        (_, opc) => Xfer {
            size: 4 << opc,
            simd: true,
            load: true,
            signed: false,
            reg64: false,
        },
    };
    if x.simd {
        cpu.check_fp_enabled()?;
    }
    let off = sign_extend(u64::from(i.imm()) << 2, 21) as u64;
    let addr = cpu.regs.pc.wrapping_add(off);
    let acc = access(&x);
    transfer(cpu, ctx, addr, &x, i.rt(), &acc)
}

/// LDP, STP, LDPSW, LDNP, STNP (general and SIMD&FP; offset, pre- and
/// post-indexed). Both registers are checked as one access: the second
/// element's fault leaves memory and registers as they were.
pub fn pair(cpu: &mut Cpu, ctx: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let load = i.lo() == 1;
    let mode = i.w();
    let (size, signed) = match (i.v(), i.opc()) {
        (0, 0) => (4usize, false),
        (0, 1) if load && mode != 0 => (4, true),
        (0, 2) => (8, false),
        (0, _) => return undefined(),
        (_, 3) => return undefined(),
        (_, opc) => (4usize << opc, false),
    };
    let simd = i.v() == 1;
    if simd {
        cpu.check_fp_enabled()?;
    }
    let off = (sign_extend(u64::from(i.imm()), 7) as u64).wrapping_mul(size as u64);
    let n = i.rn();
    let b = base(cpu, n)?;
    let addr = if mode == 0b01 { b } else { b.wrapping_add(off) };
    let acc = AccessType::normal(
        if load {
            AccessKind::Read
        } else {
            AccessKind::Write
        },
        size as u64,
    );
    let (t, t2) = (i.rt(), i.rt2());
    let total = 2 * size;
    let mut buf = [0u8; 32];
    if load {
        cpu.read_mem(ctx.mem, addr, &mut buf[..total], &acc)?;
        let get = |k: usize| {
            let mut b = [0u8; 16];
            b[..size].copy_from_slice(&buf[k * size..(k + 1) * size]);
            u128::from_le_bytes(b)
        };
        let (a, c) = (get(0), get(1));
        if simd {
            cpu.regs.set_v(t, a);
            cpu.regs.set_v(t2, c);
        } else {
            let fix = |v: u128| {
                let v = v as u64;
                if signed {
                    sign_extend(v, 32) as u64
                } else {
                    v
                }
            };
            cpu.regs.set_x(t, fix(a));
            cpu.regs.set_x(t2, fix(c));
        }
    } else {
        let (a, c) = if simd {
            (cpu.regs.v(t), cpu.regs.v(t2))
        } else {
            (u128::from(cpu.regs.x(t)), u128::from(cpu.regs.x(t2)))
        };
        buf[..size].copy_from_slice(&a.to_le_bytes()[..size]);
        buf[size..total].copy_from_slice(&c.to_le_bytes()[..size]);
        cpu.write_mem(ctx.mem, addr, &buf[..total], &acc)?;
    }
    if mode & 1 == 1 {
        cpu.regs.set_xsp(n, b.wrapping_add(off));
    }
    Ok(())
}

/// LDXR, STXR, LDAXR, STLXR, LDXP, STXP, LDAXP, STLXP, LDAR, STLR.
/// CAS and CASP (FEAT_LSE) share the group; the LORegion forms (LDLAR,
/// STLLR) are not implemented (ID_AA64MMFR1_EL1.LO is 0): UNDEFINED.
pub fn exclusive(cpu: &mut Cpu, ctx: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let (o2, l, o1, o0) = (i.op_bit(), i.lo() == 1, i.w(), i.opc());
    let size = 1usize << i.size();
    let (t, t2, s, n) = (i.rt(), i.rt2(), i.rs(), i.rn());
    let pair = match (o2, o1) {
        (0, 0) => false,
        (0, 1) if size >= 4 => true,
        (0, 1) => return compare_and_swap_pair(cpu, ctx, i),
        (1, 1) => return compare_and_swap(cpu, ctx, i),
        (1, 0) if o0 == 1 => {
            // LDAR / STLR: ordered, must be aligned.
            let addr = base(cpu, n)?;
            let x = Xfer {
                size,
                simd: false,
                load: l,
                signed: false,
                reg64: size == 8,
            };
            let mut acc = access(&x);
            acc.strict = true;
            return transfer(cpu, ctx, addr, &x, t, &acc);
        }
        _ => return undefined(),
    };
    let addr = base(cpu, n)?;
    let total = if pair { 2 * size } else { size };
    let acc = AccessType {
        kind: if l {
            AccessKind::Read
        } else {
            AccessKind::Write
        },
        unprivileged: false,
        align: total as u64,
        strict: true,
    };
    let mut buf = [0u8; 16];
    if l {
        let pa = cpu.read_mem(ctx.mem, addr, &mut buf[..total], &acc)?;
        let mut a = [0u8; 8];
        a[..size].copy_from_slice(&buf[..size]);
        let mut c = [0u8; 8];
        if pair {
            c[..size].copy_from_slice(&buf[size..total]);
        }
        cpu.regs.set_x(t, u64::from_le_bytes(a));
        if pair {
            cpu.regs.set_x(t2, u64::from_le_bytes(c));
        }
        cpu.monitor = Some((pa.0, total as u64));
    } else {
        buf[..size].copy_from_slice(&cpu.regs.x(t).to_le_bytes()[..size]);
        if pair {
            buf[size..total].copy_from_slice(&cpu.regs.x(t2).to_le_bytes()[..size]);
        }
        let stored = cpu.store_exclusive(ctx.mem, addr, &buf[..total], &acc)?;
        cpu.regs.set_x(s, u64::from(!stored));
    }
    Ok(())
}

fn le_bytes(v: u64) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&v.to_le_bytes());
    b
}

fn from_le(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a[..b.len().min(8)].copy_from_slice(&b[..b.len().min(8)]);
    u64::from_le_bytes(a)
}

/// CAS, CASA, CASL, CASAL (byte, halfword, word, doubleword).
fn compare_and_swap(cpu: &mut Cpu, ctx: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let size = 1usize << i.size();
    let (s, t) = (i.rs(), i.rt());
    let addr = base(cpu, i.rn())?;
    let mask = if size == 8 {
        u64::MAX
    } else {
        (1u64 << (8 * size)) - 1
    };
    let expected = cpu.regs.x(s) & mask;
    let new = cpu.regs.x(t);
    let old = cpu.atomic_rmw(ctx.mem, addr, size, |old| {
        (from_le(old) == expected).then(|| le_bytes(new))
    })?;
    cpu.regs.set_x(s, from_le(&old[..size]));
    Ok(())
}

/// CASP, CASPA, CASPL, CASPAL (word and doubleword pairs; Rs and Rt even).
fn compare_and_swap_pair(cpu: &mut Cpu, ctx: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let (s, t) = (i.rs(), i.rt());
    if s & 1 == 1 || t & 1 == 1 {
        return undefined();
    }
    let size = if i.size() & 1 == 1 { 8 } else { 4 };
    let mask = if size == 8 { u64::MAX } else { 0xffff_ffff };
    let addr = base(cpu, i.rn())?;
    let (e0, e1) = (cpu.regs.x(s) & mask, cpu.regs.x(s + 1) & mask);
    let (n0, n1) = (cpu.regs.x(t), cpu.regs.x(t + 1));
    let old = cpu.atomic_rmw(ctx.mem, addr, 2 * size, |old| {
        let (o0, o1) = (from_le(&old[..size]), from_le(&old[size..2 * size]));
        (o0 == e0 && o1 == e1).then(|| {
            let mut b = [0u8; 16];
            b[..size].copy_from_slice(&n0.to_le_bytes()[..size]);
            b[size..2 * size].copy_from_slice(&n1.to_le_bytes()[..size]);
            b
        })
    })?;
    cpu.regs.set_x(s, from_le(&old[..size]));
    cpu.regs.set_x(s + 1, from_le(&old[size..2 * size]));
    Ok(())
}

/// LDADD, LDCLR, LDEOR, LDSET, LDSMAX, LDSMIN, LDUMAX, LDUMIN, SWP, with
/// their acquire/release forms and the ST* aliases (FEAT_LSE). LDAPR
/// (FEAT_LRCPC) shares the group and is not implemented: UNDEFINED.
pub fn atomic(cpu: &mut Cpu, ctx: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    if i.v() == 1 {
        return undefined();
    }
    let (o3, opc) = (i.w(), i.opc());
    if o3 == 1 && opc != 0 {
        return undefined();
    }
    let size = 1usize << i.size();
    let bits = 8 * size as u32;
    let mask = if size == 8 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let addr = base(cpu, i.rn())?;
    let operand = cpu.regs.x(i.rs()) & mask;
    let signed = |v: u64| sign_extend(v, bits);
    let old = cpu.atomic_rmw(ctx.mem, addr, size, |old| {
        let o = from_le(old);
        let r = match (o3, opc) {
            (1, _) => operand,
            (_, 0) => o.wrapping_add(operand),
            (_, 1) => o & !operand,
            (_, 2) => o ^ operand,
            (_, 3) => o | operand,
            (_, 4) => {
                if signed(o) >= signed(operand) {
                    o
                } else {
                    operand
                }
            }
            (_, 5) => {
                if signed(o) <= signed(operand) {
                    o
                } else {
                    operand
                }
            }
            (_, 6) => o.max(operand),
            _ => o.min(operand),
        };
        Some(le_bytes(r & mask))
    })?;
    cpu.regs.set_x(i.rt(), from_le(&old[..size]));
    Ok(())
}
