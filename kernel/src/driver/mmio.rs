//! A typed window onto a block of memory-mapped registers.

use core::marker::PhantomData;
use core::ops::Deref;

/// Registers of type `T` at a fixed physical (= identity-mapped) address.
pub struct Mmio<T> {
    base: usize,
    _registers: PhantomData<fn() -> T>,
}

impl<T> Mmio<T> {
    /// # Safety
    /// `base` must be the address of a device whose register layout is `T`,
    /// mapped as Device memory (or the MMU off), for as long as this lives.
    pub const unsafe fn new(base: usize) -> Self {
        Mmio {
            base,
            _registers: PhantomData,
        }
    }

    /// The registers' base address.
    pub fn base(&self) -> usize {
        self.base
    }
}

impl<T> Deref for Mmio<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: `new`'s contract: `base` points at a live `T`.
        unsafe { &*(self.base as *const T) }
    }
}
