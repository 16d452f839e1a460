//! One TLB entry: the hot comparators and addend, and the cold facts kept
//! beside it for the slow path and for invalidation.

/// Flag bits kept in the low bits of a comparator. They sit below the
/// smallest page size (1K), so a comparator with any flag set never equals
/// a page-aligned address and the fast path falls through to the slow one.
pub mod flags {
    /// The comparator matches nothing (set on empty entries and on access
    /// kinds the mapping does not permit).
    pub const INVALID: u64 = 1 << 9;
    /// The physical page is a device, nothing at all (every access a bus
    /// error), or ROM (on the write comparator): the access goes to the
    /// memory map.
    pub const MMIO: u64 = 1 << 8;
    /// The physical page is a sub-page (regions smaller than the page, or
    /// a region next to a hole): the memory map dispatches by byte range.
    pub const SUBPAGE: u64 = 1 << 7;
    /// Stores hit translated code: the translator must see them.
    pub const WATCH: u64 = 1 << 6;
    /// The entry serves the access that filled it and is dropped at the
    /// next lookup.
    pub const NOCACHE: u64 = 1 << 5;
    /// The guest page is smaller than the TLB page (4K guest pages on a
    /// 16K or 64K TLB page): the entry is used only for addresses inside
    /// the guest page it records, after a check in the slow path.
    pub const SMALL_PAGE: u64 = 1 << 4;
    /// Every flag.
    pub const ALL: u64 = INVALID | MMIO | SUBPAGE | WATCH | NOCACHE | SMALL_PAGE;
}

/// The comparator of an empty entry.
pub const EMPTY: u64 = u64::MAX;

/// The ASID tag of a global entry (ASIDs are at most 16 bits).
pub const GLOBAL: u32 = u32::MAX;

/// The fast-path part of an entry (QEMU's CPUTLBEntry): one comparator per
/// access kind, holding the page address plus flag bits, and the addend
/// that turns an address in the page into an offset in the RAM arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct TlbEntry {
    /// Comparator for loads.
    pub addr_read: u64,
    /// Comparator for stores.
    pub addr_write: u64,
    /// Comparator for instruction fetches.
    pub addr_code: u64,
    /// `arena offset of the page - page address` (wrapping).
    pub addend: u64,
    /// The entry's ASID, or [`GLOBAL`].
    pub asid: u32,
}

impl TlbEntry {
    /// An entry that matches nothing.
    pub const EMPTY: TlbEntry = TlbEntry {
        addr_read: EMPTY,
        addr_write: EMPTY,
        addr_code: EMPTY,
        addend: 0,
        asid: GLOBAL,
    };

    /// Whether any comparator holds a translation (whatever its flags).
    pub fn is_valid(&self) -> bool {
        [self.addr_read, self.addr_write, self.addr_code]
            .iter()
            .any(|c| c & flags::INVALID == 0)
    }
}

/// The slow-path part of an entry (QEMU's CPUTLBEntryFull).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryInfo {
    /// Input address of the TLB page the entry covers.
    pub page: u64,
    /// First input address of the leaf mapping the entry came from.
    pub map_base: u64,
    /// log2 of that mapping's size.
    pub map_shift: u8,
    /// Output address of `map_base`.
    pub pa_base: u64,
    /// IPA of `map_base` for a combined stage 1+2 entry.
    pub ipa_base: Option<u64>,
    /// The fill's memory attributes (MAIR byte).
    pub mair: u8,
}

impl EntryInfo {
    /// Whether the leaf mapping contains input address `va`.
    pub fn mapping_contains(&self, va: u64) -> bool {
        self.map_base == va & !mask(self.map_shift)
    }
}

/// `2^shift - 1`, saturating at all ones.
pub(crate) fn mask(shift: u8) -> u64 {
    if shift >= 64 {
        u64::MAX
    } else {
        (1u64 << shift) - 1
    }
}

impl Default for EntryInfo {
    fn default() -> Self {
        EntryInfo {
            page: EMPTY,
            map_base: EMPTY,
            map_shift: 0,
            pa_base: 0,
            ipa_base: None,
            mair: 0,
        }
    }
}
