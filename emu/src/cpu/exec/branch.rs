//! Branches, exception generating and system instructions (ARM ARM
//! C4.1.87 and C5/C6): B.cond, B/BL, CBZ, TBZ, BR/BLR/RET, ERET, SVC, HVC,
//! SMC, BRK, HLT, hints, barriers, MSR (immediate), MRS/MSR (register) and
//! the SYS space (AT, DC, IC, TLBI).

use super::{sign_extend, undefined, Ctx, ExecResult, Stop};
use crate::arch::esr::Esr;
use crate::arch::par::par_el1;
use crate::arch::sysreg::{bits, TCR_EL1};
use crate::cpu::exception::Exception;
use crate::cpu::insn::Insn;
use crate::cpu::memory::AccessType;
use crate::cpu::sysreg::{sctlr_el0, Encoding};
use crate::cpu::{CallResult, Cpu, GuestContext};
use crate::mmu::fault::{Access, AccessKind, El};
use crate::tlb::{AsidMatch, LevelScope};

/// PAR_EL1.NS (bit 9) of a successful translation.
const PAR_NS: u64 = 1 << 9;

/// B.cond.
pub fn b_cond(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    if cpu.regs.pstate.condition_holds(i.cond()) {
        let off = sign_extend(u64::from(i.imm()) << 2, 21);
        cpu.next_pc = cpu.regs.pc.wrapping_add(off as u64);
    }
    Ok(())
}

/// B, BL.
pub fn b_imm(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let off = sign_extend(u64::from(i.imm()) << 2, 28);
    if i.op_bit() == 1 {
        cpu.regs.set_x(30, cpu.regs.pc.wrapping_add(4));
    }
    cpu.next_pc = cpu.regs.pc.wrapping_add(off as u64);
    Ok(())
}

/// CBZ, CBNZ.
pub fn cbz(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let v = super::width(cpu.regs.x(i.rt()), i.is64());
    if (v == 0) == (i.op_bit() == 0) {
        let off = sign_extend(u64::from(i.imm()) << 2, 21);
        cpu.next_pc = cpu.regs.pc.wrapping_add(off as u64);
    }
    Ok(())
}

/// TBZ, TBNZ.
pub fn tbz(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let bit = i.b5() << 5 | i.imms();
    let set = (cpu.regs.x(i.rt()) >> bit) & 1 == 1;
    if set == (i.op_bit() == 1) {
        let off = sign_extend(u64::from(i.imm()) << 2, 16);
        cpu.next_pc = cpu.regs.pc.wrapping_add(off as u64);
    }
    Ok(())
}

/// BR.
pub fn br(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    cpu.next_pc = cpu.regs.x(i.rn());
    Ok(())
}

/// BLR.
pub fn blr(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let target = cpu.regs.x(i.rn());
    cpu.regs.set_x(30, cpu.regs.pc.wrapping_add(4));
    cpu.next_pc = target;
    Ok(())
}

/// RET.
pub fn ret(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    cpu.next_pc = cpu.regs.x(i.rn());
    Ok(())
}

/// ERET.
pub fn eret(cpu: &mut Cpu, _: &mut Ctx<'_>, _: &Insn) -> ExecResult {
    if cpu.regs.pstate.el == 0 {
        return undefined();
    }
    cpu.exception_return();
    Ok(())
}

/// The semihosting immediate of `HLT`.
pub const SEMIHOSTING_HLT: u32 = 0xf000;

fn call_result(r: CallResult) -> ExecResult {
    match r {
        CallResult::Continue => Ok(()),
        CallResult::Undefined => undefined(),
        CallResult::Exit(x) => Err(Stop::Exit(x)),
    }
}

