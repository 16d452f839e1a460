//! EL1 exception handling: the saved frame, probes (instructions allowed to
//! fault, resumed at a fix-up), and the decoded dump of an unexpected
//! exception, after which the kernel exits with a failure status.

use core::arch::global_asm;
use core::fmt;
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

fn probe_fixup(elr: u64) -> Option<u64> {
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
        if let Some(fixup) = probe_fixup(frame.elr) {
            if let Some(mut far) = LAST_PROBE_FAR.try_lock() {
                *far = frame.far;
            }
            frame.elr = fixup;
            return;
        }
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
