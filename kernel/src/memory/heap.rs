//! The kernel heap: a linked-list allocator on a block of frames, behind
//! `#[global_allocator]`.

use crate::sync::CoreCell;
use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{null_mut, NonNull};
use linked_list_allocator::Heap;

/// Heap usage figures.
#[derive(Clone, Copy, Debug, Default)]
pub struct HeapStats {
    /// Bytes in the heap.
    pub total: usize,
    /// Bytes allocated now.
    pub used: usize,
    /// The most bytes ever allocated at once.
    pub high_water: usize,
}

struct KernelHeap {
    heap: CoreCell<(Heap, usize)>,
}

#[cfg_attr(target_os = "none", global_allocator)]
static HEAP: KernelHeap = KernelHeap {
    heap: CoreCell::new((Heap::empty(), 0)),
};

/// Gives the heap `size` bytes at `start`.
///
/// # Safety
/// The memory must be unused RAM, identity-mapped, and never handed out by
/// anything else.
pub unsafe fn init(start: u64, size: usize) {
    let mut heap = HEAP.heap.lock();
    // SAFETY: forwarded from the caller.
    unsafe { heap.0.init(start as *mut u8, size) };
}

/// Current usage.
pub fn stats() -> HeapStats {
    HEAP.heap
        .try_lock()
        .map(|h| HeapStats {
            total: h.0.size(),
            used: h.0.used(),
            high_water: h.1,
        })
        .unwrap_or_default()
}

// SAFETY: allocation and release go through `linked_list_allocator::Heap`,
// which hands out disjoint blocks; `CoreCell` serialises access.
unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(mut heap) = self.heap.try_lock() else {
            return null_mut();
        };
        match heap.0.allocate_first_fit(layout) {
            Ok(block) => {
                heap.1 = heap.1.max(heap.0.used());
                block.as_ptr()
            }
            Err(()) => null_mut(),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let (Some(mut heap), Some(block)) = (self.heap.try_lock(), NonNull::new(ptr)) {
            // SAFETY: `ptr` came from `alloc` with this layout.
            unsafe { heap.0.deallocate(block, layout) };
        }
    }
}
