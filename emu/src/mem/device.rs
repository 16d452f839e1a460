//! The interface every memory-mapped device implements.

use alloc::vec::Vec;
use core::fmt;

use super::access::AccessSize;

/// The access sizes and alignment a device accepts; anything else is a bus
/// error raised by the memory map before the device sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessConstraints {
    /// The smallest accepted access.
    pub min: AccessSize,
    /// The largest accepted access.
    pub max: AccessSize,
    /// Whether accesses must be naturally aligned.
    pub aligned: bool,
}

impl AccessConstraints {
    /// Any size, any alignment.
    pub const ANY: AccessConstraints = AccessConstraints {
        min: AccessSize::Byte,
        max: AccessSize::Double,
        aligned: false,
    };
}

/// A device's refusal of an access it was offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceError {
    /// No register at this offset, or it does not accept this access.
    BusError,
}

/// Why a device could not take back a saved state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceStateError {
    /// The saved state has the wrong length for this device.
    BadLength {
        /// What the device expected.
        expected: usize,
        /// What the snapshot holds.
        found: usize,
    },
    /// A saved field holds a value the device cannot have.
    BadValue,
}

impl fmt::Display for DeviceStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceStateError::BadLength { expected, found } => {
                write!(f, "device state is {found} bytes, expected {expected}")
            }
            DeviceStateError::BadValue => f.write_str("device state holds an impossible value"),
        }
    }
}

/// A memory-mapped device. Offsets are relative to the start of the
/// device's region; values are little-endian and zero-extended.
pub trait Device {
    /// The access sizes the device accepts (checked before every access).
    fn constraints(&self) -> AccessConstraints {
        AccessConstraints::ANY
    }

    /// Reads `size` bytes at `offset` (reads may have side effects).
    fn read(&mut self, offset: u64, size: AccessSize) -> Result<u64, DeviceError>;

    /// Writes the low `size` bytes of `value` at `offset`.
    fn write(&mut self, offset: u64, size: AccessSize, value: u64) -> Result<(), DeviceError>;

    /// Appends the device's state to `out` (for snapshots).
    fn save_state(&self, out: &mut Vec<u8>) {
        let _ = out;
    }

    /// Takes back a state written by [`Device::save_state`]. On error the
    /// device must be left unchanged.
    fn restore_state(&mut self, state: &[u8]) -> Result<(), DeviceStateError> {
        if state.is_empty() {
            Ok(())
        } else {
            Err(DeviceStateError::BadLength {
                expected: 0,
                found: state.len(),
            })
        }
    }
}
