//! VMSAv8-64 (and LPAE long-descriptor) translation-table descriptor bits
//! and their classification per level and granule (ARM ARM D8.3).

use super::geometry::{block_allowed, mask, LAST_LEVEL};
use crate::addr::PhysAddr;
use crate::granule::Granule;
use core::fmt;

/// Bit 0: the descriptor is valid.
pub const VALID: u64 = 1 << 0;
/// Bit 1: table (levels 0-2) or page (level 3); clear means block.
pub const TABLE_OR_PAGE: u64 = 1 << 1;
/// The two type bits together.
pub const TYPE_MASK: u64 = VALID | TABLE_OR_PAGE;
/// Type bits of a block descriptor.
pub const TYPE_BLOCK: u64 = VALID;
/// Type bits of a table or page descriptor.
pub const TYPE_TABLE_OR_PAGE: u64 = VALID | TABLE_OR_PAGE;

/// Stage 1 AttrIndx\[2:0\]: index of the attribute byte in MAIR.
pub const ATTR_INDX_SHIFT: u32 = 2;
/// Mask of AttrIndx.
pub const ATTR_INDX_MASK: u64 = 0b111 << ATTR_INDX_SHIFT;
/// Stage 1 NS bit (ignored in the Non-secure EL1&0 regime).
pub const NS: u64 = 1 << 5;
/// Stage 1 AP\[2:1\] (bits 7:6).
pub const AP_SHIFT: u32 = 6;
/// Mask of AP\[2:1\].
pub const AP_MASK: u64 = 0b11 << AP_SHIFT;
/// AP\[1\]: accessible from EL0.
pub const AP_EL0: u64 = 1 << 6;
/// AP\[2\]: read-only.
pub const AP_RO: u64 = 1 << 7;
/// SH\[1:0\] shareability (bits 9:8), both stages.
pub const SH_SHIFT: u32 = 8;
/// Mask of SH.
pub const SH_MASK: u64 = 0b11 << SH_SHIFT;
/// The Access Flag.
pub const AF: u64 = 1 << 10;
/// not-Global: the entry is tagged with the ASID.
pub const NG: u64 = 1 << 11;
/// Dirty Bit Modifier (FEAT_HAFDBS), bit 51.
pub const DBM: u64 = 1 << 51;
/// The Contiguous hint, bit 52.
pub const CONTIGUOUS: u64 = 1 << 52;
/// Stage 1 PXN, bit 53.
pub const PXN: u64 = 1 << 53;
/// Stage 1 UXN (XN in single-range regimes), bit 54.
pub const UXN: u64 = 1 << 54;
/// Bit 55, the first bit the architecture reserves for software. The builder
/// uses it to remember that the caller asked for contiguous runs, so that a
/// split or a later change can set or clear the hardware bit consistently.
pub const SW_CONTIGUOUS_REQUESTED: u64 = 1 << 55;

/// Table descriptor PXNTable, bit 59.
pub const PXN_TABLE: u64 = 1 << 59;
/// Table descriptor UXNTable (XNTable), bit 60.
pub const XN_TABLE: u64 = 1 << 60;
/// Table descriptor APTable\[1:0\] (bits 62:61).
pub const AP_TABLE_SHIFT: u32 = 61;
/// APTable\[0\]: no EL0 access below this table.
pub const AP_TABLE_NO_EL0: u64 = 1 << 61;
/// APTable\[1\]: no write access below this table.
pub const AP_TABLE_RO: u64 = 1 << 62;
/// Table descriptor NSTable, bit 63.
pub const NS_TABLE: u64 = 1 << 63;

/// Stage 2 MemAttr\[3:0\] (bits 5:2).
pub const S2_MEMATTR_SHIFT: u32 = 2;
/// Mask of MemAttr.
pub const S2_MEMATTR_MASK: u64 = 0b1111 << S2_MEMATTR_SHIFT;
/// Stage 2 S2AP\[1:0\] (bits 7:6): bit 6 read, bit 7 write.
pub const S2AP_SHIFT: u32 = 6;
/// S2AP\[0\]: reads allowed.
pub const S2AP_READ: u64 = 1 << 6;
/// S2AP\[1\]: writes allowed.
pub const S2AP_WRITE: u64 = 1 << 7;
/// Stage 2 XN\[1\] (bit 54): no execution at any EL (without FEAT_XNX).
pub const S2_XN: u64 = 1 << 54;

