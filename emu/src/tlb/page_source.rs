//! Where the TLB gets its page size: a compile-time constant or a run-time
//! value. The TLB is generic over this, so the very same code can be
//! monomorphised both ways and the cost of a variable page size measured.

use crate::pagesize::PageSize;

/// Supplies the TLB's page size.
pub trait PageSizeSource: Copy {
    /// The page size.
    fn page_size(self) -> PageSize;

    /// log2 of the page size.
    #[inline(always)]
    fn shift(self) -> u32 {
        self.page_size().shift()
    }

    /// Mask of the page-number bits.
    #[inline(always)]
    fn page_mask(self) -> u64 {
        self.page_size().page_mask()
    }
}

/// A page size fixed at compile time (`SHIFT` = 10, 12, 14 or 16; any
/// other value fails to compile).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConstPageSize<const SHIFT: u32>;

impl<const SHIFT: u32> ConstPageSize<SHIFT> {
    const PAGE: PageSize = match PageSize::from_shift(SHIFT) {
        Ok(p) => p,
        Err(_) => panic!("ConstPageSize: SHIFT must be 10, 12, 14 or 16"),
    };

    /// The source (checks `SHIFT` at compile time).
    pub const fn new() -> Self {
        let _ = Self::PAGE;
        ConstPageSize
    }
}

impl<const SHIFT: u32> PageSizeSource for ConstPageSize<SHIFT> {
    #[inline(always)]
    fn page_size(self) -> PageSize {
        Self::PAGE
    }
}

/// A page size chosen at run time (when the machine is built).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuntimePageSize(pub PageSize);

impl PageSizeSource for RuntimePageSize {
    #[inline(always)]
    fn page_size(self) -> PageSize {
        self.0
    }
}
