//! The guest physical memory map: RAM, ROM and devices at any address and
//! size, resolved per page into either a host arena offset (uniform RAM)
//! or a byte-range dispatch (everything else), and the devices themselves.

pub mod access;
pub mod console;
pub mod device;
mod flat;
pub mod map;
mod page_index;
pub mod pl011;
pub mod region;
pub mod tables;

pub use access::{AccessDir, AccessSize, BusError, BusErrorKind};
pub use console::{ConsoleSink, LineSink};
pub use device::{AccessConstraints, Device, DeviceError, DeviceStateError};
pub use map::{PageKind, PhysMemoryMap};
pub use pl011::Pl011;
pub use region::{RegionError, RegionId, RegionInfo, RegionKind, PA_BITS};
pub use tables::GuestTableMemory;
