//! Machine snapshots: RAM, device state and (once it exists) CPU state in
//! one byte buffer behind a versioned, checksummed header that records the
//! page size the machine was built with.
//!
//! Layout (all integers little-endian):
//!
//! | offset | size | field                                         |
//! |--------|------|-----------------------------------------------|
//! | 0      | 8    | magic `GRNLSNAP`                              |
//! | 8      | 2    | format version ([`VERSION`])                  |
//! | 10     | 2    | header length ([`HEADER_LEN`])                |
//! | 12     | 1    | log2 of the page size                         |
//! | 13     | 3    | reserved, zero                                |
//! | 16     | 4    | number of sections                            |
//! | 20     | 8    | payload length                                |
//! | 28     | 4    | CRC-32 of the payload                         |
//! | 32     | 4    | CRC-32 of bytes 0..32                         |
//!
//! The payload is a sequence of sections: a 4-byte tag, a u64 length, and
//! the data. `RAM ` holds one RAM region (name, base, size, bytes), `DEV `
//! one device's state (name, base, state), `CPU ` the CPU's state.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::mem::{DeviceStateError, PhysMemoryMap, RegionId, RegionKind};
use crate::pagesize::{PageSize, PageSizeError, SettledPageSize};

/// The magic number every snapshot starts with.
pub const MAGIC: [u8; 8] = *b"GRNLSNAP";
/// The format version this code writes and reads.
pub const VERSION: u16 = 1;
/// The header's length in bytes.
pub const HEADER_LEN: usize = 36;

const TAG_RAM: [u8; 4] = *b"RAM ";
const TAG_DEV: [u8; 4] = *b"DEV ";
const TAG_CPU: [u8; 4] = *b"CPU ";

/// The CPU's part of a snapshot (implemented by the CPU model later).
pub trait CpuState {
    /// Appends the CPU's state to `out`.
    fn save(&self, out: &mut Vec<u8>);
    /// Takes back a state written by [`CpuState::save`]; on error the CPU
    /// must be left unchanged.
    fn restore(&mut self, state: &[u8]) -> Result<(), DeviceStateError>;
}

/// Why a snapshot was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotError {
    /// Fewer bytes than the header or the header's lengths call for.
    Truncated {
        /// Bytes needed.
        needed: u64,
        /// Bytes present.
        found: u64,
    },
    /// More bytes than the header accounts for.
    TrailingBytes {
        /// Bytes expected.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// Not a Granule snapshot.
    BadMagic,
    /// A format version this code does not read.
    UnsupportedVersion {
        /// The snapshot's version.
        found: u16,
        /// The version this code reads.
        supported: u16,
    },
    /// The header's checksum does not match its contents.
    HeaderChecksum {
        /// Recorded checksum.
        recorded: u32,
        /// Computed checksum.
        computed: u32,
    },
    /// The payload's checksum does not match it.
    PayloadChecksum {
        /// Recorded checksum.
        recorded: u32,
        /// Computed checksum.
        computed: u32,
    },
    /// The header's fields are inconsistent (length, reserved bytes or
    /// page size field).
    BadHeader(&'static str),
    /// The snapshot was taken with another page size.
    PageSize(PageSizeError),
    /// A section is malformed (at this payload offset).
    Malformed {
        /// Offset of the offending section in the payload.
        offset: u64,
        /// What is wrong.
        what: &'static str,
    },
    /// The snapshot's RAM or devices do not match the machine's.
    LayoutMismatch {
        /// The region (or `cpu`) concerned.
        name: String,
        /// What differs.
        what: &'static str,
    },
    /// A device (or the CPU) refused its saved state.
    State {
        /// The device's region name, or `cpu`.
        name: String,
        /// Its reason.
        error: DeviceStateError,
    },
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::Truncated { needed, found } => {
                write!(f, "snapshot truncated: {found} bytes, {needed} needed")
            }
            SnapshotError::TrailingBytes { expected, found } => {
                write!(
                    f,
                    "snapshot has {found} bytes, header accounts for {expected}"
                )
            }
            SnapshotError::BadMagic => f.write_str("not a Granule snapshot (bad magic)"),
            SnapshotError::UnsupportedVersion { found, supported } => write!(
                f,
                "snapshot format version {found} is not supported (this build reads {supported})"
            ),
            SnapshotError::HeaderChecksum { recorded, computed } => write!(
                f,
                "snapshot header corrupted: checksum {computed:#010x}, recorded {recorded:#010x}"
            ),
            SnapshotError::PayloadChecksum { recorded, computed } => write!(
                f,
                "snapshot contents corrupted: checksum {computed:#010x}, recorded {recorded:#010x}"
            ),
            SnapshotError::BadHeader(what) => write!(f, "snapshot header invalid: {what}"),
            SnapshotError::PageSize(e) => e.fmt(f),
            SnapshotError::Malformed { offset, what } => {
                write!(f, "snapshot section at payload offset {offset}: {what}")
            }
            SnapshotError::LayoutMismatch { name, what } => {
                write!(f, "snapshot does not fit this machine: {name}: {what}")
            }
            SnapshotError::State { name, error } => {
                write!(f, "snapshot state of {name} refused: {error}")
            }
        }
    }
}

