//! Guest images as QEMU's `-kernel` takes them: an ELF file (loaded by its
//! program headers, entered at its entry point), an arm64 Linux `Image`
//! (loaded at its text offset), or anything else as a raw image (loaded and
//! entered at RAM + 0x8_0000).

use alloc::vec::Vec;
use core::fmt;

use super::layout::RAW_IMAGE_OFFSET;

/// What kind of image a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageFormat {
    /// No header: loaded at RAM + 0x8_0000.
    Raw,
    /// An arm64 Linux Image header with this load offset from RAM.
    Arm64Image {
        /// Bytes from the start of RAM where the image goes.
        load_offset: u64,
    },
    /// A little-endian AArch64 ELF executable.
    Elf,
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageFormat::Raw => f.write_str("raw image"),
            ImageFormat::Arm64Image { load_offset } => {
                write!(f, "arm64 Image (text offset {load_offset:#x})")
            }
            ImageFormat::Elf => f.write_str("ELF executable"),
        }
    }
}

/// One piece of the image to copy into guest memory: `data` at `addr`,
/// followed by zeros up to `mem_size` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Guest physical address of the first byte.
    pub addr: u64,
    /// The bytes from the file.
    pub data: &'a [u8],
    /// Bytes the segment occupies in memory (at least `data.len()`).
    pub mem_size: u64,
}

/// A parsed image: what to copy where, and where to start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image<'a> {
    /// The format found.
    pub format: ImageFormat,
    /// The entry point (a guest physical address: the MMU is off).
    pub entry: u64,
    /// What to copy.
    pub segments: Vec<Segment<'a>>,
}

impl Image<'_> {
    /// The lowest and one past the highest address any segment occupies.
    pub fn span(&self) -> (u64, u64) {
        let lo = self.segments.iter().map(|s| s.addr).min().unwrap_or(0);
        let hi = self
            .segments
            .iter()
            .map(|s| s.addr.saturating_add(s.mem_size))
            .max()
            .unwrap_or(0);
        (lo, hi)
    }
}

/// Why an image cannot be loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The file is empty.
    Empty,
    /// An ELF file that is not what this machine runs.
    ElfUnsupported(&'static str),
    /// An ELF file whose headers point outside it or contradict each other.
    ElfMalformed(&'static str),
    /// An ELF file with nothing to load.
    ElfNoSegments,
    /// A segment (or the whole image) does not fit in guest RAM.
    OutsideRam {
        /// First byte the image needs.
        start: u64,
        /// One past the last.
        end: u64,
        /// The RAM window it must fit in.
        ram_start: u64,
        /// One past its end.
        ram_end: u64,
    },
    /// The image would overlap the device tree's place.
    OverlapsDeviceTree {
        /// Where the device tree goes.
        dtb: u64,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Empty => f.write_str("the image is empty"),
            LoadError::ElfUnsupported(what) => write!(f, "ELF file not supported: {what}"),
            LoadError::ElfMalformed(what) => write!(f, "malformed ELF file: {what}"),
            LoadError::ElfNoSegments => f.write_str("ELF file has no loadable segment"),
            LoadError::OutsideRam {
                start,
                end,
                ram_start,
                ram_end,
            } => write!(
                f,
                "the image needs {start:#x}..{end:#x}, outside guest RAM {ram_start:#x}..{ram_end:#x}"
            ),
            LoadError::OverlapsDeviceTree { dtb } => write!(
                f,
                "the image overlaps the device tree at {dtb:#x}: give the guest more RAM"
            ),
        }
    }
}

impl core::error::Error for LoadError {}

