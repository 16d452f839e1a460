//! What the kernel learns at boot: from the device tree in x0 when there is
//! one, from the board's defaults when there is not, and from semihosting
//! for the command line when neither has one.

use crate::arch::exception::probe_read_u64;
use crate::arch::semihosting;
use crate::board::{self, Board};
use crate::memory::PhysRange;
use crate::power::PsciConduit;
use emu::fdt::{translate_address, Fdt, FdtError};

/// Most RAM ranges and reserved ranges recorded.
pub const MAX_RANGES: usize = 8;
/// Longest command line kept.
pub const MAX_BOOTARGS: usize = 1024;
/// A device tree larger than this is not believed.
const MAX_DTB_SIZE: u64 = 2 << 20;
const FDT_MAGIC: u32 = 0xd00d_feed;

/// A small fixed-capacity list (no heap exists this early).
#[derive(Clone, Copy, Debug)]
pub struct RangeList {
    ranges: [PhysRange; MAX_RANGES],
    len: usize,
}

impl RangeList {
    const fn new() -> Self {
        RangeList {
            ranges: [PhysRange::new(0, 0); MAX_RANGES],
            len: 0,
        }
    }

    fn push(&mut self, range: PhysRange) {
        if self.len < MAX_RANGES && range.size() > 0 {
            self.ranges[self.len] = range;
            self.len += 1;
        }
    }

    /// The ranges.
    pub fn as_slice(&self) -> &[PhysRange] {
        &self.ranges[..self.len]
    }
}

/// Why the device tree was not used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DtbProblem {
    /// x0 held no address that could be a device tree.
    Absent,
    /// x0 pointed at something that is not a device tree.
    Malformed(FdtError),
}

/// Everything `kernel_init` needs to know about the machine.
pub struct BootInfo {
    /// The board.
    pub board: &'static Board,
    /// The device tree's location, if one was found and parsed.
    pub dtb: Option<PhysRange>,
    /// Why there is no device tree, if there is none.
    pub dtb_problem: Option<DtbProblem>,
    /// RAM.
    pub ram: RangeList,
    /// The console UART.
    pub uart: u64,
    /// The initrd (the guest image), if the loader passed one.
    pub initrd: Option<PhysRange>,
    /// How to reach PSCI.
    pub psci: PsciConduit,
    /// The exception level Granule was entered at.
    pub entry_el: u8,
    /// CNTPCT_EL0 at the first instruction.
    pub boot_counter: u64,
    /// Where the kernel image sits.
    pub image: PhysRange,
    /// The command line, and where it came from.
    bootargs: [u8; MAX_BOOTARGS],
    bootargs_len: usize,
    /// "device tree", "semihosting" or "none".
    pub bootargs_source: &'static str,
}

impl BootInfo {
    /// The kernel command line.
    pub fn bootargs(&self) -> &str {
        core::str::from_utf8(&self.bootargs[..self.bootargs_len]).unwrap_or("")
    }

    fn set_bootargs(&mut self, args: &str, source: &'static str) {
        let mut len = args.len().min(MAX_BOOTARGS);
        while !args.is_char_boundary(len) {
            len -= 1;
        }
        self.bootargs[..len].copy_from_slice(&args.as_bytes()[..len]);
        self.bootargs_len = len;
        self.bootargs_source = source;
    }

    /// Memory that must not be handed out: the kernel, the device tree, the
    /// initrd, and everything below the kernel (firmware stubs, spin tables).
    pub fn reserved(&self) -> RangeList {
        let mut list = RangeList::new();
        list.push(PhysRange {
            start: self.board.ram_base.min(self.image.start),
            end: self.image.end,
        });
        if let Some(dtb) = self.dtb {
            list.push(dtb);
        }
        if let Some(initrd) = self.initrd {
            list.push(initrd);
        }
        list
    }
}

