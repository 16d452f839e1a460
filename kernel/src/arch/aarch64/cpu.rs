//! CPU identification and the generic timer.

use aarch64_cpu::registers::{
    Readable, CNTFRQ_EL0, CNTPCT_EL0, ID_AA64MMFR0_EL1, ID_AA64MMFR1_EL1, ID_AA64MMFR2_EL1,
    MIDR_EL1, SCTLR_EL1,
};
use emu::arch::id::MmuFeatures;

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
    ID_AA64MMFR0_EL1.get()
}

/// ID_AA64MMFR1_EL1: HAFDBS, HPDS, PAN.
pub fn id_aa64mmfr1() -> u64 {
    ID_AA64MMFR1_EL1.get()
}

/// ID_AA64MMFR2_EL1: ST (FEAT_TTST).
pub fn id_aa64mmfr2() -> u64 {
    ID_AA64MMFR2_EL1.get()
}

/// The memory model ID registers, decoded by emu's one decoder.
pub fn mmu_features() -> MmuFeatures {
    MmuFeatures::decode(id_aa64mmfr0(), id_aa64mmfr1(), id_aa64mmfr2())
}

/// SCTLR_EL1.
pub fn sctlr_el1() -> u64 {
    SCTLR_EL1.get()
}

/// Waits for an event forever: the end of the line when nothing can exit.
pub fn halt() -> ! {
    loop {
        aarch64_cpu::asm::wfe();
    }
}
