//! `run [NAME|all] [host-granule=G|all] [page-size=P]`: runs a guest image
//! (the initrd, or a built-in guest; `all`: every one but the `bench-*`
//! benchmarks) on emu's CPU in the virt-compatible
//! machine, once per host granule asked for. Every line the guest writes
//! is printed as `guest| LINE`; each run opens with `guest run:
//! host-granule=G page-size=P` and closes with its exit, instructions,
//! time and TLB counters. With several guests or granules, a summary
//! table follows.

use super::args::{self, ArgError, HostGranules, RunArgs};
use super::Outcome;
use crate::arch::cpu;
use crate::kernel::with_boot_info;
use crate::memory::guest_ram::GuestRam;
use crate::memory::mmu;
use crate::{console, guests, println};
use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use emu::cpu::{Cpu, CpuConfig, DEFAULT_BUDGET};
use emu::granule::Granule;
use emu::machine::layout::DEFAULT_RAM_SIZE;
use emu::machine::run::{self as emulated, run as run_guest, RunReport};
use emu::machine::semihosting::SemihostingHost;
use emu::machine::{Virt, VirtConfig};
use emu::mem::{ConsoleSink, ConsoleSource, LineSink};
use emu::pagesize::PageSize;

// The integer benchmark's loop (the bench-int guest's), for running it
// natively beside the emulated run.
core::arch::global_asm!(include_str!("../../../guests/lib/intloop.S"));
extern "C" {
    fn granule_bench_int_loop(iterations: u64) -> u64;
}
/// bench-int's iterations and instructions per iteration (guests/bench-int.c).
const BENCH_INT_ITERATIONS: u64 = 2_000_000;
const BENCH_INT_INSNS_PER_ITERATION: u64 = 8;

/// Runs the integer loop natively; prints it and the slowdown of `emulated`.
fn native_bench_int(emulated: &RunReport) {
    let start = cpu::counter();
    // SAFETY: the loop reads and writes only x0-x3 and returns (AAPCS64).
    let sum = unsafe { granule_bench_int_loop(BENCH_INT_ITERATIONS) };
    let ticks = cpu::counter().wrapping_sub(start).max(1);
    core::hint::black_box(sum);
    let insns = BENCH_INT_ITERATIONS * BENCH_INT_INSNS_PER_ITERATION;
    let ns =
        (u128::from(ticks) * 1_000_000_000 / u128::from(cpu::counter_frequency().max(1))) as u64;
    let native = emulated::Mips(((u128::from(insns) * 100_000) / u128::from(ns.max(1))) as u64);
    let slowdown_x100 = (u128::from(native.0) * 100) / u128::from(emulated.centi_mips().max(1));
    println!(
        "native: {insns} instructions in {} us: {native} MIPS; emulated {} MIPS; emulated/native slowdown {}.{:02}x",
        ns / 1000,
        emulated.mips(),
        slowdown_x100 / 100,
        slowdown_x100 % 100
    );
}

/// Guest output, line by line, as `guest| LINE`.
type Lines = Rc<RefCell<LineSink<fn(&[u8])>>>;

fn print_line(line: &[u8]) {
    println!("guest| {}", String::from_utf8_lossy(line));
}

/// Semihosting's debug console and stderr (QEMU's stderr), kept apart from
/// the UART's transcript.
fn print_error_line(line: &[u8]) {
    println!("guest stderr| {}", String::from_utf8_lossy(line));
}

struct UartOut(Lines);
impl ConsoleSink for UartOut {
    fn write_byte(&mut self, byte: u8) {
        self.0.borrow_mut().write_byte(byte);
    }
}

/// The board's console as the guest's UART input (interactive runs).
struct BoardInput;
impl ConsoleSource for BoardInput {
    fn poll_byte(&mut self) -> Option<u8> {
        console::read_byte()
    }
}

struct Host {
    lines: Lines,
    errors: LineSink<fn(&[u8])>,
    start: u64,
    interactive: bool,
}

impl SemihostingHost for Host {
    fn write_console(&mut self, error: bool, bytes: &[u8]) {
        if error {
            for b in bytes {
                self.errors.write_byte(*b);
            }
            return;
        }
        let mut lines = self.lines.borrow_mut();
        for b in bytes {
            lines.write_byte(*b);
        }
    }
    fn read_console(&mut self) -> Option<u8> {
        if !self.interactive {
            return None;
        }
        loop {
            if let Some(b) = console::read_byte() {
                return Some(b);
            }
            core::hint::spin_loop();
        }
    }
    fn elapsed_ns(&mut self) -> u64 {
        let ticks = cpu::counter().wrapping_sub(self.start);
        (u128::from(ticks) * 1_000_000_000 / u128::from(cpu::counter_frequency().max(1))) as u64
    }
    fn unix_time(&mut self) -> Option<u64> {
        None
    }
}

/// One run of `image` under the current host granule.
fn run_once(image: &[u8], page: PageSize, interactive: bool) -> Result<RunReport, String> {
    let ram = GuestRam::allocate(DEFAULT_RAM_SIZE)?;
    let lines: Lines = Rc::new(RefCell::new(LineSink::new(print_line as fn(&[u8]))));
    let mut config = VirtConfig::new(page);
    config.image_name = String::from("guest");
    let input: Option<Box<dyn ConsoleSource>> = if interactive {
        Some(Box::new(BoardInput))
    } else {
        None
    };
    let mut virt = Virt::new(
        config,
        Some(Box::new(ram)),
        Box::new(UartOut(lines.clone())),
        input,
    )
    .map_err(|e| alloc::format!("{e}"))?;
    let mut cpu = Cpu::new(CpuConfig::new(page)).map_err(|e| alloc::format!("{e}"))?;
    let mut host = Host {
        lines: lines.clone(),
        errors: LineSink::new(print_error_line as fn(&[u8])),
        start: cpu::counter(),
        interactive,
    };
    let report = run_guest(&mut virt, &mut cpu, image, &mut host, DEFAULT_BUDGET, None)
        .map_err(|e| alloc::format!("{e}"));
    lines.borrow_mut().flush();
    host.errors.flush();
    let undefined: Vec<String> = cpu
        .stats
        .undefined_by_class()
        .map(|(class, n)| alloc::format!("{class:?} {n}"))
        .collect();
    if !undefined.is_empty() {
        println!(
            "guest run: UNDEFINED instructions by class: {}",
            undefined.join(", ")
        );
    }
    report
}

