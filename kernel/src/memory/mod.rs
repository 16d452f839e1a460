//! Physical memory: the frame allocator, the heap, and the host MMU.

pub mod frame;
pub mod guest_ram;
pub mod heap;
pub mod mmu;

/// A half-open range of physical addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhysRange {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
}

impl PhysRange {
    /// The range `[start, start + size)`, clamped at the top of the space.
    pub const fn new(start: u64, size: u64) -> Self {
        PhysRange {
            start,
            end: start.saturating_add(size),
        }
    }

    /// Its length in bytes.
    pub const fn size(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// Whether `address` lies inside.
    pub const fn contains(&self, address: u64) -> bool {
        self.start <= address && address < self.end
    }
}

impl core::fmt::Display for PhysRange {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "[{:#x}, {:#x})", self.start, self.end)
    }
}
