//! The shell's commands, and the running of a line (interactive or batch:
//! the same rules). Each command takes the words after its name; argument
//! errors come back as an [`ArgError`] that the shell prints with the
//! command's usage, so every command refuses bad arguments alike. Nothing
//! here may panic on user input.

use super::args::{self, is_keyword, ArgError};
use super::line::{self, Event, LineEditor, LineError};
use crate::arch::cpu;
use crate::kernel::with_boot_info;
use crate::memory::{frame, heap, mmu};
use crate::{console, power, print, println, testing};
use alloc::string::String;
use alloc::vec::Vec;

/// What running a command led to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It worked.
    Done,
    /// It failed (a message was printed).
    Failed,
    /// `poweroff`.
    PowerOff,
}

/// A command: its arguments in, an outcome or an argument error out.
type Run = for<'a> fn(&[&'a str]) -> Result<Outcome, ArgError<'a>>;

struct Command {
    name: &'static str,
    usage: &'static str,
    help: &'static str,
    run: Run,
}

const COMMANDS: &[Command] = &[
    Command {
        name: "help",
        usage: "help [CMD]",
        help: "list the commands, or show one command's usage",
        run: help,
    },
    Command {
        name: "info",
        usage: "info",
        help: "board, CPU, MMU features, memory and the current granule",
        run: info,
    },
    Command {
        name: "granule",
        usage: "granule [4k|16k|64k]",
        help: "show the host granule, or re-map the kernel with another",
        run: granule,
    },
    Command {
        name: "walk",
        usage: "walk VA [el0|el1] [r|w|x] [test G [seed=N]]",
        help: "walk VA in the current tables (or a test set), with AT's PAR_EL1",
        run: super::walk::walk,
    },
    Command {
        name: "tlb",
        usage: "tlb [1k|4k|16k|64k|all]",
        help: "run a guest workload through emu's software TLB; show its counters",
        run: super::tlb::tlb,
    },
    Command {
        name: "run",
        usage: "run [NAME|all] [host-granule=4k|16k|64k|all] [page-size=1k|4k|16k|64k] [native]",
        help: "run the initrd or a built-in guest on emu's CPU, per host granule",
        run: super::run::run,
    },
    Command {
        name: "tb",
        usage: "tb [1k|4k|16k|64k|all]",
        help:
            "run a guest on emu's CPU, interpreted and translated; show the block cache's counters",
        run: super::tb::tb,
    },
    Command {
        name: "bench",
        usage: "bench [NAME|all] [host-granule=4k|16k|64k|all] [page-size=4k|16k|64k|all]",
        help: "time the workloads natively and on emu's CPU: slowdown and guest MIPS",
        run: super::bench::bench,
    },
    Command {
        name: "test",
        usage: "test [--list] [FILTER] [seed=N]",
        help: "run the on-target tests (FILTER: a path prefix or a name)",
        run: test,
    },
    Command {
        name: "poweroff",
        usage: "poweroff",
        help: "power off (QEMU exits)",
        run: poweroff,
    },
];

/// The most words a command line may have, its name included.
const MAX_WORDS: usize = 8;

fn find(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| is_keyword(name, c.name))
}

/// Runs one command (no `;`).
pub fn execute(command: &str) -> Outcome {
    let mut words = [""; MAX_WORDS];
    let mut count = 0;
    for word in command.split_whitespace() {
        if count == words.len() {
            println!("too many words (at most {MAX_WORDS})");
            return Outcome::Failed;
        }
        words[count] = word;
        count += 1;
    }
    let Some((&name, args)) = words[..count].split_first() else {
        return Outcome::Done;
    };
    let Some(command) = find(name) else {
        println!("unknown command {name:?}: type `help` for the list");
        return Outcome::Failed;
    };
    match (command.run)(args) {
        Ok(outcome) => outcome,
        Err(e) => {
            println!("{}: {e}\nusage: {}", command.name, command.usage);
            Outcome::Failed
        }
    }
}

