//! Native execution of generated instruction sequences: the code that
//! frames a sequence in an executable page (a prologue that loads X0-X30
//! and NZCV from a [`NativeState`], an epilogue that stores them back, and a
//! fault entry), and the cache maintenance that makes written code visible
//! to instruction fetch.
//!
//! The frame uses SP and nothing else: the sequence may use X0-X30 freely
//! (X18-X30 are restored for the caller from the stack), and must not touch
//! SP. An exception the sequence takes is vectored on the kernel's stack as
//! usual, and resumes at the fault entry (see
//! [`super::exception::set_code_fixup`]).

use core::arch::{asm, global_asm};

/// The register file a sequence starts from and ends with.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug, Default)]
pub struct NativeState {
    /// X0-X30.
    pub x: [u64; 31],
    /// NZCV (bits 31:28).
    pub nzcv: u64,
    /// Non-zero if the sequence took an exception (set by the fault entry).
    pub faulted: u64,
    /// ESR_EL1 of that exception.
    pub esr: u64,
}

// The offsets below are the fields of `NativeState`.
const _: () = assert!(core::mem::offset_of!(NativeState, nzcv) == 248);
const _: () = assert!(core::mem::offset_of!(NativeState, faulted) == 256);
const _: () = assert!(core::mem::offset_of!(NativeState, esr) == 264);

