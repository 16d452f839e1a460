//! Sequences run on emu's CPU: flat RAM holding the code followed by a
//! WFI, the CPU reset into EL1 with the MMU off, X0-X30 and NZCV set from
//! the sequence, and [`Cpu::run`] through the translator until the WFI
//! ends the run ([`NoMachine`] has no interrupt source), twice: the second
//! run takes the blocks from the cache and follows the links the first
//! made between them. Branches only go
//! forward, so the run needs at most one instruction per word plus the
//! WFI; any other end (an exception, the budget) is replayed one
//! [`Cpu::step`] at a time to name the instruction.

use alloc::string::String;
use core::fmt;

use super::{Outcome, Sequence, BUFFER, DEFAULT_BUFFER, NZCV_MASK};
use crate::addr::PhysAddr;
use crate::cpu::{Cpu, CpuConfig, Exception, Exit, Insn, NoMachine};
use crate::mem::PhysMemoryMap;
use crate::pagesize::PageSize;

/// Where the code goes: the base of RAM on QEMU's `virt`.
pub const CODE_BASE: u64 = 0x4000_0000;
/// RAM for the code: one 64K page.
const RAM_SIZE: u64 = 0x1_0000;
/// WFI: ends a run on [`NoMachine`] with the PC on it.
const WFI: u32 = 0xd503_207f;

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
    /// The scratch buffer's address (the sequences' X28).
    buffer: u64,
    /// The last run ended early, so the CPU may have left the state a
    /// generated sequence leaves alone (an exception changes PSTATE,
    /// ELR, ESR...): reset it before the next.
    needs_reset: bool,
}

impl Emulated {
    /// A CPU (`virt -cpu max`-like configuration) and its RAM, the
    /// buffer at [`DEFAULT_BUFFER`] in it.
    pub fn new() -> Result<Self, String> {
        Self::with_buffer(DEFAULT_BUFFER)
    }

    /// The same with the buffer at `buffer` (outside the code's RAM, a
    /// 4K page of RAM is added there).
    pub fn with_buffer(buffer: u64) -> Result<Self, String> {
        let page = PageSize::K4;
        let cpu = Cpu::new(CpuConfig::new(page)).map_err(|e| alloc::format!("{e}"))?;
        let mut mem = PhysMemoryMap::new(page);
        mem.add_ram("code", PhysAddr(CODE_BASE), RAM_SIZE, 0)
            .map_err(|e| alloc::format!("code RAM: {e}"))?;
        let inside = (CODE_BASE + 0x1000..=CODE_BASE + RAM_SIZE - BUFFER as u64).contains(&buffer);
        if !inside {
            let page = buffer & !0xfff;
            if buffer + BUFFER as u64 > page + 0x1000 {
                return Err(alloc::format!("buffer {buffer:#x} crosses a 4K page"));
            }
            mem.add_ram("buffer", PhysAddr(page), 0x1000, 0)
                .map_err(|e| alloc::format!("buffer RAM at {page:#x}: {e}"))?;
        }
        Ok(Emulated {
            cpu,
            mem,
            buffer,
            needs_reset: true,
        })
    }

    /// The instruction `word` as the emulator decodes it, for reports.
    pub fn disassemble(&self, word: u32) -> Option<Insn> {
        self.cpu.decoder().decode(word)
    }

    /// Runs `sequence` from its registers and flags through the
    /// translator and returns theirs after its last instruction.
    pub fn run(&mut self, sequence: &Sequence) -> Result<Outcome, EmulatedError> {
        let words = sequence.words();
        let mut code = [0u8; 4 * (super::MAX_LEN + 1)];
        for (chunk, w) in code
            .chunks_exact_mut(4)
            .zip(words.iter().chain(core::iter::once(&WFI)))
        {
            chunk.copy_from_slice(&w.to_le_bytes());
        }
        self.mem
            .write_bytes(PhysAddr(CODE_BASE), &code[..4 * (words.len() + 1)])
            .map_err(|e| EmulatedError::Stopped {
                index: 0,
                why: alloc::format!("writing the code: {e:?}"),
            })?;
        self.mem
            .write_bytes(PhysAddr(self.buffer), &sequence.buffer)
            .map_err(|e| EmulatedError::Stopped {
                index: 0,
                why: alloc::format!("writing the buffer: {e:?}"),
            })?;
        // The code was written behind the CPU's back: drop the blocks of
        // the last sequence (a whole flush costs more than the run).
        self.cpu
            .code_written(PhysAddr(CODE_BASE), 4 * (super::MAX_LEN + 1));
        // The first run translates the blocks and links each to the next
        // it reached; the second runs them from the cache, chained. Both
        // must end at the WFI with the same state.
        let first = self.translated(sequence)?;
        // The second run starts from the same bytes.
        let _ = self
            .mem
            .write_bytes(PhysAddr(self.buffer), &sequence.buffer);
        let second = self.translated(sequence)?;
        if first != second {
            let d = first.differences(&second);
            return Err(EmulatedError::Stopped {
                index: words.len(),
                why: alloc::format!(
                    "the chained rerun differs from the first translated run: {}",
                    d.first().map(|d| alloc::format!("{d}")).unwrap_or_default()
                ),
            });
        }
        self.needs_reset = false;
        Ok(second)
    }

    /// One run of the sequence in RAM through the translator.
    fn translated(&mut self, sequence: &Sequence) -> Result<Outcome, EmulatedError> {
        let words = sequence.words();
        self.start(sequence);
        let end = CODE_BASE + 4 * words.len() as u64;
        let budget = words.len() as u64 + 1;
        match self.cpu.run(&mut self.mem, &mut NoMachine, budget) {
            Exit::WaitForInterrupt { pc } if pc == end => {
                self.needs_reset = false;
                let mut buffer = [0; BUFFER];
                self.mem
                    .read_bytes(PhysAddr(self.buffer), &mut buffer)
                    .map_err(|e| EmulatedError::Stopped {
                        index: words.len(),
                        why: alloc::format!("reading the buffer: {e:?}"),
                    })?;
                Ok(Outcome {
                    x: self.cpu.regs.x,
                    nzcv: self.cpu.regs.pstate.nzcv() & NZCV_MASK,
                    buffer,
                })
            }
            exit => {
                // Name the instruction one step at a time.
                let _ = self
                    .mem
                    .write_bytes(PhysAddr(self.buffer), &sequence.buffer);
                self.start(sequence);
                self.step(words)?;
                Err(EmulatedError::Stopped {
                    index: words.len(),
                    why: alloc::format!("the translated run ended with {exit}, stepping did not"),
                })
            }
        }
    }

    /// Sets the CPU up at the code with the sequence's registers and flags.
    fn start(&mut self, sequence: &Sequence) {
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
    }

    /// Steps through `words` from the state [`Emulated::start`] set, and
    /// fails at the first instruction that takes an exception, ends the
    /// run or leaves the PC outside the sequence.
    fn step(&mut self, words: &[u32]) -> Result<(), EmulatedError> {
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
        Ok(())
    }

    /// Turns the translator off (or back on): [`Emulated::run`] then
    /// interprets, as a reference for the translated runs.
    pub fn set_translation(&mut self, on: bool) {
        self.cpu.set_translation(on);
    }

    /// The translator's counters since the CPU was made.
    pub fn tb_stats(&self) -> &crate::cpu::TbStats {
        self.cpu.tb_stats()
    }
}