/// SVC, HVC, SMC, BRK, HLT, DCPS1-3.
pub fn exception_generation(cpu: &mut Cpu, ctx: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let imm = i.imm() as u16;
    match (i.op_bit(), i.lo()) {
        (0b000, 0b01) => Err(Exception::svc(imm).into()),
        (0b000, 0b10) if cpu.regs.pstate.el == 1 => {
            let r = ctx.sys.hvc(imm, &mut GuestContext { cpu, mem: ctx.mem });
            call_result(r)
        }
        (0b001, 0b00) => Err(Exception::brk(imm).into()),
        (0b010, 0b00) if i.imm() == SEMIHOSTING_HLT && cpu.regs.pstate.el == 1 => {
            let r = ctx.sys.semihosting(&mut GuestContext { cpu, mem: ctx.mem });
            call_result(r)
        }
        // SMC without EL3, HVC at EL0, HLT without halting debug, DCPSn
        // outside Debug state: UNDEFINED.
        _ => undefined(),
    }
}

/// HINT: NOP, YIELD, WFE, WFI, SEV, SEVL; every other hint (including
/// the pointer authentication and BTI hints, which this CPU does not
/// implement) executes as a NOP, as the architecture requires.
pub fn hint(cpu: &mut Cpu, ctx: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    const WFE: u32 = 0b000_0010;
    const WFI: u32 = 0b000_0011;
    let n = i.rm_field() << 3 | i.op_bit();
    if n != WFI && n != WFE {
        return Ok(());
    }
    // At EL0, SCTLR_EL1.nTWI/nTWE clear traps WFI/WFE to EL1 (EC 0x01).
    let allowed = if n == WFI {
        sctlr_el0::NTWI
    } else {
        sctlr_el0::NTWE
    };
    if cpu.regs.pstate.el == 0 && cpu.sys.sctlr & allowed == 0 {
        return Err(Exception::new(Esr::wfx_trap(n == WFE)).into());
    }
    if n == WFI {
        return call_result(ctx.sys.wfi(cpu.regs.pc));
    }
    // WFE with no event source: a NOP (the architecture lets WFE wake at
    // any time).
    Ok(())
}

/// CLREX, DSB, DMB, ISB (SB and the rest: UNDEFINED).
pub fn barrier(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    match i.op_bit() {
        0b010 => cpu.monitor = None,
        // One CPU and in-order, architecturally visible accesses: the
        // barriers order nothing more. System register writes already
        // took effect, so ISB has nothing to synchronize either.
        0b100..=0b110 => {}
        _ => return undefined(),
    }
    Ok(())
}

/// MSR (immediate): SPSel, DAIFSet, DAIFClr.
pub fn msr_imm(cpu: &mut Cpu, _: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let imm = i.rm_field();
    let el0 = cpu.regs.pstate.el == 0;
    match (i.opc(), i.op_bit()) {
        (0b000, 0b101) => {
            if el0 {
                return undefined();
            }
            cpu.regs.pstate.sp = imm & 1 != 0;
        }
        (0b011, op2 @ (0b110 | 0b111)) => {
            if el0 && cpu.sys.sctlr & sctlr_el0::UMA == 0 {
                return Err(Encoding::of(i.word).trap(31, false).into());
            }
            let bits = u64::from(imm) << 6;
            let p = &mut cpu.regs.pstate;
            let daif = if op2 == 0b110 {
                p.daif() | bits
            } else {
                p.daif() & !bits
            };
            p.set_daif(daif);
        }
        _ => return undefined(),
    }
    Ok(())
}

/// MRS, MSR (register).
pub fn sysreg_move(cpu: &mut Cpu, ctx: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    let e = Encoding::of(i.word);
    if i.lo() == 1 {
        let counter = ctx.sys.counter(cpu.stats.instructions);
        let v = cpu.read_sysreg(e, i.rt(), counter)?;
        cpu.regs.set_x(i.rt(), v);
    } else {
        let v = cpu.regs.x(i.rt());
        cpu.write_sysreg(e, i.rt(), v)?;
    }
    Ok(())
}

/// The VA operand of TLBI by address: VA\[55:12\] in bits 43:0,
/// sign-extended from bit 55 so that it names TTBR1 addresses too.
fn tlbi_va(x: u64) -> u64 {
    let va = (x & 0x0000_0fff_ffff_ffff) << 12;
    sign_extend(va, 56) as u64
}

fn tlbi_asid(cpu: &Cpu, x: u64) -> u16 {
    let asid = (x >> 48) as u16;
    if cpu.sys.tcr & bits(TCR_EL1::AS) != 0 {
        asid
    } else {
        asid & 0xff
    }
}

