//! The ID registers that describe the memory system (ARM ARM D19.2,
//! ID_AA64MMFR0_EL1, ID_AA64MMFR1_EL1, ID_AA64MMFR2_EL1), and the one
//! decoder of them: the kernel's refusal of a granule and the walker's
//! granule fallback both read [`MmuFeatures`].
//!
//! Every value the ARM ARM lists as reserved decodes as "not supported":
//! a reserved encoding promises nothing.

// `register_bitfields!` generates items that cannot carry doc comments;
// the fields below are documented at their definitions.
#![allow(missing_docs)]

use crate::granule::Granule;
use core::fmt;
use tock_registers::{register_bitfields, LocalRegisterCopy};

register_bitfields! {u64,
    /// ID_AA64MMFR0_EL1, AArch64 Memory Model Feature Register 0.
    pub ID_AA64MMFR0_EL1 [
        /// Physical address range.
        PARange OFFSET(0) NUMBITS(4) [],
        /// ASID size: 0b0000 8 bits, 0b0010 16 bits.
        ASIDBits OFFSET(4) NUMBITS(4) [],
        /// 16K granule at stage 1: 0b0000 no, 0b0001 yes, 0b0010 yes with
        /// 52-bit addresses.
        TGran16 OFFSET(20) NUMBITS(4) [],
        /// 64K granule at stage 1: 0b0000 yes, 0b1111 no.
        TGran64 OFFSET(24) NUMBITS(4) [],
        /// 4K granule at stage 1: 0b0000 yes, 0b0001 yes with 52-bit
        /// addresses, 0b1111 no.
        TGran4 OFFSET(28) NUMBITS(4) [],
        /// 16K granule at stage 2: 0b0000 as TGran16, 0b0001 no, 0b0010
        /// yes, 0b0011 yes with 52-bit addresses.
        TGran16_2 OFFSET(32) NUMBITS(4) [],
        /// 64K granule at stage 2: 0b0000 as TGran64, 0b0001 no, 0b0010 yes.
        TGran64_2 OFFSET(36) NUMBITS(4) [],
        /// 4K granule at stage 2: 0b0000 as TGran4, 0b0001 no, 0b0010 yes,
        /// 0b0011 yes with 52-bit addresses.
        TGran4_2 OFFSET(40) NUMBITS(4) []
    ],

    /// ID_AA64MMFR1_EL1, AArch64 Memory Model Feature Register 1.
    pub ID_AA64MMFR1_EL1 [
        /// Hardware access flag and dirty state: 0b0000 none, 0b0001 AF,
        /// 0b0010 AF and dirty state, 0b0011 also table AF (FEAT_HAFT).
        HAFDBS OFFSET(0) NUMBITS(4) [],
        /// VMID size.
        VMIDBits OFFSET(4) NUMBITS(4) [],
        /// Hierarchical permission disables: 0b0001 FEAT_HPDS, 0b0010
        /// FEAT_HPDS2.
        HPDS OFFSET(12) NUMBITS(4) [],
        /// Privileged access never.
        PAN OFFSET(20) NUMBITS(4) []
    ],

    /// ID_AA64MMFR2_EL1, AArch64 Memory Model Feature Register 2.
    pub ID_AA64MMFR2_EL1 [
        /// Small translation tables (FEAT_TTST): 0b0001 TnSZ up to 48.
        ST OFFSET(28) NUMBITS(4) []
    ]
}

/// A set of granules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct GranuleSet(u8);

impl GranuleSet {
    /// No granule.
    pub const NONE: GranuleSet = GranuleSet(0);
    /// All three.
    pub const ALL: GranuleSet = GranuleSet::NONE
        .with(Granule::K4)
        .with(Granule::K16)
        .with(Granule::K64);

    const fn bit(granule: Granule) -> u8 {
        1 << granule as u8
    }

    /// The set plus `granule`.
    pub const fn with(self, granule: Granule) -> Self {
        GranuleSet(self.0 | Self::bit(granule))
    }

    /// The set without `granule`.
    pub const fn without(self, granule: Granule) -> Self {
        GranuleSet(self.0 & !Self::bit(granule))
    }

    /// The set plus `granule` when `yes`.
    const fn with_if(self, granule: Granule, yes: bool) -> Self {
        if yes {
            self.with(granule)
        } else {
            self
        }
    }

