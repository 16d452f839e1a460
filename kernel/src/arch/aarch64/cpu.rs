//! CPU identification and the generic timer.

use aarch64_cpu::registers::{Readable, CNTFRQ_EL0, CNTPCT_EL0, MIDR_EL1};
use core::arch::asm;

/// The counter frequency in Hz (CNTFRQ_EL0), never 0.
pub fn counter_frequency() -> u64 {
    CNTFRQ_EL0.get().max(1)
}

/// The physical counter (CNTPCT_EL0), after an ISB so that it is not read
/// early.
pub fn counter() -> u64 {
    aarch64_cpu::asm::barrier::isb(aarch64_cpu::asm::barrier::SY);
    CNTPCT_EL0.get()
}

/// Counter ticks as microseconds.
pub fn ticks_to_micros(ticks: u64) -> u64 {
    (u128::from(ticks) * 1_000_000 / u128::from(counter_frequency())) as u64
}

/// Microseconds since the counter started (QEMU starts it at reset).
pub fn uptime_micros() -> u64 {
    ticks_to_micros(counter())
}

/// MIDR_EL1.
pub fn midr() -> u64 {
    MIDR_EL1.get()
}

/// ID_AA64MMFR0_EL1: granules, PARange, ASID bits.
pub fn id_aa64mmfr0() -> u64 {
    let value: u64;
    // SAFETY: reading an ID register has no side effects.
    unsafe { asm!("mrs {}, id_aa64mmfr0_el1", out(reg) value, options(nomem, nostack)) };
    value
}

/// Waits for an event forever: the end of the line when nothing can exit.
pub fn halt() -> ! {
    loop {
        aarch64_cpu::asm::wfe();
    }
}
