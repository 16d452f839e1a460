//! The emulator's target page size and the policy that settles it once,
//! when the machine is built, and refuses whatever later disagrees with it.
//!
//! The target page size is the unit of the software TLB and of the physical
//! memory map's page table. It is not the guest's translation granule: the
//! guest may use 4K pages while the TLB works in 16K pages (each such TLB
//! page then holds several guest pages and goes through the slow path), or
//! 64K pages while the TLB works in 4K pages (one guest page fills several
//! TLB entries).
//!
//! The policy (QEMU's `minimum_page_bits` / `set_preferred_target_page_bits`
//! idea, made explicit):
//! - the machine states the smallest page size it guarantees to support
//!   ([`MachinePageSizes::minimum`]): its memory map and snapshot format
//!   work for that size and any larger one;
//! - the CPU states the page size it prefers and the set of page sizes its
//!   translation code can work with ([`CpuPageSizes`]);
//! - [`settle`] picks the smallest page size that is at least the machine's
//!   minimum, at least the CPU's preference, and supported by the CPU;
//! - the result, a [`SettledPageSize`], refuses a CPU that does not support
//!   it and a saved state recorded with another size, naming both sizes.

use core::fmt;
use core::str::FromStr;

use crate::granule::Granule;

/// A validated target page size: 1K, 4K, 16K or 64K.
///
/// 1K exists so that tests can exercise target pages smaller than any
/// AArch64 granule (one 4K guest page then spans four TLB pages).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PageSize {
    shift: u8,
}

impl PageSize {
    /// 1KB pages.
    pub const K1: PageSize = PageSize { shift: 10 };
    /// 4KB pages.
    pub const K4: PageSize = PageSize { shift: 12 };
    /// 16KB pages.
    pub const K16: PageSize = PageSize { shift: 14 };
    /// 64KB pages.
    pub const K64: PageSize = PageSize { shift: 16 };
    /// Every page size, smallest first.
    pub const ALL: [PageSize; 4] = [Self::K1, Self::K4, Self::K16, Self::K64];
    /// The smallest page size there is; the TLB's flag bits live below it.
    pub const MIN_SHIFT: u32 = 10;

    /// The page size whose log2 is `shift`, if it is one of the four.
    pub const fn from_shift(shift: u32) -> Result<Self, PageSizeError> {
        match shift {
            10 | 12 | 14 | 16 => Ok(PageSize { shift: shift as u8 }),
            _ => Err(PageSizeError::InvalidShift(shift)),
        }
    }

    /// The page size of `bytes` bytes, if it is one of the four.
    pub const fn from_bytes(bytes: u64) -> Result<Self, PageSizeError> {
        if bytes.is_power_of_two() {
            match Self::from_shift(bytes.trailing_zeros()) {
                Ok(p) => Ok(p),
                Err(_) => Err(PageSizeError::InvalidSize(bytes)),
            }
        } else {
            Err(PageSizeError::InvalidSize(bytes))
        }
    }

    /// The page size equal to a translation granule.
    pub const fn from_granule(granule: Granule) -> Self {
        PageSize {
            shift: granule.shift() as u8,
        }
    }

    /// log2 of the page size.
    pub const fn shift(self) -> u32 {
        self.shift as u32
    }

    /// The page size in bytes.
    pub const fn size(self) -> u64 {
        1 << self.shift
    }

    /// Mask of the offset-within-page bits.
    pub const fn offset_mask(self) -> u64 {
        self.size() - 1
    }

    /// Mask of the page-number bits (the complement of [`Self::offset_mask`]).
    pub const fn page_mask(self) -> u64 {
        !self.offset_mask()
    }

    /// `addr` rounded down to the start of its page.
    pub const fn page_base(self, addr: u64) -> u64 {
        addr & self.page_mask()
    }

    /// The page number of `addr`.
    pub const fn page_number(self, addr: u64) -> u64 {
        addr >> self.shift
    }

    /// The short name used in messages: `1K`, `4K`, `16K` or `64K`.
    pub const fn name(self) -> &'static str {
        match self.shift {
            10 => "1K",
            12 => "4K",
            14 => "16K",
            _ => "64K",
        }
    }
}

impl From<Granule> for PageSize {
    fn from(g: Granule) -> Self {
        PageSize::from_granule(g)
    }
}

impl fmt::Display for PageSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PageSize {
    type Err = PageSizeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "1k" | "1K" => Ok(Self::K1),
            "4k" | "4K" => Ok(Self::K4),
            "16k" | "16K" => Ok(Self::K16),
            "64k" | "64K" => Ok(Self::K64),
            _ => Err(PageSizeError::UnknownName),
        }
    }
}

/// A set of page sizes (what a CPU can work with).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PageSizeSet(u8);

impl PageSizeSet {
    /// No page size at all.
    pub const EMPTY: PageSizeSet = PageSizeSet(0);
    /// All four page sizes.
    pub const ALL: PageSizeSet = PageSizeSet(0b1111);

    const fn bit(p: PageSize) -> u8 {
        1 << ((p.shift - 10) / 2)
    }

    /// The set holding exactly the sizes in `sizes`.
    pub const fn of(sizes: &[PageSize]) -> Self {
        let mut bits = 0;
        let mut i = 0;
        while i < sizes.len() {
            bits |= Self::bit(sizes[i]);
            i += 1;
        }
        PageSizeSet(bits)
    }

