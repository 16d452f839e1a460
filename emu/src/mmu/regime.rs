//! The system registers that control translation in the EL1&0 regime
//! (TCR_EL1, TTBRn_EL1, MAIR_EL1, SCTLR_EL1), stage 2 (VTCR_EL2, VTTBR_EL2)
//! and the ARMv7 long-descriptor format (TTBCR, TTBRn, MAIRn), and what the
//! implementation supports.

use super::config::Stage;
use crate::arch::id::{GranuleSet, MmuFeatures};
use crate::granule::Granule;

/// What the modelled CPU implements, as far as translation cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Features {
    /// Physical address size (ID_AA64MMFR0_EL1.PARange), in bits, at most
    /// [`MAX_MODELLED_PA_BITS`].
    pub pa_bits: u32,
    /// Granules implemented at stage 1 (ID_AA64MMFR0_EL1.TGran4/16/64).
    pub stage1_granules: GranuleSet,
    /// Granules implemented at stage 2 (ID_AA64MMFR0_EL1.TGran4/16/64_2).
    pub stage2_granules: GranuleSet,
    /// FEAT_TTST: TnSZ up to 48 (47 for 64K).
    pub ttst: bool,
    /// FEAT_HPDS: TCR_EL1.HPD0/HPD1 disable the hierarchical permissions.
    pub hpds: bool,
    /// FEAT_HAFDBS: TCR.HA makes the hardware set the access flag.
    pub hardware_access_flag: bool,
    /// What a TnSZ outside the supported range does.
    pub tnsz_out_of_range: TnszOutOfRange,
}

/// ARM ARM: a TnSZ outside the allowed range either behaves as the nearest
/// allowed value or makes every access through that TTBR a level-0
/// translation fault; which one is IMPLEMENTATION DEFINED and no ID register
/// says (the kernel can probe it with `AT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TnszOutOfRange {
    /// Treat it as the nearest allowed value (what QEMU does).
    Clamp,
    /// Translation fault at level 0.
    Fault,
}

impl Features {
    /// QEMU's `-cpu max` as far as translation goes: 48-bit PA, all
    /// granules, FEAT_TTST, FEAT_HPDS, FEAT_HAFDBS; QEMU faults on an
    /// out-of-range TnSZ.
    pub const QEMU_MAX: Features = Features {
        pa_bits: 48,
        stage1_granules: GranuleSet::ALL,
        stage2_granules: GranuleSet::ALL,
        ttst: true,
        hpds: true,
        hardware_access_flag: true,
        tnsz_out_of_range: TnszOutOfRange::Fault,
    };

    /// An ARMv8.0 CPU such as the Cortex-A53 (40-bit PA) or A72 (44-bit):
    /// 4K and 64K granules only.
    pub const fn armv8_0(pa_bits: u32) -> Features {
        Features {
            pa_bits,
            stage1_granules: GranuleSet::ALL.without(Granule::K16),
            stage2_granules: GranuleSet::ALL.without(Granule::K16),
            ttst: false,
            hpds: false,
            hardware_access_flag: false,
            tnsz_out_of_range: TnszOutOfRange::Clamp,
        }
    }

    /// Features from the ID registers ID_AA64MMFR0/1/2_EL1, decoded by
    /// [`MmuFeatures::decode`]. `tnsz_out_of_range` is not reported by any
    /// ID register; the kernel can find it out with `AT` on an
    /// out-of-range TnSZ.
    pub fn from_id_registers(
        mmfr0: u64,
        mmfr1: u64,
        mmfr2: u64,
        tnsz_out_of_range: TnszOutOfRange,
    ) -> Features {
        Features::from_mmu_features(&MmuFeatures::decode(mmfr0, mmfr1, mmfr2), tnsz_out_of_range)
    }

    /// Features from decoded ID registers.
    pub fn from_mmu_features(id: &MmuFeatures, tnsz_out_of_range: TnszOutOfRange) -> Features {
        Features {
            pa_bits: id.pa_bits.min(MAX_MODELLED_PA_BITS),
            stage1_granules: id.stage1,
            stage2_granules: id.stage2,
            ttst: id.ttst,
            hpds: id.hpds,
            hardware_access_flag: id.hardware_access_flag,
            tnsz_out_of_range,
        }
    }

    /// Whether `granule` is implemented at stage 1.
    pub const fn supports(&self, granule: Granule) -> bool {
        self.stage1_granules.contains(granule)
    }

    /// The granule a stage uses when its TGn field holds a reserved value
    /// or names a granule the CPU lacks at that stage (IMPLEMENTATION
    /// DEFINED; like QEMU, the first implemented one of 4K, 64K, 16K).
    pub const fn fallback_granule(&self, stage: Stage) -> Granule {
        let set = self.granules(stage);
        if set.contains(Granule::K4) {
            Granule::K4
        } else if set.contains(Granule::K64) {
            Granule::K64
        } else {
            Granule::K16
        }
    }

