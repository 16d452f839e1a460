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

/// The three kinds of access a TLB entry has separate comparators for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessKind {
    /// A data load.
    Read,
    /// A data store.
    Write,
    /// An instruction fetch.
    Fetch,
}

/// Read, write and execute permission for one exception level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct AccessPerms {
    /// Loads allowed.
    pub read: bool,
    /// Stores allowed.
    pub write: bool,
    /// Instruction fetches allowed.
    pub execute: bool,
}

impl AccessPerms {
    /// Nothing allowed.
    pub const NONE: AccessPerms = AccessPerms {
        read: false,
        write: false,
        execute: false,
    };
    /// Read, write and execute.
    pub const RWX: AccessPerms = AccessPerms {
        read: true,
        write: true,
        execute: true,
    };
    /// Read and write, no execute.
    pub const RW: AccessPerms = AccessPerms {
        read: true,
        write: true,
        execute: false,
    };
    /// Read only.
    pub const RO: AccessPerms = AccessPerms {
        read: true,
        write: false,
        execute: false,
    };

    /// Whether `kind` is allowed.
    pub const fn allows(self, kind: AccessKind) -> bool {
        match kind {
            AccessKind::Read => self.read,
            AccessKind::Write => self.write,
            AccessKind::Fetch => self.execute,
        }
    }
}

/// Permissions of a mapping at each exception level of its regime. For
/// the EL2 and stage 2 regimes, which have a single privilege level, `el1`
/// holds the permissions and `el0` is unused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Permissions {
    /// Unprivileged (EL0) permissions.
    pub el0: AccessPerms,
    /// Privileged (EL1, or the regime's only level) permissions.
    pub el1: AccessPerms,
}

/// Memory attributes of a mapping, kept for the CPU (not used by the TLB).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct MemAttrs {
    /// The MAIR_ELx attribute byte the descriptor's AttrIndx selected.
    pub mair: u8,
    /// The SH field (shareability).
    pub shareability: u8,
}

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
    pub attrs: MemAttrs,
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