/// What a line's commands did.
#[derive(Debug, Default)]
pub struct LineOutcome {
    /// The commands that failed, as written.
    pub failed: Vec<String>,
    /// `poweroff` ran (the commands after it did not).
    pub power_off: bool,
}

/// Runs the `;`-separated commands of `line`, as typed or as given in
/// batch mode; `show` prints each command before it runs.
pub fn run_line(line: &str, show: bool) -> LineOutcome {
    let mut outcome = LineOutcome::default();
    for command in line::commands(line) {
        let command = match command {
            Ok(command) => command,
            Err((command, e)) => {
                if show {
                    println!("granule> {}", line::ascii_only(command));
                }
                println!("{e}");
                outcome.failed.push(String::from(command));
                continue;
            }
        };
        if show {
            println!("granule> {command}");
        }
        match execute(command) {
            Outcome::Done => {}
            Outcome::Failed => outcome.failed.push(String::from(command)),
            Outcome::PowerOff => {
                outcome.power_off = true;
                break;
            }
        }
    }
    outcome
}

/// Batch mode: runs `line` and names what failed (`failed` starts with what
/// went wrong at boot). Then powers off, with a non-zero status if anything
/// failed, unless `then` is given (`then=shell`) and no command powered off.
pub fn run_batch(line: &str, mut failed: Vec<String>, then: Option<fn() -> !>) -> ! {
    let result = run_line(line, true);
    failed.extend(result.failed);
    if !failed.is_empty() {
        let mut names = String::new();
        for (i, f) in failed.iter().enumerate() {
            if i > 0 {
                names.push_str(", ");
            }
            names.push('`');
            names.push_str(&line::ascii_only(f));
            names.push('`');
        }
        println!("batch: {} command(s) failed: {names}", failed.len());
    }
    match then {
        Some(shell) if !result.power_off => shell(),
        _ => power::exit(u32::from(!failed.is_empty())),
    }
}

/// The interactive shell on the console; never returns (`poweroff` exits).
pub fn run_interactive() -> ! {
    println!("Type `help` for commands.");
    let mut editor = LineEditor::new();
    loop {
        print!("granule> ");
        loop {
            let Some(byte) = console::read_byte() else {
                core::hint::spin_loop();
                continue;
            };
            match editor.feed(byte, &mut |s| print!("{s}")) {
                Event::Pending => continue,
                Event::Line => {
                    if run_line(editor.line(), false).power_off {
                        power::exit(0);
                    }
                }
                Event::Cancelled => {}
                event => {
                    if let Some(e) = LineError::from_event(event) {
                        println!("{e}");
                    }
                }
            }
            editor.clear();
            break;
        }
    }
}

fn help<'a>(args: &[&'a str]) -> Result<Outcome, ArgError<'a>> {
    match args::at_most_one(args)? {
        None => {
            let width = COMMANDS.iter().map(|c| c.usage.len()).max().unwrap_or(0);
            for c in COMMANDS {
                println!("  {:<width$}  {}", c.usage, c.help);
            }
        }
        Some(name) => {
            let Some(c) = find(name) else {
                return Err(ArgError::Bad {
                    word: name,
                    expected: "a command: type `help` for the list",
                });
            };
            println!("usage: {}\n  {}", c.usage, c.help);
        }
    }
    Ok(Outcome::Done)
}

fn cpu_name(midr: u64) -> &'static str {
    let implementer = (midr >> 24) & 0xff;
    let part = (midr >> 4) & 0xfff;
    match (implementer, part) {
        (0x41, 0xd03) => "Arm Cortex-A53",
        (0x41, 0xd04) => "Arm Cortex-A35",
        (0x41, 0xd05) => "Arm Cortex-A55",
        (0x41, 0xd07) => "Arm Cortex-A57",
        (0x41, 0xd08) => "Arm Cortex-A72",
        (0x41, 0xd0b) => "Arm Cortex-A76",
        (0x41, 0xd0c) => "Arm Neoverse-N1",
        (0x41, 0xd40) => "Arm Neoverse-V1",
        (0x00, 0x051) => "QEMU max",
        (0x41, _) => "Arm (unknown part)",
        _ => "unknown CPU",
    }
}

