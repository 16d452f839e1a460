//! A guest machine compatible with QEMU's `virt` board, so the same image
//! runs under `qemu-system-aarch64 -M virt` and here with the same
//! transcript: RAM at 0x4000_0000, a PL011 at 0x0900_0000 (the rest of its
//! 64K page a hole), every unmapped address an external abort, the image
//! loader, the generated device tree, PSCI through HVC, semihosting and
//! the counter.
//!
//! The machine knows nothing of the CPU: the CPU reaches memory through
//! [`Virt::map`] and hands HVC, `HLT #0xF000` and the counter over to
//! [`Virt::psci`], [`Virt::semihosting`] and [`Virt::counter`].

pub mod counter;
pub mod dtb;
pub mod layout;
pub mod loader;
pub mod psci;
pub mod run;
pub mod semihosting;
pub mod workload;

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use core::fmt;

use crate::addr::PhysAddr;
use crate::mem::{
    BusError, Bytes, ConsoleSink, ConsoleSource, PhysMemoryMap, Pl011, RamStorage, RegionError,
    RegionId,
};
use crate::pagesize::PageSize;
pub use counter::CounterSource;
use layout::{MAX_RAM_SIZE, MIN_RAM_SIZE, RAM_BASE, RAM_SIZE_ALIGN, UART_BASE, UART_SIZE};
pub use loader::{ImageFormat, LoadError};
pub use psci::PsciOutcome;
pub use semihosting::{
    GuestMemory, GuestMemoryError, Semihosting, SemihostingHost, SemihostingOutcome,
};

/// How to build one machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VirtConfig {
    /// Bytes of RAM at 0x4000_0000.
    pub ram_size: u64,
    /// The emulator's page size for this run.
    pub page_size: PageSize,
    /// `/chosen/bootargs`.
    pub bootargs: String,
    /// The image's name, the first word of the semihosting command line
    /// (as QEMU makes it from `-kernel FILE -append ARGS`).
    pub image_name: String,
    /// What the counter follows.
    pub counter: CounterSource,
}

impl VirtConfig {
    /// The defaults: 128 MiB, the given page size, no arguments.
    pub fn new(page_size: PageSize) -> Self {
        VirtConfig {
            ram_size: layout::DEFAULT_RAM_SIZE,
            page_size,
            bootargs: String::new(),
            image_name: String::new(),
            counter: CounterSource::default(),
        }
    }
}

/// Why a machine could not be built or loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MachineError {
    /// A RAM size the machine cannot have.
    BadRamSize {
        /// The size asked for.
        size: u64,
    },
    /// The memory map refused a region (e.g. not enough memory for RAM).
    Map(RegionError),
    /// The image cannot be loaded.
    Load(LoadError),
    /// The device tree could not be written.
    Dtb(dtb::DtbError),
    /// Copying the image into guest memory failed.
    Bus(BusError),
}

impl fmt::Display for MachineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MachineError::BadRamSize { size } => write!(
                f,
                "guest RAM of {} is not possible: it must be a multiple of {} from {} to {}",
                Bytes(*size),
                Bytes(RAM_SIZE_ALIGN),
                Bytes(MIN_RAM_SIZE),
                Bytes(MAX_RAM_SIZE)
            ),
            MachineError::Map(e) => write!(f, "{e}"),
            MachineError::Load(e) => write!(f, "{e}"),
            MachineError::Dtb(e) => write!(f, "{e}"),
            MachineError::Bus(e) => write!(f, "loading the image: {e}"),
        }
    }
}

impl core::error::Error for MachineError {}

impl From<RegionError> for MachineError {
    fn from(e: RegionError) -> Self {
        MachineError::Map(e)
    }
}

/// Where and how a loaded image starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Boot {
    /// The image's format.
    pub format: ImageFormat,
    /// The entry point (EL1h, MMU off).
    pub entry: u64,
    /// The value of x0 at entry: the device tree for raw and Image
    /// files, 0 for ELF files (as QEMU enters them).
    pub x0: u64,
    /// Where the device tree was written.
    pub dtb: u64,
    /// The guest RAM the image occupies.
    pub image: (u64, u64),
}

/// Checks a RAM size for the machine.
pub fn check_ram_size(size: u64) -> Result<(), MachineError> {
    if (MIN_RAM_SIZE..=MAX_RAM_SIZE).contains(&size) && size.is_multiple_of(RAM_SIZE_ALIGN) {
        Ok(())
    } else {
        Err(MachineError::BadRamSize { size })
    }
}

/// The largest stretch of `[start, end)` outside every range in `used`
/// (the first of equals).
fn largest_gap(start: u64, end: u64, used: &mut [(u64, u64)]) -> (u64, u64) {
    used.sort_unstable();
    let mut best = (start, start);
    let mut at = start;
    for &(lo, hi) in used.iter() {
        if lo > at && lo - at > best.1 - best.0 {
            best = (at, lo.min(end));
        }
        at = at.max(hi);
    }
    if end > at && end - at > best.1 - best.0 {
        best = (at, end);
    }
    best
}

/// The machine.
pub struct Virt {
    /// The guest physical address space.
    pub map: PhysMemoryMap,
    /// The PL011's region.
    pub uart: RegionId,
    /// The RAM region.
    pub ram: RegionId,
    /// Semihosting state.
    pub semihosting: Semihosting,
    config: VirtConfig,
}

