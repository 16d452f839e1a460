//! Interior mutability for a kernel that runs on one core with interrupts
//! masked: the only re-entry is a synchronous exception taken while a value is
//! borrowed, and that is caught instead of aliasing.
//!
//! No atomics are used, so this works with the MMU off, before memory is
//! Normal and exclusive accesses are architecturally defined.

use core::cell::{Cell, UnsafeCell};
use core::ops::{Deref, DerefMut};

/// A value owned by the single running core.
pub struct CoreCell<T> {
    borrowed: Cell<bool>,
    value: UnsafeCell<T>,
}

// SAFETY: Granule runs on one core (the others are parked in `_start`) with
// interrupts masked, so no two contexts ever run concurrently; re-entry from
// an exception handler is detected by `borrowed`. Sharing the cell hands the
// `T` from one context to another, so `T` must be `Send`, as for a mutex.
unsafe impl<T: Send> Sync for CoreCell<T> {}

impl<T> CoreCell<T> {
    /// A cell holding `value`.
    pub const fn new(value: T) -> Self {
        CoreCell {
            borrowed: Cell::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// Exclusive access, or `None` if the value is already borrowed (by code
    /// that an exception interrupted).
    pub fn try_lock(&self) -> Option<CoreGuard<'_, T>> {
        if self.borrowed.replace(true) {
            return None;
        }
        Some(CoreGuard { cell: self })
    }

    /// Exclusive access; a nested borrow is a kernel bug and panics.
    pub fn lock(&self) -> CoreGuard<'_, T> {
        self.try_lock()
            .expect("CoreCell borrowed twice: re-entered from an exception")
    }
}

/// Exclusive access to a [`CoreCell`]'s value, released on drop.
pub struct CoreGuard<'a, T> {
    cell: &'a CoreCell<T>,
}

impl<T> Deref for CoreGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard is the only borrow (see `try_lock`).
        unsafe { &*self.cell.value.get() }
    }
}

impl<T> DerefMut for CoreGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard is the only borrow (see `try_lock`).
        unsafe { &mut *self.cell.value.get() }
    }
}

impl<T> Drop for CoreGuard<'_, T> {
    fn drop(&mut self) {
        self.cell.borrowed.set(false);
    }
}
