//! What kind of table set a builder makes: stage, granule, input and output
//! sizes, and (for stage 2) the starting level and concatenation.

use super::geometry::{
    level_shift, stage1_start_level, Geometry, LAST_LEVEL, MAX_CONCATENATION_BITS, MAX_INPUT_BITS,
    MAX_OUTPUT_BITS,
};
use crate::arch::sysreg::{self, Tcr, Ttbcr, Vtcr, TCR_EL1, TTBCR, VTCR_EL2};
use crate::granule::Granule;
use core::fmt;

/// Output sizes in bits that the (I)PS fields encode, in encoding order.
const PS_SIZES: [u32; 6] = [32, 36, 40, 42, 44, 48];

/// The translation stage a table set serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Stage 1: VA to IPA (or PA when stage 2 is off).
    Stage1,
    /// Stage 2: IPA to PA.
    Stage2,
}

/// Which of the two stage-1 VA ranges a table set covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InputRange {
    /// The bottom range (TTBR0), addresses from 0 upwards; stage 2 uses it.
    Lower,
    /// The top range (TTBR1), addresses that end at 2^64 (2^32 for LPAE).
    Upper,
}

/// Smallest input range with FEAT_TTST for 4K and 16K (TnSZ = 48).
pub const MIN_INPUT_BITS_4K_16K: u32 = 16;
/// Smallest input range with FEAT_TTST for 64K (TnSZ = 47).
pub const MIN_INPUT_BITS_64K: u32 = 17;
/// Smallest output size (IPS/PS = 0b000).
pub const MIN_OUTPUT_BITS: u32 = 32;
/// The LPAE long-descriptor format's input size.
pub const LPAE_INPUT_BITS: u32 = 32;
/// The LPAE long-descriptor format's output size.
pub const LPAE_OUTPUT_BITS: u32 = 40;
/// LPAE input sizes above this start at level 1 rather than level 2.
const LPAE_LEVEL2_MAX_INPUT_BITS: u32 = 30;

/// A table-set configuration the architecture cannot express.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// The input size is outside what the granule allows.
    InputSizeOutOfRange {
        /// The requested input size in bits.
        bits: u32,
    },
    /// The output size is not one IPS/PS can encode (32..=48 bits here).
    OutputSizeOutOfRange {
        /// The requested output size in bits.
        bits: u32,
    },
    /// The stage-2 start level resolves no bits, or would need more than 16
    /// concatenated tables, or is not encodable in SL0 for the granule.
    StartLevelInvalid {
        /// The requested start level.
        level: u8,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::InputSizeOutOfRange { bits } => {
                write!(
                    f,
                    "input size of {bits} bits is not supported by the granule"
                )
            }
            ConfigError::OutputSizeOutOfRange { bits } => {
                write!(f, "output size of {bits} bits is not between 32 and 48")
            }
            ConfigError::StartLevelInvalid { level } => {
                write!(f, "stage 2 cannot start at level {level} for this IPA size")
            }
        }
    }
}

impl core::error::Error for ConfigError {}

/// The configuration of one table set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableConfig {
    geometry: Geometry,
    stage: Stage,
    range: InputRange,
    output_bits: u32,
    lpae: bool,
}

/// Smallest input size a granule allows (with FEAT_TTST).
pub const fn min_input_bits(granule: Granule) -> u32 {
    match granule {
        Granule::K64 => MIN_INPUT_BITS_64K,
        _ => MIN_INPUT_BITS_4K_16K,
    }
}

fn check_output(bits: u32) -> Result<(), ConfigError> {
    if (MIN_OUTPUT_BITS..=MAX_OUTPUT_BITS).contains(&bits) {
        Ok(())
    } else {
        Err(ConfigError::OutputSizeOutOfRange { bits })
    }
}

fn check_input(granule: Granule, bits: u32) -> Result<(), ConfigError> {
    if (min_input_bits(granule)..=MAX_INPUT_BITS).contains(&bits) {
        Ok(())
    } else {
        Err(ConfigError::InputSizeOutOfRange { bits })
    }
}

/// Whether stage 2 can start at `level` for this input size: the initial
/// level must resolve at least one bit and at most 4 more than a table
/// (16 concatenated tables), and SL0 must be able to encode it.
pub const fn stage2_start_level_valid(granule: Granule, input_bits: u32, level: u8) -> bool {
    if level > LAST_LEVEL {
        return false;
    }
    // 16K and 64K have no SL0 encoding for level 0 (without FEAT_LPA2).
    if level == 0 && !matches!(granule, Granule::K4) {
        return false;
    }
    let shift = level_shift(granule, level);
    input_bits > shift && input_bits - shift <= granule.bits_per_level() + MAX_CONCATENATION_BITS
}

