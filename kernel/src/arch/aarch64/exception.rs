//! EL1 exception handling: the saved frame, probes (instructions allowed to
//! fault, resumed at a fix-up), and the decoded dump of an unexpected
//! exception, after which the kernel exits with a failure status.

use core::arch::global_asm;
use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};
use emu::arch::esr::Esr;

/// The context `boot/vectors.s` saves: x0-x30, ELR, SPSR, ESR, FAR.
#[repr(C)]
pub struct ExceptionFrame {
    /// General-purpose registers x0 to x30.
    pub x: [u64; 31],
    /// Exception link register: where to resume.
    pub elr: u64,
    /// Saved program status.
    pub spsr: u64,
    /// Exception syndrome.
    pub esr: u64,
    /// Fault address.
    pub far: u64,
    _pad: u64,
}

/// Where an exception came from, by vector-table slot (`kind` / 4).
fn vector_source(kind: u64) -> &'static str {
    const SOURCE: [&str; 4] = [
        "current EL, SP_EL0",
        "current EL, SP_ELx",
        "lower EL, AArch64",
        "lower EL, AArch32",
    ];
    SOURCE[(kind as usize / 4) & 3]
}

/// What kind of exception it was, by vector-table slot (`kind` % 4).
fn vector_type(kind: u64) -> &'static str {
    const TYPE: [&str; 4] = ["synchronous", "IRQ", "FIQ", "SError"];
    TYPE[kind as usize & 3]
}

/// What a probe saw when its instruction faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProbeFault {
    /// ESR_EL1 of the fault.
    pub syndrome: Esr,
    /// FAR_EL1 of the fault.
    pub far: u64,
}

impl fmt::Display for ProbeFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at FAR {:#x}", self.syndrome, self.far)
    }
}

#[repr(C)]
struct ProbeResult {
    value: u64,
    faulted: u64,
}

/// One entry of the probe table: an instruction allowed to fault, and where
/// to resume when it does.
#[repr(C)]
struct ProbeEntry {
    instruction: u64,
    fixup: u64,
}