    /// The granules implemented at `stage`.
    pub const fn granules(&self, stage: Stage) -> GranuleSet {
        match stage {
            Stage::Stage1 => self.stage1_granules,
            Stage::Stage2 => self.stage2_granules,
        }
    }

    /// The granule a walk of `stage` uses when TGn selects `granule`
    /// (`None`: a reserved encoding): itself if implemented, else the
    /// fallback.
    pub const fn granule_or_fallback(&self, stage: Stage, granule: Option<Granule>) -> Granule {
        match granule {
            Some(g) if self.granules(stage).contains(g) => g,
            _ => self.fallback_granule(stage),
        }
    }

    /// Largest TnSZ for a granule.
    pub const fn max_tnsz(&self, granule: Granule) -> u32 {
        const MAX_TNSZ: u32 = 39;
        const MAX_TNSZ_TTST_4K_16K: u32 = 48;
        const MAX_TNSZ_TTST_64K: u32 = 47;
        match (self.ttst, granule) {
            (false, _) => MAX_TNSZ,
            (true, Granule::K64) => MAX_TNSZ_TTST_64K,
            (true, _) => MAX_TNSZ_TTST_4K_16K,
        }
    }

    /// The TnSZ a walk uses for the programmed `tnsz`: itself when in range,
    /// the nearest allowed value or `None` (a level 0 translation fault)
    /// otherwise, as [`Features::tnsz_out_of_range`] says.
    pub fn effective_tnsz(&self, granule: Granule, tnsz: u32) -> Option<u32> {
        let max = self.max_tnsz(granule);
        if (MIN_TNSZ..=max).contains(&tnsz) {
            return Some(tnsz);
        }
        match self.tnsz_out_of_range {
            TnszOutOfRange::Fault => None,
            TnszOutOfRange::Clamp => Some(tnsz.clamp(MIN_TNSZ, max)),
        }
    }
}

/// The largest PA size modelled (no FEAT_LPA).
pub const MAX_MODELLED_PA_BITS: u32 = 48;

/// Smallest TnSZ without FEAT_LVA (48-bit ranges).
pub const MIN_TNSZ: u32 = 16;

/// Decode a (I)PS / PS field to a size in bits, limited by the implemented
/// PA size (the effective output size).
pub const fn output_bits(ps: u64, features: &Features) -> u32 {
    let bits = match crate::arch::id::pa_range_bits(ps) {
        Some(bits) => bits,
        // Reserved encodings behave as the implemented size.
        None => features.pa_bits,
    };
    // 52-bit needs FEAT_LPA; here the descriptors carry 48 bits at most.
    let bits = if bits > MAX_MODELLED_PA_BITS {
        MAX_MODELLED_PA_BITS
    } else {
        bits
    };
    if bits < features.pa_bits {
        bits
    } else {
        features.pa_bits
    }
}

/// Extract `width` bits at `shift`.
pub(crate) const fn field(value: u64, shift: u32, width: u32) -> u64 {
    (value >> shift) & ((1 << width) - 1)
}

/// TCR_EL1 field positions (ARM ARM D19.2).
pub mod tcr {
    /// T0SZ\[5:0\].
    pub const T0SZ_SHIFT: u32 = 0;
    /// EPD0.
    pub const EPD0: u64 = 1 << 7;
    /// SH0\[13:12\].
    pub const SH0_SHIFT: u32 = 12;
    /// TG0\[15:14\].
    pub const TG0_SHIFT: u32 = 14;
    /// T1SZ\[21:16\].
    pub const T1SZ_SHIFT: u32 = 16;
    /// A1: the ASID comes from TTBR1.
    pub const A1: u64 = 1 << 22;
    /// EPD1.
    pub const EPD1: u64 = 1 << 23;
    /// TG1\[31:30\].
    pub const TG1_SHIFT: u32 = 30;
    /// IPS\[34:32\].
    pub const IPS_SHIFT: u32 = 32;
    /// AS: 16-bit ASIDs.
    pub const AS: u64 = 1 << 36;
    /// TBI0.
    pub const TBI0: u64 = 1 << 37;
    /// TBI1.
    pub const TBI1: u64 = 1 << 38;
    /// HA: hardware access flag update.
    pub const HA: u64 = 1 << 39;
    /// HPD0.
    pub const HPD0: u64 = 1 << 41;
    /// HPD1.
    pub const HPD1: u64 = 1 << 42;
    /// TBID0: TBI0 applies to data accesses only.
    pub const TBID0: u64 = 1 << 51;
    /// TBID1.
    pub const TBID1: u64 = 1 << 52;
    /// Width of TnSZ.
    pub const TNSZ_WIDTH: u32 = 6;
    /// Width of TGn, SHn.
    pub const TWO_BITS: u32 = 2;
    /// Width of IPS.
    pub const IPS_WIDTH: u32 = 3;

    /// TG0 encodings: 0b00 4K, 0b01 64K, 0b10 16K.
    pub const fn tg0_granule(tg0: u64) -> Option<crate::granule::Granule> {
        use crate::granule::Granule;
        match tg0 {
            0b00 => Some(Granule::K4),
            0b01 => Some(Granule::K64),
            0b10 => Some(Granule::K16),
            _ => None,
        }
    }

