//! Regions of the guest physical address space and the errors adding one
//! can raise.

use alloc::boxed::Box;
use alloc::string::String;
use core::fmt;

use super::device::Device;
use crate::addr::PhysAddr;

/// Physical addresses are below 2^48 (the largest PARange without
/// FEAT_LPA); regions must fit below this limit.
pub const PA_BITS: u32 = 48;

/// Identifies a region within its memory map (its insertion index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionId(pub u32);

/// What backs a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind {
    /// Read/write memory.
    Ram,
    /// Read-only memory: guest writes are ignored, as on QEMU's ROM regions.
    Rom,
    /// A device: every access is dispatched to it.
    Mmio,
}

impl fmt::Display for RegionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            RegionKind::Ram => "ram",
            RegionKind::Rom => "rom",
            RegionKind::Mmio => "mmio",
        })
    }
}

/// Public facts about a region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionInfo {
    /// Its id.
    pub id: RegionId,
    /// Its name (for messages and snapshots).
    pub name: String,
    /// Its first byte.
    pub base: PhysAddr,
    /// Its size in bytes (not zero).
    pub size: u64,
    /// Where regions overlap, the higher priority wins; on a tie, the one
    /// added later wins.
    pub priority: i32,
    /// What backs it.
    pub kind: RegionKind,
}

/// What stands behind a region.
pub(crate) enum Backing {
    /// RAM or ROM bytes at `arena..arena + size` of the map's RAM arena.
    Memory { arena: u64, writable: bool },
    /// A device.
    Device(Box<dyn Device>),
}

/// A region as the map stores it.
pub(crate) struct Region {
    pub(crate) info: RegionInfo,
    pub(crate) backing: Backing,
}

impl Region {
    /// One past the last byte.
    pub(crate) fn end(&self) -> u64 {
        self.info.base.0 + self.info.size
    }
}

/// Why a region could not be added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegionError {
    /// A region of zero bytes.
    EmptyRegion {
        /// The region's name.
        name: String,
    },
    /// A region reaching beyond the physical address limit (2^48).
    OutOfRange {
        /// The region's name.
        name: String,
        /// Its base.
        base: PhysAddr,
        /// Its size.
        size: u64,
    },
    /// The RAM arena would exceed the host's address space.
    TooMuchMemory {
        /// The region's name.
        name: String,
    },
    /// More regions than a map can hold (2^32).
    TooManyRegions,
}

impl fmt::Display for RegionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegionError::EmptyRegion { name } => write!(f, "region {name} has size zero"),
            RegionError::OutOfRange { name, base, size } => write!(
                f,
                "region {name} at {base} of {size:#x} bytes ends beyond 2^{PA_BITS}"
            ),
            RegionError::TooMuchMemory { name } => {
                write!(
                    f,
                    "region {name}: RAM does not fit in the host address space"
                )
            }
            RegionError::TooManyRegions => f.write_str("too many regions"),
        }
    }
}
