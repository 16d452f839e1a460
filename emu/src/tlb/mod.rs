//! The software TLB: one direct-mapped table per MMU index, QEMU-style
//! comparators and addends, precise invalidation of large mappings, small
//! guest pages kept off the fast path, and the access path built on it.
//!
//! How sizes relate. Three sizes meet here: the TLB page (the machine's
//! settled [`PageSize`](crate::pagesize::PageSize), the unit of indexing),
//! the guest page (the granule of the guest's tables) and the leaf mapping
//! (a page, a block, or a contiguous run).
//! - Mapping = TLB page: one entry, the ordinary case.
//! - Mapping larger than the TLB page: only the touched TLB page is
//!   filled; the mapping is tracked in a small per-TLB table with the set
//!   of slots it filled, so invalidating any address inside it drops
//!   exactly those slots.
//! - Mapping smaller than the TLB page (4K guest pages on a 16K or 64K
//!   TLB page): the entry is flagged [`entry::flags::SMALL_PAGE`], so the
//!   fast path never uses it; the slow path uses it only for addresses in
//!   the guest page it records and walks again for the others.

pub mod direct;
pub mod entry;
pub mod fill;
mod large;
pub mod page_source;
pub mod set;
pub mod softmmu;
pub mod stats;
pub mod walker;

pub use crate::mmu::MmuIdx;
pub use direct::{AsidMatch, LevelScope, Tlb, TlbError, TlbLookup, LARGE_MAPPINGS};
pub use entry::{EntryInfo, TlbEntry};
pub use fill::{AccessKind, FillError, FillFlags, MemoryAttributes, Permissions, Rwx, TlbFill};
pub use page_source::{ConstPageSize, PageSizeSource, RuntimePageSize};
pub use set::TlbSet;
pub use softmmu::{MemoryFault, MissHandler};
pub use stats::TlbStats;
pub use walker::{Stage1Walker, WalkerError};
