//! The translation-table builder: map, unmap and re-protect ranges of a
//! stage-1, stage-2 or LPAE table set, with the largest blocks that fit,
//! splitting and merging blocks, and break-before-make on live tables.
//!
//! It never allocates from the Rust heap: tables come from [`TableMemory`],
//! and the bookkeeping lives on the stack (the recursion is at most four
//! levels deep), so the kernel can run it with the MMU off.

use super::attrs::{AttributeOutOfRange, Attributes};
use super::config::{InputRange, Stage, TableConfig};
use super::descriptor::{
    self, classify, DescriptorKind, CONTIGUOUS, LEAF_ATTR_MASK, PERMISSION_BITS,
    SW_CONTIGUOUS_REQUESTED,
};
use super::geometry::{
    block_allowed, contiguous_entries_log2, leaf_allowed, mask, Geometry, DESCRIPTOR_BYTES,
    LAST_LEVEL,
};
use super::memory::TableMemory;
use crate::addr::PhysAddr;
use core::fmt;

/// Why a builder operation was refused. Unless stated otherwise, a refused
/// operation has changed nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// An input address, output address or length is not a multiple of the
    /// granule.
    Misaligned {
        /// The offending value.
        value: u64,
    },
    /// The input range does not lie inside the table set's input range.
    InputOutOfRange {
        /// The start of the requested range.
        address: u64,
    },
    /// The output range does not fit the output size.
    OutputOutOfRange {
        /// The start of the requested output range.
        address: u64,
    },
    /// `map` found part of the range already mapped. Use `remap` to replace
    /// a mapping, or `unmap` first.
    AlreadyMapped {
        /// The first mapped input address found.
        address: u64,
    },
    /// The change would replace a valid descriptor by a different valid one
    /// (other than a permission change) on a live table. Unmap, invalidate
    /// the TLB, then map.
    BreakBeforeMake {
        /// The input address of the descriptor concerned.
        address: u64,
    },
    /// Table memory ran out. `map` undoes what it did, so every mapping is
    /// as before (a live table keeps the tables it added, empty, until
    /// `destroy`); `unmap` and `protect` reserve their tables up front and
    /// change nothing; `remap` may leave the range unmapped.
    OutOfMemory,
    /// The attributes are for the other stage.
    WrongStage,
    /// An attribute field is out of range (AttrIndx >= 8, MemAttr > 15).
    AttributeOutOfRange,
    /// A descriptor in the table has an encoding the builder never writes
    /// (a block where blocks are not allowed): someone else edited it.
    CorruptTable {
        /// The input address of the descriptor concerned.
        address: u64,
    },
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapError::Misaligned { value } => write!(f, "{value:#x} is not granule aligned"),
            MapError::InputOutOfRange { address } => {
                write!(
                    f,
                    "input range at {address:#x} is outside the table's range"
                )
            }
            MapError::OutputOutOfRange { address } => {
                write!(f, "output range at {address:#x} exceeds the output size")
            }
            MapError::AlreadyMapped { address } => write!(f, "{address:#x} is already mapped"),
            MapError::BreakBeforeMake { address } => write!(
                f,
                "changing the live mapping at {address:#x} needs break-before-make"
            ),
            MapError::OutOfMemory => f.write_str("out of translation-table memory"),
            MapError::WrongStage => f.write_str("attributes are for the other stage"),
            MapError::AttributeOutOfRange => f.write_str("attribute field out of range"),
            MapError::CorruptTable { address } => {
                write!(f, "unexpected descriptor encoding for {address:#x}")
            }
        }
    }
}

impl core::error::Error for MapError {}

impl From<AttributeOutOfRange> for MapError {
    fn from(_: AttributeOutOfRange) -> Self {
        MapError::AttributeOutOfRange
    }
}

/// Most tables one `unmap`/`protect` can need: the two ends of the range
/// may each split one block per level below the root.
const MAX_RESERVED_TABLES: usize = 2 * LAST_LEVEL as usize;