// Three position-independent pieces, copied into the code page around a
// sequence: prologue, sequence, epilogue, fault entry. Called as
// `extern "C" fn(*mut NativeState)`. The prologue keeps x18-x30 and the
// state pointer in a 112-byte frame: x18..x29 at 0..88, x30 at 96, the
// state pointer at 104.
global_asm!(
    r#"
.section .rodata.native_frame, "a"
.balign 4
// Loads (ldp) or stores (stp) x2-x29 at their NativeState slots, at x0.
.macro native_x2_x29 op
    \op     x2, x3, [x0, #16]
    \op     x4, x5, [x0, #32]
    \op     x6, x7, [x0, #48]
    \op     x8, x9, [x0, #64]
    \op     x10, x11, [x0, #80]
    \op     x12, x13, [x0, #96]
    \op     x14, x15, [x0, #112]
    \op     x16, x17, [x0, #128]
    \op     x18, x19, [x0, #144]
    \op     x20, x21, [x0, #160]
    \op     x22, x23, [x0, #176]
    \op     x24, x25, [x0, #192]
    \op     x26, x27, [x0, #208]
    \op     x28, x29, [x0, #224]
.endm

// Saves (stp) or restores (ldp) the caller's x18-x29 in the prologue's frame.
.macro native_x18_x29 op
    \op     x18, x19, [sp, #0]
    \op     x20, x21, [sp, #16]
    \op     x22, x23, [sp, #32]
    \op     x24, x25, [sp, #48]
    \op     x26, x27, [sp, #64]
    \op     x28, x29, [sp, #80]
.endm

// Restores the caller's x18-x30 and SP from the prologue's frame, returns.
.macro native_return
    native_x18_x29 ldp
    ldr     x30, [sp, #96]
    add     sp, sp, #112
    ret
.endm

.global granule_native_prologue
granule_native_prologue:
    sub     sp, sp, #112
    native_x18_x29 stp
    stp     x30, x0, [sp, #96]
    ldr     x1, [x0, #248]
    msr     nzcv, x1
    native_x2_x29 ldp
    ldr     x30, [x0, #240]
    ldp     x0, x1, [x0, #0]
.global granule_native_prologue_end
granule_native_prologue_end:

.global granule_native_epilogue
granule_native_epilogue:
    stp     x0, x1, [sp, #-16]!
    ldr     x0, [sp, #16 + 104]
    native_x2_x29 stp
    str     x30, [x0, #240]
    mrs     x1, nzcv
    str     x1, [x0, #248]
    str     xzr, [x0, #256]
    ldp     x2, x3, [sp], #16
    stp     x2, x3, [x0, #0]
    native_return
.global granule_native_epilogue_end
granule_native_epilogue_end:

.global granule_native_fault
granule_native_fault:
    ldr     x0, [sp, #104]
    mov     x1, #1
    str     x1, [x0, #256]
    mrs     x1, esr_el1
    str     x1, [x0, #264]
    native_return
.global granule_native_fault_end
granule_native_fault_end:
"#
);

extern "C" {
    static granule_native_prologue: u32;
    static granule_native_prologue_end: u32;
    static granule_native_epilogue: u32;
    static granule_native_epilogue_end: u32;
    static granule_native_fault: u32;
    static granule_native_fault_end: u32;
}

fn words(start: *const u32, end: *const u32) -> &'static [u32] {
    // SAFETY: the labels bracket instruction words in .rodata, which is
    // mapped readable for the kernel's lifetime.
    unsafe { core::slice::from_raw_parts(start, end.offset_from(start) as usize) }
}

/// The prologue: saves the caller's x18-x30, loads NZCV and X0-X30.
pub fn prologue() -> &'static [u32] {
    words(
        &raw const granule_native_prologue,
        &raw const granule_native_prologue_end,
    )
}

/// The epilogue: stores X0-X30 and NZCV, returns to the caller.
pub fn epilogue() -> &'static [u32] {
    words(
        &raw const granule_native_epilogue,
        &raw const granule_native_epilogue_end,
    )
}

/// The fault entry: records the exception's ESR, returns to the caller.
pub fn fault_entry() -> &'static [u32] {
    words(
        &raw const granule_native_fault,
        &raw const granule_native_fault_end,
    )
}

/// CTR_EL0's smallest data and instruction cache lines, in bytes.
fn cache_lines() -> (u64, u64) {
    let ctr: u64;
    // SAFETY: reading an ID register.
    unsafe { asm!("mrs {}, ctr_el0", out(reg) ctr, options(nomem, nostack)) };
    let dline = 4 << ((ctr >> 16) & 0xf);
    let iline = 4 << (ctr & 0xf);
    (dline, iline)
}

/// Makes `len` bytes of code written through `write_alias` visible to
/// instruction fetch at `exec_alias` (ARM ARM B2.4.4, "Concurrent
/// modification and execution of instructions": DC CVAU, DSB ISH, IC IVAU,
/// DSB ISH, ISB).
pub fn sync_code(write_alias: u64, exec_alias: u64, len: u64) {
    let (dline, iline) = cache_lines();
    let mut a = write_alias & !(dline - 1);
    while a < write_alias + len {
        // SAFETY: cleans a line of memory the caller just wrote.
        unsafe { asm!("dc cvau, {}", in(reg) a, options(nostack)) };
        a += dline;
    }
    // SAFETY: a barrier.
    unsafe { asm!("dsb ish", options(nostack)) };
    let mut a = exec_alias & !(iline - 1);
    while a < exec_alias + len {
        // SAFETY: invalidates instruction cache lines of the code page.
        unsafe { asm!("ic ivau, {}", in(reg) a, options(nostack)) };
        a += iline;
    }
    // SAFETY: barriers.
    unsafe { asm!("dsb ish", "isb", options(nostack)) };
}

/// Runs the framed sequence at `entry` on `state`.
///
/// # Safety
/// `entry` must be executable and hold [`prologue`], instructions that
/// neither touch SP nor branch out of the page, [`epilogue`] and (for
/// sequences that may fault) [`fault_entry`] registered with
/// [`super::exception::set_code_fixup`], made visible with [`sync_code`].
pub unsafe fn call(entry: u64, state: &mut NativeState) {
    // SAFETY: forwarded from the caller; the frame is an AAPCS64 function
    // taking one pointer.
    unsafe {
        let f: extern "C" fn(*mut NativeState) = core::mem::transmute(entry as usize);
        f(state);
    }
}
