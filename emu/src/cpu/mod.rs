//! The guest CPU: an A64 interpreter for EL0 and EL1 (ARM ARM parts C and D).
//!
//! Where things are, as the ARM ARM files them:
//! - [`decode`]: the decoder table (one row per encoding, C4 "A64 Instruction
//!   Set Encoding") and its bucketed lookup;
//! - [`insn`]: the typed instruction ([`Insn`]) and its `Display`, the
//!   disassembler used in traces;
//! - [`exec`]: the semantics, one file per instruction class (data
//!   processing immediate, data processing register, branches/exceptions/
//!   system, loads and stores, the FP/SIMD subset);
//! - [`regs`]: the register file and PSTATE;
//! - [`sysreg`]: the system registers, MRS/MSR, ID registers;
//! - [`exception`]: synchronous exceptions (ESR, FAR, ELR, SPSR, vectoring),
//!   ERET, and the place asynchronous ones will enter;
//! - [`memory`]: guest virtual memory through `emu::mmu`'s walker and
//!   `emu::tlb`'s TLB, alignment, page-crossing accesses, the exclusive
//!   monitor.
//!
//! # The interface the machine uses
//!
//! ```ignore
//! let mut cpu = Cpu::new(CpuConfig::new(page_size))?;
//! cpu.reset(entry, dtb_address);            // EL1h, MMU off, DAIF masked
//! match cpu.run(&mut phys_map, &mut system, budget) {
//!     Exit::PowerOff => ..., Exit::SemihostingExit { status } => ...,
//!     Exit::BudgetExhausted { pc } => ..., ...
//! }
//! ```
//!
//! The machine owns the guest's physical memory map ([`PhysMemoryMap`]:
//! RAM, devices, holes) and implements [`System`] for the calls that leave
//! the CPU: HVC (PSCI), `HLT #0xF000` (semihosting, with [`GuestContext`] to
//! read and write guest-virtual memory through the CPU's own translation),
//! WFI and the generic timer's counter. Architectural exceptions the guest
//! takes are handled inside the CPU (vectoring through VBAR_EL1); [`Exit`]
//! is only for what ends or pauses a run.
//!
//! `step` executes one instruction and reports it ([`Step`]), for traces;
//! `run` is the loop. Both call the same per-instruction functions, as a
//! translator with a block cache will.

pub mod block;
pub mod decode;
pub mod exception;
pub mod exec;
pub mod insn;
pub mod memory;
pub mod page;
pub mod regs;
pub mod sysreg;

#[cfg(test)]
mod tests;

use core::fmt;

use crate::mem::PhysMemoryMap;
use crate::mmu::Features;
use crate::pagesize::PageSize;
use crate::tlb::{TlbError, TlbSet, TlbStats};

pub use block::{InvalidateCause, TbStats};
pub use decode::{Decoder, EncodingClass};
pub use exception::Exception;
pub use insn::Insn;
pub use page::CpuPageSize;
pub use regs::{Pstate, RegisterFile};

/// Entries per TLB (per MMU index).
pub const TLB_ENTRIES: usize = 1024;

/// Entries of the decoded-instruction cache (a power of two).
const DECODE_CACHE: usize = 4096;

/// The instruction budget of a run when the machine sets none.
pub const DEFAULT_BUDGET: u64 = 10_000_000_000;

/// How to build a CPU.
#[derive(Clone, Copy, Debug)]
pub struct CpuConfig {
    /// The settled target page size (`emu::pagesize`): the TLB's unit.
    pub page_size: PageSize,
    /// Translation features the walker models (advertised in
    /// ID_AA64MMFR0/1/2_EL1). The machine's default is [`Features::QEMU_MAX`].
    pub features: Features,
    /// CNTFRQ_EL0 at reset, in Hz.
    pub counter_frequency: u64,
    /// Entries per TLB: a power of two, 1 to 65536.
    pub tlb_entries: usize,
}

