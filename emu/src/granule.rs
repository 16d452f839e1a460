//! The translation granule: the page size a set of VMSAv8-64 tables uses.

use core::fmt;
use core::str::FromStr;

/// A VMSAv8-64 translation granule (ARM ARM D8.2, "Translation granule").
///
/// The granule fixes the size of a page, the size of a translation table
/// (one granule), and hence how many bits of the input address each level
/// resolves (`shift - 3`, since descriptors are 8 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Granule {
    /// 4KB granule.
    K4,
    /// 16KB granule.
    K16,
    /// 64KB granule.
    K64,
}

impl Granule {
    /// Every granule, smallest first.
    pub const ALL: [Granule; 3] = [Granule::K4, Granule::K16, Granule::K64];

    /// log2 of the page size.
    pub const fn shift(self) -> u32 {
        match self {
            Granule::K4 => 12,
            Granule::K16 => 14,
            Granule::K64 => 16,
        }
    }

    /// The page size in bytes.
    pub const fn size(self) -> u64 {
        1 << self.shift()
    }

    /// Mask of the offset-within-page bits.
    pub const fn offset_mask(self) -> u64 {
        self.size() - 1
    }

    /// Input-address bits resolved by one full level of lookup.
    pub const fn bits_per_level(self) -> u32 {
        self.shift() - 3
    }

    /// Descriptors in one full (non-concatenated) table.
    pub const fn entries_per_table(self) -> usize {
        1 << self.bits_per_level()
    }

    /// The short name used on the command line and in transcripts.
    pub const fn name(self) -> &'static str {
        match self {
            Granule::K4 => "4k",
            Granule::K16 => "16k",
            Granule::K64 => "64k",
        }
    }
}

impl fmt::Display for Granule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A granule name that is not `4k`, `16k` or `64k`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownGranule;

impl fmt::Display for UnknownGranule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown granule (expected 4k, 16k or 64k)")
    }
}

impl FromStr for Granule {
    type Err = UnknownGranule;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "4k" | "4K" => Ok(Granule::K4),
            "16k" | "16K" => Ok(Granule::K16),
            "64k" | "64K" => Ok(Granule::K64),
            _ => Err(UnknownGranule),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_matches_the_arm_arm() {
        assert_eq!(Granule::K4.entries_per_table(), 512);
        assert_eq!(Granule::K16.entries_per_table(), 2048);
        assert_eq!(Granule::K64.entries_per_table(), 8192);
        assert_eq!(Granule::K16.size(), 16 * 1024);
    }

    #[test]
    fn names_round_trip() {
        for g in Granule::ALL {
            assert_eq!(g.name().parse::<Granule>(), Ok(g));
        }
        assert_eq!("8k".parse::<Granule>(), Err(UnknownGranule));
    }
}