/// The initrd, if the loader passed one.
fn initrd() -> Option<&'static [u8]> {
    let range = with_boot_info(|i| i.initrd).flatten()?;
    let len = usize::try_from(range.size()).ok().filter(|n| *n > 0)?;
    // SAFETY: the initrd is RAM the loader filled and the frame allocator
    // keeps reserved for the kernel's whole life; it is identity-mapped and
    // never written, so a shared slice of it stays valid.
    Some(unsafe { core::slice::from_raw_parts(range.start as *const u8, len) })
}

struct Row {
    guest: String,
    granule: Granule,
    result: Result<RunReport, String>,
}

/// The shell command.
pub fn run<'a>(words: &[&'a str]) -> Result<Outcome, ArgError<'a>> {
    let a = args::run(words)?;
    Ok(run_with(a, console_is_interactive()))
}

fn console_is_interactive() -> bool {
    crate::kernel::is_interactive()
}

fn run_with(a: RunArgs<'_>, interactive: bool) -> Outcome {
    let (name, page, native) = (a.name, a.page_size, a.native);
    let granules: Option<Vec<Granule>> = a.host_granules.map(|g| match g {
        HostGranules::All => mmu::features().stage1.iter().collect(),
        HostGranules::One(g) => alloc::vec![g],
    });
    let images: Vec<(String, &'static [u8])> = match name {
        None => match initrd() {
            Some(i) => alloc::vec![(String::from("initrd"), i)],
            None => {
                println!(
                    "run: no initrd: pass an image with scripts/run.sh --guest FILE, or name a built-in guest: {}",
                    guests::names()
                );
                return Outcome::Failed;
            }
        },
        // The benchmarks take long under an emulated board: only by name.
        Some("all") => guests::BUILT_IN
            .iter()
            .filter(|(n, _)| !n.starts_with("bench"))
            .map(|(n, i)| (String::from(*n), *i))
            .collect(),
        Some(n) => match guests::find(n) {
            Some(i) => alloc::vec![(String::from(n), i)],
            None => {
                println!(
                    "run: no built-in guest {n:?}: there are {}",
                    guests::names()
                );
                return Outcome::Failed;
            }
        },
    };
    if native && !images.iter().any(|(n, _)| n == "bench-int") {
        println!("run: native runs only the bench-int guest's loop: run bench-int native");
        return Outcome::Failed;
    }
    if images.is_empty() {
        println!("run: this kernel was built without guests (guests/build.sh failed)");
        return Outcome::Failed;
    }
    let original = mmu::current().map(|c| c.granule);
    let granules = granules.unwrap_or_else(|| original.into_iter().collect());
    let mut rows = Vec::new();
    for &granule in &granules {
        if original.is_none() || mmu::current().map(|c| c.granule) != Some(granule) {
            if let Err(e) = mmu::switch_granule(granule) {
                println!("run: host granule {granule}: {e}");
                rows.push(Row {
                    guest: String::from("-"),
                    granule,
                    result: Err(alloc::format!("{e}")),
                });
                continue;
            }
        }
        let page = page.unwrap_or(match granule {
            Granule::K4 => PageSize::K4,
            Granule::K16 => PageSize::K16,
            Granule::K64 => PageSize::K64,
        });
        for (guest, image) in &images {
            println!(
                "guest run: host-granule={granule} page-size={}k ({guest})",
                page.size() >> 10
            );
            let result = run_once(image, page, interactive);
            match &result {
                Ok(r) if native && guest == "bench-int" => {
                    println!("guest run: {r}");
                    native_bench_int(r);
                }
                Ok(r) => println!("guest run: {r}"),
                Err(e) => println!("guest run: error: {e}"),
            }
            rows.push(Row {
                guest: guest.clone(),
                granule,
                result,
            });
        }
    }
    if let Some(g) = original {
        if mmu::current().map(|c| c.granule) != Some(g) {
            if let Err(e) = mmu::switch_granule(g) {
                println!("run: back to host granule {g}: {e}");
            }
        }
    }
    let failed = rows
        .iter()
        .filter(|r| !matches!(&r.result, Ok(rep) if rep.passed()))
        .count();
    if rows.len() > 1 {
        println!("guest           granule  result  instructions       ms    MIPS");
        for r in &rows {
            match &r.result {
                Ok(rep) => println!(
                    "{:<15} {:<8} {:<7} {:>12} {:>8} {:>7}",
                    r.guest,
                    alloc::format!("{}", r.granule),
                    if rep.passed() { "pass" } else { "FAIL" },
                    rep.instructions,
                    rep.elapsed_ns / 1_000_000,
                    rep.mips()
                ),
                Err(_) => println!(
                    "{:<15} {:<8} error",
                    r.guest,
                    alloc::format!("{}", r.granule)
                ),
            }
        }
        println!(
            "guest runs: {} passed, {} failed",
            rows.len() - failed,
            failed
        );
    }
    if failed == 0 {
        Outcome::Done
    } else {
        Outcome::Failed
    }
}