/// The lowest output-address bit a descriptor carries.
const OA_LOW_BIT: u32 = 12;

/// Output-address bits \[47:12\] of a descriptor (48-bit OA formats).
pub const OA_MASK: u64 = mask(48) & !mask(OA_LOW_BIT);

/// Bits of a leaf descriptor that are attributes (everything but the type
/// bits, the output address, and the contiguous hint, which the builder
/// derives from the run a leaf belongs to).
pub const LEAF_ATTR_MASK: u64 = !(TYPE_MASK | OA_MASK | CONTIGUOUS);

/// Bits a leaf descriptor may change on a live table without
/// break-before-make: permissions and the access flag (ARM ARM D8.14.1
/// lists the memory type, shareability, output address, block size,
/// contiguous hint and nG as needing it).
pub const PERMISSION_BITS: u64 = AP_MASK | UXN | PXN | DBM | AF | SW_CONTIGUOUS_REQUESTED;

/// How a descriptor at a given level is interpreted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DescriptorKind {
    /// Bit 0 clear: a translation fault if looked up.
    Invalid,
    /// A pointer to the next-level table.
    Table {
        /// Address of the next-level table.
        next: PhysAddr,
    },
    /// A block (levels 0-2) or page (level 3) mapping.
    Leaf {
        /// The output address of the start of the block or page.
        output: PhysAddr,
    },
    /// A block at a level that does not allow blocks, or the block encoding
    /// at level 3: a translation fault.
    Reserved,
}

/// Classify `descriptor` found at `level` of a `granule` table.
///
/// `oa_mask` selects the output-address bits of the format (48-bit for
/// VMSAv8-64; the LPAE format uses the same bit positions).
pub fn classify(descriptor: u64, granule: Granule, level: u8) -> DescriptorKind {
    let entry_shift = super::geometry::level_shift(granule, level);
    match descriptor & TYPE_MASK {
        TYPE_TABLE_OR_PAGE if level < LAST_LEVEL => DescriptorKind::Table {
            // Table addresses are granule aligned; the bits below are RES0
            // and ignored, as the hardware does.
            next: PhysAddr(descriptor & OA_MASK & !granule.offset_mask()),
        },
        TYPE_TABLE_OR_PAGE => DescriptorKind::Leaf {
            output: PhysAddr(descriptor & OA_MASK & !granule.offset_mask()),
        },
        TYPE_BLOCK if block_allowed(granule, level) => DescriptorKind::Leaf {
            // The bits of a block's OA below the block size are RES0 (or,
            // with FEAT_BBM, nT at bit 16) and play no part in the address.
            output: PhysAddr(descriptor & OA_MASK & !mask(entry_shift)),
        },
        TYPE_BLOCK => DescriptorKind::Reserved,
        _ => DescriptorKind::Invalid,
    }
}

/// Encode a leaf (block or page) descriptor.
pub const fn leaf(level: u8, output: PhysAddr, attributes: u64) -> u64 {
    let kind = if level == LAST_LEVEL {
        TYPE_TABLE_OR_PAGE
    } else {
        TYPE_BLOCK
    };
    (output.0 & OA_MASK) | (attributes & LEAF_ATTR_MASK) | kind
}

/// Encode a table descriptor with no hierarchical attributes.
pub const fn table(next: PhysAddr) -> u64 {
    (next.0 & OA_MASK) | TYPE_TABLE_OR_PAGE
}

/// A descriptor with what it means at its level, for people: the shell's
/// `walk` prints one per step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The raw descriptor.
    pub descriptor: u64,
    /// The granule of its table.
    pub granule: Granule,
    /// The level of its table.
    pub level: u8,
    /// Whether it is a stage-2 descriptor (different attribute fields).
    pub stage2: bool,
}