/// CRC-32 (IEEE 802.3, reflected, as zlib computes it).
pub fn crc32(data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut t = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            t[i] = c;
            i += 1;
        }
        t
    };
    !data.iter().fold(!0u32, |c, b| {
        TABLE[((c ^ u32::from(*b)) & 0xff) as usize] ^ (c >> 8)
    })
}

fn put_section(out: &mut Vec<u8>, tag: [u8; 4], body: &[u8]) {
    out.extend_from_slice(&tag);
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(body);
}

fn put_name(out: &mut Vec<u8>, name: &str) {
    let n = name.len().min(u16::MAX as usize);
    out.extend_from_slice(&(n as u16).to_le_bytes());
    out.extend_from_slice(&name.as_bytes()[..n]);
}

/// Saves the machine's RAM, device state and (if given) CPU state.
pub fn save(map: &PhysMemoryMap, cpu: Option<&dyn CpuState>) -> Vec<u8> {
    let mut payload = Vec::new();
    let mut sections = 0u32;
    let infos: Vec<_> = map.regions().cloned().collect();
    for info in &infos {
        let mut body = Vec::new();
        put_name(&mut body, &info.name);
        body.extend_from_slice(&info.base.0.to_le_bytes());
        match info.kind {
            RegionKind::Ram => {
                let bytes = map.memory(info.id).unwrap_or(&[]);
                body.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
                body.extend_from_slice(bytes);
                put_section(&mut payload, TAG_RAM, &body);
            }
            RegionKind::Mmio => {
                if let Some(d) = map.device(info.id) {
                    d.save_state(&mut body);
                }
                put_section(&mut payload, TAG_DEV, &body);
            }
            // ROM contents are part of the machine, not of its state.
            RegionKind::Rom => continue,
        }
        sections += 1;
    }
    if let Some(cpu) = cpu {
        let mut body = Vec::new();
        cpu.save(&mut body);
        put_section(&mut payload, TAG_CPU, &body);
        sections += 1;
    }
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(HEADER_LEN as u16).to_le_bytes());
    out.push(map.page_size().shift() as u8);
    out.extend_from_slice(&[0; 3]);
    out.extend_from_slice(&sections.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32(&payload).to_le_bytes());
    let hcrc = crc32(&out);
    out.extend_from_slice(&hcrc.to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

/// A little-endian reader that never reads past its slice.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.data.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Option<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(u64::from_le_bytes(a))
    }
}

/// A parsed section, not yet applied.
enum Section<'a> {
    Ram {
        id: RegionId,
        bytes: &'a [u8],
    },
    Dev {
        id: RegionId,
        name: String,
        state: &'a [u8],
    },
    Cpu(&'a [u8]),
}