impl TableConfig {
    /// A VMSAv8-64 stage-1 table set for the TTBR0 range:
    /// `input_bits` = 64 - T0SZ, `output_bits` the IPS size.
    pub fn stage1(
        granule: Granule,
        input_bits: u32,
        output_bits: u32,
    ) -> Result<Self, ConfigError> {
        check_input(granule, input_bits)?;
        check_output(output_bits)?;
        Ok(TableConfig {
            geometry: Geometry {
                granule,
                input_bits,
                start_level: stage1_start_level(granule, input_bits),
            },
            stage: Stage::Stage1,
            range: InputRange::Lower,
            output_bits,
            lpae: false,
        })
    }

    /// A VMSAv8-64 stage-1 table set for the TTBR1 range
    /// (`input_bits` = 64 - T1SZ); it is given addresses at the top of the
    /// 64-bit space.
    pub fn stage1_upper(
        granule: Granule,
        input_bits: u32,
        output_bits: u32,
    ) -> Result<Self, ConfigError> {
        let mut config = Self::stage1(granule, input_bits, output_bits)?;
        config.range = InputRange::Upper;
        Ok(config)
    }

    /// A stage-2 table set: `input_bits` = 64 - VTCR_EL2.T0SZ, starting at
    /// `start_level` with as many concatenated root tables as that needs.
    pub fn stage2(
        granule: Granule,
        input_bits: u32,
        start_level: u8,
        output_bits: u32,
    ) -> Result<Self, ConfigError> {
        check_input(granule, input_bits)?;
        check_output(output_bits)?;
        if !stage2_start_level_valid(granule, input_bits, start_level) {
            return Err(ConfigError::StartLevelInvalid { level: start_level });
        }
        Ok(TableConfig {
            geometry: Geometry {
                granule,
                input_bits,
                start_level,
            },
            stage: Stage::Stage2,
            range: InputRange::Lower,
            output_bits,
            lpae: false,
        })
    }

    /// A stage-2 table set with the fewest levels: the deepest start level
    /// that needs at most 16 concatenated tables.
    pub fn stage2_fewest_levels(
        granule: Granule,
        input_bits: u32,
        output_bits: u32,
    ) -> Result<Self, ConfigError> {
        let mut level = LAST_LEVEL;
        loop {
            if stage2_start_level_valid(granule, input_bits, level) {
                return Self::stage2(granule, input_bits, level, output_bits);
            }
            if level == 0 {
                return Err(ConfigError::InputSizeOutOfRange { bits: input_bits });
            }
            level -= 1;
        }
    }

    /// An ARMv7 LPAE (long-descriptor) table set: 4K granule, 40-bit output,
    /// `input_bits` = 32 - TnSZ, for the TTBR0 or TTBR1 range.
    pub fn lpae(input_bits: u32, range: InputRange) -> Result<Self, ConfigError> {
        // T0SZ/T1SZ are 3 bits: input sizes 25..=32.
        const LPAE_MIN_INPUT_BITS: u32 = 25;
        if !(LPAE_MIN_INPUT_BITS..=LPAE_INPUT_BITS).contains(&input_bits) {
            return Err(ConfigError::InputSizeOutOfRange { bits: input_bits });
        }
        let start_level = if input_bits > LPAE_LEVEL2_MAX_INPUT_BITS {
            1
        } else {
            2
        };
        Ok(TableConfig {
            geometry: Geometry {
                granule: Granule::K4,
                input_bits,
                start_level,
            },
            stage: Stage::Stage1,
            range,
            output_bits: LPAE_OUTPUT_BITS,
            lpae: true,
        })
    }

    /// Whether this is an ARMv7 long-descriptor (LPAE) table set.
    pub const fn is_lpae(&self) -> bool {
        self.lpae
    }

    /// Bits of the whole input space: 64, or 32 for LPAE. The TTBR1 range
    /// ends at the top of it.
    pub const fn address_space_bits(&self) -> u32 {
        if self.lpae {
            LPAE_INPUT_BITS
        } else {
            u64::BITS
        }
    }

    /// The table geometry.
    pub const fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// The granule.
    pub const fn granule(&self) -> Granule {
        self.geometry.granule
    }

    /// The stage.
    pub const fn stage(&self) -> Stage {
        self.stage
    }

    /// The input range (TTBR0 or TTBR1 side).
    pub const fn range(&self) -> InputRange {
        self.range
    }

    /// Input-address bits.
    pub const fn input_bits(&self) -> u32 {
        self.geometry.input_bits
    }

    /// Output-address bits.
    pub const fn output_bits(&self) -> u32 {
        self.output_bits
    }

    /// The level of the root table.
    pub const fn start_level(&self) -> u8 {
        self.geometry.start_level
    }