/// Tables allocated before an operation starts, so that it cannot run out
/// of memory half way.
struct Reserve {
    tables: [PhysAddr; MAX_RESERVED_TABLES],
    len: usize,
    bytes: usize,
}

impl Reserve {
    const fn empty(bytes: usize) -> Self {
        Reserve {
            tables: [PhysAddr(0); MAX_RESERVED_TABLES],
            len: 0,
            bytes,
        }
    }

    fn fill<M: TableMemory + ?Sized>(
        mem: &mut M,
        count: usize,
        bytes: usize,
    ) -> Result<Self, MapError> {
        let mut reserve = Reserve::empty(bytes);
        if count > MAX_RESERVED_TABLES {
            // Two boundaries split at most one block per level each; more
            // means the table is not one the builder made.
            return Err(MapError::CorruptTable { address: 0 });
        }
        for _ in 0..count {
            match mem.allocate_table(bytes) {
                Some(table) => {
                    reserve.tables[reserve.len] = table;
                    reserve.len += 1;
                }
                None => {
                    reserve.release(mem);
                    return Err(MapError::OutOfMemory);
                }
            }
        }
        Ok(reserve)
    }

    fn take(&mut self) -> Option<PhysAddr> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        Some(self.tables[self.len])
    }

    fn release<M: TableMemory + ?Sized>(&mut self, mem: &mut M) {
        while let Some(table) = self.take() {
            mem.free_table(table, self.bytes);
        }
    }
}

/// One set of translation tables (the tables under one TTBR or VTTBR).
///
/// The caller owns the table memory and passes it to every operation;
/// [`PageTable::destroy`] gives every table back.
#[derive(Debug)]
pub struct PageTable {
    config: TableConfig,
    root: PhysAddr,
    live: bool,
}

/// The input-address window of one operation, as offsets inside the table
/// set's range.
#[derive(Clone, Copy)]
struct Window {
    start: u64,
    end: u64,
}

impl PageTable {
    /// Allocate an empty root table for `config`.
    pub fn new<M: TableMemory + ?Sized>(
        config: TableConfig,
        mem: &mut M,
    ) -> Result<Self, MapError> {
        let root = mem
            .allocate_table(config.root_bytes() as usize)
            .ok_or(MapError::OutOfMemory)?;
        Ok(PageTable {
            config,
            root,
            live: false,
        })
    }

    /// The root table's address, for TTBRn / VTTBR BADDR.
    pub const fn root(&self) -> PhysAddr {
        self.root
    }

    /// The configuration the tables were built for.
    pub const fn config(&self) -> &TableConfig {
        &self.config
    }

    /// Whether the hardware may be walking these tables.
    pub const fn is_live(&self) -> bool {
        self.live
    }

    /// Declare whether the hardware may be walking these tables. While live,
    /// the builder refuses changes that need break-before-make, never
    /// merges, and keeps tables that become empty (the hardware or its walk
    /// caches may still use them) until [`PageTable::destroy`]. Outside the
    /// crate only [`super::TableSet`]'s activation changes it.
    pub(crate) fn set_live(&mut self, live: bool) {
        self.live = live;
    }

    /// Give every table back to `mem`.
    pub fn destroy<M: TableMemory + ?Sized>(self, mem: &mut M) {
        let geometry = self.config.geometry();
        self.free_level(mem, geometry.start_level, self.root);
        mem.free_table(self.root, self.config.root_bytes() as usize);
    }

