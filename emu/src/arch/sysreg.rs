//! Layouts of the system registers that control translation and
//! exceptions (ARM ARM D19.2): SCTLR_EL1, TCR_EL1, TTBRn_EL1 / VTTBR_EL2,
//! MAIR_EL1, VTCR_EL2, HCR_EL2, and the AArch32 long-descriptor TTBCR.
//!
//! Each register is a `register_bitfields!` description; guest and host
//! values are read and built through [`LocalRegisterCopy`]. aarch64-cpu
//! describes some of these too, but leaves out fields the walker and the
//! guest CPU need (TCR_EL1.HPDn, SCTLR_EL1.SPAN, HCR_EL2.PTW...), so the
//! descriptions here are complete for what Granule models; the kernel still
//! uses aarch64-cpu's accessors to move the values in and out of the CPU.

// `register_bitfields!` generates items (the `Register` types and the field
// constants) that cannot carry doc comments; each register and field below
// is documented at its definition.
#![allow(missing_docs)]

use crate::granule::Granule;
use tock_registers::fields::Field;
pub use tock_registers::LocalRegisterCopy;
use tock_registers::{register_bitfields, RegisterLongName};

register_bitfields! {u64,
    /// SCTLR_EL1, System Control Register (EL1). The RES1 bits of ARMv8.0
    /// are [`SCTLR_EL1_RES1`].
    pub SCTLR_EL1 [
        /// Stage 1 of the EL1&0 regime enabled.
        M OFFSET(0) NUMBITS(1) [],
        /// Alignment checking.
        A OFFSET(1) NUMBITS(1) [],
        /// Data caches (Normal memory cacheable).
        C OFFSET(2) NUMBITS(1) [],
        /// SP alignment check at EL1.
        SA OFFSET(3) NUMBITS(1) [],
        /// SP alignment check at EL0.
        SA0 OFFSET(4) NUMBITS(1) [],
        /// Instruction caches.
        I OFFSET(12) NUMBITS(1) [],
        /// DC ZVA allowed at EL0.
        DZE OFFSET(14) NUMBITS(1) [],
        /// CTR_EL0 accessible at EL0.
        UCT OFFSET(15) NUMBITS(1) [],
        /// WFI not trapped at EL0.
        NTWI OFFSET(16) NUMBITS(1) [],
        /// WFE not trapped at EL0.
        NTWE OFFSET(18) NUMBITS(1) [],
        /// Write permission implies execute-never.
        WXN OFFSET(19) NUMBITS(1) [],
        /// Exception entry is a context synchronisation event (FEAT_ExS).
        EIS OFFSET(22) NUMBITS(1) [],
        /// PSTATE.PAN left unchanged on exception entry (FEAT_PAN).
        SPAN OFFSET(23) NUMBITS(1) [],
        /// EL0 data accesses are big-endian.
        E0E OFFSET(24) NUMBITS(1) [],
        /// EL1 data accesses and table walks are big-endian.
        EE OFFSET(25) NUMBITS(1) [],
        /// Cache maintenance by VA allowed at EL0.
        UCI OFFSET(26) NUMBITS(1) []
    ],

    /// TCR_EL1, Translation Control Register (EL1).
    pub TCR_EL1 [
        /// Size offset of the TTBR0 range: 2^(64-T0SZ) bytes.
        T0SZ OFFSET(0) NUMBITS(6) [],
        /// Walks through TTBR0 disabled (a translation fault).
        EPD0 OFFSET(7) NUMBITS(1) [],
        /// Inner cacheability of TTBR0 walks.
        IRGN0 OFFSET(8) NUMBITS(2) [
            NonCacheable = 0,
            WriteBackReadWriteAllocate = 1,
            WriteThrough = 2,
            WriteBackNoWriteAllocate = 3
        ],
        /// Outer cacheability of TTBR0 walks.
        ORGN0 OFFSET(10) NUMBITS(2) [
            NonCacheable = 0,
            WriteBackReadWriteAllocate = 1,
            WriteThrough = 2,
            WriteBackNoWriteAllocate = 3
        ],
        /// Shareability of TTBR0 walks.
        SH0 OFFSET(12) NUMBITS(2) [
            NonShareable = 0,
            OuterShareable = 2,
            InnerShareable = 3
        ],
        /// Granule of the TTBR0 range (0b11 reserved).
        TG0 OFFSET(14) NUMBITS(2) [
            KiB_4 = 0,
            KiB_64 = 1,
            KiB_16 = 2
        ],
        /// Size offset of the TTBR1 range.
        T1SZ OFFSET(16) NUMBITS(6) [],
        /// The ASID comes from TTBR1_EL1 (else TTBR0_EL1).
        A1 OFFSET(22) NUMBITS(1) [],
        /// Walks through TTBR1 disabled.
        EPD1 OFFSET(23) NUMBITS(1) [],
        /// Inner cacheability of TTBR1 walks.
        IRGN1 OFFSET(24) NUMBITS(2) [
            NonCacheable = 0,
            WriteBackReadWriteAllocate = 1,
            WriteThrough = 2,
            WriteBackNoWriteAllocate = 3
        ],
        /// Outer cacheability of TTBR1 walks.
        ORGN1 OFFSET(26) NUMBITS(2) [
            NonCacheable = 0,
            WriteBackReadWriteAllocate = 1,
            WriteThrough = 2,
            WriteBackNoWriteAllocate = 3
        ],
        /// Shareability of TTBR1 walks.
        SH1 OFFSET(28) NUMBITS(2) [
            NonShareable = 0,
            OuterShareable = 2,
            InnerShareable = 3
        ],
        /// Granule of the TTBR1 range (0b00 reserved; note the encodings
        /// differ from TG0's).
        TG1 OFFSET(30) NUMBITS(2) [
            KiB_16 = 1,
            KiB_4 = 2,
            KiB_64 = 3
        ],
        /// Intermediate physical address size (the PARange encodings).
        IPS OFFSET(32) NUMBITS(3) [
            Bits_32 = 0,
            Bits_36 = 1,
            Bits_40 = 2,
            Bits_42 = 3,
            Bits_44 = 4,
            Bits_48 = 5,
            Bits_52 = 6
        ],
        /// 16-bit ASIDs (else 8-bit).
        AS OFFSET(36) NUMBITS(1) [],
        /// Top byte ignored in the TTBR0 range.
        TBI0 OFFSET(37) NUMBITS(1) [],
        /// Top byte ignored in the TTBR1 range.
        TBI1 OFFSET(38) NUMBITS(1) [],
        /// Hardware access flag update (FEAT_HAFDBS).
        HA OFFSET(39) NUMBITS(1) [],
        /// Hardware dirty state update (FEAT_HAFDBS).
        HD OFFSET(40) NUMBITS(1) [],
        /// Hierarchical permissions disabled in the TTBR0 range (FEAT_HPDS).
        HPD0 OFFSET(41) NUMBITS(1) [],
        /// Hierarchical permissions disabled in the TTBR1 range.
        HPD1 OFFSET(42) NUMBITS(1) [],
        /// TBI0 applies to data accesses only (FEAT_PAuth).
        TBID0 OFFSET(51) NUMBITS(1) [],
        /// TBI1 applies to data accesses only.
        TBID1 OFFSET(52) NUMBITS(1) [],
        /// EL0 accesses to the TTBR0 range fault (FEAT_E0PD).
        E0PD0 OFFSET(55) NUMBITS(1) [],
        /// EL0 accesses to the TTBR1 range fault.
        E0PD1 OFFSET(56) NUMBITS(1) []
    ],

    /// TTBR0_EL1 / TTBR1_EL1, and VTTBR_EL2 (whose ASID field is the
    /// VMID) and the AArch32 64-bit TTBR0/TTBR1 (whose BADDR is 40 bits).
    pub TTBR [
        /// Common not Private (FEAT_TTCNP).
        CNP OFFSET(0) NUMBITS(1) [],
        /// Table base address bits \[47:1\].
        BADDR OFFSET(1) NUMBITS(47) [],
        /// ASID (VMID for VTTBR_EL2; 8 bits at \[55:48\] in AArch32).
        ASID OFFSET(48) NUMBITS(16) []
    ],

    /// MAIR_EL1, Memory Attribute Indirection Register: eight attribute
    /// bytes that AttrIndx selects.
    pub MAIR_EL1 [
        /// Attribute 0.
        ATTR0 OFFSET(0) NUMBITS(8) [],
        /// Attribute 1.
        ATTR1 OFFSET(8) NUMBITS(8) [],
        /// Attribute 2.
        ATTR2 OFFSET(16) NUMBITS(8) [],
        /// Attribute 3.
        ATTR3 OFFSET(24) NUMBITS(8) [],
        /// Attribute 4.
        ATTR4 OFFSET(32) NUMBITS(8) [],
        /// Attribute 5.
        ATTR5 OFFSET(40) NUMBITS(8) [],
        /// Attribute 6.
        ATTR6 OFFSET(48) NUMBITS(8) [],
        /// Attribute 7.
        ATTR7 OFFSET(56) NUMBITS(8) []
    ],

    /// VTCR_EL2, Virtualization Translation Control Register.
    pub VTCR_EL2 [
        /// Size offset of the IPA space.
        T0SZ OFFSET(0) NUMBITS(6) [],
        /// Starting level of the stage 2 walk (granule dependent).
        SL0 OFFSET(6) NUMBITS(2) [],
        /// Inner cacheability of stage 2 walks.
        IRGN0 OFFSET(8) NUMBITS(2) [
            NonCacheable = 0,
            WriteBackReadWriteAllocate = 1,
            WriteThrough = 2,
            WriteBackNoWriteAllocate = 3
        ],
        /// Outer cacheability of stage 2 walks.
        ORGN0 OFFSET(10) NUMBITS(2) [
            NonCacheable = 0,
            WriteBackReadWriteAllocate = 1,
            WriteThrough = 2,
            WriteBackNoWriteAllocate = 3
        ],
        /// Shareability of stage 2 walks.
        SH0 OFFSET(12) NUMBITS(2) [
            NonShareable = 0,
            OuterShareable = 2,
            InnerShareable = 3
        ],
        /// Granule (TCR_EL1.TG0 encoding).
        TG0 OFFSET(14) NUMBITS(2) [
            KiB_4 = 0,
            KiB_64 = 1,
            KiB_16 = 2
        ],
        /// Physical address size of the stage 2 output.
        PS OFFSET(16) NUMBITS(3) [],
        /// 16-bit VMIDs.
        VS OFFSET(19) NUMBITS(1) [],
        /// Hardware access flag update.
        HA OFFSET(21) NUMBITS(1) [],
        /// Hardware dirty state update.
        HD OFFSET(22) NUMBITS(1) [],
        /// RES1 in ARMv8.0.
        RES1 OFFSET(31) NUMBITS(1) []
    ],

    /// HCR_EL2, Hypervisor Configuration Register (the controls the
    /// models and the kernel's EL2 stub use).
    pub HCR_EL2 [
        /// Stage 2 translation of the EL1&0 regime enabled.
        VM OFFSET(0) NUMBITS(1) [],
        /// Set/way invalidation override.
        SWIO OFFSET(1) NUMBITS(1) [],
        /// Protected table walk: a stage 1 walk hitting Device memory
        /// at stage 2 is a permission fault.
        PTW OFFSET(2) NUMBITS(1) [],
        /// Physical FIQ routing to EL2.
        FMO OFFSET(3) NUMBITS(1) [],
        /// Physical IRQ routing to EL2.
        IMO OFFSET(4) NUMBITS(1) [],
        /// Physical SError routing to EL2.
        AMO OFFSET(5) NUMBITS(1) [],
        /// Default cacheability (stage 1 off treated as Normal WB).
        DC OFFSET(12) NUMBITS(1) [],
        /// Trap WFI.
        TWI OFFSET(13) NUMBITS(1) [],
        /// Trap WFE.
        TWE OFFSET(14) NUMBITS(1) [],
        /// Trap SMC.
        TSC OFFSET(19) NUMBITS(1) [],
        /// Trap writes of the EL1 virtual memory controls.
        TVM OFFSET(26) NUMBITS(1) [],
        /// Trap general exceptions from EL0 to EL2.
        TGE OFFSET(27) NUMBITS(1) [],
        /// Trap reads of the EL1 virtual memory controls.
        TRVM OFFSET(30) NUMBITS(1) [],
        /// EL1 is AArch64.
        RW OFFSET(31) NUMBITS(1) [],
        /// EL2 host (FEAT_VHE).
        E2H OFFSET(34) NUMBITS(1) []
    ],

    /// AArch32 SCTLR, the bits the long-descriptor walk uses.
    pub SCTLR [
        /// The PL1&0 stage 1 MMU enabled.
        M OFFSET(0) NUMBITS(1) [],
        /// Write permission implies execute-never.
        WXN OFFSET(19) NUMBITS(1) [],
        /// Unprivileged write permission implies PL1 execute-never.
        UWXN OFFSET(20) NUMBITS(1) []
    ],

    /// AArch32 TTBCR with EAE set (the long-descriptor format).
    pub TTBCR [
        /// Size offset of the TTBR0 range of the 32-bit input.
        T0SZ OFFSET(0) NUMBITS(3) [],
        /// Walks through TTBR0 disabled.
        EPD0 OFFSET(7) NUMBITS(1) [],
        /// Size offset of the TTBR1 range.
        T1SZ OFFSET(16) NUMBITS(3) [],
        /// The ASID comes from TTBR1.
        A1 OFFSET(22) NUMBITS(1) [],
        /// Walks through TTBR1 disabled.
        EPD1 OFFSET(23) NUMBITS(1) [],
        /// Extended address enable: the long-descriptor format.
        EAE OFFSET(31) NUMBITS(1) []
    ]
}

