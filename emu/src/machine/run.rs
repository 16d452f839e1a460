//! One guest run: the CPU in the [`Virt`] machine, with HVC (PSCI),
//! semihosting and the counter answered by the machine, SYSTEM_RESET
//! reloading the image, and what the run did counted for its report.

use core::fmt;

use super::psci::{self, PsciOutcome};
use super::semihosting::{GuestMemory, GuestMemoryError, Semihosting, SemihostingHost};
use super::{Boot, CounterSource, MachineError, SemihostingOutcome, Virt};
use crate::cpu::{CallResult, Cpu, Exit, GuestContext, Step, System, TbStats};
use crate::tlb::TlbStats;

/// A guest that resets more often than this is stopped: it is looping.
pub const MAX_RESETS: u32 = 16;

/// The machine's answers to the CPU's calls.
pub struct VirtCalls<'a> {
    semihosting: &'a mut Semihosting,
    host: &'a mut dyn SemihostingHost,
    counter: CounterSource,
}

impl<'a> VirtCalls<'a> {
    /// Calls answered by `semihosting` state and `host`, with the counter
    /// following `counter`.
    pub fn new(
        semihosting: &'a mut Semihosting,
        host: &'a mut dyn SemihostingHost,
        counter: CounterSource,
    ) -> Self {
        VirtCalls {
            semihosting,
            host,
            counter,
        }
    }
}

/// Guest-virtual memory through the CPU, for semihosting's parameter blocks.
struct ContextMemory<'c, 'g>(&'c mut GuestContext<'g>);

impl GuestMemory for ContextMemory<'_, '_> {
    fn read(&mut self, va: u64, buf: &mut [u8]) -> Result<(), GuestMemoryError> {
        self.0.read_virt(va, buf)
    }
    fn write(&mut self, va: u64, data: &[u8]) -> Result<(), GuestMemoryError> {
        self.0.write_virt(va, data)
    }
}

impl System for VirtCalls<'_> {
    fn hvc(&mut self, _imm: u16, guest: &mut GuestContext<'_>) -> CallResult {
        // virt's PSCI conduit: every HVC is a PSCI call (QEMU does not look
        // at the immediate either).
        match psci::call(guest.x(0), guest.x(1)) {
            PsciOutcome::Return(v) => {
                guest.set_x(0, v);
                CallResult::Continue
            }
            PsciOutcome::SystemOff | PsciOutcome::CpuOff => CallResult::Exit(Exit::PowerOff),
            PsciOutcome::SystemReset => CallResult::Exit(Exit::Reset),
        }
    }

    fn semihosting(&mut self, guest: &mut GuestContext<'_>) -> CallResult {
        let (op, param) = (guest.x(0) & 0xffff_ffff, guest.x(1));
        let outcome = self
            .semihosting
            .call(op, param, &mut ContextMemory(guest), self.host);
        match outcome {
            SemihostingOutcome::Return(v) => {
                guest.set_x(0, v);
                CallResult::Continue
            }
            SemihostingOutcome::Exit { status } => CallResult::Exit(Exit::SemihostingExit {
                status: status as u32,
            }),
        }
    }

    fn counter(&mut self, instructions: u64) -> u64 {
        self.counter.value(self.host.elapsed_ns(), instructions)
    }
}

/// Sees a traced run: with `None` right after each reset (the state the
/// first instruction starts from), then with every instruction after it
/// executed.
pub type StepHook<'h> = &'h mut dyn FnMut(&Cpu, Option<&Step>);

/// What a run did.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// Why it ended.
    pub exit: Exit,
    /// Instructions executed (all resets together).
    pub instructions: u64,
    /// Host time, in nanoseconds.
    pub elapsed_ns: u64,
    /// SYSTEM_RESETs the guest made.
    pub resets: u32,
    /// The TLBs' counters.
    pub tlb: TlbStats,
    /// The translator's counters (blocks translated, executed, chained,
    /// invalidated by cause).
    pub tb: TbStats,
    /// Where the image was first entered.
    pub boot: Boot,
}