    /// This set with `p` added.
    pub const fn with(self, p: PageSize) -> Self {
        PageSizeSet(self.0 | Self::bit(p))
    }

    /// Whether `p` is in the set.
    pub const fn contains(self, p: PageSize) -> bool {
        self.0 & Self::bit(p) != 0
    }

    /// The members, smallest first.
    pub fn iter(self) -> impl Iterator<Item = PageSize> {
        PageSize::ALL.into_iter().filter(move |p| self.contains(*p))
    }
}

impl fmt::Display for PageSizeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, p) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{p}")?;
        }
        f.write_str("}")
    }
}

/// What the machine (board model) says about page sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MachinePageSizes {
    /// The smallest page size the machine guarantees to support.
    pub minimum: PageSize,
}

/// What a CPU model says about page sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuPageSizes {
    /// The page size the CPU prefers (typically its smallest granule).
    pub preferred: PageSize,
    /// Every page size the CPU's translation code can work with.
    pub supported: PageSizeSet,
}

/// Why a page size could not be settled or was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageSizeError {
    /// log2 of a page size that is not 10, 12, 14 or 16.
    InvalidShift(u32),
    /// A byte count that is not 1K, 4K, 16K or 64K.
    InvalidSize(u64),
    /// A name that is not `1k`, `4k`, `16k` or `64k`.
    UnknownName,
    /// The CPU supports no page size at least as large as the machine's
    /// minimum and its own preference.
    NoCommonPageSize {
        /// The machine's minimum.
        machine_minimum: PageSize,
        /// The CPU's preference.
        cpu_preferred: PageSize,
        /// What the CPU supports.
        cpu_supported: PageSizeSet,
    },
    /// A CPU added after the page size was settled cannot work with it.
    CpuIncompatible {
        /// The machine's settled page size.
        settled: PageSize,
        /// The CPU's preferred page size.
        cpu_preferred: PageSize,
        /// What the CPU supports.
        cpu_supported: PageSizeSet,
    },
    /// A saved state was recorded with another page size.
    SavedStateMismatch {
        /// The machine's settled page size.
        settled: PageSize,
        /// The page size the saved state records.
        saved: PageSize,
    },
}

impl fmt::Display for PageSizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PageSizeError::InvalidShift(s) => {
                write!(f, "invalid page size 2^{s} (expected 1K, 4K, 16K or 64K)")
            }
            PageSizeError::InvalidSize(b) => {
                write!(
                    f,
                    "invalid page size {b} bytes (expected 1K, 4K, 16K or 64K)"
                )
            }
            PageSizeError::UnknownName => {
                f.write_str("unknown page size (expected 1k, 4k, 16k or 64k)")
            }
            PageSizeError::NoCommonPageSize {
                machine_minimum,
                cpu_preferred,
                cpu_supported,
            } => write!(
                f,
                "no common page size: the machine needs at least {machine_minimum}, \
                 the CPU prefers {cpu_preferred} and supports {cpu_supported}"
            ),
            PageSizeError::CpuIncompatible {
                settled,
                cpu_preferred,
                cpu_supported,
            } => write!(
                f,
                "CPU refused: the machine's page size is {settled}, the CPU prefers \
                 {cpu_preferred} and supports only {cpu_supported}"
            ),
            PageSizeError::SavedStateMismatch { settled, saved } => write!(
                f,
                "saved state refused: it was recorded with {saved} pages, \
                 this machine uses {settled} pages"
            ),
        }
    }
}

/// The page size a machine settled on when it was built. It never changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettledPageSize {
    page_size: PageSize,
}

/// Settles the page size: the smallest size that is at least the machine's
/// minimum and the CPU's preference and that the CPU supports.
pub fn settle(
    machine: MachinePageSizes,
    cpu: CpuPageSizes,
) -> Result<SettledPageSize, PageSizeError> {
    let floor = machine.minimum.max(cpu.preferred);
    cpu.supported
        .iter()
        .find(|p| *p >= floor)
        .map(|page_size| SettledPageSize { page_size })
        .ok_or(PageSizeError::NoCommonPageSize {
            machine_minimum: machine.minimum,
            cpu_preferred: cpu.preferred,
            cpu_supported: cpu.supported,
        })
}

impl SettledPageSize {
    /// The settled page size.
    pub const fn page_size(self) -> PageSize {
        self.page_size
    }

    /// Accepts a CPU added later if it supports the settled size.
    pub fn admit_cpu(self, cpu: CpuPageSizes) -> Result<(), PageSizeError> {
        if cpu.supported.contains(self.page_size) {
            Ok(())
        } else {
            Err(PageSizeError::CpuIncompatible {
                settled: self.page_size,
                cpu_preferred: cpu.preferred,
                cpu_supported: cpu.supported,
            })
        }
    }

    /// Accepts a saved state only if it was recorded with the settled size.
    pub fn admit_saved_state(self, saved: PageSize) -> Result<(), PageSizeError> {
        if saved == self.page_size {
            Ok(())
        } else {
            Err(PageSizeError::SavedStateMismatch {
                settled: self.page_size,
                saved,
            })
        }
    }
}

impl fmt::Display for SettledPageSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.page_size.fmt(f)
    }
}