    /// Map `len` bytes at input address `input` (VA or IPA) to `output`,
    /// with the largest blocks that alignment allows.
    ///
    /// The whole range must be unmapped: if any part is mapped, nothing is
    /// changed and [`MapError::AlreadyMapped`] is returned (even for an
    /// identical mapping, so that the undo on [`MapError::OutOfMemory`] is
    /// exact). Use [`PageTable::remap`] to replace mappings.
    pub fn map<M: TableMemory + ?Sized>(
        &mut self,
        mem: &mut M,
        input: u64,
        output: PhysAddr,
        len: u64,
        attrs: impl Into<Attributes>,
    ) -> Result<(), MapError> {
        let bits = self.leaf_bits(attrs.into())?;
        let window = self.window(input, len)?;
        self.check_output(output, len)?;
        if len == 0 {
            return Ok(());
        }
        let g = self.config.geometry();
        self.check_unmapped(mem, g.start_level, self.root, 0, window)?;
        let mut progress = window.start;
        let result = self.map_level(
            mem,
            g.start_level,
            self.root,
            0,
            window,
            output,
            bits,
            &mut progress,
        );
        if result.is_err() && progress > window.start {
            // Undo: every leaf written so far lies in [start, progress) and
            // was written by this call, so unmapping it splits nothing.
            let undo = Window {
                start: window.start,
                end: progress,
            };
            let mut none = Reserve::empty(g.granule.size() as usize);
            let _ = self.unmap_level(mem, g.start_level, self.root, 0, undo, &mut none);
        }
        result
    }

    /// Replace whatever is mapped in the range by a new mapping. On a live
    /// table this is refused with [`MapError::BreakBeforeMake`] if anything
    /// in the range is mapped. If memory runs out while mapping, the range
    /// is left unmapped.
    pub fn remap<M: TableMemory + ?Sized>(
        &mut self,
        mem: &mut M,
        input: u64,
        output: PhysAddr,
        len: u64,
        attrs: impl Into<Attributes>,
    ) -> Result<(), MapError> {
        let attrs = attrs.into();
        self.leaf_bits(attrs)?;
        let window = self.window(input, len)?;
        self.check_output(output, len)?;
        let g = self.config.geometry();
        if let Err(MapError::AlreadyMapped { address }) =
            self.check_unmapped(mem, g.start_level, self.root, 0, window)
        {
            if self.live {
                return Err(MapError::BreakBeforeMake { address });
            }
            self.unmap(mem, input, len)?;
        }
        self.map(mem, input, output, len, attrs)
    }

    /// Unmap `len` bytes at `input`. Holes in the range are fine. Blocks
    /// that straddle an end of the range are split first.
    pub fn unmap<M: TableMemory + ?Sized>(
        &mut self,
        mem: &mut M,
        input: u64,
        len: u64,
    ) -> Result<(), MapError> {
        let window = self.window(input, len)?;
        if len == 0 {
            return Ok(());
        }
        let g = self.config.geometry();
        let needed = self.plan(mem, g.start_level, self.root, 0, window, None)?;
        let mut reserve = Reserve::fill(mem, needed, g.granule.size() as usize)?;
        let result = self.unmap_level(mem, g.start_level, self.root, 0, window, &mut reserve);
        reserve.release(mem);
        result
    }

    /// Give every mapped page in the range the attributes `attrs`, keeping
    /// its output address. Holes in the range stay unmapped. On a live table
    /// only permission and access-flag changes are allowed.
    pub fn protect<M: TableMemory + ?Sized>(
        &mut self,
        mem: &mut M,
        input: u64,
        len: u64,
        attrs: impl Into<Attributes>,
    ) -> Result<(), MapError> {
        let bits = self.leaf_bits(attrs.into())?;
        let window = self.window(input, len)?;
        if len == 0 {
            return Ok(());
        }
        let g = self.config.geometry();
        let needed = self.plan(mem, g.start_level, self.root, 0, window, Some(bits))?;
        let mut reserve = Reserve::fill(mem, needed, g.granule.size() as usize)?;
        let result =
            self.protect_level(mem, g.start_level, self.root, 0, window, bits, &mut reserve);
        reserve.release(mem);
        result
    }

    // ----- argument checks -------------------------------------------------