/// SCTLR_EL1 bits that are RES1 in ARMv8.0 (bits 29, 28, 23, 22, 20 and
/// 11): written as ones by the kernel's boot code and its Rust alike.
pub const SCTLR_EL1_RES1: u64 =
    (1 << 29) | (1 << 28) | (1 << 23) | (1 << 22) | (1 << 20) | (1 << 11);

/// The bits of `field` in place (a mask, or the value of a 1-bit field).
pub const fn bits<R: RegisterLongName>(field: Field<u64, R>) -> u64 {
    field.mask << field.shift
}

/// The bits of TTBRn.BADDR in place: the table address.
pub const TTBR_BADDR_MASK: u64 = bits(TTBR::BADDR);
/// The 40-bit BADDR of the AArch32 long-descriptor TTBRs, in place.
pub const TTBR_LPAE_BADDR_MASK: u64 = TTBR_BADDR_MASK & ((1 << 40) - 1);

/// A TCR_EL1 value.
pub type Tcr = LocalRegisterCopy<u64, TCR_EL1::Register>;
/// An SCTLR_EL1 value.
pub type Sctlr = LocalRegisterCopy<u64, SCTLR_EL1::Register>;
/// A TTBRn_EL1, VTTBR_EL2 or AArch32 TTBRn value.
pub type Ttbr = LocalRegisterCopy<u64, TTBR::Register>;
/// A VTCR_EL2 value.
pub type Vtcr = LocalRegisterCopy<u64, VTCR_EL2::Register>;
/// An HCR_EL2 value.
pub type Hcr = LocalRegisterCopy<u64, HCR_EL2::Register>;
/// An AArch32 SCTLR value.
pub type Sctlr32 = LocalRegisterCopy<u64, SCTLR::Register>;
/// An AArch32 TTBCR value.
pub type Ttbcr = LocalRegisterCopy<u64, TTBCR::Register>;