    /// Bytes allocated for the root table: at least one granule (so the
    /// kernel's frame allocator always serves it), more when stage 2
    /// concatenates tables.
    pub const fn root_bytes(&self) -> u64 {
        let bytes = self.geometry.table_bytes(self.geometry.start_level);
        let granule = self.geometry.granule.size();
        if bytes > granule {
            bytes
        } else {
            granule
        }
    }

    /// How many tables the root concatenates (1 unless stage 2 needs more).
    pub const fn concatenated_tables(&self) -> u64 {
        let bytes = self.geometry.table_bytes(self.geometry.start_level);
        let granule = self.geometry.granule.size();
        if bytes > granule {
            bytes / granule
        } else {
            1
        }
    }

    /// The TnSZ / T0SZ value that selects this input size (VMSAv8-64: 64
    /// minus the size; LPAE: 32 minus the size).
    pub const fn tnsz(&self) -> u32 {
        if self.lpae {
            LPAE_INPUT_BITS - self.geometry.input_bits
        } else {
            u64::BITS - self.geometry.input_bits
        }
    }

    /// The (I)PS field value for this output size: the smallest size that
    /// holds it.
    pub fn ps_bits(&self) -> u64 {
        PS_SIZES
            .iter()
            .position(|&size| size >= self.output_bits)
            .unwrap_or(PS_SIZES.len() - 1) as u64
    }

    /// The TCR_EL1 fields for this (stage-1, VMSAv8-64) table set: TnSZ and
    /// TGn of its range, and IPS. The caller adds the other range (or its
    /// EPD bit), cacheability, shareability, ASID and TBI controls.
    pub fn tcr_el1_bits(&self) -> u64 {
        let tnsz = u64::from(self.tnsz());
        let mut tcr = Tcr::new(0);
        tcr.write(match self.range {
            InputRange::Lower => TCR_EL1::T0SZ.val(tnsz) + sysreg::tg0(self.granule()),
            InputRange::Upper => TCR_EL1::T1SZ.val(tnsz) + sysreg::tg1(self.granule()),
        });
        tcr.modify(TCR_EL1::IPS.val(self.ps_bits()));
        tcr.get()
    }

    /// The VTCR_EL2 fields for this stage-2 table set: T0SZ, SL0, TG0, PS.
    pub fn vtcr_el2_bits(&self) -> u64 {
        let mut vtcr = Vtcr::new(0);
        vtcr.write(
            VTCR_EL2::T0SZ.val(u64::from(self.tnsz()))
                + VTCR_EL2::SL0.val(self.sl0())
                + sysreg::vtcr_tg0(self.granule())
                + VTCR_EL2::PS.val(self.ps_bits()),
        );
        vtcr.get()
    }

    /// The TTBCR fields for this LPAE table set: EAE and T0SZ or T1SZ.
    pub fn ttbcr_bits(&self) -> u64 {
        let tnsz = u64::from(self.tnsz());
        let mut ttbcr = Ttbcr::new(0);
        ttbcr.write(
            TTBCR::EAE::SET
                + match self.range {
                    InputRange::Lower => TTBCR::T0SZ.val(tnsz),
                    InputRange::Upper => TTBCR::T1SZ.val(tnsz),
                },
        );
        ttbcr.get()
    }

    /// VTCR_EL2.SL0 for this stage-2 start level (ARM ARM: with 4K, 0 means
    /// level 2, 1 level 1, 2 level 0, 3 level 3 with FEAT_TTST; with 16K and
    /// 64K, 0 means level 3, 1 level 2, 2 level 1).
    pub const fn sl0(&self) -> u64 {
        let level = self.geometry.start_level as u64;
        match self.geometry.granule {
            Granule::K4 => {
                if level == LAST_LEVEL as u64 {
                    3
                } else {
                    2 - level
                }
            }
            _ => LAST_LEVEL as u64 - level,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage2_40_bit_ipa_with_4k_concatenates_two_level_1_tables() {
        let c = TableConfig::stage2(Granule::K4, 40, 1, 40).unwrap();
        assert_eq!(c.concatenated_tables(), 2);
        assert_eq!(c.sl0(), 1);
        let c = TableConfig::stage2_fewest_levels(Granule::K4, 40, 40).unwrap();
        assert_eq!(c.start_level(), 1);
        assert_eq!(c.concatenated_tables(), 2);
        // 16 tables at level 2 cover 34 bits, not 40.
        assert!(TableConfig::stage2(Granule::K4, 40, 2, 40).is_err());
        assert!(TableConfig::stage2(Granule::K4, 34, 2, 40).is_ok());
        assert!(TableConfig::stage2(Granule::K64, 48, 0, 48).is_err());
    }
}