// Each probe returns (value, faulted) in (x0, x1). On a fault the handler
// resumes at the fix-up label, which sets x1 = 1 and x0 = ESR_EL1.
global_asm!(
    r#"
.section .text.probe, "ax"
.global granule_probe_read_u64
granule_probe_read_u64:
    mov     x1, #0
1:  ldr     x0, [x0]
    ret
2:  mrs     x0, esr_el1
    mov     x1, #1
    ret
.pushsection .probe_table, "a"
.quad 1b, 2b
.popsection

.global granule_probe_write_u64
granule_probe_write_u64:
    mov     x2, x1
    mov     x1, #0
1:  str     x2, [x0]
    mov     x0, #0
    ret
2:  mrs     x0, esr_el1
    mov     x1, #1
    ret
.pushsection .probe_table, "a"
.quad 1b, 2b
.popsection

// x0 = an address that holds a RET wherever it may be executed: branches
// there at EL1. When the fetch faults, the handler resumes at the fix-up
// (the instruction abort's ELR is the target, which no table can list).
.global granule_probe_execute
granule_probe_execute:
    stp     x29, x30, [sp, #-16]!
    mov     x1, #0
    blr     x0
    mov     x0, #0
    ldp     x29, x30, [sp], #16
    ret
.global granule_probe_execute_fixup
granule_probe_execute_fixup:
    mrs     x0, esr_el1
    mov     x1, #1
    ldp     x29, x30, [sp], #16
    ret

// x0 = target, x1 = sentinel, x2 = an El0Fetch to fill: runs the target
// at EL0 with x30 = the sentinel, an address no EL0 fetch can reach. The
// next exception from EL0 (the target's own fetch abort, or the sentinel's
// after the target's RET) resumes at the fix-up at EL1, with x0-x2 = its
// ESR, ELR and FAR.
.global granule_probe_execute_el0
granule_probe_execute_el0:
    sub     sp, sp, #112
    stp     x19, x20, [sp, #0]
    stp     x21, x22, [sp, #16]
    stp     x23, x24, [sp, #32]
    stp     x25, x26, [sp, #48]
    stp     x27, x28, [sp, #64]
    stp     x29, x30, [sp, #80]
    mrs     x3, daif
    stp     x2, x3, [sp, #96]
    msr     elr_el1, x0
    mov     x30, x1
    mov     x3, #0x3c0
    msr     spsr_el1, x3
    isb
    eret
.global granule_probe_execute_el0_fixup
granule_probe_execute_el0_fixup:
    ldp     x3, x4, [sp, #96]
    stp     x0, x1, [x3]
    str     x2, [x3, #16]
    msr     daif, x4
    ldp     x19, x20, [sp, #0]
    ldp     x21, x22, [sp, #16]
    ldp     x23, x24, [sp, #32]
    ldp     x25, x26, [sp, #48]
    ldp     x27, x28, [sp, #64]
    ldp     x29, x30, [sp, #80]
    add     sp, sp, #112
    ret

.global granule_probe_semihosting
granule_probe_semihosting:
1:  hlt     #0xf000
    mov     x1, #0
    ret
2:  mrs     x0, esr_el1
    mov     x1, #1
    ret
.pushsection .probe_table, "a"
.quad 1b, 2b
.popsection
"#
);

extern "C" {
    fn granule_probe_read_u64(address: u64) -> ProbeResult;
    fn granule_probe_write_u64(address: u64, value: u64) -> ProbeResult;
    fn granule_probe_semihosting(operation: u64, parameter: u64) -> ProbeResult;
    fn granule_probe_execute(target: u64) -> ProbeResult;
    fn granule_probe_execute_fixup();
    fn granule_probe_execute_el0(target: u64, sentinel: u64, out: *mut El0Exception);
    fn granule_probe_execute_el0_fixup();
    static __probe_table_start: ProbeEntry;
    static __probe_table_end: ProbeEntry;
}

static LAST_PROBE_FAR: crate::sync::CoreCell<u64> = crate::sync::CoreCell::new(0);

fn probe_outcome(result: ProbeResult) -> Result<u64, ProbeFault> {
    if result.faulted == 0 {
        Ok(result.value)
    } else {
        let far = LAST_PROBE_FAR.try_lock().map(|g| *g).unwrap_or(0);
        Err(ProbeFault {
            syndrome: Esr(result.value),
            far,
        })
    }
}

/// Reads 8 bytes at `address`, returning the fault instead of taking it.
pub fn probe_read_u64(address: u64) -> Result<u64, ProbeFault> {
    // SAFETY: the probe's load is covered by the probe table, so a fault
    // resumes at its fix-up; a successful load only reads.
    probe_outcome(unsafe { granule_probe_read_u64(address) })
}

/// Writes 8 bytes at `address`, returning the fault instead of taking it.
///
/// # Safety
/// A write that succeeds must not break memory the kernel relies on.
pub unsafe fn probe_write_u64(address: u64, value: u64) -> Result<(), ProbeFault> {
    // SAFETY: as for `probe_read_u64`; the caller vouches for the target.
    probe_outcome(unsafe { granule_probe_write_u64(address, value) }).map(|_| ())
}

/// Makes a semihosting call (HLT #0xF000); an undefined-instruction fault,
/// which is what a CPU without a semihosting debugger gives, is returned.
///
/// # Safety
/// `parameter` must point at the block the operation expects.
pub unsafe fn probe_semihosting(operation: u64, parameter: u64) -> Result<u64, ProbeFault> {
    // SAFETY: covered by the probe table; the caller vouches for the block.
    probe_outcome(unsafe { granule_probe_semihosting(operation, parameter) })
}

/// Code written at run time (`start..end`) whose synchronous exceptions
/// resume at `fixup` instead of stopping the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeFixup {
    /// The first address covered.
    pub start: u64,
    /// The address past the last one covered.
    pub end: u64,
    /// Where to resume.
    pub fixup: u64,
}

static CODE_FIXUP: crate::sync::CoreCell<Option<CodeFixup>> = crate::sync::CoreCell::new(None);

/// Registers (or, with `None`, removes) the one range of run-time code
/// whose faults resume at a fix-up.
///
/// # Safety
/// `fixup` must be code that can resume from any instruction in the
/// range with the registers the exception left.
pub unsafe fn set_code_fixup(fixup: Option<CodeFixup>) {
    *CODE_FIXUP.lock() = fixup;
}

fn code_fixup(elr: u64) -> Option<u64> {
    let fixup = (*CODE_FIXUP.try_lock()?)?;
    (fixup.start..fixup.end)
        .contains(&elr)
        .then_some(fixup.fixup)
}

/// The target of the execute probe under way (0: none).
static EXECUTE_PROBE_TARGET: AtomicU64 = AtomicU64::new(0);

/// Branches to `target` at EL1 and returns, or returns the instruction
/// abort its fetch took instead.
///
/// # Safety
/// Wherever `target` is executable it must hold a `RET` instruction (and
/// the instruction cache must have seen it).
pub unsafe fn probe_execute(target: u64) -> Result<(), ProbeFault> {
    EXECUTE_PROBE_TARGET.store(target, Ordering::SeqCst);
    // SAFETY: the target returns at once or faults, which the handler
    // resumes at the fix-up (the caller vouches for the RET).
    let result = unsafe { granule_probe_execute(target) };
    EXECUTE_PROBE_TARGET.store(0, Ordering::SeqCst);
    probe_outcome(result).map(|_| ())
}

/// The exception an EL0 probe ended with.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct El0Exception {
    /// ESR_EL1.
    pub esr: u64,
    /// ELR_EL1: where EL0 was.
    pub elr: u64,
    /// FAR_EL1.
    pub far: u64,
}

/// Whether an EL0 probe is under way.
static EL0_PROBE: AtomicU64 = AtomicU64::new(0);

/// An address no EL0 instruction fetch can translate: outside both TTBR
/// ranges of any regime the kernel or the tests set up.
pub const EL0_SENTINEL: u64 = 1 << 54;

/// Runs `target` at EL0 with the link register at [`EL0_SENTINEL`], and
/// returns the exception that brought the CPU back: an instruction abort
/// at `target` if its fetch faulted, at the sentinel if it ran (a `RET`).
///
/// # Safety
/// Wherever `target` is EL0-executable it must hold a `RET` instruction
/// (visible to instruction fetches); nothing at EL0 may be interrupted.
pub unsafe fn probe_execute_el0(target: u64) -> El0Exception {
    let mut out = El0Exception::default();
    EL0_PROBE.store(1, Ordering::SeqCst);
    // SAFETY: the target returns to the sentinel or faults; either
    // exception from EL0 resumes at the fix-up, which restores the
    // callee-saved registers and DAIF.
    unsafe { granule_probe_execute_el0(target, EL0_SENTINEL, &mut out) };
    out
}

/// The synchronous exception from EL0 that ends an EL0 probe: back to EL1
/// at the probe's fix-up with the syndrome in x0-x2.
fn el0_probe_return(frame: &mut ExceptionFrame) -> bool {
    /// SPSR for EL1h with D, A, I and F masked (the fix-up restores DAIF).
    const EL1H_MASKED: u64 = 0x3c5;
    if EL0_PROBE.swap(0, Ordering::SeqCst) == 0 {
        return false;
    }
    frame.x[0] = frame.esr;
    frame.x[1] = frame.elr;
    frame.x[2] = frame.far;
    frame.elr = granule_probe_execute_el0_fixup as *const () as u64;
    frame.spsr = EL1H_MASKED;
    true
}

fn probe_fixup(elr: u64) -> Option<u64> {
    let target = EXECUTE_PROBE_TARGET.load(Ordering::SeqCst);
    if target != 0 && elr == target {
        EXECUTE_PROBE_TARGET.store(0, Ordering::SeqCst);
        return Some(granule_probe_execute_fixup as *const () as u64);
    }
    // SAFETY: the linker script brackets the table with these symbols.
    let table = unsafe {
        let start = &raw const __probe_table_start;
        let end = &raw const __probe_table_end;
        core::slice::from_raw_parts(start, end.offset_from(start) as usize)
    };
    table
        .iter()
        .find(|entry| entry.instruction == elr)
        .map(|entry| entry.fixup)
}

/// Called by `boot/vectors.s` for every exception taken to EL1.
#[no_mangle]
extern "C" fn el1_exception(frame: &mut ExceptionFrame, kind: u64) {
    let synchronous_here = kind == 4;
    if synchronous_here {
        if let Some(fixup) = probe_fixup(frame.elr).or_else(|| code_fixup(frame.elr)) {
            if let Some(mut far) = LAST_PROBE_FAR.try_lock() {
                *far = frame.far;
            }
            frame.elr = fixup;
            return;
        }
    }
    // Synchronous, from EL0 in AArch64.
    if kind == 8 && el0_probe_return(frame) {
        return;
    }
    dump(frame, kind);
    crate::power::exit_failure("unexpected exception");
}

fn dump(frame: &ExceptionFrame, kind: u64) {
    let p = |args: fmt::Arguments<'_>| crate::console::emergency_print(args);
    let syndrome = Esr(frame.esr);
    p(format_args!(
        "\n*** unexpected {} exception from {} ***\n",
        vector_type(kind),
        vector_source(kind)
    ));
    p(format_args!("{syndrome}\n"));
    p(format_args!(
        "FAR  {:#018x}  ELR  {:#018x}  SPSR {:#010x}\n",
        frame.far, frame.elr, frame.spsr
    ));
    for (i, pair) in frame.x.chunks(2).enumerate() {
        match pair {
            [a, b] => p(format_args!(
                "x{:<2} {:#018x}  x{:<2} {:#018x}\n",
                2 * i,
                a,
                2 * i + 1,
                b
            )),
            [a] => p(format_args!("x{:<2} {:#018x}\n", 2 * i, a)),
            _ => {}
        }
    }
}