/// Checks the header and returns the page size and payload.
fn check_header(bytes: &[u8]) -> Result<(PageSize, u32, &[u8]), SnapshotError> {
    let mut r = Reader {
        data: bytes,
        pos: 0,
    };
    let truncated = |needed: usize| SnapshotError::Truncated {
        needed: needed as u64,
        found: bytes.len() as u64,
    };
    // Recognise the magic even in a short buffer, so that a truncated
    // snapshot is told apart from a file of another kind.
    let m = bytes.len().min(MAGIC.len());
    if bytes[..m] != MAGIC[..m] {
        return Err(SnapshotError::BadMagic);
    }
    if bytes.len() < HEADER_LEN {
        return Err(truncated(HEADER_LEN));
    }
    r.take(8).ok_or(truncated(HEADER_LEN))?;
    let version = r.u16().ok_or(truncated(HEADER_LEN))?;
    if version != VERSION {
        return Err(SnapshotError::UnsupportedVersion {
            found: version,
            supported: VERSION,
        });
    }
    let computed = crc32(&bytes[..HEADER_LEN - 4]);
    let recorded = u32::from_le_bytes([bytes[32], bytes[33], bytes[34], bytes[35]]);
    if computed != recorded {
        return Err(SnapshotError::HeaderChecksum { recorded, computed });
    }
    let header_len = r.u16().ok_or(truncated(HEADER_LEN))?;
    if usize::from(header_len) != HEADER_LEN {
        return Err(SnapshotError::BadHeader("header length"));
    }
    let shift = r.take(1).ok_or(truncated(HEADER_LEN))?[0];
    if r.take(3).ok_or(truncated(HEADER_LEN))? != [0, 0, 0] {
        return Err(SnapshotError::BadHeader("reserved bytes not zero"));
    }
    let page = PageSize::from_shift(u32::from(shift))
        .map_err(|_| SnapshotError::BadHeader("page size field"))?;
    let sections = r.u32().ok_or(truncated(HEADER_LEN))?;
    let payload_len = r.u64().ok_or(truncated(HEADER_LEN))?;
    let payload_crc = r.u32().ok_or(truncated(HEADER_LEN))?;
    let total = (HEADER_LEN as u64).saturating_add(payload_len);
    if (bytes.len() as u64) < total {
        return Err(SnapshotError::Truncated {
            needed: total,
            found: bytes.len() as u64,
        });
    }
    if (bytes.len() as u64) > total {
        return Err(SnapshotError::TrailingBytes {
            expected: total,
            found: bytes.len() as u64,
        });
    }
    let payload = &bytes[HEADER_LEN..];
    let computed = crc32(payload);
    if computed != payload_crc {
        return Err(SnapshotError::PayloadChecksum {
            recorded: payload_crc,
            computed,
        });
    }
    Ok((page, sections, payload))
}

/// The page size a snapshot records, after checking its header (and
/// checksums), without restoring anything.
pub fn page_size_of(bytes: &[u8]) -> Result<PageSize, SnapshotError> {
    check_header(bytes).map(|(p, _, _)| p)
}

