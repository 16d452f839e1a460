//! `granule-run`: runs an AArch64 guest image (raw, arm64 Image or ELF) on
//! Granule's emulator on the development machine, in the same `virt`-
//! compatible machine the kernel gives it on the board. The guest's UART
//! goes to stdout unchanged, the runner's messages to stderr, and the exit
//! status is the guest's, as with
//! `qemu-system-aarch64 -M virt -cpu max -nographic -semihosting -kernel IMAGE`.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver};
use std::time::{Instant, SystemTime};

use clap::Parser;
use emu::cpu::{Cpu, CpuConfig, Step, DEFAULT_BUDGET};
use emu::machine::run::run;
use emu::machine::semihosting::SemihostingHost;
use emu::machine::{check_ram_size, dtb, CounterSource, Virt, VirtConfig};
use emu::mem::ConsoleSource;
use emu::pagesize::PageSize;

/// Run an AArch64 guest image in Granule's virt-compatible machine.
#[derive(Parser, Debug)]
#[command(name = "granule-run", version, about)]
struct Args {
    /// The emulator's page size (the TLB's unit): 1k, 4k, 16k or 64k.
    #[arg(long, default_value = "4k", value_parser = parse_page_size)]
    page_size: PageSize,
    /// Guest RAM at 0x4000_0000, e.g. 128M or 1G.
    #[arg(long, default_value = "128M", value_parser = parse_size)]
    memory: u64,
    /// Stop the guest after this many instructions.
    #[arg(long, default_value_t = DEFAULT_BUDGET)]
    max_insns: u64,
    /// The guest's command line (/chosen/bootargs; semihosting's
    /// SYS_GET_CMDLINE after the image name).
    #[arg(long, default_value = "")]
    append: String,
    /// Print every instruction to stderr: PC, encoding, disassembly and the
    /// registers it wrote.
    #[arg(long)]
    trace: bool,
    /// Make the counter (CNTVCT_EL0) count guest instructions instead of
    /// following the host's clock: every read becomes reproducible.
    #[arg(long)]
    icount: bool,
    /// Print the run's figures to stderr at the end (instructions, time,
    /// TLB counters).
    #[arg(long)]
    stats: bool,
    /// Write the guest's device tree to this file and exit.
    #[arg(long, value_name = "FILE")]
    dump_dtb: Option<PathBuf>,
    /// The guest image.
    image: PathBuf,
}

fn parse_page_size(s: &str) -> Result<PageSize, String> {
    s.parse::<PageSize>()
        .map_err(|_| format!("'{s}' is not a page size: use 1k, 4k, 16k or 64k"))
}

/// `128M`, `1G`, `65536`, `512K` (binary units, case-insensitive).
fn parse_size(s: &str) -> Result<u64, String> {
    let bad = || format!("'{s}' is not a size: use e.g. 128M or 1G");
    let (digits, shift) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let shift = match c.to_ascii_lowercase() {
                'k' => 10,
                'm' => 20,
                'g' => 30,
                _ => return Err(bad()),
            };
            (&s[..i], shift)
        }
        _ => (s, 0),
    };
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let size = n
        .checked_shl(shift)
        .filter(|v| v >> shift == n)
        .ok_or_else(bad)?;
    check_ram_size(size).map_err(|e| e.to_string())?;
    Ok(size)
}

/// Standard input, read by a thread so the guest can poll it.
struct Stdin {
    rx: Receiver<u8>,
}

impl Stdin {
    fn spawn() -> Self {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut byte = [0u8];
            let mut input = std::io::stdin().lock();
            while let Ok(1) = input.read(&mut byte) {
                if tx.send(byte[0]).is_err() {
                    break;
                }
            }
        });
        Stdin { rx }
    }
}

/// The UART's view: whatever has arrived.
struct UartInput(std::sync::Arc<std::sync::Mutex<Stdin>>);

impl ConsoleSource for UartInput {
    fn poll_byte(&mut self) -> Option<u8> {
        self.0.lock().ok()?.rx.try_recv().ok()
    }
}

struct Host {
    start: Instant,
    stdin: std::sync::Arc<std::sync::Mutex<Stdin>>,
}