impl fmt::Display for Decoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.descriptor;
        let flag = |f: &mut fmt::Formatter<'_>, bit: u64, name: &str| {
            if d & bit != 0 {
                write!(f, " {name}")
            } else {
                Ok(())
            }
        };
        match classify(d, self.granule, self.level) {
            DescriptorKind::Invalid => f.write_str("invalid"),
            DescriptorKind::Reserved => write!(f, "reserved (no block at level {})", self.level),
            DescriptorKind::Table { next } => {
                write!(f, "table {next}")?;
                if !self.stage2 {
                    let ap_table = (d >> AP_TABLE_SHIFT) & 0b11;
                    if ap_table != 0 {
                        write!(f, " APTable={ap_table:02b}")?;
                    }
                    flag(f, XN_TABLE, "UXNTable")?;
                    flag(f, PXN_TABLE, "PXNTable")?;
                    flag(f, NS_TABLE, "NSTable")?;
                }
                Ok(())
            }
            DescriptorKind::Leaf { output } => {
                let kind = if self.level == LAST_LEVEL {
                    "page"
                } else {
                    "block"
                };
                write!(f, "{kind} {output}")?;
                let sh = (d & SH_MASK) >> SH_SHIFT;
                if self.stage2 {
                    write!(
                        f,
                        " MemAttr={:04b} S2AP={:02b} SH={sh:02b}",
                        (d & S2_MEMATTR_MASK) >> S2_MEMATTR_SHIFT,
                        (d >> S2AP_SHIFT) & 0b11
                    )?;
                    flag(f, S2_XN, "XN")?;
                } else {
                    write!(
                        f,
                        " AttrIndx={} AP={:02b} SH={sh:02b}",
                        (d & ATTR_INDX_MASK) >> ATTR_INDX_SHIFT,
                        (d & AP_MASK) >> AP_SHIFT
                    )?;
                    flag(f, NG, "nG")?;
                    flag(f, UXN, "UXN")?;
                    flag(f, PXN, "PXN")?;
                    flag(f, DBM, "DBM")?;
                }
                flag(f, AF, "AF")?;
                flag(f, CONTIGUOUS, "Contiguous")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_at_level_3_and_at_level_0_is_reserved() {
        assert_eq!(
            classify(0x4000_0001, Granule::K4, 3),
            DescriptorKind::Reserved
        );
        assert_eq!(classify(0x1, Granule::K4, 0), DescriptorKind::Reserved);
        assert_eq!(classify(0x1, Granule::K16, 1), DescriptorKind::Reserved);
        assert_eq!(classify(0x1, Granule::K64, 1), DescriptorKind::Reserved);
        assert_eq!(
            classify(0x4000_0001, Granule::K4, 1),
            DescriptorKind::Leaf {
                output: PhysAddr(0x4000_0000)
            }
        );
        assert_eq!(classify(0x2, Granule::K4, 1), DescriptorKind::Invalid);
    }

    #[test]
    fn decoded_descriptors_name_their_fields() {
        extern crate alloc;
        use alloc::string::ToString;
        let page = Decoded {
            descriptor: 0x0060_0000_8000_0f4f,
            granule: Granule::K4,
            level: 3,
            stage2: false,
        };
        assert_eq!(
            page.to_string(),
            "page 0x80000000 AttrIndx=3 AP=01 SH=11 nG UXN PXN AF"
        );
        let table = Decoded {
            descriptor: 0x6000_0000_4000_0003,
            granule: Granule::K4,
            level: 1,
            stage2: false,
        };
        assert_eq!(table.to_string(), "table 0x40000000 APTable=11");
        let s2 = Decoded {
            descriptor: 0x0040_0000_4020_04fd,
            granule: Granule::K4,
            level: 2,
            stage2: true,
        };
        assert_eq!(
            s2.to_string(),
            "block 0x40200000 MemAttr=1111 S2AP=11 SH=00 XN AF"
        );
    }
}
