//! The workloads compiled into the kernel (`workloads.S`): sorting, CRC-32,
//! a multiply-rotate hash, a bytecode interpreter, memory copies and scans
//! across many pages, pointer chasing and a branchy state machine. Each
//! runs natively on the CPU the kernel runs on and under emu's CPU, from
//! the same input, and the two must end with the same X0 and the same
//! data buffer, bit for bit. The on-target test
//! `workloads::native_equals_emulated` checks that and the shell's `bench`
//! times both.
//!
//! The emulated run is a guest of its own: the function's bytes at the
//! start of guest RAM, an `HVC #0` right after them as the return address,
//! the data buffer's pages mapped in reverse physical order, and the
//! guest's own stage 1 tables (made by emu's table builder in guest RAM,
//! guest granule 4K, 16K or 64K: code read-only executable, data
//! read/write, never executable) switched on through SCTLR_EL1, TCR_EL1,
//! TTBR0_EL1 and MAIR_EL1 set directly on the CPU. It runs through the
//! translator (`Cpu::set_translation(true)`).

use crate::arch::cpu;
use crate::memory::guest_ram::GuestRam;
use crate::memory::mmu;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use emu::addr::PhysAddr;
use emu::arch::sysreg::TCR_EL1;
use emu::cpu::sysreg::SCTLR_RESET;
use emu::cpu::{CallResult, Cpu, CpuConfig, Exit, GuestContext, System};
use emu::granule::Granule;
use emu::mem::{GuestTableMemory, PhysMemoryMap};
use emu::mmu::{AccessPermissions, PageTable, Stage1Attributes, TableConfig};
use emu::pagesize::PageSize;

core::arch::global_asm!(include_str!("workloads.S"));

/// One workload: its code, its input and its argument.
pub struct Workload {
    /// Its name (`bench NAME`).
    pub name: &'static str,
    /// The addresses of its first byte and of the byte after its last.
    code: fn() -> (usize, usize),
    /// Fills the data buffer with the input.
    input: fn(&mut [u8]),
    /// The data buffer's size in bytes.
    pub buffer: usize,
    /// X1.
    pub arg: u64,
}

/// One row of [`WORKLOADS`]: name, symbol, input generator, buffer bytes, X1.
macro_rules! workload {
    ($name:literal, $sym:ident, $input:expr, $buffer:expr, $arg:expr) => {
        Workload {
            name: $name,
            code: || {
                extern "C" {
                    static $sym: u8;
                }
                let start = &raw const $sym as usize;
                let end = {
                    extern "C" {
                        #[link_name = concat!(stringify!($sym), "_end")]
                        static END: u8;
                    }
                    &raw const END as usize
                };
                (start, end)
            },
            input: $input,
            buffer: $buffer,
            arg: $arg,
        }
    };
}

/// Every workload. Registering one takes one row.
pub static WORKLOADS: &[Workload] = &[
    workload!("sort", wl_sort, random_bytes, 160 * 4, 160),
    workload!("crc32", wl_crc32, random_bytes, 1024, 1024),
    workload!("mulrot", wl_mulrot, random_bytes, 32 << 10, 4096),
    workload!("bytecode", wl_bytecode, bytecode, 512, 150),
    workload!("copy", wl_copy, random_bytes, 128 << 10, 64 << 10),
    workload!("scan", wl_scan, random_bytes, 128 << 10, 128 << 10),
    workload!("chase", wl_chase, linked_nodes, CHASE_NODES * 16, 6000),
    workload!("fsm", wl_fsm, text, 4096, 4096),
];

/// `wl_chase`'s node count (it masks indexes with `CHASE_NODES - 1`).
const CHASE_NODES: usize = 16384;

/// A xorshift64 stream from a fixed seed: the inputs are the same every run.
struct Random(u64);