/// Gathers the boot information.
pub fn discover(dtb_address: u64, entry_el: u8, boot_counter: u64, image: PhysRange) -> BootInfo {
    let mut info = BootInfo {
        board: board::by_load_address(image.start, crate::arch::cpu::midr()),
        dtb: None,
        dtb_problem: None,
        ram: RangeList::new(),
        uart: 0,
        initrd: None,
        psci: PsciConduit::None,
        entry_el,
        boot_counter,
        image,
        bootargs: [0; MAX_BOOTARGS],
        bootargs_len: 0,
        bootargs_source: "none",
    };
    match device_tree(dtb_address) {
        Ok(blob) => {
            info.dtb = Some(PhysRange::new(dtb_address, blob.len() as u64));
            match Fdt::new(blob) {
                Ok(fdt) => read_device_tree(&mut info, &fdt),
                Err(e) => info.dtb_problem = Some(DtbProblem::Malformed(e)),
            }
        }
        Err(problem) => info.dtb_problem = Some(problem),
    }
    if info.ram.len == 0 {
        for range in info.board.default_ram {
            info.ram.push(*range);
        }
    }
    if info.uart == 0 {
        info.uart = info.board.uart;
    }
    if info.bootargs_len == 0 {
        let mut buffer = [0u8; MAX_BOOTARGS];
        if let Some(line) = semihosting::command_line(&mut buffer) {
            // QEMU's line starts with the kernel's file name.
            let args = line.split_once(' ').map_or("", |(_, rest)| rest);
            info.set_bootargs(args, "semihosting");
        }
    }
    if info.initrd.is_none() {
        // Only inside RAM: anything else is a typo, not memory to reserve.
        if let Some((start, size)) = crate::cmdline::parse(info.bootargs()).0.initrd {
            let range = PhysRange::new(start, size);
            if info
                .ram
                .as_slice()
                .iter()
                .any(|r| r.start <= range.start && range.end <= r.end)
            {
                info.initrd = Some(range);
            }
        }
    }
    info
}

/// The blob at `address`, if it looks like a device tree. Every read is a
/// probe: x0 may be anything when the loader passed no tree.
fn device_tree(address: u64) -> Result<&'static [u8], DtbProblem> {
    if address == 0 || !address.is_multiple_of(8) {
        return Err(DtbProblem::Absent);
    }
    let header = probe_read_u64(address).map_err(|_| DtbProblem::Absent)?;
    // The header is big-endian: magic, then total size.
    let magic = u32::from_be(header as u32);
    let size = u64::from(u32::from_be((header >> 32) as u32));
    if magic != FDT_MAGIC {
        return Err(DtbProblem::Absent);
    }
    if !(8..=MAX_DTB_SIZE).contains(&size) {
        return Err(DtbProblem::Malformed(FdtError::Truncated));
    }
    probe_read_u64((address + size - 8) & !7)
        .map_err(|_| DtbProblem::Malformed(FdtError::Truncated))?;
    // SAFETY: both ends of the range were read without a fault, the range is
    // RAM the loader filled, and `BootInfo::reserved` keeps it from reuse.
    Ok(unsafe { core::slice::from_raw_parts(address as *const u8, size as usize) })
}

fn read_device_tree(info: &mut BootInfo, fdt: &Fdt<'_>) {
    let root = fdt.root();
    if let Some(board) = board::by_compatible(|c| root.is_compatible(c)) {
        info.board = board;
    }
    for node in root.children() {
        // Secure-only RAM (QEMU virt with secure=on) is marked disabled.
        if node.str("device_type") == Some("memory") && is_enabled(&node) {
            match node.reg(&root) {
                Ok(reg) => reg.for_each(|(start, size)| info.ram.push(PhysRange::new(start, size))),
                Err(e) => info.dtb_problem = Some(DtbProblem::Malformed(e)),
            }
        }
    }
    if let Some(chosen) = fdt.find_node("/chosen") {
        if let Some(args) = chosen.str("bootargs") {
            info.set_bootargs(args, "device tree");
        }
        let cell = |name| {
            let v = chosen.property(name)?;
            match v.len() {
                4 => Some(u64::from(u32::from_be_bytes(v.try_into().ok()?))),
                8 => Some(u64::from_be_bytes(v.try_into().ok()?)),
                _ => None,
            }
        };
        if let (Some(start), Some(end)) = (cell("linux,initrd-start"), cell("linux,initrd-end")) {
            if end > start {
                info.initrd = Some(PhysRange { start, end });
            }
        }
    }
    info.psci = match fdt.find_node("/psci").and_then(|p| p.str("method")) {
        Some("hvc") => PsciConduit::Hvc,
        Some("smc") => PsciConduit::Smc,
        _ => PsciConduit::None,
    };
    if info.board.uart_from_device_tree {
        let found = fdt.find_compatible("arm,pl011", |node, ancestors| {
            if !is_enabled(&node) {
                return None;
            }
            let first = node.reg(ancestors.last()?).map(|mut reg| reg.next());
            match first {
                Ok(Some((address, _))) => translate_address(address, ancestors).transpose(),
                Ok(None) => None,
                Err(e) => Some(Err(e)),
            }
        });
        match found {
            Some(Ok(address)) => info.uart = address,
            Some(Err(e)) => info.dtb_problem = Some(DtbProblem::Malformed(e)),
            None => info.uart = 0,
        }
    }
}

/// Whether a node's `status` is absent, "okay" or "ok".
fn is_enabled(node: &emu::fdt::Node<'_>) -> bool {
    node.str("status").is_none_or(|s| s == "okay" || s == "ok")
}