impl CpuConfig {
    /// QEMU `virt -cpu max`-like defaults for `page_size`: all granules,
    /// 48-bit PA, 62.5 MHz counter (QEMU 7.2's), 1024-entry TLBs.
    pub fn new(page_size: PageSize) -> Self {
        CpuConfig {
            page_size,
            features: Features::QEMU_MAX,
            counter_frequency: 62_500_000,
            tlb_entries: TLB_ENTRIES,
        }
    }
}

/// A CPU that cannot be built as configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuError {
    /// The TLB refused the configuration.
    Tlb(TlbError),
    /// The CPU needs at least one translation granule.
    NoGranule,
    /// This build fixes the page size (an `emu` `page-size-*` feature)
    /// and the configuration asks for another.
    PageSizeFixed {
        /// The build's page size.
        built: PageSize,
        /// The configured one.
        asked: PageSize,
    },
}

impl fmt::Display for CpuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CpuError::Tlb(e) => write!(f, "cannot build the CPU's TLB: {e}"),
            CpuError::NoGranule => f.write_str("the CPU must implement at least one granule"),
            CpuError::PageSizeFixed { built, asked } => write!(
                f,
                "this build of emu fixes the page size at {built}, the machine asks for {asked}"
            ),
        }
    }
}

impl core::error::Error for CpuError {}

/// Why a run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// PSCI SYSTEM_OFF (or CPU_OFF of the only CPU).
    PowerOff,
    /// PSCI SYSTEM_RESET.
    Reset,
    /// Semihosting SYS_EXIT / SYS_EXIT_EXTENDED with this status.
    SemihostingExit {
        /// The exit status the guest asked for.
        status: u32,
    },
    /// The instruction budget ran out before the instruction at `pc`.
    BudgetExhausted {
        /// The next instruction's address.
        pc: u64,
    },
    /// WFI with no interrupt source that could ever wake the CPU.
    WaitForInterrupt {
        /// The address of the WFI.
        pc: u64,
    },
    /// The machine could not go on (a host-side failure, never a guest
    /// architectural event).
    Error(MachineError),
}

/// A host-side failure that ends a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MachineError {
    /// The TLB refused a fill the walker produced.
    Tlb(TlbError),
    /// The machine's [`System`] reported a failure it could not turn into
    /// a guest-visible result.
    System(&'static str),
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exit::PowerOff => f.write_str("PSCI SYSTEM_OFF"),
            Exit::Reset => f.write_str("PSCI SYSTEM_RESET"),
            Exit::SemihostingExit { status } => write!(f, "semihosting exit status {status}"),
            Exit::BudgetExhausted { pc } => {
                write!(f, "instruction budget exhausted at pc {pc:#x}")
            }
            Exit::WaitForInterrupt { pc } => {
                write!(f, "WFI at pc {pc:#x} with no interrupt source")
            }
            Exit::Error(MachineError::Tlb(e)) => write!(f, "emulator error: {e}"),
            Exit::Error(MachineError::System(e)) => write!(f, "machine error: {e}"),
        }
    }
}

/// What a call out of the CPU ([`System`]) asks it to do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallResult {
    /// Go on with the next instruction (results are in the registers).
    Continue,
    /// The call is not handled: the instruction is UNDEFINED in the guest.
    Undefined,
    /// End the run.
    Exit(Exit),
}

