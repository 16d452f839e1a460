//! The result of a successful walk: everything a TLB entry needs.

use super::attrs::Shareability;
use super::fault::{Access, AccessKind, El};
use crate::addr::PhysAddr;
use crate::granule::Granule;

/// Read, write and execute rights at one Exception level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Rwx {
    /// Data reads allowed.
    pub read: bool,
    /// Data writes allowed.
    pub write: bool,
    /// Instruction fetches allowed.
    pub execute: bool,
}

impl Rwx {
    /// Every right.
    pub const ALL: Rwx = Rwx {
        read: true,
        write: true,
        execute: true,
    };

    /// No right at all.
    pub const NONE: Rwx = Rwx {
        read: false,
        write: false,
        execute: false,
    };

    /// Read and write, no execution.
    pub const RW: Rwx = Rwx {
        read: true,
        write: true,
        execute: false,
    };

    /// Read only.
    pub const RO: Rwx = Rwx {
        read: true,
        write: false,
        execute: false,
    };

    /// The rights both `self` and `other` grant.
    pub const fn intersect(self, other: Rwx) -> Rwx {
        Rwx {
            read: self.read && other.read,
            write: self.write && other.write,
            execute: self.execute && other.execute,
        }
    }

    /// Whether `kind` is allowed.
    pub const fn allows(self, kind: AccessKind) -> bool {
        match kind {
            AccessKind::Read => self.read,
            AccessKind::Write => self.write,
            AccessKind::Execute => self.execute,
        }
    }
}

/// The rights of a translation at EL0 and EL1, as the final descriptor and
/// the hierarchical table bits give them (PAN is applied per access, by
/// [`Permissions::allows`], because PSTATE.PAN changes without a TLB flush).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Permissions {
    /// Rights at EL0.
    pub el0: Rwx,
    /// Rights at EL1 (ignoring PAN).
    pub el1: Rwx,
    /// The page is accessible from EL0 (effective AP\[1\]), which is what
    /// PAN tests.
    pub el0_accessible: bool,
}

impl Permissions {
    /// Rights at EL0 and EL1 of a stage 1 leaf; the page counts as
    /// EL0-accessible (AP\[1\] set) when EL0 may read it, which is exactly
    /// when AP\[1\] is set.
    pub const fn from_rights(el0: Rwx, el1: Rwx) -> Self {
        Permissions {
            el0,
            el1,
            el0_accessible: el0.read,
        }
    }

    /// Whether `access` is allowed; `pan` is PSTATE.PAN, which forbids EL1
    /// data accesses to EL0-accessible pages.
    pub const fn allows(&self, access: Access, pan: bool) -> bool {
        match access.el {
            El::El0 => self.el0.allows(access.kind),
            El::El1 => {
                if pan && self.el0_accessible && !matches!(access.kind, AccessKind::Execute) {
                    return false;
                }
                self.el1.allows(access.kind)
            }
        }
    }

    /// The rights both grant (stage 1 combined with stage 2).
    pub const fn intersect(self, other: Permissions) -> Permissions {
        Permissions {
            el0: self.el0.intersect(other.el0),
            el1: self.el1.intersect(other.el1),
            el0_accessible: self.el0_accessible,
        }
    }
}

/// Memory type and shareability of a translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct MemoryAttributes {
    /// The attribute in MAIR encoding (the byte AttrIndx selects; for
    /// stage 2 alone, MemAttr converted; combined for two stages).
    pub mair: u8,
    /// The descriptor's shareability.
    pub shareability: Shareability,
}

/// A MAIR byte is Device memory when its top nibble is zero.
const MAIR_DEVICE_HIGH_NIBBLE: u8 = 0;
/// Inner/Outer Non-cacheable in a MAIR nibble.
const MAIR_NC_NIBBLE: u8 = 0b0100;

impl MemoryAttributes {
    /// Whether the memory is Device memory.
    pub const fn is_device(&self) -> bool {
        self.mair >> 4 == MAIR_DEVICE_HIGH_NIBBLE
    }

    /// Whether the memory is Normal Inner and Outer Non-cacheable.
    pub const fn is_normal_non_cacheable(&self) -> bool {
        self.mair >> 4 == MAIR_NC_NIBBLE && self.mair & 0xf == MAIR_NC_NIBBLE
    }
}

/// A successful translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Translation {
    /// The input address that was translated (VA, or IPA for stage 2 alone).
    pub input: u64,
    /// The output address of `input` (the offset within the page included).
    pub output: PhysAddr,
    /// log2 of the size of the region this translation covers: a page, a
    /// block, or a contiguous run of either. A TLB entry of this size,
    /// aligned, is correct for every address in it.
    pub size_log2: u32,
    /// The granule of the tables that gave the translation (of stage 1 in
    /// a two-stage walk; 4K with the MMU off, whose translations are
    /// reported as 4K pages).
    pub granule: Granule,
    /// The level of the final descriptor (of stage 1 in a two-stage walk).
    pub level: u8,
    /// Whether the final descriptor had the contiguous bit set.
    pub contiguous: bool,
    /// The rights.
    pub permissions: Permissions,
    /// Memory attributes.
    pub attributes: MemoryAttributes,
    /// Whether the entry is global (nG clear); a non-global one belongs to
    /// `asid`.
    pub global: bool,
    /// The ASID of a non-global entry (8 or 16 bits per TCR.AS).
    pub asid: Option<u16>,
}

impl Translation {
    /// The input address of the start of the region (aligned to
    /// `size_log2`).
    pub const fn input_base(&self) -> u64 {
        self.input & !((1u64 << self.size_log2) - 1)
    }

    /// The output address of the start of the region.
    pub const fn output_base(&self) -> PhysAddr {
        PhysAddr(self.output.0 & !((1u64 << self.size_log2) - 1))
    }
}
