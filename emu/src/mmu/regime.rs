//! The register values a walk reads (the EL1&0 stage 1, stage 2 and the
//! AArch32 long-descriptor format), the MMU indexes, and what the
//! implementation supports. The registers' layouts are in
//! [`crate::arch::sysreg`].

use super::config::Stage;
use crate::arch::id::{GranuleSet, MmuFeatures};
use crate::granule::Granule;

/// An MMU index: a translation regime and the privilege of the access, as
/// the TLBs are indexed (one TLB each) and a miss names the regime to walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MmuIdx {
    /// EL1&0 regime, unprivileged accesses (EL0, or LDTR/STTR).
    El0,
    /// EL1&0 regime, privileged accesses.
    El1,
    /// EL2 regime.
    El2,
    /// Stage 2 alone (IPA to PA), used by stage-1 table walks.
    Stage2,
}

impl MmuIdx {
    /// Every MMU index.
    pub const ALL: [MmuIdx; 4] = [MmuIdx::El0, MmuIdx::El1, MmuIdx::El2, MmuIdx::Stage2];

    /// The short name used by the shell.
    pub const fn name(self) -> &'static str {
        match self {
            MmuIdx::El0 => "el0",
            MmuIdx::El1 => "el1",
            MmuIdx::El2 => "el2",
            MmuIdx::Stage2 => "stage2",
        }
    }
}

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
