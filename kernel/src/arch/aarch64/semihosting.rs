//! Arm semihosting (IHI 0056): the host debugger's services, here QEMU's
//! `-semihosting`. Each call is a probe, so a board without a debugger gets
//! an error rather than an undefined-instruction exception.

use super::exception::probe_semihosting;
use core::sync::atomic::{AtomicU8, Ordering};

const SYS_GET_CMDLINE: u64 = 0x15;
const SYS_EXIT: u64 = 0x18;
const ADP_STOPPED_APPLICATION_EXIT: u64 = 0x2_0026;

const UNKNOWN: u8 = 0;
const PRESENT: u8 = 1;
const ABSENT: u8 = 2;
static STATE: AtomicU8 = AtomicU8::new(UNKNOWN);

/// Calls `operation`, remembering whether semihosting exists at all.
fn call(operation: u64, parameter: u64) -> Option<u64> {
    if STATE.load(Ordering::Relaxed) == ABSENT {
        return None;
    }
    // SAFETY: every caller passes the block its operation expects.
    match unsafe { probe_semihosting(operation, parameter) } {
        Ok(value) => {
            STATE.store(PRESENT, Ordering::Relaxed);
            Some(value)
        }
        Err(_) => {
            STATE.store(ABSENT, Ordering::Relaxed);
            None
        }
    }
}

/// The host's command line for this program (QEMU: the kernel's file name
/// then `-append`), into `buffer`; `None` without semihosting.
pub fn command_line(buffer: &mut [u8]) -> Option<&str> {
    let mut block = [buffer.as_mut_ptr() as u64, buffer.len() as u64];
    let status = call(SYS_GET_CMDLINE, block.as_mut_ptr() as u64)?;
    if status != 0 {
        return None;
    }
    let len = (block[1] as usize).min(buffer.len());
    core::str::from_utf8(&buffer[..len]).ok()
}

/// Ends the run with `status` (QEMU exits with it, mod 256); returns only if
/// there is no semihosting host.
pub fn exit(status: u32) {
    let block = [ADP_STOPPED_APPLICATION_EXIT, u64::from(status)];
    let _ = call(SYS_EXIT, block.as_ptr() as u64);
}