    fn leaf_bits(&self, attrs: Attributes) -> Result<u64, MapError> {
        match (self.config.stage(), attrs) {
            (Stage::Stage1, Attributes::Stage1(_)) | (Stage::Stage2, Attributes::Stage2(_)) => {
                Ok(attrs.leaf_bits()?)
            }
            _ => Err(MapError::WrongStage),
        }
    }

    /// Check alignment and range of an input range and turn it into offsets
    /// within the table set's range.
    fn window(&self, input: u64, len: u64) -> Result<Window, MapError> {
        let granule = self.config.granule();
        for value in [input, len] {
            if value & granule.offset_mask() != 0 {
                return Err(MapError::Misaligned { value });
            }
        }
        let size = 1u64 << self.config.input_bits();
        let out_of_range = MapError::InputOutOfRange { address: input };
        let start = match self.config.range() {
            InputRange::Lower => input,
            InputRange::Upper => {
                // The top range ends at the top of the input space: 2^64 for
                // VMSAv8-64, 2^32 for LPAE.
                let top_bits = self.config.address_space_bits();
                let base = mask(top_bits) - (size - 1);
                if input < base || input > mask(top_bits) {
                    return Err(out_of_range);
                }
                input - base
            }
        };
        match start.checked_add(len) {
            Some(end) if end <= size => Ok(Window { start, end }),
            _ => Err(out_of_range),
        }
    }

    fn check_output(&self, output: PhysAddr, len: u64) -> Result<(), MapError> {
        if !output.is_aligned(self.config.granule().size()) {
            return Err(MapError::Misaligned { value: output.0 });
        }
        match output.0.checked_add(len) {
            Some(end) if end <= 1u64 << self.config.output_bits() => Ok(()),
            _ => Err(MapError::OutputOutOfRange { address: output.0 }),
        }
    }

    // ----- helpers ---------------------------------------------------------

    fn geometry(&self) -> Geometry {
        self.config.geometry()
    }

    /// The input address (as the caller sees it) of an offset, for errors.
    fn address_of(&self, offset: u64) -> u64 {
        match self.config.range() {
            InputRange::Lower => offset,
            InputRange::Upper => {
                let top_bits = self.config.address_space_bits();
                (mask(top_bits) - mask(self.config.input_bits())) | offset
            }
        }
    }

    /// The indices of `table` (at `level`, covering input from `base`) that
    /// the window touches.
    fn index_range(&self, level: u8, base: u64, w: Window) -> (usize, usize) {
        let shift = self.geometry().level_shift(level);
        (
            ((w.start - base) >> shift) as usize,
            ((w.end - 1 - base) >> shift) as usize,
        )
    }

    fn slot(table: PhysAddr, index: usize) -> PhysAddr {
        table.add(index as u64 * DESCRIPTOR_BYTES)
    }

    fn table_bytes(&self, level: u8) -> usize {
        if level == self.geometry().start_level {
            self.config.root_bytes() as usize
        } else {
            self.config.granule().size() as usize
        }
    }

    /// Entries `[first, last]` of a window, with the part of the window each
    /// covers: `(index, entry base, clipped window)`.
    fn entries(
        &self,
        level: u8,
        base: u64,
        w: Window,
    ) -> impl Iterator<Item = (usize, u64, Window)> {
        let span = self.geometry().entry_span(level);
        let (first, last) = self.index_range(level, base, w);
        (first..=last).map(move |index| {
            let entry_base = base + index as u64 * span;
            let clipped = Window {
                start: w.start.max(entry_base),
                end: w.end.min(entry_base + span),
            };
            (index, entry_base, clipped)
        })
    }

    fn free_level<M: TableMemory + ?Sized>(&self, mem: &mut M, level: u8, table: PhysAddr) {
        if level == LAST_LEVEL {
            return;
        }
        let g = self.geometry();
        for index in 0..g.entries(level) {
            let d = mem.read_descriptor(Self::slot(table, index));
            if let DescriptorKind::Table { next } = classify(d, g.granule, level) {
                self.free_level(mem, level + 1, next);
                mem.free_table(next, self.table_bytes(level + 1));
            }
        }
    }