impl Random {
    fn new() -> Self {
        Random(0x2545_f491_4f6c_dd1d)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn random_bytes(buf: &mut [u8]) {
    let mut r = Random::new();
    for b in buf.iter_mut() {
        *b = r.next() as u8;
    }
}

/// A program of random ops (add, xor, mul, ror, store, load) over pairs
/// 0..30, then LOOP to 0 and HALT; the slots after it random.
fn bytecode(buf: &mut [u8]) {
    random_bytes(buf);
    let mut r = Random::new();
    for pair in buf[..60].chunks_exact_mut(2) {
        pair[0] = (r.next() % 6) as u8;
    }
    buf[60..64].copy_from_slice(&[6, 0, 7, 0]);
    for pair in buf[64..256].chunks_exact_mut(2) {
        pair[0] = 7;
    }
}

/// One cycle through every node (Sattolo's shuffle), random values.
fn linked_nodes(buf: &mut [u8]) {
    let mut r = Random::new();
    let mut order: Vec<u32> = (0..CHASE_NODES as u32).collect();
    for i in (1..order.len()).rev() {
        let j = (r.next() % i as u64) as usize;
        order.swap(i, j);
    }
    for (i, node) in buf.chunks_exact_mut(16).enumerate() {
        let next = order.get(i).copied().unwrap_or(0);
        node[..4].copy_from_slice(&next.to_le_bytes());
        node[4..8].copy_from_slice(&0u32.to_le_bytes());
        node[8..].copy_from_slice(&r.next().to_le_bytes());
    }
}

/// Text of numbers, words, spaces, newlines and punctuation.
fn text(buf: &mut [u8]) {
    const ALPHABET: &[u8] = b"0123456789  abcxyzQRS_9 \n.,;!(  42 ";
    let mut r = Random::new();
    for b in buf.iter_mut() {
        *b = ALPHABET[(r.next() % ALPHABET.len() as u64) as usize];
    }
}

impl Workload {
    /// Its code's bytes, as linked into the kernel.
    pub fn code(&self) -> &'static [u8] {
        let (start, end) = (self.code)();
        // SAFETY: the two symbols bound one function in the kernel's text,
        // which is mapped readable and never written.
        unsafe { core::slice::from_raw_parts(start as *const u8, end - start) }
    }

    /// Its input, in a fresh buffer.
    pub fn input(&self) -> Vec<u8> {
        let mut buf = alloc::vec![0u8; self.buffer];
        (self.input)(&mut buf);
        buf
    }

    /// Runs it natively on `buf` (its input); returns X0 and the time.
    pub fn native(&self, buf: &mut [u8]) -> (u64, u64) {
        assert!(buf.len() >= self.buffer, "workload buffer too small");
        // SAFETY: the buffer is the workload's own size and X1 its own.
        unsafe { self.native_with(buf, self.arg) }
    }

    /// Runs it natively on `buf` with X1 = `arg`; returns X0 and the time.
    ///
    /// # Safety
    /// With this `arg` the workload must access no byte outside `buf`.
    pub unsafe fn native_with(&self, buf: &mut [u8], arg: u64) -> (u64, u64) {
        let (start, _) = (self.code)();
        // SAFETY: `start` is a leaf function of workloads.S that follows
        // the C calling convention (x0, x1 in; x0 out; only x0-x15 used)
        // and touches memory only inside `buf` (the caller's contract).
        let f: extern "C" fn(*mut u8, u64) -> u64 = unsafe { core::mem::transmute(start) };
        let t = cpu::counter();
        let x0 = f(buf.as_mut_ptr(), arg);
        let ticks = cpu::counter().wrapping_sub(t);
        (x0, ticks_to_ns(ticks))
    }
}

/// Counter ticks as nanoseconds.
pub fn ticks_to_ns(ticks: u64) -> u64 {
    (u128::from(ticks) * 1_000_000_000 / u128::from(cpu::counter_frequency().max(1))) as u64
}

/// Guest physical layout: RAM, the code at its start, the data buffer's
/// pages from 1 MiB, the tables in the last MiB.
const RAM: u64 = 0x4000_0000;
const RAM_SIZE: u64 = 4 << 20;
const CODE_PA: u64 = RAM;
const DATA_PA: u64 = RAM + (1 << 20);
/// The most buffer a workload may have.
const DATA_MAX: u64 = 1 << 20;
const TABLES_PA: u64 = RAM + RAM_SIZE - (1 << 20);
/// Guest virtual layout.
const CODE_VA: u64 = 0x10_0000_0000;
/// The data 33 64K pages past an aligned address: the code's and the
/// data's first pages then fall in different slots of the CPU's
/// direct-mapped TLB at every TLB page size (at the aligned address
/// itself the two share slot 0 and a loop over the data's first page
/// misses on every access, code and data evicting each other).
const DATA_VA: u64 = 0x20_0000_0000 + 33 * (64 << 10);
/// The code region (the largest function plus the HVC, one 64K page).
const CODE_MAX: u64 = 64 << 10;
const HVC_0: u32 = 0xd400_0002;
/// The most instructions a workload may take under the emulator.
const BUDGET: u64 = 50_000_000;

/// `HVC #0` ends the run (the workload returned to it).
struct EndAtHvc;

impl System for EndAtHvc {
    fn hvc(&mut self, _: u16, _: &mut GuestContext<'_>) -> CallResult {
        CallResult::Exit(Exit::PowerOff)
    }
    fn semihosting(&mut self, _: &mut GuestContext<'_>) -> CallResult {
        CallResult::Undefined
    }
}

/// A guest for the workloads: memory with its own tables at one guest
/// granule, and a CPU whose TLB works in one page size.
pub struct Guest {
    /// Run through the translator (the default) or single-step.
    pub translate: bool,
    mem: PhysMemoryMap,
    cpu: Cpu,
    page: u64,
    tcr: u64,
    ttbr0: u64,
}

/// What an emulated run gave.
pub struct Emulated {
    /// X0 at the end.
    pub x0: u64,
    /// The buffer at the end.
    pub buffer: Vec<u8>,
    /// Instructions executed (the HVC included).
    pub instructions: u64,
    /// Host time of the run, in ns.
    pub ns: u64,
}

/// `e`, as a message.
fn text_of(e: impl core::fmt::Display) -> String {
    format!("{e}")
}

impl Guest {
    /// Guest RAM from the frame allocator, tables for `granule`, a CPU
    /// whose TLB page is `tlb_page`.
    pub fn new(granule: Granule, tlb_page: PageSize) -> Result<Self, String> {
        let ram = GuestRam::allocate(RAM_SIZE)?;
        let mut mem = PhysMemoryMap::with_storage(tlb_page, alloc::boxed::Box::new(ram));
        mem.add_ram("ram", PhysAddr(RAM), RAM_SIZE, 0)
            .map_err(text_of)?;
        let config = TableConfig::stage1(granule, 39, 40).map_err(text_of)?;
        let page = granule.size();
        let mut tables =
            GuestTableMemory::new(&mut mem, PhysAddr(TABLES_PA), PhysAddr(RAM + RAM_SIZE));
        let mut table = PageTable::new(config, &mut tables).map_err(text_of)?;
        let code = Stage1Attributes {
            access: AccessPermissions::PrivilegedReadOnly,
            pxn: false,
            ..Stage1Attributes::kernel_data(0)
        };
        let data = Stage1Attributes::kernel_data(0);
        let result = (|| {
            table.map(&mut tables, CODE_VA, PhysAddr(CODE_PA), CODE_MAX, code)?;
            // Neighbouring data pages in VA are far apart in PA, backwards.
            let pages = DATA_MAX / page;
            for i in 0..pages {
                let pa = DATA_PA + (pages - 1 - i) * page;
                table.map(&mut tables, DATA_VA + i * page, PhysAddr(pa), page, data)?;
            }
            Ok::<(), emu::mmu::MapError>(())
        })();
        result.map_err(|e| format!("building the guest's tables: {e}"))?;
        let cpu = Cpu::new(CpuConfig::new(tlb_page)).map_err(text_of)?;
        Ok(Guest {
            translate: true,
            mem,
            cpu,
            page,
            tcr: config.tcr_el1_bits() | TCR_EL1::EPD1::SET.value,
            ttbr0: table.root().0,
        })
    }

