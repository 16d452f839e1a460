//! The record a translation table walk hands to the TLB.
//!
//! The walker (`mmu/`) converts its own result into a [`TlbFill`]: the
//! input and output address of the access, the log2 size of the leaf
//! mapping it came from (a page, a block, or a whole contiguous run when
//! the contiguous bit is set), the guest's granule, the permissions for
//! each exception level and access kind, the ASID (or global), the memory
//! attributes, and flags. The TLB never needs the descriptors themselves.

use core::fmt;

use crate::addr::{IntermPhysAddr, PhysAddr, VirtAddr};
use crate::granule::Granule;

pub use crate::mmu::fault::AccessKind;
pub use crate::mmu::translation::{MemoryAttributes, Permissions, Rwx};

/// Extra facts about a fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct FillFlags {
    /// Use the translation for the access that caused the walk only; the
    /// next access walks again (e.g. tables the walker could not trust).
    pub do_not_cache: bool,
    /// The physical page holds translated code: stores must take the slow
    /// path so the translator can drop it.
    pub watched: bool,
}

/// One leaf translation, as the walker found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlbFill {
    /// The input address that was translated (VA, or IPA for stage 2).
    pub va: VirtAddr,
    /// Its output address.
    pub pa: PhysAddr,
    /// For a combined stage 1+2 translation, the IPA stage 1 produced.
    pub ipa: Option<IntermPhysAddr>,
    /// log2 of the leaf mapping's size: the granule for a page, larger for
    /// a block or a contiguous run. For a combined stage 1+2 translation,
    /// the smaller of the two stages' mapping sizes.
    pub size_log2: u8,
    /// The guest's translation granule.
    pub granule: Granule,
    /// Permissions per exception level and access kind.
    pub perms: Permissions,
    /// The ASID of a non-global mapping (nG = 1); `None` for global ones.
    pub asid: Option<u16>,
    /// Memory attributes.
    pub attrs: MemoryAttributes,
    /// Flags.
    pub flags: FillFlags,
}

impl TlbFill {
    /// First input address of the mapping.
    pub fn map_base(&self) -> u64 {
        self.va.0 & !self.size_mask()
    }

    /// The mapping's offset mask (`size - 1`).
    pub fn size_mask(&self) -> u64 {
        if self.size_log2 >= 64 {
            u64::MAX
        } else {
            (1u64 << self.size_log2) - 1
        }
    }

    /// Checks the record is one a walk can produce.
    pub fn validate(&self) -> Result<(), FillError> {
        if u32::from(self.size_log2) < self.granule.shift() || self.size_log2 > 52 {
            return Err(FillError::BadSize {
                size_log2: self.size_log2,
                granule: self.granule,
            });
        }
        let m = self.size_mask();
        if (self.va.0 ^ self.pa.0) & m != 0
            || self.ipa.is_some_and(|ipa| (ipa.0 ^ self.va.0) & m != 0)
        {
            return Err(FillError::Misaligned {
                va: self.va,
                pa: self.pa,
            });
        }
        Ok(())
    }
}

/// A fill record the TLB refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FillError {
    /// A mapping smaller than the granule or larger than 2^52.
    BadSize {
        /// The claimed log2 size.
        size_log2: u8,
        /// The granule.
        granule: Granule,
    },
    /// Input and output (or intermediate) addresses differ in the bits
    /// below the mapping size.
    Misaligned {
        /// Input address.
        va: VirtAddr,
        /// Output address.
        pa: PhysAddr,
    },
    /// The fill is for another page than the access that asked for it.
    WrongAddress {
        /// The address accessed.
        accessed: VirtAddr,
        /// The address the fill translated.
        filled: VirtAddr,
    },
}

impl fmt::Display for FillError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FillError::BadSize { size_log2, granule } => write!(
                f,
                "TLB fill of a 2^{size_log2}-byte mapping with the {granule} granule"
            ),
            FillError::Misaligned { va, pa } => {
                write!(
                    f,
                    "TLB fill maps {va} to {pa}, offsets within the mapping differ"
                )
            }
            FillError::WrongAddress { accessed, filled } => {
                write!(
                    f,
                    "TLB fill for {filled} does not cover the access at {accessed}"
                )
            }
        }
    }
}
