//! A table set that owns its tables and their memory: freed on drop, and
//! live (walked by the hardware) only between [`TableSet::activate`] and
//! [`TableSet::deactivate`], so the builder's break-before-make rules hold
//! exactly while the hardware may be walking the tables.
//!
//! Installing tables in the hardware is the kernel's job and is unsafe
//! there; the kernel wraps these two calls in `unsafe fn`s whose `# Safety`
//! sections say what the caller promises (`memory::mmu` in the kernel).

use super::attrs::Attributes;
use super::builder::{MapError, PageTable};
use super::config::TableConfig;
use super::memory::TableMemory;
use crate::addr::PhysAddr;

/// One table set (the tables under one TTBR or VTTBR) and the memory its
/// tables come from.
#[derive(Debug)]
pub struct TableSet<M: TableMemory> {
    /// `None` only while dropping.
    table: Option<PageTable>,
    memory: M,
}

impl<M: TableMemory> TableSet<M> {
    /// An empty set for `config`, its tables taken from `memory`.
    pub fn new(config: TableConfig, mut memory: M) -> Result<Self, MapError> {
        let table = PageTable::new(config, &mut memory)?;
        Ok(TableSet {
            table: Some(table),
            memory,
        })
    }

    fn table(&self) -> &PageTable {
        // `table` is `Some` from `new` until `drop`.
        self.table
            .as_ref()
            .expect("a table set has its tables until it is dropped")
    }

    fn parts(&mut self) -> (&mut PageTable, &mut M) {
        let table = self
            .table
            .as_mut()
            .expect("a table set has its tables until it is dropped");
        (table, &mut self.memory)
    }

    /// The root table's address, for TTBRn / VTTBR BADDR.
    pub fn root(&self) -> PhysAddr {
        self.table().root()
    }

    /// The configuration the tables were built for.
    pub fn config(&self) -> &TableConfig {
        self.table().config()
    }

    /// The memory the tables live in (to walk them, or read its counters).
    pub fn memory(&self) -> &M {
        &self.memory
    }

    /// Whether the set is active: the hardware may be walking it.
    pub fn is_live(&self) -> bool {
        self.table().is_live()
    }

    /// [`PageTable::map`] on these tables.
    pub fn map(
        &mut self,
        input: u64,
        output: PhysAddr,
        len: u64,
        attrs: impl Into<Attributes>,
    ) -> Result<(), MapError> {
        let (table, memory) = self.parts();
        table.map(memory, input, output, len, attrs)
    }

    /// [`PageTable::remap`] on these tables.
    pub fn remap(
        &mut self,
        input: u64,
        output: PhysAddr,
        len: u64,
        attrs: impl Into<Attributes>,
    ) -> Result<(), MapError> {
        let (table, memory) = self.parts();
        table.remap(memory, input, output, len, attrs)
    }

    /// [`PageTable::unmap`] on these tables.
    pub fn unmap(&mut self, input: u64, len: u64) -> Result<(), MapError> {
        let (table, memory) = self.parts();
        table.unmap(memory, input, len)
    }

    /// [`PageTable::protect`] on these tables.
    pub fn protect(
        &mut self,
        input: u64,
        len: u64,
        attrs: impl Into<Attributes>,
    ) -> Result<(), MapError> {
        let (table, memory) = self.parts();
        table.protect(memory, input, len, attrs)
    }

    /// Make the set live, then let `install` hand its root to the hardware.
    /// From here on the builder keeps to break-before-make, never merges,
    /// and keeps tables that become empty until the set is dropped.
    pub fn activate(&mut self, install: impl FnOnce(PhysAddr)) {
        let (table, _) = self.parts();
        table.set_live(true);
        install(table.root());
    }

    /// Let `remove` take the tables away from the hardware (and invalidate
    /// what it cached of them), then make the set idle again.
    pub fn deactivate(&mut self, remove: impl FnOnce()) {
        remove();
        let (table, _) = self.parts();
        table.set_live(false);
    }
}

impl<M: TableMemory> Drop for TableSet<M> {
    /// Gives every table back to the memory, unless the set is still live:
    /// tables the hardware may be walking are never freed (they leak).
    fn drop(&mut self) {
        if let Some(table) = self.table.take() {
            if !table.is_live() {
                table.destroy(&mut self.memory);
            }
        }
    }
}
