//! Physical accesses: their size and the bus error that ends a bad one.

use core::fmt;

use crate::addr::PhysAddr;

/// The size of one memory access: 1, 2, 4 or 8 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessSize {
    /// 8 bits.
    Byte,
    /// 16 bits.
    Half,
    /// 32 bits.
    Word,
    /// 64 bits.
    Double,
}

impl AccessSize {
    /// Every access size, smallest first.
    pub const ALL: [AccessSize; 4] = [Self::Byte, Self::Half, Self::Word, Self::Double];

    /// The access size of `bytes` bytes, if it is 1, 2, 4 or 8.
    pub const fn from_bytes(bytes: u64) -> Option<Self> {
        match bytes {
            1 => Some(Self::Byte),
            2 => Some(Self::Half),
            4 => Some(Self::Word),
            8 => Some(Self::Double),
            _ => None,
        }
    }

    /// The number of bytes accessed.
    pub const fn bytes(self) -> u64 {
        1 << self.log2()
    }

    /// log2 of the number of bytes accessed.
    pub const fn log2(self) -> u32 {
        match self {
            Self::Byte => 0,
            Self::Half => 1,
            Self::Word => 2,
            Self::Double => 3,
        }
    }

    /// Mask of the value bits an access of this size carries.
    pub const fn value_mask(self) -> u64 {
        match self {
            Self::Double => u64::MAX,
            _ => (1 << (8 * self.bytes())) - 1,
        }
    }
}

impl fmt::Display for AccessSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-byte", self.bytes())
    }
}

/// Whether an access reads or writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessDir {
    /// A load (or an instruction fetch).
    Read,
    /// A store.
    Write,
}

/// Why the bus rejected an access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusErrorKind {
    /// Nothing is mapped at the address (a hole).
    Unmapped,
    /// The device does not accept accesses of this size.
    AccessSize,
    /// The device needs naturally aligned accesses.
    Alignment,
    /// The device itself refused the access (e.g. a reserved register).
    DeviceRefused,
    /// Loader access (`read_bytes`/`write_bytes`) to a device region.
    NotMemory,
}

/// A bus error: the CPU turns it into a synchronous external abort.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BusError {
    /// The physical address of the failing access.
    pub addr: PhysAddr,
    /// The size of the failing access.
    pub size: AccessSize,
    /// Whether it was a read or a write.
    pub dir: AccessDir,
    /// What went wrong.
    pub kind: BusErrorKind,
}

impl fmt::Display for BusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            BusErrorKind::Unmapped => "nothing mapped",
            BusErrorKind::AccessSize => "access size not supported by the device",
            BusErrorKind::Alignment => "unaligned device access",
            BusErrorKind::DeviceRefused => "device refused the access",
            BusErrorKind::NotMemory => "not RAM or ROM",
        };
        let dir = match self.dir {
            AccessDir::Read => "read",
            AccessDir::Write => "write",
        };
        write!(f, "bus error: {} {dir} at {}: {what}", self.size, self.addr)
    }
}
