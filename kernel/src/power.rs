//! Ending a run: power off with a status, through semihosting under QEMU
//! (QEMU's exit status is then the kernel's), PSCI where there is firmware
//! for it, or a halt.

use crate::arch::{cpu, semihosting};
use core::arch::asm;
use core::sync::atomic::{AtomicU8, Ordering};

const PSCI_SYSTEM_OFF: u64 = 0x8400_0008;

/// How PSCI is reached, from the device tree's `/psci` `method`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum PsciConduit {
    /// No PSCI firmware (Raspberry Pi: spin tables).
    None = 0,
    /// HVC.
    Hvc = 1,
    /// SMC.
    Smc = 2,
}

static CONDUIT: AtomicU8 = AtomicU8::new(PsciConduit::None as u8);

/// Records how to reach PSCI.
pub fn set_psci_conduit(conduit: PsciConduit) {
    CONDUIT.store(conduit as u8, Ordering::Relaxed);
}

fn psci_system_off() {
    let function = PSCI_SYSTEM_OFF;
    // SAFETY: SYSTEM_OFF does not return when it works; when it does not,
    // PSCI returns an error in x0 and clobbers x1-x3 at most.
    unsafe {
        if CONDUIT.load(Ordering::Relaxed) == PsciConduit::Hvc as u8 {
            asm!("hvc #0", inout("x0") function => _, out("x1") _, out("x2") _, out("x3") _);
        } else if CONDUIT.load(Ordering::Relaxed) == PsciConduit::Smc as u8 {
            asm!("smc #0", inout("x0") function => _, out("x1") _, out("x2") _, out("x3") _);
        }
    }
}

/// Powers off with `status` as the run's result (0 = success).
pub fn exit(status: u32) -> ! {
    crate::console::flush();
    semihosting::exit(status);
    psci_system_off();
    crate::println!("(no way to power off: halted with status {status})");
    crate::console::flush();
    cpu::halt()
}

/// Reports `why` and exits with a failure status.
pub fn exit_failure(why: &str) -> ! {
    crate::console::emergency_print(format_args!("granule: {why}: exiting with failure\n"));
    exit(1)
}
