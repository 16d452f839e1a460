//! Bring-up: from the first Rust instruction to the shell.

use crate::arch::cpu;
use crate::bootinfo::{self, BootInfo, DtbProblem};
use crate::cmdline::{self, HostGranule};
use crate::memory::mmu::MmuError;
use crate::memory::{frame, heap, mmu, PhysRange};
use crate::sync::CoreCell;
use crate::{console, power, println, shell};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// The heap takes this share of RAM, between the bounds below.
const HEAP_SHARE: u64 = 8;
const HEAP_MIN: u64 = 1 << 20;
const HEAP_MAX: u64 = 32 << 20;

static BOOT_INFO: CoreCell<Option<BootInfo>> = CoreCell::new(None);
static SHELL_READY_COUNTER: CoreCell<u64> = CoreCell::new(0);

extern "C" {
    static __image_start: u8;
    static __image_end: u8;
}

/// Runs `f` on the boot information.
pub fn with_boot_info<T>(f: impl FnOnce(&BootInfo) -> T) -> Option<T> {
    BOOT_INFO.try_lock()?.as_ref().map(f)
}

/// CNTPCT_EL0 when the shell (or batch) became ready.
pub fn shell_ready_counter() -> u64 {
    SHELL_READY_COUNTER.try_lock().map(|c| *c).unwrap_or(0)
}

/// Brings the machine up and hands over to [`kernel_main`].
///
/// # Safety
/// Call once, from the boot code, at EL1, with the loader's x0.
pub unsafe fn kernel_init(dtb: u64, entry_el: u64, boot_counter: u64) -> ! {
    let image = PhysRange {
        start: &raw const __image_start as u64,
        end: &raw const __image_end as u64,
    };
    let info = bootinfo::discover(dtb, entry_el as u8, boot_counter, image);
    if let Some(gpio) = info.board.uart_gpio {
        // SAFETY: the board's own GPIO block, with the MMU off.
        unsafe { crate::driver::bcm2835_gpio::Gpio::new(gpio as usize) }.route_pl011();
    }
    // SAFETY: the UART address is the board's or the device tree's PL011.
    unsafe { console::init(info.uart as usize, info.board.uart_clock) };
    console::init_logging(log::LevelFilter::Info);
    power::set_psci_conduit(info.psci);

    println!();
    println!(
        "Granule {} on {}",
        env!("CARGO_PKG_VERSION"),
        info.board.name
    );
    match info.dtb_problem {
        None => {}
        Some(DtbProblem::Absent) => {
            log::warn!(
                "no device tree in x0: using the {} defaults",
                info.board.name
            )
        }
        Some(DtbProblem::Malformed(e)) => log::error!(
            "the device tree at {dtb:#x} is malformed ({e}): ignored, using the {} defaults",
            info.board.name
        ),
    }

    frame::init(info.ram.as_slice(), info.reserved().as_slice());
    let ram: u64 = info.ram.as_slice().iter().map(PhysRange::size).sum();
    let heap_size = (ram / HEAP_SHARE).clamp(HEAP_MIN, HEAP_MAX) as usize;
    match frame::allocate(heap_size, frame::FRAME_SIZE) {
        // SAFETY: a fresh block of frames, identity-mapped RAM, ours alone.
        Some(start) => unsafe { heap::init(start, heap_size) },
        None => power::exit_failure("no memory for the heap"),
    }

    // What went wrong at boot, by the option that asked for it: a batch
    // run then fails and names it.
    let mut boot_failures = Vec::new();
    let (options, problem) = cmdline::parse(info.bootargs());
    if let Some(problem) = problem {
        log::error!("{problem}");
        boot_failures.push(format!("{}={}", problem.key, problem.value));
    }
    let mut granule = match options.host_granule {
        Some(HostGranule::One(g)) => Some(g),
        _ => None,
    };
    let supported = mmu::features().stage1;
    if let Some(g) = granule.filter(|g| !supported.contains(*g)) {
        // The refusal `granule G` gives; the kernel boots with the first
        // granule the CPU has instead.
        let refusal = MmuError::Unsupported {
            granule: g,
            supported,
        };
        println!("host-granule={g}: {refusal}");
        boot_failures.push(format!("host-granule={g}"));
        granule = None;
    }
    if let Err(e) = mmu::init(&info, granule) {
        log::error!("host MMU: {e}");
    }
    *BOOT_INFO.lock() = Some(info);
    kernel_main(boot_failures)
}

static INTERACTIVE: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Whether the shell is interactive (a person at the console, whose typing
/// a guest may read), rather than running boot commands.
pub fn is_interactive() -> bool {
    INTERACTIVE.load(core::sync::atomic::Ordering::Relaxed)
}

fn interactive_shell() -> ! {
    INTERACTIVE.store(true, core::sync::atomic::Ordering::Relaxed);
    shell::run_interactive()
}

/// Runs the boot commands in batch mode, or the interactive shell; with
/// `then=shell` the boot commands run first, then the shell opens.
fn kernel_main(boot_failures: Vec<String>) -> ! {
    let (commands, then_shell) = with_boot_info(|info| {
        let mut copy = alloc::string::String::new();
        let options = cmdline::parse(info.bootargs()).0;
        if let Some(c) = options.commands {
            copy.push_str(c);
        }
        (copy, options.then_shell)
    })
    .unwrap_or_default();
    *SHELL_READY_COUNTER.lock() = cpu::counter();
    let boot_ticks =
        shell_ready_counter().saturating_sub(with_boot_info(|i| i.boot_counter).unwrap_or(0));
    log::info!(
        "ready in {} us from the first instruction ({} us since reset)",
        cpu::ticks_to_micros(boot_ticks),
        cpu::ticks_to_micros(shell_ready_counter())
    );
    if commands.is_empty() {
        interactive_shell()
    }
    let then: Option<fn() -> !> = if then_shell {
        Some(interactive_shell)
    } else {
        None
    };
    shell::run_batch(&commands, boot_failures, then)
}
