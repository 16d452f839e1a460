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
//!
//! An access that crosses a guest page is cut at the smaller of the TLB
//! page and the smallest guest page (4K); each piece is translated and
//! permission-checked on its own, and every piece is checked before any is
//! performed, so a store that faults on its second page writes nothing.
//!
//! # PSTATE.PAN: what the CPU must do
//!
//! A walk computes EL1 permissions without PAN ([`Permissions::allows`]
//! applies it per access), but a TLB entry serves every later access to its
//! page: an entry filled by an EL1 fetch would let a later EL1 read through
//! even with PAN set (PAN does not forbid fetches). So the privileged TLBs
//! apply PAN as they fill (with PAN set, a page EL0 can reach gets no read
//! or write comparator), and must be told PAN's value:
//!
//! 1. On every change of PSTATE.PAN (MSR PAN, #imm; exception entry to EL1
//!    with SCTLR_EL1.SPAN = 0; ERET restoring SPSR.PAN) the CPU sets the
//!    walker's `Stage1Regs::pan` and calls [`TlbSet::set_pan`], which
//!    records the new value and drops every EL1 and EL2 entry when it
//!    changed (they were filled under the other value).
//! 2. Unprivileged accesses (EL0, LDTR/STTR) use [`MmuIdx::El0`], whose
//!    entries PAN never affects, so they survive the change.
//!
//! A flush was chosen over a separate MMU index for "EL1 with PAN" (QEMU's
//! way) to keep one TLB per index; it costs a refill of the EL1 TLB each
//! time a guest toggles PAN (Linux does so around every user copy). If that
//! shows in profiles, the alternative is an index `El1Pan` filled with PAN
//! set, selected by the CPU from PSTATE.PAN, with no flush at all.

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
