//! Running a short generated instruction sequence natively, for the CPU
//! differential test: registers in, registers and NZCV out.
//!
//! The kernel's RAM is never executable (W^X), so the sequence runs with
//! stage 1 turned off for its duration: with the identity map, every
//! address stays the same, and with the MMU off instruction fetches may
//! come from any RAM. The sequences touch registers only, so no data
//! access happens with the MMU off.

use core::arch::global_asm;

/// Registers a sequence may use: X0-X25. X26-X30 hold the trampoline's
/// own state while the sequence runs.
pub const SEQUENCE_REGS: usize = 26;

/// The state a sequence runs from and leaves.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NativeState {
    /// X0-X25.
    pub x: [u64; SEQUENCE_REGS],
    /// NZCV (bits 31:28).
    pub nzcv: u64,
}

global_asm!(
    r#"
.global granule_native_sequence
granule_native_sequence:
    stp     x29, x30, [sp, #-112]!
    stp     x19, x20, [sp, #16]
    stp     x21, x22, [sp, #32]
    stp     x23, x24, [sp, #48]
    stp     x25, x26, [sp, #64]
    stp     x27, x28, [sp, #80]
    mrs     x9, daif
    str     x9, [sp, #96]
    msr     daifset, #0xf
    mov     x28, x0
    mov     x27, x1
    ldr     x9, [x28, #208]
    msr     nzcv, x9
    ldp     x0, x1, [x28, #0]
    ldp     x2, x3, [x28, #16]
    ldp     x4, x5, [x28, #32]
    ldp     x6, x7, [x28, #48]
    ldp     x8, x9, [x28, #64]
    ldp     x10, x11, [x28, #80]
    ldp     x12, x13, [x28, #96]
    ldp     x14, x15, [x28, #112]
    ldp     x16, x17, [x28, #128]
    ldp     x18, x19, [x28, #144]
    ldp     x20, x21, [x28, #160]
    ldp     x22, x23, [x28, #176]
    ldp     x24, x25, [x28, #192]
    mrs     x29, sctlr_el1
    bic     x26, x29, #1
    msr     sctlr_el1, x26
    isb
    blr     x27
    msr     sctlr_el1, x29
    isb
    stp     x0, x1, [x28, #0]
    stp     x2, x3, [x28, #16]
    stp     x4, x5, [x28, #32]
    stp     x6, x7, [x28, #48]
    stp     x8, x9, [x28, #64]
    stp     x10, x11, [x28, #80]
    stp     x12, x13, [x28, #96]
    stp     x14, x15, [x28, #112]
    stp     x16, x17, [x28, #128]
    stp     x18, x19, [x28, #144]
    stp     x20, x21, [x28, #160]
    stp     x22, x23, [x28, #176]
    stp     x24, x25, [x28, #192]
    mrs     x9, nzcv
    str     x9, [x28, #208]
    ldr     x9, [sp, #96]
    msr     daif, x9
    ldp     x19, x20, [sp, #16]
    ldp     x21, x22, [sp, #32]
    ldp     x23, x24, [sp, #48]
    ldp     x25, x26, [sp, #64]
    ldp     x27, x28, [sp, #80]
    ldp     x29, x30, [sp], #112
    ret
"#
);

extern "C" {
    fn granule_native_sequence(state: *mut NativeState, code: u64);
}

/// The encoding of `RET`, which must end every sequence.
pub const RET: u32 = 0xd65f_03c0;

/// Runs `code` (instruction words ending with [`RET`]) natively from
/// `state`, and leaves the registers it produced there.
///
/// # Safety
/// The words must only read and write X0-X25 and NZCV: no memory access,
/// branch out of the sequence, system instruction, or exception.
pub unsafe fn run(code: &[u32], state: &mut NativeState) {
    let start = code.as_ptr() as u64;
    let end = start + 4 * code.len() as u64;
    // The words were written through the data cache; with the MMU off
    // instruction fetches are Non-cacheable: clean to the point of
    // coherency, then drop any stale instructions.
    let mut line = start & !63;
    while line < end {
        // SAFETY: cleaning a line of memory the caller owns changes nothing
        // architecturally visible.
        unsafe { core::arch::asm!("dc cvac, {}", in(reg) line, options(nostack)) };
        line += 64;
    }
    // SAFETY: barriers and instruction cache invalidation only.
    unsafe { core::arch::asm!("dsb sy", "ic iallu", "dsb sy", "isb", options(nostack)) };
    // SAFETY: the trampoline saves and restores every callee-saved register
    // and the kernel's SCTLR_EL1 and DAIF; the caller vouches for the words.
    unsafe { granule_native_sequence(state, start) };
}
