//! The translator's counters, as the `tb` shell command and the runner's
//! end-of-run lines print them.

use core::fmt;

/// Why translated blocks were dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvalidateCause {
    /// A store overlapped the block's bytes (caught through the TLB's
    /// watch flag).
    Store,
    /// IC IVAU of a line the block overlaps.
    IcIvau,
    /// IC IALLU or IC IALLUIS.
    IcIallu,
    /// Everything at once: CPU reset, a change of the physical memory
    /// map, a full cache, or the machine's explicit flush.
    Flush,
}

impl InvalidateCause {
    /// Every cause, in counter order.
    pub const ALL: [InvalidateCause; 4] = [
        InvalidateCause::Store,
        InvalidateCause::IcIvau,
        InvalidateCause::IcIallu,
        InvalidateCause::Flush,
    ];

    /// The name in reports.
    pub const fn name(self) -> &'static str {
        match self {
            InvalidateCause::Store => "store",
            InvalidateCause::IcIvau => "ic-ivau",
            InvalidateCause::IcIallu => "ic-iallu",
            InvalidateCause::Flush => "flush",
        }
    }
}

/// Counters of one CPU's translator.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TbStats {
    /// Blocks translated.
    pub translated: u64,
    /// Instructions in the blocks translated.
    pub translated_insns: u64,
    /// Block executions (entries into a block).
    pub executed: u64,
    /// Instructions executed inside blocks.
    pub executed_insns: u64,
    /// Block entries through a chain link of the previous block.
    pub chained: u64,
    /// Block entries found in the virtual-address jump cache.
    pub jump_cache_hits: u64,
    /// Block entries found in the physical block cache (after a jump
    /// cache miss).
    pub cache_hits: u64,
    /// Instructions executed one at a time by the interpreter (fetch
    /// faults, undecodable words, code outside RAM, PSTATE.IL).
    pub interpreted: u64,
    /// Blocks dropped, by [`InvalidateCause`] (in `ALL` order).
    pub invalidated: [u64; 4],
}

impl TbStats {
    /// Blocks dropped for `cause`.
    pub fn invalidated_by(&self, cause: InvalidateCause) -> u64 {
        self.invalidated[cause as usize]
    }

    /// The fraction of block entries that found a block already
    /// translated (chain, jump cache or block cache), in percent.
    pub fn hit_rate_percent(&self) -> f64 {
        if self.executed == 0 {
            return 0.0;
        }
        let hits = self.executed.saturating_sub(self.translated);
        100.0 * hits as f64 / self.executed as f64
    }

    /// Mean instructions per translated block.
    pub fn mean_block_len(&self) -> f64 {
        if self.translated == 0 {
            return 0.0;
        }
        self.translated_insns as f64 / self.translated as f64
    }
}

impl fmt::Display for TbStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tb: {} translated (mean {:.1} insns), {} executed, {} chained, {} jump-cache hits, {} cache hits, hit rate {:.2}%, {} insns in blocks, {} interpreted, invalidated",
            self.translated,
            self.mean_block_len(),
            self.executed,
            self.chained,
            self.jump_cache_hits,
            self.cache_hits,
            self.hit_rate_percent(),
            self.executed_insns,
            self.interpreted,
        )?;
        for c in InvalidateCause::ALL {
            write!(f, " {}={}", c.name(), self.invalidated_by(c))?;
        }
        Ok(())
    }
}