/// The granule a TCR_EL1.TG0 / VTCR_EL2.TG0 value names (`None`:
/// reserved).
pub const fn tg0_granule(tg0: u64) -> Option<Granule> {
    match tg0 {
        0b00 => Some(Granule::K4),
        0b01 => Some(Granule::K64),
        0b10 => Some(Granule::K16),
        _ => None,
    }
}

/// The granule a TCR_EL1.TG1 value names (`None`: reserved).
pub const fn tg1_granule(tg1: u64) -> Option<Granule> {
    match tg1 {
        0b01 => Some(Granule::K16),
        0b10 => Some(Granule::K4),
        0b11 => Some(Granule::K64),
        _ => None,
    }
}

/// The TG0 field value for `granule`.
pub fn tg0(granule: Granule) -> tock_registers::fields::FieldValue<u64, TCR_EL1::Register> {
    match granule {
        Granule::K4 => TCR_EL1::TG0::KiB_4,
        Granule::K16 => TCR_EL1::TG0::KiB_16,
        Granule::K64 => TCR_EL1::TG0::KiB_64,
    }
}

/// The TG1 field value for `granule`.
pub fn tg1(granule: Granule) -> tock_registers::fields::FieldValue<u64, TCR_EL1::Register> {
    match granule {
        Granule::K4 => TCR_EL1::TG1::KiB_4,
        Granule::K16 => TCR_EL1::TG1::KiB_16,
        Granule::K64 => TCR_EL1::TG1::KiB_64,
    }
}