fn kib(bytes: usize) -> usize {
    bytes.div_ceil(1024)
}

fn info<'a>(args: &[&'a str]) -> Result<Outcome, ArgError<'a>> {
    args::none(args)?;
    let features = cpu::mmu_features();
    let midr = cpu::midr();
    with_boot_info(|i| {
        println!("board        {}", i.board.name);
        match i.dtb {
            Some(dtb) => println!("device tree  {dtb}"),
            None => println!("device tree  none (board defaults)"),
        }
        println!("cpu          MIDR {midr:#010x}: {}", cpu_name(midr));
        println!(
            "entered at   EL{}{}",
            i.entry_el,
            if i.entry_el >= 2 {
                " (EL2 stub kept)"
            } else {
                ""
            }
        );
        for range in i.ram.as_slice() {
            println!("ram          {range} ({} MiB)", range.size() >> 20);
        }
        if let Some(initrd) = i.initrd {
            println!("initrd       {initrd}");
        }
        println!("uart         PL011 at {:#x}", i.uart);
        println!(
            "bootargs     {:?} (from {})",
            i.bootargs(),
            i.bootargs_source
        );
    });
    println!(
        "granules     stage 1: {}; stage 2: {}",
        features.stage1, features.stage2
    );
    println!(
        "PARange      {} bits; ASID {} bits",
        features.pa_bits, features.asid_bits
    );
    let f = frame::stats();
    println!(
        "frames       {} KiB used of {} KiB (high water {} KiB)",
        kib(f.used),
        kib(f.total),
        kib(f.high_water)
    );
    let h = heap::stats();
    println!(
        "heap         {} KiB used of {} KiB (high water {} KiB)",
        kib(h.used),
        kib(h.total),
        kib(h.high_water)
    );
    match mmu::current() {
        Some(state) => println!("host granule {state}"),
        None => println!("host granule none: the MMU is off"),
    }
    let up = cpu::uptime_micros();
    println!("uptime       {}.{:06} s", up / 1_000_000, up % 1_000_000);
    Ok(Outcome::Done)
}

fn granule<'a>(args: &[&'a str]) -> Result<Outcome, ArgError<'a>> {
    let Some(name) = args::at_most_one(args)? else {
        match mmu::current() {
            Some(state) => println!("host granule {state}"),
            None => println!("the MMU is off"),
        }
        return Ok(Outcome::Done);
    };
    let granule = args::granule(name)?;
    Ok(match mmu::switch_granule(granule) {
        Ok(report) => {
            println!("{report}");
            Outcome::Done
        }
        Err(e) => {
            println!("granule: {e}");
            Outcome::Failed
        }
    })
}

fn test<'a>(args: &[&'a str]) -> Result<Outcome, ArgError<'a>> {
    let parsed = args::test(args)?;
    let filter = parsed.filter.unwrap_or("");
    if parsed.list {
        if parsed.seed.is_some() {
            return Err(ArgError::Conflict("--list", "seed="));
        }
        return Ok(match testing::list(filter) {
            0 => Outcome::Failed,
            _ => Outcome::Done,
        });
    }
    let summary = testing::run(filter, parsed.seed);
    Ok(if summary.failed > 0 || summary.ran() == 0 {
        Outcome::Failed
    } else {
        Outcome::Done
    })
}

fn poweroff<'a>(args: &[&'a str]) -> Result<Outcome, ArgError<'a>> {
    args::none(args)?;
    Ok(Outcome::PowerOff)
}
