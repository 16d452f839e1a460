//! The generic timer's system counter as the guest reads it (CNTFRQ_EL0,
//! CNTVCT_EL0, CNTPCT_EL0).
//!
//! By default it follows the host's clock, so a guest timing itself sees
//! real time (its MIPS figures mean something). A run may instead tie it
//! to the guest's instruction count, which makes every read reproducible.

/// CNTFRQ_EL0: 62.5 MHz, what QEMU 7.2's `virt` board reports.
pub const CNTFRQ_HZ: u64 = 62_500_000;

/// What the counter follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CounterSource {
    /// Host time since the run started, scaled to [`CNTFRQ_HZ`].
    #[default]
    HostClock,
    /// One tick per guest instruction executed.
    Instructions,
}

impl CounterSource {
    /// The counter's value after `elapsed_ns` of host time and `insns`
    /// guest instructions.
    pub fn value(self, elapsed_ns: u64, insns: u64) -> u64 {
        match self {
            CounterSource::HostClock => {
                (u128::from(elapsed_ns) * u128::from(CNTFRQ_HZ) / 1_000_000_000) as u64
            }
            CounterSource::Instructions => insns,
        }
    }
}