impl RunReport {
    /// Whether the run counts as a pass: SYSTEM_OFF or exit status 0.
    pub fn passed(&self) -> bool {
        matches!(
            self.exit,
            Exit::PowerOff | Exit::SemihostingExit { status: 0 }
        )
    }

    /// The exit status a process running the guest should have, as
    /// `qemu-system-aarch64 -semihosting` would: the semihosting status,
    /// 0 after SYSTEM_OFF, 1 for anything else.
    pub fn status(&self) -> i32 {
        match self.exit {
            Exit::PowerOff => 0,
            Exit::SemihostingExit { status } => status as i32,
            _ => 1,
        }
    }

    /// Guest instructions per microsecond of host time, in hundredths.
    pub fn centi_mips(&self) -> u64 {
        (u128::from(self.instructions) * 100_000)
            .checked_div(u128::from(self.elapsed_ns))
            .unwrap_or(0) as u64
    }

    /// [`RunReport::centi_mips`] as `12.34`.
    pub fn mips(&self) -> Mips {
        Mips(self.centi_mips())
    }
}

/// Millions of instructions per second, printed with two decimals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mips(pub u64);

impl fmt::Display for Mips {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = alloc::format!("{}.{:02}", self.0 / 100, self.0 % 100);
        f.pad(&s)
    }
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.tlb;
        write!(
            f,
            "exit: {}; {} instructions in {}.{:03} ms ({} MIPS); TLB hits {} misses {} fills {} slow-path {} flushes {} invalidated {}",
            self.exit,
            self.instructions,
            self.elapsed_ns / 1_000_000,
            self.elapsed_ns / 1000 % 1000,
            self.mips(),
            t.hits,
            t.misses,
            t.fills,
            t.slow_path,
            t.flushes,
            t.invalidated
        )?;
        if self.resets > 0 {
            write!(f, "; {} resets", self.resets)?;
        }
        write!(f, "; {}", self.tb)
    }
}

/// Loads `image` into `virt` and runs it on `cpu` until it exits, for at
/// most `budget` instructions. `on_step`, when given, sees every
/// instruction (the runner's `--trace`); without it the CPU runs its loop.
pub fn run(
    virt: &mut Virt,
    cpu: &mut Cpu,
    image: &[u8],
    host: &mut dyn SemihostingHost,
    budget: u64,
    mut on_step: Option<StepHook<'_>>,
) -> Result<RunReport, MachineError> {
    let start_ns = host.elapsed_ns();
    let start_insns = cpu.stats.instructions;
    let first = virt.load(image)?;
    let mut boot = first;
    let mut resets = 0;
    let counter = virt.config().counter;
    let exit = loop {
        cpu.reset(boot.entry, boot.x0);
        let done = cpu.stats.instructions - start_insns;
        let left = budget.saturating_sub(done);
        let Virt {
            map, semihosting, ..
        } = virt;
        let mut calls = VirtCalls::new(semihosting, host, counter);
        let exit = match on_step.as_mut() {
            None => cpu.run(map, &mut calls, left),
            Some(f) => {
                let mut exit = Exit::BudgetExhausted { pc: cpu.regs.pc };
                f(cpu, None);
                for _ in 0..left {
                    let step = cpu.step(map, &mut calls);
                    f(cpu, Some(&step));
                    if let Some(e) = step.exit {
                        exit = e;
                        break;
                    }
                }
                if let Exit::BudgetExhausted { pc } = &mut exit {
                    *pc = cpu.regs.pc;
                }
                exit
            }
        };
        if exit == Exit::Reset && resets < MAX_RESETS {
            resets += 1;
            boot = virt.load(image)?;
            continue;
        }
        break exit;
    };
    Ok(RunReport {
        exit,
        instructions: cpu.stats.instructions - start_insns,
        elapsed_ns: host.elapsed_ns().saturating_sub(start_ns),
        resets,
        tlb: cpu.tlb_stats(),
        tb: cpu.tb_stats().clone(),
        boot: first,
    })
}
