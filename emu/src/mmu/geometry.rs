//! Translation-table geometry: which input-address bits each level resolves,
//! for a granule, an input-address size and a starting level.

use crate::granule::Granule;

/// The deepest lookup level of VMSAv8-64 and of the LPAE long-descriptor
/// format; pages live here.
pub const LAST_LEVEL: u8 = 3;

/// Size of one translation-table descriptor in bytes (both formats).
pub const DESCRIPTOR_BYTES: u64 = 8;

/// log2 of [`DESCRIPTOR_BYTES`].
const DESCRIPTOR_SHIFT: u32 = 3;

/// The most tables the architecture lets stage 2 concatenate at its initial
/// level (ARM ARM D8.2.8: up to 16, i.e. 4 extra index bits).
pub const MAX_CONCATENATED_TABLES: u32 = 16;

/// log2 of [`MAX_CONCATENATED_TABLES`].
pub const MAX_CONCATENATION_BITS: u32 = 4;

/// Output-address bits that the VMSAv8-64 descriptor formats carry without
/// FEAT_LPA / FEAT_LPA2 (52-bit output is not supported here).
pub const MAX_OUTPUT_BITS: u32 = 48;

/// Input-address bits of the largest VMSAv8-64 range without FEAT_LVA.
pub const MAX_INPUT_BITS: u32 = 48;

/// Size in bytes of the region one descriptor at `level` maps with `granule`.
pub const fn level_shift(granule: Granule, level: u8) -> u32 {
    granule.shift() + granule.bits_per_level() * (LAST_LEVEL - level) as u32
}

/// The level a stage-1 walk starts at for an input range of `input_bits`
/// (ARM ARM: the initial lookup level is the one that leaves no more than
/// one full table's worth of bits to the levels above it).
pub const fn stage1_start_level(granule: Granule, input_bits: u32) -> u8 {
    // Levels needed = ceil((input_bits - page_shift) / bits_per_level); with
    // page_shift = bits_per_level + 3 that is (input_bits - 4) / bits_per_level.
    let levels = (input_bits - 4) / granule.bits_per_level();
    (LAST_LEVEL + 1).saturating_sub(levels as u8)
}

/// Whether a block descriptor is legal at `level` for `granule` when the
/// output address is at most 48 bits (ARM ARM D8.3.1): 4K allows level 1 (1GB)
/// and level 2 (2MB) blocks, 16K and 64K only level 2 (32MB and 512MB).
pub const fn block_allowed(granule: Granule, level: u8) -> bool {
    matches!(
        (granule, level),
        (Granule::K4, 1) | (Granule::K4, 2) | (Granule::K16, 2) | (Granule::K64, 2)
    )
}

/// Whether a leaf (block or page) is legal at `level`.
pub const fn leaf_allowed(granule: Granule, level: u8) -> bool {
    level == LAST_LEVEL || block_allowed(granule, level)
}

/// log2 of how many adjacent entries the contiguous bit groups at `level`
/// (ARM ARM D8.6.1, "The Contiguous bit"): 16 entries with 4K at every level,
/// 128 at level 3 and 32 at level 2 with 16K, 32 with 64K.
pub const fn contiguous_entries_log2(granule: Granule, level: u8) -> u32 {
    match (granule, level) {
        (Granule::K4, _) => 4,
        (Granule::K16, LAST_LEVEL) => 7,
        (Granule::K16, _) => 5,
        (Granule::K64, _) => 5,
    }
}

/// The shape of one set of translation tables: granule, input size and the
/// level its root table sits at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// The translation granule.
    pub granule: Granule,
    /// Bits of input address the tables resolve (64 - TnSZ).
    pub input_bits: u32,
    /// The level of the root table.
    pub start_level: u8,
}

impl Geometry {
    /// log2 of the region one descriptor at `level` maps.
    pub const fn level_shift(&self, level: u8) -> u32 {
        level_shift(self.granule, level)
    }

    /// Bytes one descriptor at `level` maps.
    pub const fn entry_span(&self, level: u8) -> u64 {
        1 << self.level_shift(level)
    }

    /// Index bits the root table uses (more than one table's worth when
    /// stage 2 concatenates tables).
    pub const fn root_index_bits(&self) -> u32 {
        self.input_bits - self.level_shift(self.start_level)
    }

    /// Descriptors in the table at `level` (the root may be smaller than a
    /// granule, or up to 16 granules when concatenated).
    pub const fn entries(&self, level: u8) -> usize {
        if level == self.start_level {
            1 << self.root_index_bits()
        } else {
            self.granule.entries_per_table()
        }
    }

    /// Bytes of the table at `level`.
    pub const fn table_bytes(&self, level: u8) -> u64 {
        (self.entries(level) as u64) << DESCRIPTOR_SHIFT
    }

    /// The index into the table at `level` that `input` selects.
    pub const fn index(&self, level: u8, input: u64) -> usize {
        ((input >> self.level_shift(level)) & (self.entries(level) as u64 - 1)) as usize
    }

    /// Mask of the input-address bits the tables resolve.
    pub const fn input_mask(&self) -> u64 {
        mask(self.input_bits)
    }
}

/// A mask of the low `bits` bits (all ones for 64).
pub const fn mask(bits: u32) -> u64 {
    if bits >= u64::BITS {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_levels_match_the_arm_arm_tables() {
        // 4K: 48 bits -> L0, 39 -> L1, 30 -> L2, 25 -> L2, 21 (TTST) -> L3.
        assert_eq!(stage1_start_level(Granule::K4, 48), 0);
        assert_eq!(stage1_start_level(Granule::K4, 40), 0);
        assert_eq!(stage1_start_level(Granule::K4, 39), 1);
        assert_eq!(stage1_start_level(Granule::K4, 31), 1);
        assert_eq!(stage1_start_level(Granule::K4, 30), 2);
        assert_eq!(stage1_start_level(Granule::K4, 25), 2);
        assert_eq!(stage1_start_level(Granule::K4, 21), 3);
        // 16K: 48 -> L0 (2 entries), 47 -> L1, 36 -> L2, 25 -> L3.
        assert_eq!(stage1_start_level(Granule::K16, 48), 0);
        assert_eq!(stage1_start_level(Granule::K16, 47), 1);
        assert_eq!(stage1_start_level(Granule::K16, 37), 1);
        assert_eq!(stage1_start_level(Granule::K16, 36), 2);
        assert_eq!(stage1_start_level(Granule::K16, 25), 3);
        // 64K: 48 -> L1, 42 -> L2, 29 -> L3.
        assert_eq!(stage1_start_level(Granule::K64, 48), 1);
        assert_eq!(stage1_start_level(Granule::K64, 43), 1);
        assert_eq!(stage1_start_level(Granule::K64, 42), 2);
        assert_eq!(stage1_start_level(Granule::K64, 29), 3);
    }

    #[test]
    fn block_sizes_are_the_architectural_ones() {
        assert_eq!(level_shift(Granule::K4, 1), 30);
        assert_eq!(level_shift(Granule::K4, 2), 21);
        assert_eq!(level_shift(Granule::K16, 2), 25);
        assert_eq!(level_shift(Granule::K64, 2), 29);
        assert!(!block_allowed(Granule::K4, 0));
        assert!(!block_allowed(Granule::K16, 1));
        assert!(!block_allowed(Granule::K64, 1));
    }
}
