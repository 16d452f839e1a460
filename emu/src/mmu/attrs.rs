//! Leaf attributes a caller asks the builder for, per stage, and their
//! encoding into descriptor bits (ARM ARM D8.5 and D8.4).

use super::descriptor::*;

/// Number of attribute slots in MAIR_ELx (AttrIndx is 3 bits).
pub const MAIR_SLOTS: u8 = 8;

/// Shareability, the SH\[1:0\] field of a descriptor or PAR_EL1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Shareability {
    /// 0b00: Non-shareable.
    #[default]
    NonShareable,
    /// 0b01: reserved; behaves as one of the others (CONSTRAINED
    /// UNPREDICTABLE). Kept so every encoding round-trips.
    Reserved,
    /// 0b10: Outer Shareable.
    Outer,
    /// 0b11: Inner Shareable.
    Inner,
}

impl Shareability {
    /// The 2-bit field value.
    pub const fn bits(self) -> u64 {
        match self {
            Shareability::NonShareable => 0b00,
            Shareability::Reserved => 0b01,
            Shareability::Outer => 0b10,
            Shareability::Inner => 0b11,
        }
    }

    /// Decode a 2-bit field value (higher bits ignored).
    pub const fn from_bits(bits: u64) -> Self {
        match bits & 0b11 {
            0b00 => Shareability::NonShareable,
            0b01 => Shareability::Reserved,
            0b10 => Shareability::Outer,
            _ => Shareability::Inner,
        }
    }
}

/// Stage 1 AP\[2:1\] for the EL1&0 (two-privilege) regime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum AccessPermissions {
    /// 0b00: EL1 read/write, no EL0 access.
    #[default]
    PrivilegedReadWrite,
    /// 0b01: read/write at EL1 and EL0.
    ReadWrite,
    /// 0b10: EL1 read-only, no EL0 access.
    PrivilegedReadOnly,
    /// 0b11: read-only at EL1 and EL0.
    ReadOnly,
}

impl AccessPermissions {
    /// Every encoding, in AP\[2:1\] order.
    pub const ALL: [AccessPermissions; 4] = [
        AccessPermissions::PrivilegedReadWrite,
        AccessPermissions::ReadWrite,
        AccessPermissions::PrivilegedReadOnly,
        AccessPermissions::ReadOnly,
    ];

    /// The AP\[2:1\] value.
    pub const fn bits(self) -> u64 {
        match self {
            AccessPermissions::PrivilegedReadWrite => 0b00,
            AccessPermissions::ReadWrite => 0b01,
            AccessPermissions::PrivilegedReadOnly => 0b10,
            AccessPermissions::ReadOnly => 0b11,
        }
    }
}

/// Stage 1 leaf attributes (VMSAv8-64 and LPAE long descriptors).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Stage1Attributes {
    /// AttrIndx: which MAIR byte gives the memory type (0..8).
    pub attr_index: u8,
    /// SH.
    pub shareability: Shareability,
    /// AP\[2:1\].
    pub access: AccessPermissions,
    /// UXN: not executable at EL0 (XN in LPAE).
    pub uxn: bool,
    /// PXN: not executable at EL1.
    pub pxn: bool,
    /// nG: the translation belongs to the current ASID only.
    pub not_global: bool,
    /// AF. Clear makes the first access an Access flag fault (unless the
    /// hardware manages it), which the access-flag tests rely on.
    pub access_flag: bool,
    /// Set the contiguous hint on every aligned run of entries that
    /// qualifies (same attributes, physically contiguous, aligned).
    pub contiguous: bool,
}

impl Stage1Attributes {
    /// Normal read/write data at EL1, no execution, AF set, Inner Shareable,
    /// MAIR index `attr_index`: a convenient starting point.
    pub const fn kernel_data(attr_index: u8) -> Self {
        Stage1Attributes {
            attr_index,
            shareability: Shareability::Inner,
            access: AccessPermissions::PrivilegedReadWrite,
            uxn: true,
            pxn: true,
            not_global: false,
            access_flag: true,
            contiguous: false,
        }
    }
}

/// Stage 2 S2AP\[1:0\].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Stage2Access {
    /// 0b00: no access.
    #[default]
    None,
    /// 0b01: read-only.
    ReadOnly,
    /// 0b10: write-only.
    WriteOnly,
    /// 0b11: read/write.
    ReadWrite,
}

impl Stage2Access {
    /// Every encoding, in S2AP order.
    pub const ALL: [Stage2Access; 4] = [
        Stage2Access::None,
        Stage2Access::ReadOnly,
        Stage2Access::WriteOnly,
        Stage2Access::ReadWrite,
    ];

