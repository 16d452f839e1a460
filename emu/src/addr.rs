//! Address types: a virtual, an intermediate physical and a physical address
//! are different things and never mix by accident.

use core::fmt;

macro_rules! address_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        #[repr(transparent)]
        pub struct $name(pub u64);

        impl $name {
            /// The raw 64-bit value.
            pub const fn value(self) -> u64 {
                self.0
            }

            /// The address `offset` bytes further on (wrapping).
            pub const fn add(self, offset: u64) -> Self {
                Self(self.0.wrapping_add(offset))
            }

            /// Whether the address is a multiple of `align` (a power of two).
            pub const fn is_aligned(self, align: u64) -> bool {
                self.0 & (align - 1) == 0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:#x}", self.0)
            }
        }

        impl fmt::LowerHex for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::LowerHex::fmt(&self.0, f)
            }
        }
    };
}

address_type!(
    /// A virtual address: the input to stage 1.
    VirtAddr
);
address_type!(
    /// An intermediate physical address: stage 1's output, stage 2's input.
    IntermPhysAddr
);
address_type!(
    /// A physical address: the final output of translation.
    PhysAddr
);