/// SYS, SYSL: AT, DC, IC and TLBI at EL1 (and the cache operations EL0
/// may use).
pub fn sys(cpu: &mut Cpu, ctx: &mut Ctx<'_>, i: &Insn) -> ExecResult {
    if i.lo() == 1 {
        // SYSL: no encodings are allocated.
        return undefined();
    }
    let e = Encoding::of(i.word);
    let x = cpu.regs.x(i.rt());
    let el0 = cpu.regs.pstate.el == 0;
    let key = (e.op1, e.crn, e.crm, e.op2);
    match key {
        // TLBI (CRm 3: Inner Shareable; 7: local). One CPU: both reach
        // the same TLBs.
        (0, 8, 3 | 7, op2) if !el0 => {
            let asid = tlbi_asid(cpu, x);
            let scope = if op2 >= 5 {
                LevelScope::LastLevel
            } else {
                LevelScope::AllLevels
            };
            let t = &mut cpu.tlb;
            match op2 {
                0 => t.tlbi_vmalle1(),
                1 | 5 => t.tlbi_va_e1(tlbi_va(x), AsidMatch::Asid(asid), scope),
                2 => t.tlbi_aside1(asid),
                3 | 7 => t.tlbi_va_e1(tlbi_va(x), AsidMatch::Any, scope),
                _ => return undefined(),
            }
        }
        // AT S1E1R, S1E1W, S1E0R, S1E0W.
        (0, 7, 8, op2 @ 0..=3) if !el0 => {
            let el = if op2 >= 2 { El::El0 } else { El::El1 };
            let kind = if op2 & 1 == 1 {
                AccessKind::Write
            } else {
                AccessKind::Read
            };
            let result = cpu.walk(ctx.mem, x, Access::new(el, kind));
            // NS is UNKNOWN for a Non-secure regime; like QEMU (whose
            // virt board runs EL1 Non-secure) report 1 on success.
            let ns = if result.is_ok() { PAR_NS } else { 0 };
            cpu.sys.par = par_el1(&result) | ns;
        }
        // IC IALLUIS, IC IALLU: every translated block goes.
        (0, 7, 1 | 5, 0) if !el0 => cpu.ic_iallu(),
        // IC IVAU: translated blocks in the line go.
        (3, 7, 5, 1) => {
            if el0 && cpu.sys.sctlr & sctlr_el0::UCI == 0 {
                return Err(e.trap(i.rt(), false).into());
            }
            let pa = cpu.check_maintenance(ctx.mem, x)?;
            cpu.ic_ivau(pa);
        }
        // DC CVAU, DC CVAC, DC CIVAC: no data caches are modelled, but
        // the address is translated and faults as the architecture says.
        (3, 7, 11, 1) | (3, 7, 10, 1) | (3, 7, 14, 1) => {
            if el0 && cpu.sys.sctlr & sctlr_el0::UCI == 0 {
                return Err(e.trap(i.rt(), false).into());
            }
            cpu.check_maintenance(ctx.mem, x)?;
        }
        // DC IVAC (EL1 only; an invalidate needs write permission).
        (0, 7, 6, 1) if !el0 => {
            cpu.check_maintenance(ctx.mem, x)?;
        }
        // DC ISW, CSW, CISW: by set/way, no caches: nothing to do.
        (0, 7, 6, 2) | (0, 7, 10, 2) | (0, 7, 14, 2) if !el0 => {}
        // DC ZVA.
        (3, 7, 4, 1) => {
            if el0 && cpu.sys.sctlr & sctlr_el0::DZE == 0 {
                return Err(e.trap(i.rt(), false).into());
            }
            let block = 4u64 << crate::cpu::sysreg::DCZID_BS;
            let base = x & !(block - 1);
            let zeros = [0u8; 32];
            let acc = AccessType::normal(AccessKind::Write, 1);
            // The block (512 bytes) is inside one 1K page: the first write
            // translates and checks it, so a fault leaves it untouched.
            for k in 0..block / 32 {
                cpu.write_mem(ctx.mem, base + 32 * k, &zeros, &acc)?;
            }
        }
        _ => return undefined(),
    }
    Ok(())
}
