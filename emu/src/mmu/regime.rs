//! The system registers that control translation in the EL1&0 regime
//! (TCR_EL1, TTBRn_EL1, MAIR_EL1, SCTLR_EL1), stage 2 (VTCR_EL2, VTTBR_EL2)
//! and the ARMv7 long-descriptor format (TTBCR, TTBRn, MAIRn), and what the
//! implementation supports.

use crate::granule::Granule;

/// What the modelled CPU implements, as far as translation cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Features {
    /// Physical address size (ID_AA64MMFR0_EL1.PARange), in bits.
    pub pa_bits: u32,
    /// Stage-1 granules implemented (ID_AA64MMFR0_EL1.TGran4/16/64).
    pub granule_4k: bool,
    /// See `granule_4k`.
    pub granule_16k: bool,
    /// See `granule_4k`.
    pub granule_64k: bool,
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
        granule_4k: true,
        granule_16k: true,
        granule_64k: true,
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
            granule_4k: true,
            granule_16k: false,
            granule_64k: true,
            ttst: false,
            hpds: false,
            hardware_access_flag: false,
            tnsz_out_of_range: TnszOutOfRange::Clamp,
        }
    }

    /// Decode ID_AA64MMFR0_EL1, ID_AA64MMFR1_EL1 and ID_AA64MMFR2_EL1.
    /// `tnsz_out_of_range` is not reported by any ID register; the kernel
    /// can find it out with `AT` on an out-of-range TnSZ.
    pub const fn from_id_registers(
        mmfr0: u64,
        mmfr1: u64,
        mmfr2: u64,
        tnsz_out_of_range: TnszOutOfRange,
    ) -> Features {
        use id::*;
        let pa_bits = output_bits(field(mmfr0, PARANGE, FIELD_WIDTH), &Features::UNLIMITED);
        Features {
            pa_bits,
            // TGran16 counts up from 0 (not implemented); TGran4 and
            // TGran64 use 0xF for "not implemented".
            granule_16k: field(mmfr0, TGRAN16, FIELD_WIDTH) != 0,
            granule_64k: field(mmfr0, TGRAN64, FIELD_WIDTH) != NOT_IMPLEMENTED,
            granule_4k: field(mmfr0, TGRAN4, FIELD_WIDTH) != NOT_IMPLEMENTED,
            hardware_access_flag: field(mmfr1, HAFDBS, FIELD_WIDTH) != 0,
            hpds: field(mmfr1, HPDS, FIELD_WIDTH) != 0,
            ttst: field(mmfr2, ST, FIELD_WIDTH) != 0,
            tnsz_out_of_range,
        }
    }

    /// Features that limit nothing, for decoding sizes.
    const UNLIMITED: Features = Features {
        pa_bits: MAX_MODELLED_PA_BITS,
        ..Features::QEMU_MAX
    };

    /// Whether `granule` is implemented.
    pub const fn supports(&self, granule: Granule) -> bool {
        match granule {
            Granule::K4 => self.granule_4k,
            Granule::K16 => self.granule_16k,
            Granule::K64 => self.granule_64k,
        }
    }

    /// The granule used when TGn holds a reserved value or names a granule
    /// the CPU lacks (IMPLEMENTATION DEFINED; like QEMU, the first
    /// implemented one of 4K, 64K, 16K).
    pub const fn fallback_granule(&self) -> Granule {
        if self.granule_4k {
            Granule::K4
        } else if self.granule_64k {
            Granule::K64
        } else {
            Granule::K16
        }
    }

    /// The granule TGn selects, or the fallback.
    pub const fn granule_or_fallback(&self, granule: Option<Granule>) -> Granule {
        match granule {
            Some(g) if self.supports(g) => g,
            _ => self.fallback_granule(),
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

/// ID_AA64MMFR0/1/2_EL1 field positions (all 4 bits wide).
mod id {
    /// Width of every ID register field used here.
    pub const FIELD_WIDTH: u32 = 4;
    /// ID_AA64MMFR0_EL1.PARange.
    pub const PARANGE: u32 = 0;
    /// ID_AA64MMFR0_EL1.TGran16.
    pub const TGRAN16: u32 = 20;
    /// ID_AA64MMFR0_EL1.TGran64.
    pub const TGRAN64: u32 = 24;
    /// ID_AA64MMFR0_EL1.TGran4.
    pub const TGRAN4: u32 = 28;
    /// ID_AA64MMFR1_EL1.HAFDBS.
    pub const HAFDBS: u32 = 0;
    /// ID_AA64MMFR1_EL1.HPDS.
    pub const HPDS: u32 = 12;
    /// ID_AA64MMFR2_EL1.ST (FEAT_TTST).
    pub const ST: u32 = 28;
    /// TGran4/TGran64 value for "not implemented".
    pub const NOT_IMPLEMENTED: u64 = 0xf;
}

/// The largest PA size modelled (no FEAT_LPA).
pub const MAX_MODELLED_PA_BITS: u32 = 48;

/// Smallest TnSZ without FEAT_LVA (48-bit ranges).
pub const MIN_TNSZ: u32 = 16;

/// Decode a (I)PS / PS field to a size in bits, limited by the implemented
/// PA size (the effective output size).
pub const fn output_bits(ps: u64, features: &Features) -> u32 {
    const SIZES: [u32; 7] = [32, 36, 40, 42, 44, 48, 52];
    let bits = if (ps as usize) < SIZES.len() {
        SIZES[ps as usize]
    } else {
        // Reserved encodings behave as the implemented size.
        features.pa_bits
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