impl SemihostingHost for Host {
    fn write_console(&mut self, error: bool, bytes: &[u8]) {
        // A closed pipe is the reader's choice; the guest goes on.
        let _ = if error {
            std::io::stderr().write_all(bytes)
        } else {
            std::io::stdout().write_all(bytes)
        };
    }
    fn read_console(&mut self) -> Option<u8> {
        let _ = std::io::stdout().flush();
        self.stdin.lock().ok()?.rx.recv().ok()
    }
    fn elapsed_ns(&mut self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }
    fn unix_time(&mut self) -> Option<u64> {
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs())
    }
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("granule-run: {message}");
    ExitCode::from(2)
}

/// One trace line: PC, encoding, disassembly, then what changed. With no
/// step (after a reset), only takes the registers to compare with.
fn trace_line(cpu: &Cpu, step: Option<&Step>, before: &mut [u64; 33]) {
    let Some(step) = step else {
        *before = snapshot(cpu);
        return;
    };
    let mut line = match (step.word, step.insn) {
        (Some(w), Some(i)) => format!("{:016x}: {w:08x}  {i}", step.pc),
        _ => format!("{:016x}: <no instruction>", step.pc),
    };
    let now = snapshot(cpu);
    for (i, (a, b)) in before.iter().zip(now.iter()).enumerate() {
        if a != b {
            let name = match i {
                31 => "sp".to_string(),
                32 => "nzcv".to_string(),
                n => format!("x{n}"),
            };
            line.push_str(&format!("  {name}={b:#x}"));
        }
    }
    if let Some(e) = &step.exception {
        line.push_str(&format!("  exception {e:?}"));
    }
    *before = now;
    eprintln!("{line}");
}

/// X0-X30, SP and NZCV.
fn snapshot(cpu: &Cpu) -> [u64; 33] {
    let r = &cpu.regs;
    let mut v = [0u64; 33];
    v[..31].copy_from_slice(&r.x);
    v[31] = r.sp();
    v[32] = r.pstate.nzcv();
    v
}

fn main() -> ExitCode {
    let args = Args::parse();
    let image = match std::fs::read(&args.image) {
        Ok(bytes) => bytes,
        Err(e) => return fail(format_args!("cannot read {}: {e}", args.image.display())),
    };
    let mut config = VirtConfig::new(args.page_size);
    config.ram_size = args.memory;
    config.bootargs = args.append.clone();
    config.image_name = args.image.display().to_string();
    config.counter = if args.icount {
        CounterSource::Instructions
    } else {
        CounterSource::HostClock
    };
    let stdin = std::sync::Arc::new(std::sync::Mutex::new(Stdin::spawn()));
    let sink = |b: u8| {
        let mut out = std::io::stdout();
        let _ = out.write_all(&[b]);
        if b == b'\n' {
            let _ = out.flush();
        }
    };
    let mut virt = match Virt::new(
        config,
        None,
        Box::new(sink),
        Some(Box::new(UartInput(stdin.clone()))),
    ) {
        Ok(v) => v,
        Err(e) => return fail(e),
    };
    if let Some(path) = &args.dump_dtb {
        let boot = match virt.load(&image) {
            Ok(b) => b,
            Err(e) => return fail(e),
        };
        let blob = match virt
            .map
            .read_vec(emu::addr::PhysAddr(boot.dtb), dtb::DTB_SIZE)
        {
            Ok(b) => b,
            Err(e) => return fail(e),
        };
        return match std::fs::write(path, blob) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(format_args!("cannot write {}: {e}", path.display())),
        };
    }
    let mut cpu = match Cpu::new(CpuConfig::new(args.page_size)) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let mut host = Host {
        start: Instant::now(),
        stdin,
    };
    let mut before = [0u64; 33];
    let mut tracer = |cpu: &Cpu, step: Option<&Step>| trace_line(cpu, step, &mut before);
    let on_step: Option<emu::machine::run::StepHook<'_>> =
        if args.trace { Some(&mut tracer) } else { None };
    let report = match run(
        &mut virt,
        &mut cpu,
        &image,
        &mut host,
        args.max_insns,
        on_step,
    ) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let _ = std::io::stdout().flush();
    let undefined: Vec<String> = cpu
        .stats
        .undefined_by_class()
        .map(|(class, n)| format!("{class:?} {n}"))
        .collect();
    if !undefined.is_empty() {
        eprintln!(
            "granule-run: UNDEFINED instructions by class: {}",
            undefined.join(", ")
        );
    }
    if args.stats {
        eprintln!("granule-run: {} ({})", report, report.boot.format);
    }
    if !report.passed() {
        eprintln!("granule-run: {}", report.exit);
    }
    ExitCode::from((report.status() & 0xff) as u8)
}