    /// A table reproducing the leaf `d` of `level` exactly, one level down.
    fn split_into<M: TableMemory + ?Sized>(
        &self,
        mem: &mut M,
        level: u8,
        d: u64,
        output: PhysAddr,
        table: PhysAddr,
    ) {
        let g = self.geometry();
        let child = level + 1;
        let span = g.entry_span(child);
        let mut attrs = d & LEAF_ATTR_MASK;
        // A block is always aligned to more than a contiguous run of its
        // children, so every run qualifies if the caller asked for runs.
        if d & SW_CONTIGUOUS_REQUESTED != 0 {
            attrs |= CONTIGUOUS;
        }
        for index in 0..g.entries(child) {
            let oa = output.add(index as u64 * span);
            let mut entry = descriptor::leaf(child, oa, attrs);
            entry |= attrs & CONTIGUOUS;
            mem.write_descriptor(Self::slot(table, index), entry);
        }
    }

    /// Whether the contiguous run containing entry `index` lies wholly in
    /// the window.
    fn run_inside(&self, level: u8, base: u64, index: usize, w: Window) -> bool {
        let g = self.geometry();
        let run = 1u64 << contiguous_entries_log2(g.granule, level);
        let first = index as u64 & !(run - 1);
        let start = base + first * g.entry_span(level);
        let end = start + run * g.entry_span(level);
        start >= w.start && end <= w.end
    }

    /// Set or clear the contiguous bit on the aligned run of entries that
    /// contains `index`, so that it is set exactly when the whole run
    /// qualifies (ARM ARM D8.6.1): all valid leaves with identical
    /// attributes, consecutive output addresses, aligned to the run.
    fn normalize_run<M: TableMemory + ?Sized>(
        &self,
        mem: &mut M,
        level: u8,
        table: PhysAddr,
        index: usize,
    ) {
        let g = self.geometry();
        let run = 1usize << contiguous_entries_log2(g.granule, level);
        if !leaf_allowed(g.granule, level) || run > g.entries(level) {
            return;
        }
        let first = index & !(run - 1);
        let span = g.entry_span(level);
        let head = mem.read_descriptor(Self::slot(table, first));
        let mut qualifies = false;
        if let DescriptorKind::Leaf { output } = classify(head, g.granule, level) {
            let attrs = head & LEAF_ATTR_MASK;
            qualifies =
                attrs & SW_CONTIGUOUS_REQUESTED != 0 && output.is_aligned(span * run as u64);
            for i in 1..run {
                if !qualifies {
                    break;
                }
                let d = mem.read_descriptor(Self::slot(table, first + i));
                qualifies = d & LEAF_ATTR_MASK == attrs
                    && classify(d, g.granule, level)
                        == (DescriptorKind::Leaf {
                            output: output.add(i as u64 * span),
                        });
            }
        }
        for i in 0..run {
            let slot = Self::slot(table, first + i);
            let d = mem.read_descriptor(slot);
            if d & descriptor::VALID == 0 {
                continue;
            }
            let wanted = if qualifies {
                d | CONTIGUOUS
            } else {
                d & !CONTIGUOUS
            };
            if wanted != d {
                mem.write_descriptor(slot, wanted);
            }
        }
    }

    /// Normalize every run touched by entries `[first, last]`.
    fn normalize_runs<M: TableMemory + ?Sized>(
        &self,
        mem: &mut M,
        level: u8,
        table: PhysAddr,
        base: u64,
        w: Window,
    ) {
        let g = self.geometry();
        if self.live || !leaf_allowed(g.granule, level) {
            return;
        }
        let run = 1usize << contiguous_entries_log2(g.granule, level);
        let (first, last) = self.index_range(level, base, w);
        let mut index = first & !(run - 1);
        while index <= last {
            self.normalize_run(mem, level, table, index);
            index += run;
        }
    }