    /// The S2AP value.
    pub const fn bits(self) -> u64 {
        match self {
            Stage2Access::None => 0b00,
            Stage2Access::ReadOnly => 0b01,
            Stage2Access::WriteOnly => 0b10,
            Stage2Access::ReadWrite => 0b11,
        }
    }
}

/// Largest MemAttr value (4 bits).
pub const S2_MEMATTR_MAX: u8 = 0b1111;

/// Stage 2 MemAttr for Normal, Outer and Inner Write-Back Cacheable.
pub const S2_MEMATTR_NORMAL_WB: u8 = 0b1111;

/// Stage 2 MemAttr for Device-nGnRE.
pub const S2_MEMATTR_DEVICE_NGNRE: u8 = 0b0001;

/// Stage 2 leaf attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Stage2Attributes {
    /// MemAttr\[3:0\].
    pub mem_attr: u8,
    /// SH.
    pub shareability: Shareability,
    /// S2AP.
    pub access: Stage2Access,
    /// XN\[1\]: not executable at any EL.
    pub xn: bool,
    /// AF.
    pub access_flag: bool,
    /// Set the contiguous hint on runs that qualify.
    pub contiguous: bool,
}

impl Stage2Attributes {
    /// Normal write-back RAM, read/write/execute, AF set.
    pub const fn normal_ram() -> Self {
        Stage2Attributes {
            mem_attr: S2_MEMATTR_NORMAL_WB,
            shareability: Shareability::Inner,
            access: Stage2Access::ReadWrite,
            xn: false,
            access_flag: true,
            contiguous: false,
        }
    }
}

/// Leaf attributes for either stage; a table accepts only its own stage's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Attributes {
    /// For a stage 1 (or LPAE) table.
    Stage1(Stage1Attributes),
    /// For a stage 2 table.
    Stage2(Stage2Attributes),
}

impl From<Stage1Attributes> for Attributes {
    fn from(a: Stage1Attributes) -> Self {
        Attributes::Stage1(a)
    }
}

impl From<Stage2Attributes> for Attributes {
    fn from(a: Stage2Attributes) -> Self {
        Attributes::Stage2(a)
    }
}

/// An attribute field holds a value its descriptor field cannot encode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttributeOutOfRange;

impl Attributes {
    /// The descriptor bits for these attributes (no type, address or
    /// hardware contiguous bit), or an error for an AttrIndx >= 8 or a
    /// MemAttr > 15.
    pub fn leaf_bits(&self) -> Result<u64, AttributeOutOfRange> {
        let (bits, af, contiguous) = match *self {
            Attributes::Stage1(a) => {
                if a.attr_index >= MAIR_SLOTS {
                    return Err(AttributeOutOfRange);
                }
                let mut bits = (u64::from(a.attr_index) << ATTR_INDX_SHIFT)
                    | (a.access.bits() << AP_SHIFT)
                    | (a.shareability.bits() << SH_SHIFT);
                if a.uxn {
                    bits |= UXN;
                }
                if a.pxn {
                    bits |= PXN;
                }
                if a.not_global {
                    bits |= NG;
                }
                (bits, a.access_flag, a.contiguous)
            }
            Attributes::Stage2(a) => {
                if a.mem_attr > S2_MEMATTR_MAX {
                    return Err(AttributeOutOfRange);
                }
                let mut bits = (u64::from(a.mem_attr) << S2_MEMATTR_SHIFT)
                    | (a.access.bits() << S2AP_SHIFT)
                    | (a.shareability.bits() << SH_SHIFT);
                if a.xn {
                    bits |= S2_XN;
                }
                (bits, a.access_flag, a.contiguous)
            }
        };
        let mut bits = bits;
        if af {
            bits |= AF;
        }
        if contiguous {
            bits |= SW_CONTIGUOUS_REQUESTED;
        }
        Ok(bits)
    }
}

/// The ARM ARM's names: `Non-shareable`, `Outer Shareable`, `Inner
/// Shareable`; the reserved encoding by its bits.
impl core::fmt::Display for Shareability {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Shareability::NonShareable => "Non-shareable",
            Shareability::Reserved => "reserved (0b01)",
            Shareability::Outer => "Outer Shareable",
            Shareability::Inner => "Inner Shareable",
        })
    }
}

#[cfg(test)]
mod display_tests {
    use super::Shareability;
    use alloc::string::ToString;

    #[test]
    fn shareability_names_are_the_arm_arms() {
        assert_eq!(Shareability::NonShareable.to_string(), "Non-shareable");
        assert_eq!(Shareability::Outer.to_string(), "Outer Shareable");
        assert_eq!(Shareability::Inner.to_string(), "Inner Shareable");
    }
}