    /// The physical address of byte `offset` of the data buffer.
    fn data_pa(&self, offset: u64) -> u64 {
        let pages = DATA_MAX / self.page;
        DATA_PA + (pages - 1 - offset / self.page) * self.page + offset % self.page
    }

    /// Copies `bytes` into (or, `out`, out of) the data buffer, page by page.
    fn data(&mut self, bytes: &mut [u8], out: bool) -> Result<(), String> {
        let mut offset = 0;
        for chunk in bytes.chunks_mut(self.page as usize) {
            let pa = PhysAddr(self.data_pa(offset));
            if out {
                self.mem.read_bytes(pa, chunk).map_err(text_of)?;
            } else {
                self.mem.write_bytes(pa, chunk).map_err(text_of)?;
            }
            offset += chunk.len() as u64;
        }
        Ok(())
    }

    /// Runs `w` from `input` under the emulator.
    pub fn run(&mut self, w: &Workload, input: &[u8]) -> Result<Emulated, String> {
        self.run_with(w, input, w.arg)
    }

    /// [`Guest::run`] with X1 = `arg`.
    pub fn run_with(&mut self, w: &Workload, input: &[u8], arg: u64) -> Result<Emulated, String> {
        let code = w.code();
        if code.len() as u64 + 4 > CODE_MAX || input.len() as u64 > DATA_MAX {
            return Err(format!(
                "{}: code or buffer too large for the guest",
                w.name
            ));
        }
        let mut bytes = Vec::from(code);
        bytes.extend_from_slice(&HVC_0.to_le_bytes());
        self.mem
            .write_bytes(PhysAddr(CODE_PA), &bytes)
            .map_err(text_of)?;
        let mut buffer = Vec::from(input);
        self.data(&mut buffer, false)?;
        let cpu = &mut self.cpu;
        // Reset also empties the TLBs and the block cache.
        cpu.reset(CODE_VA, DATA_VA);
        cpu.set_translation(self.translate);
        cpu.regs.set_x(1, arg);
        cpu.regs.set_x(30, CODE_VA + code.len() as u64);
        cpu.sys.mair = 0xff;
        cpu.sys.tcr = self.tcr;
        cpu.sys.ttbr0 = self.ttbr0;
        cpu.sys.sctlr = SCTLR_RESET | 1;
        let before = cpu.stats.instructions;
        let start = cpu::counter();
        let exit = cpu.run(&mut self.mem, &mut EndAtHvc, BUDGET);
        let ns = ticks_to_ns(cpu::counter().wrapping_sub(start));
        if exit != Exit::PowerOff {
            return Err(format!(
                "{}: the emulated run did not return: {exit} (ESR_EL1 {:#x}, FAR_EL1 {:#x})",
                w.name, cpu.sys.esr, cpu.sys.far
            ));
        }
        let (x0, instructions) = (cpu.regs.x(0), cpu.stats.instructions - before);
        self.data(&mut buffer, true)?;
        Ok(Emulated {
            x0,
            buffer,
            instructions,
            ns,
        })
    }
}

/// The workload called `name`.
pub fn find(name: &str) -> Option<&'static Workload> {
    WORKLOADS.iter().find(|w| w.name == name)
}

