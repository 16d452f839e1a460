//! Translation tables inside guest RAM: the [`TableMemory`] the table
//! builder uses to make a guest's page tables (for tests, and for loaders
//! that set up a guest's MMU).

use super::PhysMemoryMap;
use crate::addr::PhysAddr;
use crate::mmu::memory::TableMemory;
use alloc::vec::Vec;

/// Table memory carved out of a guest RAM window `[start, end)`.
pub struct GuestTableMemory<'m> {
    map: &'m mut PhysMemoryMap,
    next: u64,
    end: u64,
    /// Freed tables, reused for a request of the same size.
    freed: Vec<(u64, usize)>,
}

impl<'m> GuestTableMemory<'m> {
    /// Tables will be allocated in `[start, end)` of `map`'s RAM.
    pub fn new(map: &'m mut PhysMemoryMap, start: PhysAddr, end: PhysAddr) -> Self {
        GuestTableMemory {
            map,
            next: start.0,
            end: end.0,
            freed: Vec::new(),
        }
    }

    /// The memory map, for loading the rest of the guest.
    pub fn map(&mut self) -> &mut PhysMemoryMap {
        self.map
    }
}

impl TableMemory for GuestTableMemory<'_> {
    fn allocate_table(&mut self, bytes: usize) -> Option<PhysAddr> {
        let address = match self.freed.iter().position(|&(_, b)| b == bytes) {
            Some(i) => self.freed.swap_remove(i).0,
            None => {
                let start = self.next.checked_next_multiple_of(bytes as u64)?;
                let end = start.checked_add(bytes as u64)?;
                if end > self.end {
                    return None;
                }
                self.next = end;
                start
            }
        };
        // Zero it in chunks: a table is up to 16 granules of 64K.
        let zeros = [0u8; 512];
        let mut at = address;
        while at < address + bytes as u64 {
            self.map.write_bytes(PhysAddr(at), &zeros).ok()?;
            at += zeros.len() as u64;
        }
        Some(PhysAddr(address))
    }

    fn free_table(&mut self, table: PhysAddr, bytes: usize) {
        self.freed.push((table.0, bytes));
    }

    fn read_descriptor(&self, address: PhysAddr) -> u64 {
        let mut bytes = [0u8; 8];
        // Tables only ever live in the RAM window `new` was given.
        let _ = self.map.read_bytes(address, &mut bytes);
        u64::from_le_bytes(bytes)
    }

    fn write_descriptor(&mut self, address: PhysAddr, value: u64) {
        let _ = self.map.write_bytes(address, &value.to_le_bytes());
    }
}