/// The machine's side of the CPU: everything an instruction can reach that
/// is neither a register nor memory.
pub trait System {
    /// `HVC #imm` at EL1 (the PSCI conduit). Arguments in X0-X3 of `guest`,
    /// results written back to X0.
    fn hvc(&mut self, imm: u16, guest: &mut GuestContext<'_>) -> CallResult;

    /// `HLT #0xF000`: an Arm semihosting call, operation in W0, parameter
    /// block address in X1 (guest virtual), result into X0.
    fn semihosting(&mut self, guest: &mut GuestContext<'_>) -> CallResult;

    /// WFI: the CPU has no interrupt source yet, so by default the run ends.
    fn wfi(&mut self, pc: u64) -> CallResult {
        CallResult::Exit(Exit::WaitForInterrupt { pc })
    }

    /// CNTVCT_EL0 / CNTPCT_EL0: the counter, given the instructions
    /// executed so far (the machine chooses whether it follows them or a
    /// host clock).
    fn counter(&mut self, instructions: u64) -> u64 {
        instructions
    }
}

/// A [`System`] with no machine behind it, for tests, benchmarks and
/// differential checks: HVC and semihosting are UNDEFINED in the guest,
/// WFI ends the run, the counter follows the instructions.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoMachine;

impl System for NoMachine {
    fn hvc(&mut self, _: u16, _: &mut GuestContext<'_>) -> CallResult {
        CallResult::Undefined
    }

    fn semihosting(&mut self, _: &mut GuestContext<'_>) -> CallResult {
        CallResult::Undefined
    }
}

/// The guest as a [`System`] call sees it: the general-purpose registers
/// and guest-virtual memory through the CPU's current translation regime.
pub struct GuestContext<'a> {
    cpu: &'a mut Cpu,
    mem: &'a mut PhysMemoryMap,
}

/// A guest-virtual access from a [`System`] call that failed (a fault the
/// guest's tables give, or a bus error); the call reports an error to the
/// guest instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestMemoryError {
    /// The virtual address that could not be accessed.
    pub va: u64,
}

impl fmt::Display for GuestMemoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "guest address {:#x} not accessible", self.va)
    }
}

impl GuestContext<'_> {
    /// X`n` (0-30; 31 reads as zero).
    pub fn x(&self, n: usize) -> u64 {
        self.cpu.regs.x(n)
    }

    /// Sets X`n` (0-30; 31 is ignored).
    pub fn set_x(&mut self, n: usize, value: u64) {
        self.cpu.regs.set_x(n, value)
    }

    /// The instructions executed so far.
    pub fn instructions(&self) -> u64 {
        self.cpu.stats.instructions
    }

    /// Reads guest-virtual memory at the current EL, as a load would.
    pub fn read_virt(&mut self, va: u64, buf: &mut [u8]) -> Result<(), GuestMemoryError> {
        self.cpu.debug_read(self.mem, va, buf)
    }

    /// Writes guest-virtual memory at the current EL, as a store would.
    pub fn write_virt(&mut self, va: u64, data: &[u8]) -> Result<(), GuestMemoryError> {
        self.cpu.debug_write(self.mem, va, data)
    }
}

/// Counters of one CPU.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CpuStats {
    /// Instructions executed, those that took an exception included (the
    /// unit of the budget).
    pub instructions: u64,
    /// Synchronous exceptions taken.
    pub exceptions: u64,
    /// UNDEFINED instructions, by encoding class.
    pub undefined: [u64; EncodingClass::COUNT],
}

impl CpuStats {
    /// The non-zero UNDEFINED counts with their class names.
    pub fn undefined_by_class(&self) -> impl Iterator<Item = (EncodingClass, u64)> + '_ {
        EncodingClass::ALL
            .iter()
            .zip(self.undefined.iter())
            .filter(|(_, n)| **n != 0)
            .map(|(c, n)| (*c, *n))
    }
}

/// What one [`Cpu::step`] did.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    /// The PC of the instruction.
    pub pc: u64,
    /// The instruction word, if it could be fetched.
    pub word: Option<u32>,
    /// The decoded instruction, if it could be fetched.
    pub insn: Option<Insn>,
    /// The exception the instruction took, if any (the CPU has already
    /// vectored to it).
    pub exception: Option<Exception>,
    /// Set when the run must end.
    pub exit: Option<Exit>,
}