    /// TG1 encodings differ from TG0: 0b01 16K, 0b10 4K, 0b11 64K.
    pub const fn tg1_granule(tg1: u64) -> Option<crate::granule::Granule> {
        use crate::granule::Granule;
        match tg1 {
            0b01 => Some(Granule::K16),
            0b10 => Some(Granule::K4),
            0b11 => Some(Granule::K64),
            _ => None,
        }
    }

    /// The TG0 value for a granule.
    pub const fn tg0_bits(granule: crate::granule::Granule) -> u64 {
        use crate::granule::Granule;
        match granule {
            Granule::K4 => 0b00,
            Granule::K64 => 0b01,
            Granule::K16 => 0b10,
        }
    }

    /// The TG1 value for a granule.
    pub const fn tg1_bits(granule: crate::granule::Granule) -> u64 {
        use crate::granule::Granule;
        match granule {
            Granule::K16 => 0b01,
            Granule::K4 => 0b10,
            Granule::K64 => 0b11,
        }
    }
}

/// SCTLR_EL1 (and AArch32 SCTLR) bits the walker uses.
pub mod sctlr {
    /// M: stage 1 enabled.
    pub const M: u64 = 1 << 0;
    /// WXN: writable implies execute-never.
    pub const WXN: u64 = 1 << 19;
    /// AArch32 UWXN: PL0-writable implies PL1 execute-never.
    pub const UWXN: u64 = 1 << 20;
}

/// TTBRn_EL1 / VTTBR_EL2 layout.
pub mod ttbr {
    /// BADDR holds bits \[47:1\]; bit 0 is CnP.
    pub const BADDR_MASK: u64 = 0x0000_ffff_ffff_fffe;
    /// ASID (VMID for VTTBR) in bits \[63:48\].
    pub const ASID_SHIFT: u32 = 48;
    /// 8-bit ASID mask (TCR.AS = 0).
    pub const ASID8_MASK: u64 = 0xff;
    /// 16-bit ASID mask.
    pub const ASID16_MASK: u64 = 0xffff;
    /// LPAE TTBRs carry a 40-bit BADDR.
    pub const LPAE_BADDR_MASK: u64 = 0x0000_00ff_ffff_fffe;
}

/// VTCR_EL2 field positions.
pub mod vtcr {
    /// T0SZ\[5:0\].
    pub const T0SZ_SHIFT: u32 = 0;
    /// SL0\[7:6\].
    pub const SL0_SHIFT: u32 = 6;
    /// TG0\[15:14\] (TCR_EL1.TG0 encoding).
    pub const TG0_SHIFT: u32 = 14;
    /// PS\[18:16\].
    pub const PS_SHIFT: u32 = 16;
    /// HA.
    pub const HA: u64 = 1 << 21;
}

/// TTBCR (long-descriptor, EAE = 1) field positions.
pub mod ttbcr {
    /// T0SZ\[2:0\].
    pub const T0SZ_SHIFT: u32 = 0;
    /// Width of T0SZ/T1SZ.
    pub const TNSZ_WIDTH: u32 = 3;
    /// EPD0.
    pub const EPD0: u64 = 1 << 7;
    /// T1SZ\[18:16\].
    pub const T1SZ_SHIFT: u32 = 16;
    /// A1.
    pub const A1: u64 = 1 << 22;
    /// EPD1.
    pub const EPD1: u64 = 1 << 23;
    /// EAE: the long-descriptor format is in use.
    pub const EAE: u64 = 1 << 31;
}

/// The EL1&0 stage-1 registers a walk reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stage1Regs {
    /// SCTLR_EL1 (M, WXN).
    pub sctlr: u64,
    /// TCR_EL1.
    pub tcr: u64,
    /// TTBR0_EL1.
    pub ttbr0: u64,
    /// TTBR1_EL1.
    pub ttbr1: u64,
    /// MAIR_EL1.
    pub mair: u64,
    /// PSTATE.PAN for the access (false for AT S1E1R/W, which ignore PAN).
    pub pan: bool,
}

/// The stage-2 registers a walk reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stage2Regs {
    /// VTCR_EL2.
    pub vtcr: u64,
    /// VTTBR_EL2.
    pub vttbr: u64,
}

/// The AArch32 PL1&0 registers of the long-descriptor format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LpaeRegs {
    /// SCTLR (M, WXN, UWXN).
    pub sctlr: u64,
    /// TTBCR (EAE must be set; the short-descriptor format is not modelled).
    pub ttbcr: u64,
    /// 64-bit TTBR0.
    pub ttbr0: u64,
    /// 64-bit TTBR1.
    pub ttbr1: u64,
    /// MAIR1:MAIR0 as one 64-bit value (MAIR0 in the low half).
    pub mair: u64,
    /// PSTATE.PAN.
    pub pan: bool,
}