/// Offset of the arm64 Image header's magic, "ARM\x64".
const ARM64_MAGIC_OFFSET: usize = 0x38;
const ARM64_MAGIC: &[u8; 4] = b"ARM\x64";
/// QEMU keeps the first 4 KiB of RAM for its boot stub and moves an image
/// asking for less than that up by 2 MiB; Granule does the same so that an
/// image lands at the same address on both.
pub(crate) const BOOT_STUB_SIZE: u64 = 4 << 10;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Parses `file` as an image to run in RAM at `ram_base`.
pub fn parse(file: &[u8], ram_base: u64) -> Result<Image<'_>, LoadError> {
    if file.is_empty() {
        return Err(LoadError::Empty);
    }
    if file.starts_with(b"\x7fELF") {
        return parse_elf(file);
    }
    let format = match file.get(ARM64_MAGIC_OFFSET..ARM64_MAGIC_OFFSET + 4) {
        Some(m) if m == ARM64_MAGIC => {
            // text_offset is only meaningful with a non-zero image_size.
            let text_offset = u64_at(file, 8).unwrap_or(0);
            let image_size = u64_at(file, 16).unwrap_or(0);
            let load_offset = match (image_size, text_offset) {
                (0, _) => RAW_IMAGE_OFFSET,
                (_, t) if t < BOOT_STUB_SIZE => t + (2 << 20),
                (_, t) => t,
            };
            ImageFormat::Arm64Image { load_offset }
        }
        _ => ImageFormat::Raw,
    };
    let offset = match format {
        ImageFormat::Arm64Image { load_offset } => load_offset,
        _ => RAW_IMAGE_OFFSET,
    };
    let addr = ram_base.saturating_add(offset);
    Ok(Image {
        format,
        entry: addr,
        segments: alloc::vec![Segment {
            addr,
            data: file,
            mem_size: file.len() as u64,
        }],
    })
}

const PT_LOAD: u32 = 1;
const EM_AARCH64: u16 = 183;
const ET_EXEC: u16 = 2;

fn parse_elf(file: &[u8]) -> Result<Image<'_>, LoadError> {
    use LoadError::{ElfMalformed as Bad, ElfUnsupported as Unsupported};
    let ident = file.get(..16).ok_or(Bad("truncated identification"))?;
    if ident[4] != 2 {
        return Err(Unsupported("not a 64-bit ELF file (EI_CLASS)"));
    }
    if ident[5] != 1 {
        return Err(Unsupported("not little-endian (EI_DATA)"));
    }
    let e_type = u16_at(file, 16).ok_or(Bad("truncated header"))?;
    let e_machine = u16_at(file, 18).ok_or(Bad("truncated header"))?;
    if e_machine != EM_AARCH64 {
        return Err(Unsupported("not an AArch64 file (e_machine)"));
    }
    if e_type != ET_EXEC {
        return Err(Unsupported(
            "not an executable (e_type): link it statically at a fixed address",
        ));
    }
    let entry = u64_at(file, 24).ok_or(Bad("truncated header"))?;
    let phoff = u64_at(file, 32).ok_or(Bad("truncated header"))?;
    let phentsize = u16_at(file, 54).ok_or(Bad("truncated header"))?;
    let phnum = u16_at(file, 56).ok_or(Bad("truncated header"))?;
    if phnum > 0 && phentsize < 56 {
        return Err(Bad("program header entries smaller than 56 bytes"));
    }
    let mut segments = Vec::new();
    for i in 0..u64::from(phnum) {
        let at = phoff
            .checked_add(i * u64::from(phentsize))
            .and_then(|a| usize::try_from(a).ok())
            .ok_or(Bad("program header table beyond the file"))?;
        let ph = file
            .get(at..at.saturating_add(56))
            .filter(|p| p.len() == 56)
            .ok_or(Bad("program header table beyond the file"))?;
        if u32_at(ph, 0) != Some(PT_LOAD) {
            continue;
        }
        let (offset, paddr) = (u64_at(ph, 8).unwrap_or(0), u64_at(ph, 24).unwrap_or(0));
        let (filesz, memsz) = (u64_at(ph, 32).unwrap_or(0), u64_at(ph, 40).unwrap_or(0));
        if filesz > memsz {
            return Err(Bad("a segment's file size exceeds its memory size"));
        }
        if memsz == 0 {
            continue;
        }
        paddr
            .checked_add(memsz)
            .ok_or(Bad("a segment wraps the address space"))?;
        let data = usize::try_from(offset)
            .ok()
            .zip(usize::try_from(filesz).ok())
            .and_then(|(o, n)| file.get(o..o.checked_add(n)?))
            .ok_or(Bad("a segment's bytes lie beyond the end of the file"))?;
        segments.push(Segment {
            addr: paddr,
            data,
            mem_size: memsz,
        });
    }
    if segments.is_empty() {
        return Err(LoadError::ElfNoSegments);
    }
    Ok(Image {
        format: ImageFormat::Elf,
        entry,
        segments,
    })
}
