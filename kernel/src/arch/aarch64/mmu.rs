//! The MMU at register level: MAIR/TCR/SCTLR values, switching translation
//! regimes, address translation instructions (AT) and PAR_EL1.

use aarch64_cpu::registers::{self, Readable};
use core::arch::{asm, global_asm};
use emu::arch::sysreg::{self, Sctlr, Tcr, SCTLR_EL1, SCTLR_EL1_RES1, TCR_EL1};
use emu::granule::Granule;

/// MAIR_EL1 slot for Device-nGnRE (MMIO).
pub const MAIR_DEVICE: u8 = 0;
/// MAIR_EL1 slot for Normal, Inner/Outer Write-Back, Read/Write-Allocate.
pub const MAIR_NORMAL: u8 = 1;
/// MAIR_EL1 slot for Normal Non-cacheable.
pub const MAIR_NORMAL_NC: u8 = 2;
/// The attribute bytes for every slot (ARM ARM D19.2, MAIR_EL1): the three
/// above, then more types for the differential test's tables to use:
/// Device-nGnRnE, Device-GRE, Normal Write-Through (allocating and not),
/// and Normal Outer Non-cacheable with Inner Write-Back.
pub const MAIR_ATTRS: [u8; 8] = [0x04, 0xff, 0x44, 0x00, 0x0c, 0xbb, 0xaa, 0x4f];

/// The MAIR_EL1 value Granule runs with.
pub const fn mair_value() -> u64 {
    let mut value = 0u64;
    let mut i = 0;
    while i < MAIR_ATTRS.len() {
        value |= (MAIR_ATTRS[i] as u64) << (8 * i);
        i += 1;
    }
    value
}

/// TCR_EL1 for a TTBR0-only regime: `va_bits` of input, walks cacheable
/// and inner shareable, TTBR1 walks disabled, `ips` the PARange encoding.
pub fn tcr_value(granule: Granule, va_bits: u32, ips: u8) -> u64 {
    let mut tcr = Tcr::new(0);
    tcr.write(
        TCR_EL1::T0SZ.val(u64::from(64 - va_bits))
            + TCR_EL1::IRGN0::WriteBackReadWriteAllocate
            + TCR_EL1::ORGN0::WriteBackReadWriteAllocate
            + TCR_EL1::SH0::InnerShareable
            + sysreg::tg0(granule)
            + TCR_EL1::EPD1::SET
            + TCR_EL1::IPS.val(ips.into()),
    );
    tcr.get()
}

/// `tcr` with TTBR1 walks enabled for `granule` and `va_bits`.
pub fn tcr_with_ttbr1(tcr: u64, granule: Granule, va_bits: u32) -> u64 {
    let mut tcr = Tcr::new(tcr);
    tcr.modify(
        TCR_EL1::EPD1::CLEAR
            + TCR_EL1::T1SZ.val(u64::from(64 - va_bits))
            + sysreg::tg1(granule)
            + TCR_EL1::IRGN1::WriteBackReadWriteAllocate
            + TCR_EL1::ORGN1::WriteBackReadWriteAllocate
            + TCR_EL1::SH1::InnerShareable,
    );
    tcr.get()
}

/// `tcr` with IPS set to the PARange encoding `ips`.
pub fn tcr_with_ips(tcr: u64, ips: u8) -> u64 {
    let mut tcr = Tcr::new(tcr);
    tcr.modify(TCR_EL1::IPS.val(ips.into()));
    tcr.get()
}

/// SCTLR_EL1 with the MMU, caches and stack alignment checks on: the RES1
/// bits, M, C, SA, SA0, I.
pub const SCTLR_MMU_ON: u64 = SCTLR_EL1_RES1
    | sysreg::bits(SCTLR_EL1::M)
    | sysreg::bits(SCTLR_EL1::C)
    | sysreg::bits(SCTLR_EL1::SA)
    | sysreg::bits(SCTLR_EL1::SA0)
    | sysreg::bits(SCTLR_EL1::I);

global_asm!(
    r#"
// x0 = TTBR0_EL1, x1 = TCR_EL1, x2 = MAIR_EL1, x3 = SCTLR_EL1.
// The MMU is off between the two SCTLR writes, so no translation of the old
// regime can meet one of the new: the break-before-make that a change of
// granule (and of every block size) needs. Nothing in between touches memory.
.section .text.mmu, "ax"
.global granule_switch_translation
granule_switch_translation:
    dsb     ish
    mrs     x4, sctlr_el1
    bic     x4, x4, #1
    msr     sctlr_el1, x4
    isb
    msr     mair_el1, x2
    msr     tcr_el1, x1
    msr     ttbr0_el1, x0
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    msr     sctlr_el1, x3
    isb
    ret
"#
);

extern "C" {
    fn granule_switch_translation(ttbr0: u64, tcr: u64, mair: u64, sctlr: u64);
}

/// Installs a new TTBR0 regime and turns the MMU on.
///
/// # Safety
/// The tables at `ttbr0` must identity-map all code, data and stack the
/// kernel uses, with the attributes `mair` gives them; they must have been
/// written to memory (a DSB is issued first).
pub unsafe fn switch_translation(ttbr0: u64, tcr: u64, mair: u64) {
    // SAFETY: forwarded from the caller.
    unsafe { granule_switch_translation(ttbr0, tcr, mair, SCTLR_MMU_ON) };
}

/// Writes TTBR1_EL1 and TCR_EL1 and drops all EL1 TLB entries.
///
/// # Safety
/// TTBR0's regime must stay as it is in `tcr`; TTBR1's tables must be valid
/// for `tcr`'s TTBR1 fields.
pub unsafe fn set_ttbr1(ttbr1: u64, tcr: u64) {
    // SAFETY: forwarded from the caller.
    unsafe {
        asm!(
            "dsb ish",
            "msr ttbr1_el1, {ttbr1}",
            "msr tcr_el1, {tcr}",
            "isb",
            "tlbi vmalle1",
            "dsb nsh",
            "isb",
            ttbr1 = in(reg) ttbr1,
            tcr = in(reg) tcr,
            options(nostack),
        );
    }
}