    /// Whether `granule` is in the set.
    pub const fn contains(self, granule: Granule) -> bool {
        self.0 & Self::bit(granule) != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
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

/// The largest PARange encoding defined by the revisions modelled
/// (0b0110, 52 bits with FEAT_LPA).
pub const PARANGE_MAX: u8 = 6;

/// The physical address size a PARange (or TCR_EL1.IPS, VTCR_EL2.PS)
/// encoding gives, in bits; `None` for a reserved encoding.
pub const fn pa_range_bits(encoding: u64) -> Option<u32> {
    match encoding {
        0 => Some(32),
        1 => Some(36),
        2 => Some(40),
        3 => Some(42),
        4 => Some(44),
        5 => Some(48),
        6 => Some(52),
        _ => None,
    }
}

/// What the ID registers say about the MMU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MmuFeatures {
    /// Granules stage 1 supports.
    pub stage1: GranuleSet,
    /// Granules stage 2 supports.
    pub stage2: GranuleSet,
    /// The PARange field, limited to [`PARANGE_MAX`]: later revisions give
    /// the encodings above it larger sizes (0b0111 is 56 bits with
    /// FEAT_D128), so a CPU reporting one supports at least 52 bits.
    pub pa_range: u8,
    /// Physical address size in bits.
    pub pa_bits: u32,
    /// ASID size in bits (8 or 16).
    pub asid_bits: u32,
    /// FEAT_HAFDBS: TCR.HA makes the hardware set the access flag.
    pub hardware_access_flag: bool,
    /// FEAT_HPDS: TCR_EL1.HPDn disable the hierarchical permissions.
    pub hpds: bool,
    /// FEAT_TTST: TnSZ up to 48 (47 for 64K).
    pub ttst: bool,
}

impl MmuFeatures {
    /// Decodes ID_AA64MMFR0_EL1, ID_AA64MMFR1_EL1 and ID_AA64MMFR2_EL1.
    pub fn decode(mmfr0: u64, mmfr1: u64, mmfr2: u64) -> Self {
        let r0 = LocalRegisterCopy::<u64, ID_AA64MMFR0_EL1::Register>::new(mmfr0);
        let r1 = LocalRegisterCopy::<u64, ID_AA64MMFR1_EL1::Register>::new(mmfr1);
        let r2 = LocalRegisterCopy::<u64, ID_AA64MMFR2_EL1::Register>::new(mmfr2);
        use ID_AA64MMFR0_EL1 as M0;
        let stage1 = GranuleSet::NONE
            .with_if(Granule::K4, matches!(r0.read(M0::TGran4), 0b0000 | 0b0001))
            .with_if(
                Granule::K16,
                matches!(r0.read(M0::TGran16), 0b0001 | 0b0010),
            )
            .with_if(Granule::K64, r0.read(M0::TGran64) == 0b0000);
        let stage2_field = |granule, value, also_52_bit| match value {
            0b0000 => stage1.contains(granule),
            0b0010 => true,
            0b0011 => also_52_bit,
            _ => false,
        };
        let stage2 = GranuleSet::NONE
            .with_if(
                Granule::K4,
                stage2_field(Granule::K4, r0.read(M0::TGran4_2), true),
            )
            .with_if(
                Granule::K16,
                stage2_field(Granule::K16, r0.read(M0::TGran16_2), true),
            )
            // TGran64_2 has no 52-bit encoding: 0b0011 is reserved.
            .with_if(
                Granule::K64,
                stage2_field(Granule::K64, r0.read(M0::TGran64_2), false),
            );
        let pa_range = (r0.read(M0::PARange) as u8).min(PARANGE_MAX);
        let pa_bits = pa_range_bits(pa_range.into()).unwrap_or(52);
        let asid_bits = if r0.read(M0::ASIDBits) == 0b0010 {
            16
        } else {
            8
        };
        MmuFeatures {
            stage1,
            stage2,
            pa_range,
            pa_bits,
            asid_bits,
            hardware_access_flag: matches!(r1.read(ID_AA64MMFR1_EL1::HAFDBS), 1..=3),
            hpds: matches!(r1.read(ID_AA64MMFR1_EL1::HPDS), 1 | 2),
            ttst: r2.read(ID_AA64MMFR2_EL1::ST) == 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    const NONE_4K_64K: u64 = (0xf << 28) | (0xf << 24);

    fn decode0(mmfr0: u64) -> MmuFeatures {
        MmuFeatures::decode(mmfr0, 0, 0)
    }

    /// The ARM ARM's table for each stage 1 granule field: the values that
    /// mean "supported"; every other value is "not supported" or reserved.
    #[test]
    fn every_value_of_each_stage1_granule_field() {
        for value in 0..16u64 {
            // TGran4: 0b0000, 0b0001 supported; 0b1111 not; others reserved.
            let f = decode0(NONE_4K_64K & !(0xf << 28) | (value << 28));
            assert_eq!(
                f.stage1.contains(Granule::K4),
                value <= 1,
                "TGran4 {value:#x}"
            );
            // TGran64: 0b0000 supported; 0b1111 not; others reserved.
            let f = decode0(NONE_4K_64K & !(0xf << 24) | (value << 24));
            assert_eq!(
                f.stage1.contains(Granule::K64),
                value == 0,
                "TGran64 {value:#x}"
            );
            // TGran16: 0b0001, 0b0010 supported; 0b0000 not; others reserved.
            let f = decode0(NONE_4K_64K | (value << 20));
            assert_eq!(
                f.stage1.contains(Granule::K16),
                value == 1 || value == 2,
                "TGran16 {value:#x}"
            );
        }
    }

    #[test]
    fn every_value_of_each_stage2_granule_field() {
        // Stage 1 supports all three, so 0b0000 ("as stage 1") supports.
        let all_s1 = 1 << 20;
        let none_s1 = NONE_4K_64K;
        for value in 0..16u64 {
            for (granule, shift, supported) in [
                (Granule::K4, 40, [0b0010, 0b0011].as_slice()),
                (Granule::K16, 32, [0b0010, 0b0011].as_slice()),
                (Granule::K64, 36, [0b0010].as_slice()),
            ] {
                let f = decode0(all_s1 | (value << shift));
                let expected = value == 0 || supported.contains(&value);
                assert_eq!(
                    f.stage2.contains(granule),
                    expected,
                    "{granule} _2 = {value:#x}"
                );
                let f = decode0(none_s1 | (value << shift));
                let expected = supported.contains(&value);
                assert_eq!(
                    f.stage2.contains(granule),
                    expected,
                    "{granule} _2 = {value:#x}, none at stage 1"
                );
            }
        }
    }

    #[test]
    fn every_pa_range_value() {
        let sizes = [32, 36, 40, 42, 44, 48, 52];
        for value in 0..16u64 {
            let f = decode0(value);
            let expected = sizes.get(value as usize).copied().unwrap_or(52);
            assert_eq!(f.pa_bits, expected, "PARange {value:#x}");
            assert_eq!(u64::from(f.pa_range), value.min(6));
        }
    }

    #[test]
    fn every_asid_bits_value() {
        for value in 0..16u64 {
            let f = decode0(value << 4);
            assert_eq!(
                f.asid_bits,
                if value == 2 { 16 } else { 8 },
                "ASIDBits {value:#x}"
            );
        }
    }

    #[test]
    fn every_value_of_the_mmfr1_and_mmfr2_fields() {
        for value in 0..16u64 {
            let f = MmuFeatures::decode(0, value, 0);
            assert_eq!(
                f.hardware_access_flag,
                (1..=3).contains(&value),
                "HAFDBS {value:#x}"
            );
            let f = MmuFeatures::decode(0, value << 12, 0);
            assert_eq!(f.hpds, value == 1 || value == 2, "HPDS {value:#x}");
            let f = MmuFeatures::decode(0, 0, value << 28);
            assert_eq!(f.ttst, value == 1, "ST {value:#x}");
        }
    }

    #[test]
    fn cortex_a53_has_4k_and_64k_only() {
        // ID_AA64MMFR0_EL1 of a Cortex-A53 r0p4 (its TRM): 0x1122, 40-bit
        // PA, 16-bit ASIDs, TGran16 0 (no 16K).
        let f = decode0(0x0000_0000_0000_1122);
        assert_eq!(f.stage1.to_string(), "4k 64k");
        assert_eq!(f.stage2.to_string(), "4k 64k");
        assert_eq!(f.pa_bits, 40);
        assert_eq!(f.asid_bits, 16);
    }

    #[test]
    fn no_granule_reads_none() {
        assert_eq!(decode0(NONE_4K_64K).stage1.to_string(), "none");
        assert!(decode0(NONE_4K_64K).stage2.is_empty());
    }
}