    /// Replace the table under the entry at `slot` (of `level`) by a block or
    /// by nothing when all its entries allow it; never on a live table.
    fn try_collapse<M: TableMemory + ?Sized>(
        &self,
        mem: &mut M,
        level: u8,
        slot: PhysAddr,
        table: PhysAddr,
    ) {
        if self.live {
            return;
        }
        let g = self.geometry();
        let child = level + 1;
        let span = g.entry_span(child);
        let head = mem.read_descriptor(table);
        let replacement = match classify(head, g.granule, child) {
            DescriptorKind::Invalid => {
                for index in 1..g.entries(child) {
                    if mem.read_descriptor(Self::slot(table, index)) & descriptor::VALID != 0 {
                        return;
                    }
                }
                0
            }
            DescriptorKind::Leaf { output } => {
                if !block_allowed(g.granule, level) || !output.is_aligned(g.entry_span(level)) {
                    return;
                }
                let attrs = head & LEAF_ATTR_MASK;
                for index in 1..g.entries(child) {
                    let d = mem.read_descriptor(Self::slot(table, index));
                    let expected = DescriptorKind::Leaf {
                        output: output.add(index as u64 * span),
                    };
                    if d & LEAF_ATTR_MASK != attrs || classify(d, g.granule, child) != expected {
                        return;
                    }
                }
                descriptor::leaf(level, output, attrs)
            }
            _ => return,
        };
        mem.write_descriptor(slot, replacement);
        mem.free_table(table, self.table_bytes(child));
    }

    // ----- the recursive walks ---------------------------------------------