/// The TLB page size the CPU uses under host granule `g` (as `run` does).
pub fn tlb_page(g: Granule) -> PageSize {
    match g {
        Granule::K4 => PageSize::K4,
        Granule::K16 => PageSize::K16,
        Granule::K64 => PageSize::K64,
    }
}

/// The first difference between a native and an emulated run, if any.
pub fn compare(native_x0: u64, native: &[u8], e: &Emulated) -> Option<String> {
    if native_x0 != e.x0 {
        return Some(format!("X0: native {native_x0:#x}, emulated {:#x}", e.x0));
    }
    let at = native.iter().zip(&e.buffer).position(|(a, b)| a != b)?;
    Some(format!(
        "buffer byte {at:#x}: native {:#04x}, emulated {:#04x}",
        native[at], e.buffer[at]
    ))
}

/// Calls `f` with a fresh [`Guest`] for each host granule of `hosts` (the
/// kernel switched to it) and each guest granule of `guests`, then puts
/// the kernel back on the granule it started with. Stops at the first
/// error, naming the configuration.
pub fn each_config(
    hosts: &[Granule],
    guests: &[Granule],
    mut f: impl FnMut(Granule, Granule, &mut Guest) -> Result<(), String>,
) -> Result<(), String> {
    let original = mmu::current().map(|c| c.granule);
    let mut result = Ok(());
    'hosts: for &host in hosts {
        if mmu::current().map(|c| c.granule) != Some(host) {
            if let Err(e) = mmu::switch_granule(host) {
                result = Err(format!("host granule {host}: {e}"));
                break;
            }
        }
        for &guest in guests {
            let r = Guest::new(guest, tlb_page(host)).and_then(|mut g| f(host, guest, &mut g));
            if let Err(e) = r {
                result = Err(format!("host granule {host}, guest page size {guest}: {e}"));
                break 'hosts;
            }
        }
    }
    if let Some(g) = original {
        if mmu::current().map(|c| c.granule) != Some(g) {
            if let Err(e) = mmu::switch_granule(g) {
                return Err(format!("back to host granule {g}: {e}"));
            }
        }
    }
    result
}

/// The host granules the CPU has.
pub fn host_granules() -> Vec<Granule> {
    mmu::features().stage1.iter().collect()
}
