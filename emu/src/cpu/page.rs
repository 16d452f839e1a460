//! Where the CPU's TLB takes its page size from: by default a run-time
//! value (the machine's settled page size); built with one of `emu`'s
//! `page-size-1k`/`-4k`/`-16k`/`-64k` features, a compile-time constant.
//! The TLB, the memory fast path and the translator are the same source
//! either way, so `cargo bench -p emu --bench cpu --features page-size-4k`
//! against the default build measures what the variable costs. (With
//! several features, the smallest page wins.)

use super::CpuError;
use crate::pagesize::PageSize;

/// The CPU's page-size source (this build's).
#[cfg(not(any(
    feature = "page-size-1k",
    feature = "page-size-4k",
    feature = "page-size-16k",
    feature = "page-size-64k"
)))]
pub type CpuPageSize = crate::tlb::RuntimePageSize;

/// The CPU's page-size source (this build's).
#[cfg(feature = "page-size-1k")]
pub type CpuPageSize = crate::tlb::ConstPageSize<10>;

/// The CPU's page-size source (this build's).
#[cfg(all(feature = "page-size-4k", not(feature = "page-size-1k")))]
pub type CpuPageSize = crate::tlb::ConstPageSize<12>;

/// The CPU's page-size source (this build's).
#[cfg(all(
    feature = "page-size-16k",
    not(any(feature = "page-size-1k", feature = "page-size-4k"))
))]
pub type CpuPageSize = crate::tlb::ConstPageSize<14>;

/// The CPU's page-size source (this build's).
#[cfg(all(
    feature = "page-size-64k",
    not(any(
        feature = "page-size-1k",
        feature = "page-size-4k",
        feature = "page-size-16k"
    ))
))]
pub type CpuPageSize = crate::tlb::ConstPageSize<16>;

/// The page size this build fixes, if any.
pub fn fixed_page_size() -> Option<PageSize> {
    fixed()
}

#[cfg(not(any(
    feature = "page-size-1k",
    feature = "page-size-4k",
    feature = "page-size-16k",
    feature = "page-size-64k"
)))]
fn fixed() -> Option<PageSize> {
    None
}

#[cfg(any(
    feature = "page-size-1k",
    feature = "page-size-4k",
    feature = "page-size-16k",
    feature = "page-size-64k"
))]
fn fixed() -> Option<PageSize> {
    use crate::tlb::PageSizeSource;
    Some(CpuPageSize::new().page_size())
}

/// The source for a CPU configured with `page`; a build with a fixed page
/// size refuses any other.
pub(crate) fn source(page: PageSize) -> Result<CpuPageSize, CpuError> {
    match fixed() {
        None => Ok(make(page)),
        Some(built) if built == page => Ok(make(page)),
        Some(built) => Err(CpuError::PageSizeFixed { built, asked: page }),
    }
}

#[cfg(not(any(
    feature = "page-size-1k",
    feature = "page-size-4k",
    feature = "page-size-16k",
    feature = "page-size-64k"
)))]
fn make(page: PageSize) -> CpuPageSize {
    crate::tlb::RuntimePageSize(page)
}

#[cfg(any(
    feature = "page-size-1k",
    feature = "page-size-4k",
    feature = "page-size-16k",
    feature = "page-size-64k"
))]
fn make(_: PageSize) -> CpuPageSize {
    CpuPageSize::new()
}