impl Virt {
    /// Builds the machine. Its RAM comes from `storage` when given (it must
    /// hold at least `config.ram_size` bytes), else from the heap. The
    /// UART writes to `console` and reads from `input`, if any.
    pub fn new(
        config: VirtConfig,
        storage: Option<Box<dyn RamStorage>>,
        console: Box<dyn ConsoleSink>,
        input: Option<Box<dyn ConsoleSource>>,
    ) -> Result<Self, MachineError> {
        check_ram_size(config.ram_size)?;
        let mut map = match storage {
            Some(s) => PhysMemoryMap::with_storage(config.page_size, s),
            None => PhysMemoryMap::new(config.page_size),
        };
        let ram = map.add_ram("ram", RAM_BASE, config.ram_size, 0)?;
        let uart = match input {
            Some(i) => Pl011::with_input(console, i),
            None => Pl011::new(console),
        };
        // Only the UART's 4K: the rest of its page stays a hole.
        let uart = map.add_mmio("pl011", UART_BASE, UART_SIZE, 0, Box::new(uart))?;
        let mut cmdline = config.image_name.clone();
        if !config.bootargs.is_empty() {
            cmdline.push(' ');
            cmdline.push_str(&config.bootargs);
        }
        let semihosting = Semihosting::new(&cmdline, (RAM_BASE.0, RAM_BASE.0 + config.ram_size));
        Ok(Virt {
            map,
            uart,
            ram,
            semihosting,
            config,
        })
    }

    /// The configuration the machine was built with.
    pub fn config(&self) -> &VirtConfig {
        &self.config
    }

    /// Loads `file` (raw, arm64 Image or ELF) and the device tree into RAM
    /// and says where to start. RAM outside the image is left as it was
    /// (zero after [`Virt::new`]).
    pub fn load(&mut self, file: &[u8]) -> Result<Boot, MachineError> {
        let ram_start = RAM_BASE.0;
        let ram_end = ram_start + self.config.ram_size;
        let image = loader::parse(file, ram_start).map_err(MachineError::Load)?;
        let (lo, hi) = image.span();
        if lo < ram_start || hi > ram_end {
            return Err(MachineError::Load(LoadError::OutsideRam {
                start: lo,
                end: hi,
                ram_start,
                ram_end,
            }));
        }
        let blob = dtb::build(&dtb::DeviceTreeConfig {
            ram_base: ram_start,
            ram_size: self.config.ram_size,
            bootargs: self.config.bootargs.clone(),
        })
        .map_err(MachineError::Dtb)?;
        // QEMU's places: for an ELF file at the start of RAM; for a kernel
        // image where Linux's initrd would go (RAM + min(size / 2, 128M)),
        // 2 MiB aligned.
        let (dtb, x0) = match image.format {
            ImageFormat::Elf => (ram_start, 0),
            _ => {
                let at = (ram_start + (self.config.ram_size / 2).min(128 << 20))
                    .next_multiple_of(2 << 20);
                (at, at)
            }
        };
        let dtb_end = dtb + blob.len() as u64;
        let overlaps = lo < dtb_end && dtb < hi;
        if dtb_end > ram_end || (overlaps && image.format != ImageFormat::Elf) {
            return Err(MachineError::Load(LoadError::OverlapsDeviceTree { dtb }));
        }
        if !overlaps {
            self.write_ram(dtb, &blob)?;
        }
        for seg in &image.segments {
            self.write_ram(seg.addr, seg.data)?;
            let zeros = seg.mem_size - seg.data.len() as u64;
            self.zero_ram(seg.addr + seg.data.len() as u64, zeros)?;
        }
        // What QEMU's loader occupies: its boot stub at the start of RAM
        // (kernel images only), the image, the device tree.
        let mut used: alloc::vec::Vec<(u64, u64)> = image
            .segments
            .iter()
            .map(|s| (s.addr, s.addr + s.mem_size))
            .collect();
        if image.format != ImageFormat::Elf {
            used.push((ram_start, ram_start + loader::BOOT_STUB_SIZE));
        }
        if !overlaps {
            used.push((dtb, dtb_end));
        }
        let (base, limit) = largest_gap(ram_start, ram_end, &mut used);
        self.semihosting.set_heap(base, limit);
        Ok(Boot {
            format: image.format,
            entry: image.entry,
            x0,
            dtb,
            image: (lo, hi),
        })
    }

    fn write_ram(&mut self, pa: u64, data: &[u8]) -> Result<(), MachineError> {
        self.map
            .write_bytes(PhysAddr(pa), data)
            .map_err(MachineError::Bus)
    }

    fn zero_ram(&mut self, mut pa: u64, mut n: u64) -> Result<(), MachineError> {
        let zeros = [0u8; 4096];
        while n > 0 {
            let k = n.min(zeros.len() as u64);
            self.write_ram(pa, &zeros[..k as usize])?;
            pa += k;
            n -= k;
        }
        Ok(())
    }

    /// A PSCI call through HVC (x0 = function, x1 = first argument).
    pub fn psci(&mut self, x0: u64, x1: u64) -> PsciOutcome {
        psci::call(x0, x1)
    }

    /// The counter's value after `elapsed_ns` of host time and `insns`
    /// guest instructions.
    pub fn counter(&self, elapsed_ns: u64, insns: u64) -> u64 {
        self.config.counter.value(elapsed_ns, insns)
    }

    /// The name of the memory region that answers `pa`, or why none does.
    pub fn describe(&self, pa: u64) -> String {
        match self.map.region_at(PhysAddr(pa)) {
            Some(id) => self
                .map
                .regions()
                .find(|r| r.id == id)
                .map(|r| r.name.clone())
                .unwrap_or_default(),
            None => "nothing (external abort)".to_string(),
        }
    }
}
