//! The memory that translation tables live in, as seen by the builder (which
//! owns and edits tables) and by the walker (which only reads them and may
//! meet an external abort).

use crate::addr::PhysAddr;

/// Memory for translation tables, provided by the user of the builder: the
/// kernel hands out identity-mapped physical frames, tests an arena.
///
/// The builder never allocates from the Rust heap; every table comes from
/// here, so the kernel can build its identity map with the MMU off.
pub trait TableMemory {
    /// A zeroed table of `bytes` bytes aligned to `bytes`: one granule, or
    /// up to 16 granules for a concatenated stage-2 root. `None` when memory
    /// is exhausted.
    fn allocate_table(&mut self, bytes: usize) -> Option<PhysAddr>;

    /// Give back a table obtained from [`TableMemory::allocate_table`] with
    /// the same `bytes`.
    fn free_table(&mut self, table: PhysAddr, bytes: usize);

    /// Read the 8-byte-aligned descriptor at `address`.
    fn read_descriptor(&self, address: PhysAddr) -> u64;

    /// Write the 8-byte-aligned descriptor at `address`, as one 64-bit store
    /// (a live table may be walked by the hardware meanwhile).
    fn write_descriptor(&mut self, address: PhysAddr, value: u64);

    /// Make every descriptor written so far visible to the hardware's table
    /// walker before the next write (the kernel issues `DSB ISHST`). Called
    /// on live tables before a descriptor that makes a newly written table
    /// reachable, so the walker never sees it half initialised. The default
    /// does nothing, which suits tests and tables not yet in use.
    fn publish(&mut self) {}
}

/// A synchronous external abort on a translation table access: the
/// descriptor's address is not backed by memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExternalAbort;

/// What the walker reads tables through. Every [`TableMemory`] is one (its
/// reads never abort); tests and the emulator implement it directly to make
/// some addresses abort.
pub trait WalkMemory {
    /// Read the 8-byte descriptor at `address`, or report an external abort.
    fn read_descriptor(&self, address: PhysAddr) -> Result<u64, ExternalAbort>;
}

impl<T: TableMemory + ?Sized> WalkMemory for T {
    fn read_descriptor(&self, address: PhysAddr) -> Result<u64, ExternalAbort> {
        Ok(TableMemory::read_descriptor(self, address))
    }
}