/// The VTCR_EL2.TG0 field value for `granule`.
pub fn vtcr_tg0(granule: Granule) -> tock_registers::fields::FieldValue<u64, VTCR_EL2::Register> {
    match granule {
        Granule::K4 => VTCR_EL2::TG0::KiB_4,
        Granule::K16 => VTCR_EL2::TG0::KiB_16,
        Granule::K64 => VTCR_EL2::TG0::KiB_64,
    }
}

/// The MAIR attribute byte `index` (0-7) selects.
pub const fn mair_attribute(mair: u64, index: u64) -> u8 {
    (mair >> ((index & 7) * 8)) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcr_fields_sit_where_the_arm_arm_puts_them() {
        // ARM ARM D19.2 TCR_EL1: T0SZ [5:0], TG0 [15:14], T1SZ [21:16],
        // TG1 [31:30], IPS [34:32], HPD1 bit 42, TBID1 bit 52.
        let t = Tcr::new(
            25 | (0b10 << 14) | (33 << 16) | (0b11 << 30) | (0b101 << 32) | (1 << 42) | (1 << 52),
        );
        assert_eq!(t.read(TCR_EL1::T0SZ), 25);
        assert_eq!(tg0_granule(t.read(TCR_EL1::TG0)), Some(Granule::K16));
        assert_eq!(t.read(TCR_EL1::T1SZ), 33);
        assert_eq!(tg1_granule(t.read(TCR_EL1::TG1)), Some(Granule::K64));
        assert_eq!(t.read(TCR_EL1::IPS), 5);
        assert!(t.is_set(TCR_EL1::HPD1) && !t.is_set(TCR_EL1::HPD0));
        assert!(t.is_set(TCR_EL1::TBID1) && !t.is_set(TCR_EL1::TBID0));
    }

    #[test]
    fn tg0_and_tg1_encodings_differ() {
        for g in Granule::ALL {
            let mut t = Tcr::new(0);
            t.modify(tg0(g) + tg1(g));
            assert_eq!(tg0_granule(t.read(TCR_EL1::TG0)), Some(g));
            assert_eq!(tg1_granule(t.read(TCR_EL1::TG1)), Some(g));
        }
        assert_eq!(tg0_granule(0b11), None);
        assert_eq!(tg1_granule(0b00), None);
        // 16K: TG0 0b10, TG1 0b01 (ARM ARM).
        assert_eq!(tg0(Granule::K16).value, 0b10 << 14);
        assert_eq!(tg1(Granule::K16).value, 0b01 << 30);
    }

    #[test]
    fn sctlr_res1_is_armv8_0s() {
        // ARM ARM (ARMv8.0): bits 11, 20, 22, 23, 28, 29 are RES1: 0x30d0_0800.
        assert_eq!(SCTLR_EL1_RES1, 0x30d0_0800);
    }

    #[test]
    fn mair_attributes_by_index() {
        let mair = 0x4400_ff04u64;
        assert_eq!(mair_attribute(mair, 0), 0x04);
        assert_eq!(mair_attribute(mair, 1), 0xff);
        assert_eq!(mair_attribute(mair, 3), 0x44);
        let m = LocalRegisterCopy::<u64, MAIR_EL1::Register>::new(mair);
        assert_eq!(m.read(MAIR_EL1::ATTR1), 0xff);
    }
}