/// One AArch64 CPU implementing EL0 and EL1.
pub struct Cpu {
    /// The register file and PSTATE.
    pub regs: RegisterFile,
    /// The system registers.
    pub sys: sysreg::SysRegs,
    /// The local exclusive monitor (ARM ARM B2.9): the physical address and
    /// size marked by the last load-exclusive.
    pub(crate) monitor: Option<(u64, u64)>,
    /// The software TLBs, one per MMU index.
    pub(crate) tlb: TlbSet<CpuPageSize>,
    /// The walker's view of the CPU's translation features.
    pub(crate) features: Features,
    pub(crate) decoder: Decoder,
    /// Decoded instructions by word (decoding is a pure function of the
    /// word, so this needs no invalidation, self-modifying code included).
    decoded: alloc::vec::Vec<Option<Insn>>,
    pub(crate) next_pc: u64,
    /// The translator's block cache.
    pub(crate) tb: block::Translator,
    /// Counters.
    pub stats: CpuStats,
    page_size: PageSize,
    counter_frequency: u64,
}

impl Cpu {
    /// A CPU, in reset state at address 0.
    pub fn new(config: CpuConfig) -> Result<Self, CpuError> {
        let f = config.features;
        if f.stage1_granules.is_empty() {
            return Err(CpuError::NoGranule);
        }
        let tlb = TlbSet::new(page::source(config.page_size)?, config.tlb_entries)
            .map_err(CpuError::Tlb)?;
        let mut cpu = Cpu {
            regs: RegisterFile::default(),
            sys: sysreg::SysRegs::default(),
            monitor: None,
            tlb,
            features: f,
            decoder: Decoder::new(),
            decoded: alloc::vec![None; DECODE_CACHE],
            next_pc: 0,
            tb: block::Translator::default(),
            stats: CpuStats::default(),
            page_size: config.page_size,
            counter_frequency: config.counter_frequency,
        };
        cpu.reset(0, 0);
        Ok(cpu)
    }

    /// Warm reset: EL1h, MMU and caches off, DAIF masked, PC = `entry`,
    /// X0 = `x0`, every other register zero, TLBs empty.
    pub fn reset(&mut self, entry: u64, x0: u64) {
        self.regs = RegisterFile::default();
        self.regs.pc = entry;
        self.regs.set_x(0, x0);
        self.regs.pstate = Pstate::reset();
        self.sys = sysreg::SysRegs::reset(self.counter_frequency);
        self.monitor = None;
        self.tlb.flush_all();
        self.tlb.set_asid(0);
        self.flush_translations();
    }

    /// The settled page size this CPU's TLB works in.
    pub fn page_size(&self) -> PageSize {
        self.page_size
    }

    /// The translation features the CPU implements.
    pub fn features(&self) -> Features {
        self.features
    }

    /// The TLB counters, all MMU indexes together.
    pub fn tlb_stats(&self) -> TlbStats {
        self.tlb.total_stats()
    }

    /// The TLBs themselves (for the shell's `tlb` report).
    pub fn tlbs(&self) -> &TlbSet<CpuPageSize> {
        &self.tlb
    }

    /// The decoder.
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// Decodes `word`, through the cache of decoded words.
    #[inline]
    pub(crate) fn decode(&mut self, word: u32) -> Option<Insn> {
        let slot = ((word ^ (word >> 11) ^ (word >> 22)) as usize) & (DECODE_CACHE - 1);
        if let Some(Some(i)) = self.decoded.get(slot) {
            if i.word == word {
                return Some(*i);
            }
        }
        let insn = self.decoder.decode(word);
        if let (Some(i), Some(e)) = (insn, self.decoded.get_mut(slot)) {
            *e = Some(i);
        }
        insn
    }

    /// Runs until an [`Exit`] or until `budget` instructions have been
    /// executed ([`Exit::BudgetExhausted`]), through the translator's
    /// block cache ([`block`]) unless it is turned off.
    pub fn run(&mut self, mem: &mut PhysMemoryMap, sys: &mut dyn System, budget: u64) -> Exit {
        self.tlb.sync_map(mem);
        block::run(self, mem, sys, budget)
    }

    /// Executes one instruction (or takes the exception it raises).
    pub fn step(&mut self, mem: &mut PhysMemoryMap, sys: &mut dyn System) -> Step {
        self.tlb.sync_map(mem);
        exec::step_one(self, mem, sys)
    }
}
