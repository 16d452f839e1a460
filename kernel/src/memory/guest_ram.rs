//! Guest RAM from the frame allocator: one physically contiguous block
//! handed to `emu`'s memory map as its storage, so a guest's 128 MiB never
//! comes out of the kernel heap (1/8 of RAM) and is given back when the
//! machine is dropped.

use super::frame;
use alloc::format;
use alloc::string::String;
use emu::mem::{Bytes, RamStorage};

/// Alignment of the block: the largest page size the emulator uses, so
/// every guest page lies inside one host page of any granule.
const ALIGN: usize = 64 << 10;

/// A block of frames owned by one guest.
pub struct GuestRam {
    base: u64,
    size: usize,
}

impl GuestRam {
    /// Allocates `size` bytes of zeroed frames, or says why it cannot: how
    /// much was asked for and how much the frame allocator has free.
    pub fn allocate(size: u64) -> Result<Self, String> {
        let stats = frame::stats();
        let free = stats.total.saturating_sub(stats.used) as u64;
        let fail = |why: &str| {
            format!(
                "guest RAM: {} asked for, {} of frames free{why}",
                Bytes(size),
                Bytes(free)
            )
        };
        let Ok(bytes) = usize::try_from(size) else {
            return Err(fail(""));
        };
        if bytes == 0 || bytes % frame::FRAME_SIZE != 0 {
            return Err(format!(
                "guest RAM: {} is not a whole number of 4 KiB frames",
                Bytes(size)
            ));
        }
        match frame::allocate_zeroed(bytes, ALIGN) {
            Some(base) => Ok(GuestRam { base, size: bytes }),
            None if free >= size => Err(fail(", but no contiguous block that large")),
            None => Err(fail("")),
        }
    }

    /// Where the block is (physical = virtual in the kernel's identity map).
    pub fn base(&self) -> u64 {
        self.base
    }
}

impl RamStorage for GuestRam {
    fn bytes(&self) -> &[u8] {
        // SAFETY: `base..base + size` is a block of identity-mapped RAM that
        // the frame allocator gave to this value alone; it stays allocated
        // until `drop`, and `&self` keeps it from being freed meanwhile.
        unsafe { core::slice::from_raw_parts(self.base as *const u8, self.size) }
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`; `&mut self` makes this the only reference.
        unsafe { core::slice::from_raw_parts_mut(self.base as *mut u8, self.size) }
    }
}

impl Drop for GuestRam {
    fn drop(&mut self) {
        frame::free(self.base, self.size, ALIGN);
    }
}
