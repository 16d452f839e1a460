//! Timing loops for benchmarks, on any clock: an operation is repeated
//! until the time measured is large against the clock's resolution, so no
//! figure is ever 0 (or its ratio infinite) because the operation was
//! shorter than one tick. The host benchmark (`Instant`) and the kernel's
//! `tlb` command (the generic timer) share it.

/// A measurement must span this many clock resolutions: its rounding error
/// is then at most 0.1%.
pub const RESOLUTIONS: u64 = 1000;

/// A clock read through `read`, with what calibration found.
pub struct Clock<F: FnMut() -> u64> {
    read: F,
    /// The smallest step the clock was seen to take, in its ticks.
    pub resolution: u64,
    /// The least a pair of back-to-back reads was seen to cost. Subtracting
    /// it, a lower bound, never takes away time the operation used.
    pub overhead: u64,
}

/// What a measurement found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Measurement {
    /// Ticks spent in the operation, read overhead taken off.
    pub ticks: u64,
    /// Operations done.
    pub ops: u64,
    /// Whether `ticks` reached [`RESOLUTIONS`] resolutions before the round
    /// limit (if not, `ticks` may be 0 and the figure is only an upper
    /// bound of one resolution over `ops`).
    pub resolved: bool,
}

impl Measurement {
    /// Ticks per operation, scaled by `scale` (say 1000 for thousandths).
    pub fn per_op_scaled(&self, scale: u64) -> u64 {
        (u128::from(self.ticks) * u128::from(scale) / u128::from(self.ops.max(1))) as u64
    }
}

/// Calibration reads at most this many pairs.
const CALIBRATION_READS: u32 = 1000;

impl<F: FnMut() -> u64> Clock<F> {
    /// Calibrates the clock `read`, which must not go backwards.
    pub fn new(mut read: F) -> Self {
        let (mut resolution, mut overhead) = (u64::MAX, u64::MAX);
        for _ in 0..CALIBRATION_READS {
            let a = read();
            let b = read();
            overhead = overhead.min(b.saturating_sub(a));
            // The first change seen from b is at most one step.
            let mut c = read();
            let mut spins = 0;
            while c == b && spins < CALIBRATION_READS {
                c = read();
                spins += 1;
            }
            if c > b {
                resolution = resolution.min(c - b);
            }
        }
        Clock {
            read,
            // A clock that never moved gets 1: measurements then run to
            // their round limit and say they did not resolve.
            resolution: if resolution == u64::MAX {
                1
            } else {
                resolution
            },
            overhead: if overhead == u64::MAX { 0 } else { overhead },
        }
    }

    /// Reads the clock.
    pub fn now(&mut self) -> u64 {
        (self.read)()
    }

    /// Runs `setup` (untimed) then `op` (timed; it returns how many
    /// operations it did) on `state`, over and over, until the time in `op`
    /// spans [`RESOLUTIONS`] resolutions of the clock or `max_rounds` rounds
    /// ran. One untimed round comes first, so that cold caches (or an
    /// emulator translating the code for the first time) are not measured.
    pub fn measure<S: ?Sized>(
        &mut self,
        state: &mut S,
        max_rounds: u64,
        mut setup: impl FnMut(&mut S),
        mut op: impl FnMut(&mut S) -> u64,
    ) -> Measurement {
        let goal = self.resolution.saturating_mul(RESOLUTIONS);
        setup(state);
        op(state);
        let (mut ticks, mut ops) = (0u64, 0u64);
        for _ in 0..max_rounds.max(1) {
            setup(state);
            let start = (self.read)();
            ops += op(state);
            let end = (self.read)();
            ticks += end.saturating_sub(start).saturating_sub(self.overhead);
            if ticks >= goal {
                return Measurement {
                    ticks,
                    ops,
                    resolved: true,
                };
            }
        }
        Measurement {
            ticks,
            ops,
            resolved: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cell::Cell;

    /// A simulated machine: `op` costs `cost` time units, a clock read
    /// costs `read_cost`, and the clock shows time rounded down to `tick`.
    fn coarse_clock(now: &Cell<u64>, tick: u64, read_cost: u64) -> Clock<impl FnMut() -> u64 + '_> {
        Clock::new(move || {
            let t = now.get();
            now.set(t + read_cost);
            t / tick * tick
        })
    }

    #[test]
    fn calibration_finds_the_resolution() {
        let now = Cell::new(0);
        let clock = coarse_clock(&now, 16, 1);
        assert_eq!(clock.resolution, 16);
        assert_eq!(clock.overhead, 0);
        let now = Cell::new(0);
        let clock = coarse_clock(&now, 1, 20);
        assert_eq!((clock.resolution, clock.overhead), (20, 20));
    }

    // One operation of 3 units on a clock of 16-unit ticks: a single
    // reading (what the benchmark did before) is 0 or 16, never 3.
    #[test]
    fn an_operation_shorter_than_a_tick_is_measured() {
        let now = Cell::new(5);
        let mut clock = coarse_clock(&now, 16, 1);
        let single = {
            let a = clock.now();
            now.set(now.get() + 3);
            clock.now() - a
        };
        assert!(single == 0 || single == 16);
        let m = clock.measure(
            &mut (),
            1_000_000,
            |_| now.set(now.get() + 7),
            |_| {
                now.set(now.get() + 3);
                1
            },
        );
        assert!(m.resolved);
        assert!(m.ticks >= 16 * RESOLUTIONS);
        let per_op = m.per_op_scaled(1000);
        // 3 units, plus the read that starts the measurement (1 unit);
        // rounding to ticks averages out over many rounds.
        assert!((3600..=4400).contains(&per_op), "{per_op} thousandths");
    }

    #[test]
    fn read_overhead_is_taken_off() {
        let now = Cell::new(0);
        let mut clock = coarse_clock(&now, 1, 25);
        let m = clock.measure(
            &mut (),
            1_000_000,
            |_| {},
            |_| {
                now.set(now.get() + 2);
                1
            },
        );
        assert!(m.resolved);
        assert_eq!(m.per_op_scaled(1), 2);
    }

    #[test]
    fn a_stopped_clock_does_not_hang() {
        let mut clock = Clock::new(|| 7);
        assert_eq!(clock.resolution, 1);
        let m = clock.measure(&mut (), 100, |_| {}, |_| 1);
        assert!(!m.resolved);
        assert_eq!((m.ticks, m.ops), (0, 100));
    }
}