/// Reads TCR_EL1.
pub fn tcr_el1() -> u64 {
    registers::TCR_EL1.get()
}

/// Reads TTBR0_EL1.
pub fn ttbr0_el1() -> u64 {
    registers::TTBR0_EL1.get()
}

/// Reads TTBR1_EL1.
pub fn ttbr1_el1() -> u64 {
    registers::TTBR1_EL1.get()
}

/// Whether SCTLR_EL1.M is set.
pub fn mmu_enabled() -> bool {
    Sctlr::new(registers::SCTLR_EL1.get()).is_set(SCTLR_EL1::M)
}

/// A stage 1 address translation instruction at EL1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum At {
    /// AT S1E1R: as an EL1 read.
    S1E1R,
    /// AT S1E1W: as an EL1 write.
    S1E1W,
    /// AT S1E0R: as an EL0 read.
    S1E0R,
    /// AT S1E0W: as an EL0 write.
    S1E0W,
    /// AT S1E1RP: as an EL1 read with PSTATE.PAN set (FEAT_PAN2).
    S1E1RP,
    /// AT S1E1WP: as an EL1 write with PSTATE.PAN set (FEAT_PAN2).
    S1E1WP,
}

/// Translates `va` with the current EL1&0 regime and returns PAR_EL1.
pub fn at(op: At, va: u64) -> u64 {
    let par;
    // SAFETY: AT only writes PAR_EL1, which is read back at once.
    unsafe {
        match op {
            At::S1E1R => {
                asm!("at s1e1r, {va}", "isb", "mrs {par}, par_el1", va = in(reg) va, par = out(reg) par, options(nostack))
            }
            At::S1E1W => {
                asm!("at s1e1w, {va}", "isb", "mrs {par}, par_el1", va = in(reg) va, par = out(reg) par, options(nostack))
            }
            At::S1E0R => {
                asm!("at s1e0r, {va}", "isb", "mrs {par}, par_el1", va = in(reg) va, par = out(reg) par, options(nostack))
            }
            At::S1E0W => {
                asm!("at s1e0w, {va}", "isb", "mrs {par}, par_el1", va = in(reg) va, par = out(reg) par, options(nostack))
            }
            // PSTATE.PAN is set only around the AT (MSR PAN, #imm and AT
            // S1E1RP/WP in their SYS encodings: the assembler needs no
            // extension); the kernel touches no EL0-accessible memory.
            At::S1E1RP => {
                asm!(".inst 0xd500419f", "sys #0, c7, c9, #0, {va}", "isb", "mrs {par}, par_el1", ".inst 0xd500409f", "isb", va = in(reg) va, par = out(reg) par, options(nostack))
            }
            At::S1E1WP => {
                asm!(".inst 0xd500419f", "sys #0, c7, c9, #1, {va}", "isb", "mrs {par}, par_el1", ".inst 0xd500409f", "isb", va = in(reg) va, par = out(reg) par, options(nostack))
            }
        }
    }
    par
}

/// Sets or clears SCTLR_EL1.WXN (writable memory is execute-never at EL1
/// and EL0) and drops the EL1 TLB entries, which may
/// hold permissions computed with the old value. Returns the new SCTLR_EL1.
pub fn set_wxn(on: bool) -> u64 {
    let sctlr: u64;
    // SAFETY: WXN only takes execute rights from writable memory; the
    // kernel executes only its text, which no mapping makes writable.
    unsafe {
        asm!(
            "mrs {s}, sctlr_el1",
            "bic {s}, {s}, {wxn}",
            "orr {s}, {s}, {set}",
            "msr sctlr_el1, {s}",
            "isb",
            "tlbi vmalle1",
            "dsb nsh",
            "isb",
            s = out(reg) sctlr,
            wxn = in(reg) sysreg::bits(SCTLR_EL1::WXN),
            set = in(reg) if on { sysreg::bits(SCTLR_EL1::WXN) } else { 0 },
            options(nostack),
        );
    }
    sctlr
}

/// Writes TTBR1_EL1 (a new ASID for the same tables) with no TLB
/// maintenance, as an OS switching address spaces does.
///
/// # Safety
/// `ttbr1` must differ from TTBR1_EL1 in its ASID field only.
pub unsafe fn set_ttbr1_asid(ttbr1: u64) {
    // SAFETY: forwarded from the caller.
    unsafe { asm!("msr ttbr1_el1, {}", "isb", in(reg) ttbr1, options(nostack)) };
}

/// Makes `len` bytes at `address` (identity-mapped, just written) visible
/// to instruction fetches: data cache cleaned to the point of unification
/// line by line (CTR_EL0.DminLine), then the instruction cache invalidated.
pub fn sync_instruction_cache(address: u64, len: usize) {
    let ctr: u64;
    // SAFETY: reading CTR_EL0.
    unsafe { asm!("mrs {}, ctr_el0", out(reg) ctr, options(nomem, nostack)) };
    let line = 4u64 << ((ctr >> 16) & 0xf);
    let mut at = address & !(line - 1);
    while at < address + len as u64 {
        // SAFETY: cache maintenance by VA on memory the caller owns.
        unsafe { asm!("dc cvau, {}", in(reg) at, options(nostack)) };
        at += line;
    }
    // SAFETY: instruction cache invalidation and barriers only.
    unsafe { asm!("dsb ish", "ic iallu", "dsb ish", "isb", options(nostack)) };
}
