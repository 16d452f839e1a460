//! The physical frame allocator: a buddy allocator over the RAM the device
//! tree reports, less what is already in use (kernel, device tree, initrd).
//! Frames are handed out at 4 KiB granularity and any power-of-two
//! alignment, which is what page tables of every granule need.

use super::PhysRange;
use crate::sync::CoreCell;
use buddy_system_allocator::Heap;
use core::alloc::Layout;
use core::ptr::NonNull;

/// The smallest frame.
pub const FRAME_SIZE: usize = 4096;
/// Buddy orders: blocks up to 2^(ORDER-1) bytes.
const ORDER: usize = 40;

/// Frame usage figures.
#[derive(Clone, Copy, Debug, Default)]
pub struct FrameStats {
    /// Bytes managed.
    pub total: usize,
    /// Bytes allocated now.
    pub used: usize,
    /// The most bytes ever allocated at once.
    pub high_water: usize,
}

struct Frames {
    heap: Heap<ORDER>,
    high_water: usize,
}

static FRAMES: CoreCell<Option<Frames>> = CoreCell::new(None);

/// Hands the free parts of `ram` (not overlapping `reserved`) to the
/// allocator.
pub fn init(ram: &[PhysRange], reserved: &[PhysRange]) {
    let mut frames = Frames {
        heap: Heap::empty(),
        high_water: 0,
    };
    for region in ram {
        add_free(&mut frames.heap, *region, reserved);
    }
    *FRAMES.lock() = Some(frames);
}

/// Adds `region` minus every reserved range, splitting it where needed.
fn add_free(heap: &mut Heap<ORDER>, region: PhysRange, reserved: &[PhysRange]) {
    let align = FRAME_SIZE as u64;
    let start = region.start.next_multiple_of(align);
    let end = region.end & !(align - 1);
    if start >= end {
        return;
    }
    if let Some(hole) = reserved
        .iter()
        .find(|r| r.start < end && start < r.end && r.size() > 0)
    {
        add_free(
            heap,
            PhysRange {
                start,
                end: hole.start,
            },
            reserved,
        );
        add_free(
            heap,
            PhysRange {
                start: hole.end,
                end,
            },
            reserved,
        );
        return;
    }
    // SAFETY: the range is RAM that nothing else uses (it is outside every
    // reserved range), identity-mapped, and handed over exactly once.
    unsafe { heap.add_to_heap(start as usize, end as usize) };
}

/// Allocates `size` bytes (a multiple of 4 KiB) aligned to `align`, with
/// whatever they held. `None` when memory is exhausted.
pub fn allocate(size: usize, align: usize) -> Option<u64> {
    let layout = Layout::from_size_align(size, align.max(FRAME_SIZE)).ok()?;
    let mut guard = FRAMES.lock();
    let frames = guard.as_mut()?;
    let block = frames.heap.alloc(layout).ok()?;
    frames.high_water = frames.high_water.max(frames.heap.stats_alloc_actual());
    Some(block.as_ptr() as u64)
}

/// [`allocate`], zeroed.
pub fn allocate_zeroed(size: usize, align: usize) -> Option<u64> {
    let address = allocate(size, align)?;
    // SAFETY: the block is freshly allocated RAM of `size` bytes, ours alone.
    unsafe { core::ptr::write_bytes(address as *mut u8, 0, size) };
    Some(address)
}

/// Returns a block from [`allocate_zeroed`] with the same size and alignment.
pub fn free(address: u64, size: usize, align: usize) {
    let (Ok(layout), Some(block)) = (
        Layout::from_size_align(size, align.max(FRAME_SIZE)),
        NonNull::new(address as *mut u8),
    ) else {
        return;
    };
    if let Some(frames) = FRAMES.lock().as_mut() {
        frames.heap.dealloc(block, layout);
    }
}

/// Current usage.
pub fn stats() -> FrameStats {
    FRAMES
        .try_lock()
        .and_then(|guard| {
            guard.as_ref().map(|f| FrameStats {
                total: f.heap.stats_total_bytes(),
                used: f.heap.stats_alloc_actual(),
                high_water: f.high_water,
            })
        })
        .unwrap_or_default()
}