    /// Fail with `AlreadyMapped` if anything in the window is mapped.
    fn check_unmapped<M: TableMemory + ?Sized>(
        &self,
        mem: &mut M,
        level: u8,
        table: PhysAddr,
        base: u64,
        w: Window,
    ) -> Result<(), MapError> {
        let g = self.geometry();
        for (index, entry_base, clipped) in self.entries(level, base, w) {
            let d = mem.read_descriptor(Self::slot(table, index));
            match classify(d, g.granule, level) {
                DescriptorKind::Invalid => {}
                DescriptorKind::Table { next } => {
                    self.check_unmapped(mem, level + 1, next, entry_base, clipped)?
                }
                DescriptorKind::Leaf { .. } => {
                    return Err(MapError::AlreadyMapped {
                        address: self.address_of(clipped.start),
                    })
                }
                DescriptorKind::Reserved => {
                    return Err(MapError::CorruptTable {
                        address: self.address_of(clipped.start),
                    })
                }
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)] // one recursion step's full state
    fn map_level<M: TableMemory + ?Sized>(
        &self,
        mem: &mut M,
        level: u8,
        table: PhysAddr,
        base: u64,
        w: Window,
        output: PhysAddr,
        bits: u64,
        progress: &mut u64,
    ) -> Result<(), MapError> {
        let g = self.geometry();
        let span = g.entry_span(level);
        let run_log2 = contiguous_entries_log2(g.granule, level);
        let run_bytes = span << run_log2;
        let run_mask = (1usize << run_log2) - 1;
        // Whether the run being written was wholly invalid before this call
        // (decided at its first entry): only then may its entries get the
        // contiguous bit as they are written.
        let mut run_was_empty = false;
        for (index, entry_base, clipped) in self.entries(level, base, w) {
            let slot = Self::slot(table, index);
            let oa = output.add(clipped.start - w.start);
            let d = mem.read_descriptor(slot);
            if index & run_mask == 0 && run_mask < g.entries(level) {
                run_was_empty = (0..=run_mask).all(|i| {
                    mem.read_descriptor(Self::slot(table, index + i)) & descriptor::VALID == 0
                });
            }
            let whole = clipped.start == entry_base && clipped.end == entry_base + span;
            // An entry holding an (empty) table is mapped through that table,
            // so that a live table never sees a valid descriptor replaced.
            let invalid = d & descriptor::VALID == 0;
            if whole && invalid && leaf_allowed(g.granule, level) && oa.is_aligned(span) {
                let mut d = descriptor::leaf(level, oa, bits);
                // The output address of the run's first entry (only
                // meaningful, and never below `output`, when the run lies
                // inside the window).
                let run_oa = oa.0.checked_sub((index & run_mask) as u64 * span);
                if bits & SW_CONTIGUOUS_REQUESTED != 0
                    && run_was_empty
                    && self.run_inside(level, base, index, w)
                    && run_oa.is_some_and(|run_oa| PhysAddr(run_oa).is_aligned(run_bytes))
                {
                    d |= CONTIGUOUS;
                }
                mem.write_descriptor(slot, d);
                *progress = clipped.end;
                continue;
            }
            let next = match classify(d, g.granule, level) {
                DescriptorKind::Invalid => {
                    let next = mem
                        .allocate_table(self.table_bytes(level + 1))
                        .ok_or(MapError::OutOfMemory)?;
                    if self.live {
                        mem.publish();
                    }
                    mem.write_descriptor(slot, descriptor::table(next));
                    next
                }
                DescriptorKind::Table { next } => next,
                _ => {
                    return Err(MapError::CorruptTable {
                        address: self.address_of(clipped.start),
                    })
                }
            };
            let result = self.map_level(
                mem,
                level + 1,
                next,
                entry_base,
                clipped,
                oa,
                bits,
                progress,
            );
            self.try_collapse(mem, level, slot, next);
            result?;
        }
        self.normalize_runs(mem, level, table, base, w);
        Ok(())
    }

    /// How many tables an unmap (`new_bits` = None) or protect of the window
    /// needs for splits; refuses what a live table does not allow.
    fn plan<M: TableMemory + ?Sized>(
        &self,
        mem: &mut M,
        level: u8,
        table: PhysAddr,
        base: u64,
        w: Window,
        new_bits: Option<u64>,
    ) -> Result<usize, MapError> {
        let g = self.geometry();
        let span = g.entry_span(level);
        let mut needed = 0;
        for (index, entry_base, clipped) in self.entries(level, base, w) {
            let d = mem.read_descriptor(Self::slot(table, index));
            let address = self.address_of(clipped.start);
            match classify(d, g.granule, level) {
                DescriptorKind::Invalid => {}
                DescriptorKind::Table { next } => {
                    needed += self.plan(mem, level + 1, next, entry_base, clipped, new_bits)?;
                }
                DescriptorKind::Reserved => return Err(MapError::CorruptTable { address }),
                DescriptorKind::Leaf { output } => {
                    let whole = clipped.start == entry_base && clipped.end == entry_base + span;
                    if !whole {
                        if self.live {
                            return Err(MapError::BreakBeforeMake { address });
                        }
                        needed += 1 + self.splits_below(level + 1, entry_base, clipped);
                        continue;
                    }
                    if !self.live {
                        continue;
                    }
                    let partial_run =
                        d & CONTIGUOUS != 0 && !self.run_inside(level, base, index, w);
                    match new_bits {
                        None if partial_run => return Err(MapError::BreakBeforeMake { address }),
                        None => {}
                        Some(bits) => {
                            let new = descriptor::leaf(level, output, bits) | (d & CONTIGUOUS);
                            let changed = new ^ d;
                            if changed & !PERMISSION_BITS != 0 || (partial_run && changed != 0) {
                                return Err(MapError::BreakBeforeMake { address });
                            }
                        }
                    }
                }
            }
        }
        Ok(needed)
    }

    /// Splits needed below a block being split at `level - 1`: the children
    /// at `level` that the window only partly covers split in turn.
    fn splits_below(&self, level: u8, parent_base: u64, w: Window) -> usize {
        if level >= LAST_LEVEL {
            return 0;
        }
        let span = self.geometry().entry_span(level);
        self.entries(level, parent_base, w)
            .filter(|&(_, entry_base, clipped)| {
                !(clipped.start == entry_base && clipped.end == entry_base + span)
            })
            .map(|(_, entry_base, clipped)| 1 + self.splits_below(level + 1, entry_base, clipped))
            .sum()
    }

    /// Split the leaf `d` at `slot` into a table from the reserve.
    #[allow(clippy::too_many_arguments)] // the leaf's full state
    fn split<M: TableMemory + ?Sized>(
        &self,
        mem: &mut M,
        level: u8,
        slot: PhysAddr,
        d: u64,
        output: PhysAddr,
        reserve: &mut Reserve,
        address: u64,
    ) -> Result<PhysAddr, MapError> {
        // The plan counted every split; running out here means the table
        // changed under us, which is reported rather than trusted.
        let table = reserve.take().ok_or(MapError::CorruptTable { address })?;
        self.split_into(mem, level, d, output, table);
        mem.write_descriptor(slot, descriptor::table(table));
        Ok(table)
    }

    fn unmap_level<M: TableMemory + ?Sized>(
        &self,
        mem: &mut M,
        level: u8,
        table: PhysAddr,
        base: u64,
        w: Window,
        reserve: &mut Reserve,
    ) -> Result<(), MapError> {
        let g = self.geometry();
        let span = g.entry_span(level);
        for (index, entry_base, clipped) in self.entries(level, base, w) {
            let slot = Self::slot(table, index);
            let d = mem.read_descriptor(slot);
            let address = self.address_of(clipped.start);
            let next = match classify(d, g.granule, level) {
                DescriptorKind::Invalid => continue,
                DescriptorKind::Reserved => return Err(MapError::CorruptTable { address }),
                DescriptorKind::Table { next } => next,
                DescriptorKind::Leaf { output } => {
                    if clipped.start == entry_base && clipped.end == entry_base + span {
                        mem.write_descriptor(slot, 0);
                        continue;
                    }
                    self.split(mem, level, slot, d, output, reserve, address)?
                }
            };
            let result = self.unmap_level(mem, level + 1, next, entry_base, clipped, reserve);
            self.try_collapse(mem, level, slot, next);
            result?;
        }
        self.normalize_runs(mem, level, table, base, w);
        Ok(())
    }

    #[allow(clippy::too_many_arguments)] // one recursion step's full state
    fn protect_level<M: TableMemory + ?Sized>(
        &self,
        mem: &mut M,
        level: u8,
        table: PhysAddr,
        base: u64,
        w: Window,
        bits: u64,
        reserve: &mut Reserve,
    ) -> Result<(), MapError> {
        let g = self.geometry();
        let span = g.entry_span(level);
        for (index, entry_base, clipped) in self.entries(level, base, w) {
            let slot = Self::slot(table, index);
            let d = mem.read_descriptor(slot);
            let address = self.address_of(clipped.start);
            let next = match classify(d, g.granule, level) {
                DescriptorKind::Invalid => continue,
                DescriptorKind::Reserved => return Err(MapError::CorruptTable { address }),
                DescriptorKind::Table { next } => next,
                DescriptorKind::Leaf { output } => {
                    if clipped.start == entry_base && clipped.end == entry_base + span {
                        // On a live table the plan made sure the run stays
                        // uniform, so its contiguous bit is kept as it is.
                        let new = descriptor::leaf(level, output, bits) | (d & CONTIGUOUS);
                        if new != d {
                            mem.write_descriptor(slot, new);
                        }
                        continue;
                    }
                    self.split(mem, level, slot, d, output, reserve, address)?
                }
            };
            let result =
                self.protect_level(mem, level + 1, next, entry_base, clipped, bits, reserve);
            self.try_collapse(mem, level, slot, next);
            result?;
        }
        self.normalize_runs(mem, level, table, base, w);
        Ok(())
    }
}