fn parse<'a>(
    map: &PhysMemoryMap,
    count: u32,
    payload: &'a [u8],
) -> Result<Vec<Section<'a>>, SnapshotError> {
    let mut r = Reader {
        data: payload,
        pos: 0,
    };
    let mut out = Vec::new();
    let infos: Vec<_> = map.regions().cloned().collect();
    for _ in 0..count {
        let offset = r.pos as u64;
        let bad = |what| SnapshotError::Malformed { offset, what };
        let tag = r.take(4).ok_or(bad("section header cut short"))?;
        let len = r.u64().ok_or(bad("section header cut short"))?;
        let len = usize::try_from(len).map_err(|_| bad("section length"))?;
        let body = r.take(len).ok_or(bad("section longer than the payload"))?;
        let mut b = Reader { data: body, pos: 0 };
        if tag == TAG_CPU {
            out.push(Section::Cpu(body));
            continue;
        }
        let n = b.u16().ok_or(bad("name cut short"))?;
        let name = b.take(usize::from(n)).ok_or(bad("name cut short"))?;
        let name = core::str::from_utf8(name).map_err(|_| bad("name not UTF-8"))?;
        let base = b.u64().ok_or(bad("base cut short"))?;
        let info = infos
            .iter()
            .find(|i| i.name == name && i.base.0 == base)
            .ok_or_else(|| SnapshotError::LayoutMismatch {
                name: name.into(),
                what: "no such region at that address in this machine",
            })?;
        let mismatch = |what| SnapshotError::LayoutMismatch {
            name: name.into(),
            what,
        };
        match tag {
            t if t == TAG_RAM => {
                if info.kind != RegionKind::Ram {
                    return Err(mismatch("saved as RAM, is not RAM here"));
                }
                let size = b.u64().ok_or(bad("size cut short"))?;
                if size != info.size {
                    return Err(mismatch("RAM size differs"));
                }
                let bytes = b
                    .take(info.size as usize)
                    .ok_or(bad("RAM contents cut short"))?;
                if b.pos != body.len() {
                    return Err(bad("bytes after the RAM contents"));
                }
                out.push(Section::Ram { id: info.id, bytes });
            }
            t if t == TAG_DEV => {
                if info.kind != RegionKind::Mmio {
                    return Err(mismatch("saved as a device, is not one here"));
                }
                out.push(Section::Dev {
                    id: info.id,
                    name: name.into(),
                    state: &body[b.pos..],
                });
            }
            _ => return Err(bad("unknown section tag")),
        }
    }
    if r.pos != payload.len() {
        return Err(SnapshotError::Malformed {
            offset: r.pos as u64,
            what: "bytes after the last section",
        });
    }
    // Every RAM region and device of the machine must be restored.
    for info in &infos {
        let covered = out.iter().any(|s| match s {
            Section::Ram { id, .. } | Section::Dev { id, .. } => *id == info.id,
            Section::Cpu(_) => false,
        });
        if info.kind != RegionKind::Rom && !covered {
            return Err(SnapshotError::LayoutMismatch {
                name: info.name.clone(),
                what: "missing from the snapshot",
            });
        }
    }
    Ok(out)
}

fn apply(
    map: &mut PhysMemoryMap,
    cpu: &mut Option<&mut dyn CpuState>,
    sections: &[Section<'_>],
) -> Result<(), SnapshotError> {
    for s in sections {
        match s {
            Section::Ram { id, bytes } => {
                if let Some(m) = map.memory_mut(*id) {
                    m.copy_from_slice(bytes);
                }
            }
            Section::Dev { id, name, state } => {
                if let Some(d) = map.device_mut(*id) {
                    d.restore_state(state)
                        .map_err(|error| SnapshotError::State {
                            name: name.clone(),
                            error,
                        })?;
                }
            }
            Section::Cpu(state) => match cpu.as_deref_mut() {
                Some(c) => c.restore(state).map_err(|error| SnapshotError::State {
                    name: "cpu".into(),
                    error,
                })?,
                None => {
                    return Err(SnapshotError::LayoutMismatch {
                        name: "cpu".into(),
                        what: "snapshot holds CPU state but no CPU was given",
                    })
                }
            },
        }
    }
    Ok(())
}

/// Restores a snapshot into a machine built with page size `settled`.
///
/// Everything is checked before anything changes; if a device refuses its
/// state half-way, the machine is put back as it was. After a successful
/// restore the caller must flush its TLBs.
pub fn restore(
    bytes: &[u8],
    settled: SettledPageSize,
    map: &mut PhysMemoryMap,
    mut cpu: Option<&mut dyn CpuState>,
) -> Result<(), SnapshotError> {
    let (page, count, payload) = check_header(bytes)?;
    settled
        .admit_saved_state(page)
        .map_err(SnapshotError::PageSize)?;
    if map.page_size() != settled.page_size() {
        return Err(SnapshotError::PageSize(PageSizeError::SavedStateMismatch {
            settled: settled.page_size(),
            saved: map.page_size(),
        }));
    }
    let sections = parse(map, count, payload)?;
    let before = save(map, cpu.as_deref().map(|c| c as &dyn CpuState));
    match apply(map, &mut cpu, &sections) {
        Ok(()) => Ok(()),
        Err(e) => {
            // Put back what was there; it was produced just now, so it
            // parses and applies.
            if let Ok((_, n, p)) = check_header(&before) {
                if let Ok(old) = parse(map, n, p) {
                    let _ = apply(map, &mut cpu, &old);
                }
            }
            Err(e)
        }
    }
}
