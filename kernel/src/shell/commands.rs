//! The shell's commands. Each takes the words after its name and reports
//! failure through its `Outcome`; nothing here may panic on user input.

use super::line::{Event, LineEditor, MAX_LINE};
use crate::arch::cpu;
use crate::kernel::with_boot_info;
use crate::memory::{frame, heap, mmu};
use crate::{console, power, print, println, testing};
use emu::granule::Granule;

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

struct Command {
    name: &'static str,
    usage: &'static str,
    help: &'static str,
    run: fn(&[&str]) -> Outcome,
}

const COMMANDS: &[Command] = &[
    Command {
        name: "help",
        usage: "help",
        help: "list the commands",
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
        usage: "walk VA [el0|el1] [r|w|x] [test G]",
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
        name: "test",
        usage: "test [FILTER]",
        help: "run the on-target tests whose names contain FILTER",
        run: test,
    },
    Command {
        name: "poweroff",
        usage: "poweroff",
        help: "power off (QEMU exits)",
        run: poweroff,
    },
];

/// Runs one command line.
pub fn execute(line: &str) -> Outcome {
    let mut words = [""; 8];
    let mut count = 0;
    for word in line.split_whitespace() {
        if count == words.len() {
            println!("too many words (at most {})", words.len());
            return Outcome::Failed;
        }
        words[count] = word;
        count += 1;
    }
    let Some((&name, args)) = words[..count].split_first() else {
        return Outcome::Done;
    };
    match COMMANDS.iter().find(|c| c.name == name) {
        Some(command) => (command.run)(args),
        None => {
            println!("unknown command {name:?}: type `help` for the list");
            Outcome::Failed
        }
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
                    if execute(editor.line()) == Outcome::PowerOff {
                        power::exit(0);
                    }
                }
                Event::Cancelled => {}
                Event::TooLong => println!("line too long (at most {MAX_LINE} characters)"),
                Event::NonAscii => println!("non-ASCII input ignored: commands are ASCII"),
            }
            editor.clear();
            break;
        }
    }
}

fn help(_: &[&str]) -> Outcome {
    for c in COMMANDS {
        println!("  {:<22} {}", c.usage, c.help);
    }
    Outcome::Done
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

fn info(_: &[&str]) -> Outcome {
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
    Outcome::Done
}

fn granule(args: &[&str]) -> Outcome {
    match args {
        [] => {
            match mmu::current() {
                Some(state) => println!("host granule {state}"),
                None => println!("the MMU is off"),
            }
            Outcome::Done
        }
        [name] => {
            let Ok(granule) = name.parse::<Granule>() else {
                println!("granule: {name:?} is not a granule: use 4k, 16k or 64k");
                return Outcome::Failed;
            };
            match mmu::switch_granule(granule) {
                Ok(report) => {
                    println!("{report}");
                    Outcome::Done
                }
                Err(e) => {
                    println!("granule: {e}");
                    Outcome::Failed
                }
            }
        }
        _ => {
            println!("usage: granule [4k|16k|64k]");
            Outcome::Failed
        }
    }
}

fn test(args: &[&str]) -> Outcome {
    let filter = match args {
        [] => "",
        [filter] => filter,
        _ => {
            println!("usage: test [FILTER]");
            return Outcome::Failed;
        }
    };
    let summary = testing::run(filter);
    if summary.failed > 0 || summary.passed == 0 {
        if summary.passed + summary.failed == 0 {
            println!("no test matches {filter:?}");
        }
        Outcome::Failed
    } else {
        Outcome::Done
    }
}

fn poweroff(_: &[&str]) -> Outcome {
    Outcome::PowerOff
}
