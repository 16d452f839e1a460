//! Sequences run on emu's CPU: flat RAM holding the code, the CPU reset
//! into EL1 with the MMU off, X0-X30 and NZCV set from the sequence, and
//! one step per instruction.

use alloc::string::String;
use core::fmt;

use super::{Outcome, Sequence, NZCV_MASK};
use crate::addr::PhysAddr;
use crate::cpu::{Cpu, CpuConfig, Exception, Insn, NoMachine};
use crate::mem::PhysMemoryMap;
use crate::pagesize::PageSize;

/// Where the code goes: the base of RAM on QEMU's `virt`.
pub const CODE_BASE: u64 = 0x4000_0000;
/// RAM for the code: one 64K page.
const RAM_SIZE: u64 = 0x1_0000;

/// Why a sequence did not run to its end on the emulator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmulatedError {
    /// Instruction `index` took an exception.
    Exception {
        /// Which instruction.
        index: usize,
        /// Its word.
        word: u32,
        /// The exception.
        exception: Exception,
    },
    /// Instruction `index` ended the run or left the PC elsewhere.
    Stopped {
        /// Which instruction.
        index: usize,
        /// What happened.
        why: String,
    },
}

impl fmt::Display for EmulatedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmulatedError::Exception {
                index,
                word,
                exception,
            } => write!(
                f,
                "instruction {index} ({word:#010x}) took an exception on the emulator: {exception}"
            ),
            EmulatedError::Stopped { index, why } => {
                write!(f, "instruction {index} stopped the emulator: {why}")
            }
        }
    }
}

/// An emulated CPU with RAM for one sequence at a time.
pub struct Emulated {
    cpu: Cpu,
    mem: PhysMemoryMap,
    /// The last run ended early, so the CPU may have left the state a
    /// generated sequence leaves alone (an exception changes PSTATE,
    /// ELR, ESR...): reset it before the next.
    needs_reset: bool,
}

impl Emulated {
    /// A CPU (`virt -cpu max`-like configuration) and its RAM.
    pub fn new() -> Result<Self, String> {
        let page = PageSize::K4;
        let cpu = Cpu::new(CpuConfig::new(page)).map_err(|e| alloc::format!("{e}"))?;
        let mut mem = PhysMemoryMap::new(page);
        mem.add_ram("code", PhysAddr(CODE_BASE), RAM_SIZE, 0)
            .map_err(|e| alloc::format!("code RAM: {e}"))?;
        Ok(Emulated {
            cpu,
            mem,
            needs_reset: true,
        })
    }

    /// The instruction `word` as the emulator decodes it, for reports.
    pub fn disassemble(&self, word: u32) -> Option<Insn> {
        self.cpu.decoder().decode(word)
    }

    /// Runs `sequence` from its registers and flags and returns theirs
    /// after its last instruction.
    pub fn run(&mut self, sequence: &Sequence) -> Result<Outcome, EmulatedError> {
        let words = sequence.words();
        let mut code = [0u8; 4 * super::MAX_LEN];
        for (chunk, w) in code.chunks_exact_mut(4).zip(words) {
            chunk.copy_from_slice(&w.to_le_bytes());
        }
        self.mem
            .write_bytes(PhysAddr(CODE_BASE), &code[..4 * words.len()])
            .map_err(|e| EmulatedError::Stopped {
                index: 0,
                why: alloc::format!("writing the code: {e:?}"),
            })?;
        // A sequence that ran to its end changed X0-X30, NZCV and PC only,
        // all set here; a full reset (TLBs, system registers) costs more
        // than the sequence.
        if self.needs_reset {
            self.cpu.reset(CODE_BASE, 0);
        }
        self.needs_reset = true;
        self.cpu.regs.pc = CODE_BASE;
        self.cpu.regs.x = sequence.x;
        self.cpu.regs.pstate.set_nzcv(sequence.nzcv);
        // Branches only go forward, so at most one step per instruction.
        let end = CODE_BASE + 4 * words.len() as u64;
        for _ in 0..words.len() {
            let pc = self.cpu.regs.pc;
            if pc == end {
                break;
            }
            let index = ((pc - CODE_BASE) / 4) as usize;
            let word = words.get(index).copied().unwrap_or(0);
            let step = self.cpu.step(&mut self.mem, &mut NoMachine);
            if let Some(exception) = step.exception {
                return Err(EmulatedError::Exception {
                    index,
                    word,
                    exception,
                });
            }
            if let Some(exit) = step.exit {
                return Err(EmulatedError::Stopped {
                    index,
                    why: alloc::format!("{exit}"),
                });
            }
            let next = self.cpu.regs.pc;
            if next <= pc || next > end {
                return Err(EmulatedError::Stopped {
                    index,
                    why: alloc::format!("PC {next:#x}, outside {pc:#x}..={end:#x}"),
                });
            }
        }
        if self.cpu.regs.pc != end {
            return Err(EmulatedError::Stopped {
                index: words.len(),
                why: alloc::format!("PC {:#x} short of the end", self.cpu.regs.pc),
            });
        }
        self.needs_reset = false;
        Ok(Outcome {
            x: self.cpu.regs.x,
            nzcv: self.cpu.regs.pstate.nzcv() & NZCV_MASK,
        })
    }
}
