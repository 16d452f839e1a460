//! Where the bytes of guest RAM and ROM live: a growing host vector (the
//! default, for tests and the host runner) or a fixed block the embedder
//! hands over (the kernel gives frames from its frame allocator, so guest
//! RAM never comes out of its heap).

use alloc::boxed::Box;
use alloc::vec::Vec;

/// A fixed block of host memory that backs a guest's RAM arena.
///
/// The map never reads or writes outside `bytes()`, so whatever the guest
/// does it cannot reach host memory beyond the block.
pub trait RamStorage {
    /// The whole block.
    fn bytes(&self) -> &[u8];
    /// The whole block, writable.
    fn bytes_mut(&mut self) -> &mut [u8];
}

/// Heap-allocated storage (a boxed slice), mainly for tests.
impl RamStorage for Box<[u8]> {
    fn bytes(&self) -> &[u8] {
        self
    }
    fn bytes_mut(&mut self) -> &mut [u8] {
        self
    }
}

/// The arena of a memory map: every RAM and ROM region, back to back.
pub(crate) enum Arena {
    /// Grows on the host heap as regions are added.
    Heap(Vec<u8>),
    /// A fixed block; `used` bytes of it are given to regions so far.
    Fixed {
        storage: Box<dyn RamStorage>,
        used: usize,
    },
}

/// Why the arena could not take a region of `requested` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ArenaFull {
    pub(crate) requested: u64,
    pub(crate) available: u64,
}

impl Arena {
    /// The bytes given to regions so far.
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Arena::Heap(v) => v,
            Arena::Fixed { storage, used } => storage.bytes().get(..*used).unwrap_or(&[]),
        }
    }

    /// The bytes given to regions so far, writable.
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        match self {
            Arena::Heap(v) => v,
            Arena::Fixed { storage, used } => {
                storage.bytes_mut().get_mut(..*used).unwrap_or(&mut [])
            }
        }
    }

    /// Bytes that may still be given out (for the heap: what a reservation
    /// could at most ask for).
    fn available(&self) -> u64 {
        match self {
            Arena::Heap(v) => (isize::MAX as u64).saturating_sub(v.len() as u64),
            Arena::Fixed { storage, used } => (storage.bytes().len() - used) as u64,
        }
    }

    /// Appends `size` bytes, zeroed or copied from `contents`; returns the
    /// offset of the first.
    pub(crate) fn append(&mut self, size: u64, contents: Option<&[u8]>) -> Result<u64, ArenaFull> {
        let full = ArenaFull {
            requested: size,
            available: self.available(),
        };
        let n = usize::try_from(size).map_err(|_| full)?;
        match self {
            // The first region of an empty arena: zeroed pages straight
            // from the allocator, untouched until the guest uses them.
            Arena::Heap(v) if v.is_empty() && contents.is_none() => {
                let mut fresh: Vec<u8> = Vec::new();
                fresh.try_reserve_exact(n).map_err(|_| full)?;
                drop(fresh);
                *v = alloc::vec![0u8; n];
                Ok(0)
            }
            Arena::Heap(v) => {
                let at = v.len();
                v.try_reserve_exact(n).map_err(|_| full)?;
                match contents {
                    Some(bytes) => v.extend_from_slice(bytes),
                    None => v.resize(at + n, 0),
                }
                Ok(at as u64)
            }
            Arena::Fixed { storage, used } => {
                let at = *used;
                let end = at.checked_add(n).ok_or(full)?;
                let block = storage.bytes_mut().get_mut(at..end).ok_or(full)?;
                match contents {
                    Some(bytes) => block.copy_from_slice(bytes),
                    None => block.fill(0),
                }
                *used = end;
                Ok(at as u64)
            }
        }
    }
}

/// A byte count printed for people: `128 MiB`, `6.50 MiB`, `100 bytes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bytes(pub u64);

impl core::fmt::Display for Bytes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let n = self.0;
        let units = [(1u64 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
        match units.iter().find(|(u, _)| n >= *u) {
            Some(&(u, name)) if n.is_multiple_of(u) => write!(f, "{} {name}", n / u),
            Some(&(u, name)) => {
                // Two decimals, truncated: never claims more than there is.
                let hundredths = n % u * 100 / u;
                write!(f, "{}.{hundredths:02} {name}", n / u)
            }
            None => write!(f, "{n} bytes"),
        }
    }
}
