//! What the CPU's ID registers say about its MMU (ARM ARM D19.2,
//! ID_AA64MMFR0_EL1), decoded into types.

use core::fmt;
use emu::granule::Granule;

/// ID_AA64MMFR0_EL1 field positions.
mod field {
    pub const PARANGE: u32 = 0;
    pub const ASID_BITS: u32 = 4;
    pub const TGRAN16: u32 = 20;
    pub const TGRAN64: u32 = 24;
    pub const TGRAN4: u32 = 28;
    pub const TGRAN16_2: u32 = 32;
    pub const TGRAN64_2: u32 = 36;
    pub const TGRAN4_2: u32 = 40;
}

fn nibble(value: u64, shift: u32) -> u8 {
    ((value >> shift) & 0xf) as u8
}

/// A set of granules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GranuleSet(u8);

impl GranuleSet {
    fn bit(granule: Granule) -> u8 {
        1 << granule as u8
    }

    /// The set plus `granule`.
    pub fn with(self, granule: Granule) -> Self {
        GranuleSet(self.0 | Self::bit(granule))
    }

    /// Whether `granule` is in the set.
    pub fn contains(self, granule: Granule) -> bool {
        self.0 & Self::bit(granule) != 0
    }

    /// The members, smallest first.
    pub fn iter(self) -> impl Iterator<Item = Granule> {
        Granule::ALL.into_iter().filter(move |&g| self.contains(g))
    }
}

impl fmt::Display for GranuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for g in self.iter() {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            write!(f, "{g}")?;
        }
        if first {
            f.write_str("none")?;
        }
        Ok(())
    }
}

/// The MMU features Granule cares about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MmuFeatures {
    /// Granules stage 1 supports.
    pub stage1: GranuleSet,
    /// Granules stage 2 supports.
    pub stage2: GranuleSet,
    /// Physical address size in bits (PARange).
    pub pa_bits: u32,
    /// The raw PARange field, as TCR_ELx.IPS/PS encode it.
    pub pa_range: u8,
    /// ASID size in bits.
    pub asid_bits: u32,
}

impl MmuFeatures {
    /// Decodes ID_AA64MMFR0_EL1.
    pub fn from_id_aa64mmfr0(value: u64) -> Self {
        // Stage 1: TGran4/64 are 0b0000 (or 0b0001 with 52-bit) when
        // supported and 0b1111 when not; TGran16 is 0b0000 when NOT supported.
        let mut stage1 = GranuleSet::default();
        if matches!(nibble(value, field::TGRAN4), 0 | 1) {
            stage1 = stage1.with(Granule::K4);
        }
        if matches!(nibble(value, field::TGRAN16), 1 | 2) {
            stage1 = stage1.with(Granule::K16);
        }
        if matches!(nibble(value, field::TGRAN64), 0) {
            stage1 = stage1.with(Granule::K64);
        }
        // Stage 2: 0b0000 defers to the stage 1 field, 0b0001 is not
        // supported, 0b0010 and 0b0011 are supported.
        let mut stage2 = GranuleSet::default();
        for (granule, shift) in [
            (Granule::K4, field::TGRAN4_2),
            (Granule::K16, field::TGRAN16_2),
            (Granule::K64, field::TGRAN64_2),
        ] {
            let supported = match nibble(value, shift) {
                0 => stage1.contains(granule),
                2 | 3 => true,
                _ => false,
            };
            if supported {
                stage2 = stage2.with(granule);
            }
        }
        let pa_range = nibble(value, field::PARANGE);
        let pa_bits = match pa_range {
            0 => 32,
            1 => 36,
            2 => 40,
            3 => 42,
            4 => 44,
            5 => 48,
            _ => 52,
        };
        let asid_bits = if nibble(value, field::ASID_BITS) == 2 {
            16
        } else {
            8
        };
        MmuFeatures {
            stage1,
            stage2,
            pa_bits,
            pa_range: pa_range.min(6),
            asid_bits,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn cortex_a53_has_4k_and_64k_only() {
        // ID_AA64MMFR0_EL1 of a Cortex-A53 r0p4: 40-bit PA, 16-bit ASIDs.
        let f = MmuFeatures::from_id_aa64mmfr0(0x0000_0000_0000_1122);
        assert_eq!(f.stage1.to_string(), "4k 64k");
        assert_eq!(f.stage2.to_string(), "4k 64k");
        assert_eq!(f.pa_bits, 40);
        assert_eq!(f.asid_bits, 16);
    }

    #[test]
    fn stage2_fields_override_stage1() {
        // All three at stage 1, stage 2 says 16K not supported, 4K supported.
        let value = (0b0010u64 << 40) | (0b0001 << 32) | (0b0001 << 20) | 5;
        let f = MmuFeatures::from_id_aa64mmfr0(value);
        assert_eq!(f.stage1.to_string(), "4k 16k 64k");
        assert_eq!(f.stage2.to_string(), "4k 64k");
        assert_eq!(f.pa_bits, 48);
    }

    #[test]
    fn no_granule_reads_none() {
        let value = (0xfu64 << 28) | (0xf << 24);
        let f = MmuFeatures::from_id_aa64mmfr0(value);
        assert_eq!(f.stage1.to_string(), "none");
    }
}
