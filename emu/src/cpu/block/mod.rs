//! The translator: guest code decoded once into blocks, cached by guest
//! physical address and translation state, chained, and dropped exactly
//! when the guest changes its code.
//!
//! - A block is a straight run of decoded instructions ([`Insn`]: the row
//!   and its fields, registers, immediates, shifts, condition and access
//!   size already extracted). It ends after a branch, an exception
//!   generating or system instruction (MSR to SCTLR/TCR/TTBR, TLBI, IC,
//!   ERET, ISB, anything in that encoding group but hints and MRS), before
//!   a word that does not decode, at [`MAX_BLOCK`] instructions, and at the
//!   end of the smaller of the TLB page and 4K (the smallest granule), so
//!   that a block never spans two guest pages whatever the granule.
//! - The executor runs each instruction with the row's own function and
//!   completes it with [`exec::complete`], as the interpreter does: there
//!   is one copy of every instruction's meaning.
//! - Blocks are found by the physical address the TLB gives for PC (the
//!   same entry, the same faults as an instruction fetch) and a [`Key`] of
//!   the state a block depends on (EL, SP selection, MMU on/off); a
//!   direct-mapped jump cache by virtual address sits in front
//!   of the map, and each block keeps links to the last two successors it
//!   ran into.
//! - A link is followed only after the successor's translation is checked
//!   through the TLB (a compare and the entry's base): a TLBI dropping the
//!   successor's page, an ASID change leaving its non-global entry
//!   unmatched, or a regime change (a different key, or a TLB flush) breaks
//!   exactly the links into what changed; links into pages whose entries
//!   survive stay.
//! - Self-modifying code: see [`code`]. A store that overlaps the block
//!   being executed ends it after the store, so the next instruction is
//!   fetched from the new bytes, as the interpreter would.
//!
//! Instructions the translator does not serve (a fetch that faults, a word
//! that does not decode, code outside RAM, PSTATE.IL set) run one at a
//! time through the interpreter.

pub mod code;
pub mod stats;

#[cfg(test)]
mod tests;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::decode::EncodingClass;
use super::exec::{self, Ctx};
use super::insn::Insn;
use super::{Cpu, Exit, System};
use crate::addr::PhysAddr;
use crate::arch::sysreg::{bits, SCTLR_EL1};
use crate::mem::{PageKind, PhysMemoryMap};
use crate::pagesize::PageSize;
use crate::tlb::MmuIdx;

use code::CodeMap;
pub use stats::{InvalidateCause, TbStats};

/// The longest block, in instructions.
pub const MAX_BLOCK: usize = 128;

/// The most blocks kept; translating one more flushes the cache.
pub const MAX_BLOCKS: usize = 1 << 15;

/// Entries of the virtual-address jump cache (a power of two).
const JUMP_CACHE: usize = 4096;

/// No block.
const NONE: u32 = u32::MAX;

/// The translation state a block is keyed by besides its physical
/// address: EL, SP selection and MMU on/off. Nothing in a block's
/// decoded instructions depends on them today (every check is made when
/// the instruction executes); the key keeps a block from being entered
/// under another state once an executor specialises on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(u32);

/// SCTLR_EL1.M.
const SCTLR_M: u64 = bits(SCTLR_EL1::M);

impl Key {
    #[inline]
    fn of(cpu: &Cpu) -> Key {
        let p = &cpu.regs.pstate;
        let mmu = cpu.sys.sctlr & SCTLR_M != 0;
        Key(u32::from(p.el) | (p.sp as u32) << 2 | (mmu as u32) << 3)
    }
}

/// A successor a block ran into.
#[derive(Clone, Copy, Debug)]
struct Link {
    va: u64,
    id: u32,
}

const NO_LINK: Link = Link { va: 1, id: NONE };

/// One translated block.
struct Block {
    pa: u64,
    key: Key,
    /// Bytes of guest code covered.
    len: u64,
    insns: Vec<Insn>,
    links: [Link; 2],
    live: bool,
}

/// The block cache of one CPU.
pub struct Translator {
    enabled: bool,
    blocks: Vec<Block>,
    free: Vec<u32>,
    by_pa: BTreeMap<(u64, Key), u32>,
    jump: Vec<(u64, u32)>,
    code: CodeMap,
    /// The block being executed, or [`NONE`].
    current: u32,
    /// Set when a store dropped the block being executed.
    current_dropped: bool,
    map_generation: Option<u64>,
    scratch: Vec<u32>,
    stats: TbStats,
}

impl Default for Translator {
    fn default() -> Self {
        Translator {
            enabled: true,
            blocks: Vec::new(),
            free: Vec::new(),
            by_pa: BTreeMap::new(),
            jump: alloc::vec![(1, NONE); JUMP_CACHE],
            code: CodeMap::default(),
            current: NONE,
            current_dropped: false,
            map_generation: None,
            scratch: Vec::new(),
            stats: TbStats::default(),
        }
    }
}

/// Whether `insn` ends a block: branches, exception generation and every
/// system instruction (they may change translation state or leave the
/// block), except hints and MRS.
fn ends_block(insn: &Insn) -> bool {
    use super::decode::Op;
    if EncodingClass::of(insn.word) != EncodingClass::BranchExceptionSystem {
        return false;
    }
    let mrs = insn.op == Op::MRS_MSR && insn.lo() == 1;
    !(insn.op == Op::HINT || mrs)
}

impl Translator {
    /// The counters.
    pub fn stats(&self) -> &TbStats {
        &self.stats
    }

    /// How many blocks are live.
    pub fn live_blocks(&self) -> usize {
        self.by_pa.len()
    }

    fn jump_slot(va: u64) -> usize {
        ((va >> 2) ^ (va >> 14)) as usize & (JUMP_CACHE - 1)
    }

    /// The live block `id` if it is the one for (`pa`, `key`).
    #[inline]
    fn valid(&self, id: u32, pa: u64, key: Key) -> bool {
        self.blocks
            .get(id as usize)
            .is_some_and(|b| b.live && b.pa == pa && b.key == key)
    }

    /// Whether the physical page (of `page` size) holding `pa` holds code.
    pub(crate) fn holds_code(&self, pa: PhysAddr, page: PageSize) -> bool {
        self.code.page_has_code(pa.0, page.shift())
    }

    fn drop_block(&mut self, id: u32, cause: InvalidateCause) {
        let Some(b) = self.blocks.get_mut(id as usize) else {
            return;
        };
        if !b.live {
            return;
        }
        b.live = false;
        b.links = [NO_LINK; 2];
        let (pa, len, key) = (b.pa, b.len, b.key);
        self.by_pa.remove(&(pa, key));
        self.code.remove(id, pa, len);
        self.free.push(id);
        self.stats.invalidated[cause as usize] += 1;
        if id == self.current {
            self.current_dropped = true;
        }
    }

    /// Drops the blocks overlapping `[pa, pa + len)`; returns whether
    /// any was dropped.
    fn drop_range(&mut self, pa: u64, len: u64, cause: InvalidateCause) -> bool {
        let mut ids = core::mem::take(&mut self.scratch);
        ids.clear();
        self.code.candidates(pa, len, &mut ids);
        let mut any = false;
        for &id in &ids {
            let overlaps = self
                .blocks
                .get(id as usize)
                .is_some_and(|b| b.live && b.pa < pa.saturating_add(len) && pa < b.pa + b.len);
            if overlaps {
                self.drop_block(id, cause);
                any = true;
            }
        }
        self.scratch = ids;
        any
    }

    /// Drops every block.
    fn flush(&mut self, cause: InvalidateCause) {
        let live = self.by_pa.len() as u64;
        self.stats.invalidated[cause as usize] += live;
        if self.current != NONE {
            self.current_dropped = true;
        }
        self.blocks.clear();
        self.free.clear();
        self.by_pa.clear();
        self.code.clear();
        self.jump.fill((1, NONE));
    }
}

impl Cpu {
    /// The translator's counters.
    pub fn tb_stats(&self) -> &TbStats {
        self.tb.stats()
    }

    /// Zeroes the translator's counters.
    pub fn reset_tb_stats(&mut self) {
        self.tb.stats = TbStats::default();
    }

    /// How many translated blocks are live.
    pub fn live_blocks(&self) -> usize {
        self.tb.live_blocks()
    }

    /// Turns the translator on (the default) or off: off, [`Cpu::run`]
    /// interprets one instruction at a time, as [`Cpu::step`] does.
    pub fn set_translation(&mut self, on: bool) {
        self.tb.enabled = on;
    }

    /// Drops every translated block. The machine calls this after writing
    /// guest RAM behind the CPU's back (a loader); the CPU's own stores,
    /// and System calls' writes, are tracked.
    pub fn flush_translations(&mut self) {
        self.tb.flush(InvalidateCause::Flush);
        self.unwatch_all();
    }

    /// A store reached `[pa, pa + len)` through the slow path: drop the
    /// translated code it overlaps.
    #[inline]
    pub(crate) fn code_written(&mut self, pa: PhysAddr, len: usize) {
        if self.tb.code.is_empty() {
            return;
        }
        if self.tb.drop_range(pa.0, len as u64, InvalidateCause::Store) {
            self.unwatch_if_empty(pa);
        }
    }

    /// IC IVAU of the line holding physical address `pa`.
    pub(crate) fn ic_ivau(&mut self, pa: PhysAddr) {
        let line = 4u64 << (super::sysreg::CTR & 0xf);
        let base = pa.0 & !(line - 1);
        if self.tb.drop_range(base, line, InvalidateCause::IcIvau) {
            self.unwatch_if_empty(pa);
        }
    }

    /// IC IALLU, IC IALLUIS.
    pub(crate) fn ic_iallu(&mut self) {
        self.tb.flush(InvalidateCause::IcIallu);
        self.unwatch_all();
    }

    fn set_watch(&mut self, pa: PhysAddr, on: bool) {
        for idx in [MmuIdx::El0, MmuIdx::El1] {
            self.tlb.tlb_mut(idx).set_watch(pa, on);
        }
    }

    fn unwatch_if_empty(&mut self, pa: PhysAddr) {
        if !self.tb.holds_code(pa, self.page_size) {
            self.set_watch(pa, false);
        }
    }

    fn unwatch_all(&mut self) {
        for idx in [MmuIdx::El0, MmuIdx::El1] {
            self.tlb.tlb_mut(idx).clear_watch_all();
        }
    }

    /// Translates the block at physical `pa`, or `None` when the first
    /// word does not decode or the code is not in RAM.
    fn translate(&mut self, mem: &PhysMemoryMap, pa: u64, key: Key) -> Option<u32> {
        let page = self.page_size;
        let PageKind::Memory { arena_offset, .. } = mem.page_kind(PhysAddr(pa & page.page_mask()))
        else {
            return None;
        };
        let unit = page.shift().min(crate::granule::Granule::K4.shift());
        let end = (pa | ((1u64 << unit) - 1)).wrapping_add(1);
        let max = ((end.wrapping_sub(pa) / 4) as usize).min(MAX_BLOCK);
        let base = arena_offset + (pa & !page.page_mask());
        let mut insns = Vec::new();
        for k in 0..max {
            let at = usize::try_from(base + 4 * k as u64).ok()?;
            let Some(b) = mem.arena().get(at..at + 4) else {
                break;
            };
            let word = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            let Some(insn) = self.decode(word) else {
                break;
            };
            insns.push(insn);
            if ends_block(&insn) {
                break;
            }
        }
        if insns.is_empty() {
            return None;
        }
        if self.tb.free.is_empty() && self.tb.blocks.len() >= MAX_BLOCKS {
            self.tb.flush(InvalidateCause::Flush);
            self.unwatch_all();
        }
        let len = 4 * insns.len() as u64;
        let first_in_page = !self.tb.holds_code(PhysAddr(pa), page);
        let n = insns.len() as u64;
        let block = Block {
            pa,
            key,
            len,
            insns,
            links: [NO_LINK; 2],
            live: true,
        };
        let id = match self.tb.free.pop() {
            Some(id) => {
                self.tb.blocks[id as usize] = block;
                id
            }
            None => {
                self.tb.blocks.push(block);
                (self.tb.blocks.len() - 1) as u32
            }
        };
        self.tb.by_pa.insert((pa, key), id);
        self.tb.code.add(id, pa, len);
        if first_in_page {
            self.set_watch(PhysAddr(pa), true);
        }
        self.tb.stats.translated += 1;
        self.tb.stats.translated_insns += n;
        Some(id)
    }

    /// The block for PC, physical `pa`, state `key`, after `prev`: a link
    /// of `prev`, the jump cache, the block map, or a new translation.
    #[inline]
    fn find_block(
        &mut self,
        mem: &PhysMemoryMap,
        prev: u32,
        pc: u64,
        pa: u64,
        key: Key,
    ) -> Option<u32> {
        let tb = &mut self.tb;
        if let Some(p) = tb.blocks.get(prev as usize) {
            for l in p.links {
                if l.va == pc && tb.valid(l.id, pa, key) {
                    tb.stats.chained += 1;
                    return Some(l.id);
                }
            }
        }
        let slot = Translator::jump_slot(pc);
        let (va, id) = tb.jump[slot];
        let id = if va == pc && tb.valid(id, pa, key) {
            tb.stats.jump_cache_hits += 1;
            id
        } else {
            let id = match tb.by_pa.get(&(pa, key)) {
                Some(&id) => {
                    tb.stats.cache_hits += 1;
                    id
                }
                None => self.translate(mem, pa, key)?,
            };
            self.tb.jump[slot] = (pc, id);
            id
        };
        if let Some(p) = self.tb.blocks.get_mut(prev as usize) {
            if p.live {
                p.links[1] = p.links[0];
                p.links[0] = Link { va: pc, id };
            }
        }
        Some(id)
    }
}

/// How a block's execution ended.
enum Flow {
    /// It ran to its end: its successor may be chained.
    Next,
    /// An exception, a store into it, or the budget cut it short.
    Broken,
    /// The run ends.
    Exit(Exit),
}

/// Executes block `id`, at most `*left` instructions of it.
#[inline]
fn execute(
    cpu: &mut Cpu,
    mem: &mut PhysMemoryMap,
    sys: &mut dyn System,
    id: u32,
    left: &mut u64,
) -> Flow {
    let insns = core::mem::take(&mut cpu.tb.blocks[id as usize].insns);
    cpu.tb.current = id;
    cpu.tb.current_dropped = false;
    cpu.tb.stats.executed += 1;
    let mut flow = Flow::Next;
    let mut ctx = Ctx { mem, sys };
    let mut done = 0u64;
    for insn in &insns {
        if done == *left {
            flow = Flow::Broken;
            break;
        }
        done += 1;
        let pc = cpu.regs.pc;
        cpu.next_pc = pc.wrapping_add(4);
        cpu.stats.instructions = cpu.stats.instructions.wrapping_add(1);
        let result = insn.op.execute(cpu, &mut ctx, insn);
        match exec::complete(cpu, pc, insn.word, result) {
            (Some(x), _) => {
                flow = Flow::Exit(x);
                break;
            }
            (None, Some(_)) => {
                flow = Flow::Broken;
                break;
            }
            (None, None) if cpu.tb.current_dropped => {
                flow = Flow::Broken;
                break;
            }
            (None, None) => {}
        }
    }
    *left -= done;
    cpu.tb.stats.executed_insns += done;
    cpu.tb.current = NONE;
    if let Some(b) = cpu.tb.blocks.get_mut(id as usize) {
        if b.insns.is_empty() {
            b.insns = insns;
        }
    }
    flow
}

/// [`Cpu::run`] through the block cache.
pub(crate) fn run(
    cpu: &mut Cpu,
    mem: &mut PhysMemoryMap,
    sys: &mut dyn System,
    budget: u64,
) -> Exit {
    if !cpu.tb.enabled {
        for _ in 0..budget {
            if let Some(exit) = exec::run_one(cpu, mem, sys) {
                return exit;
            }
        }
        return Exit::BudgetExhausted { pc: cpu.regs.pc };
    }
    let g = Some(mem.generation());
    if cpu.tb.map_generation != g {
        if cpu.tb.map_generation.is_some() {
            cpu.flush_translations();
        }
        cpu.tb.map_generation = g;
    }
    let mut left = budget;
    let mut prev = NONE;
    while left > 0 {
        let pc = cpu.regs.pc;
        let found = if cpu.regs.pstate.il {
            None
        } else {
            match cpu.fetch_phys(mem, pc) {
                Ok(pa) => {
                    let key = Key::of(cpu);
                    cpu.find_block(mem, prev, pc, pa.0, key)
                }
                Err(_) => None,
            }
        };
        let Some(id) = found else {
            // The interpreter raises the fault (or runs the odd word).
            cpu.tb.stats.interpreted += 1;
            left -= 1;
            prev = NONE;
            if let Some(exit) = exec::run_one(cpu, mem, sys) {
                return exit;
            }
            continue;
        };
        match execute(cpu, mem, sys, id, &mut left) {
            Flow::Next => prev = id,
            Flow::Broken => prev = NONE,
            Flow::Exit(x) => return x,
        }
    }
    Exit::BudgetExhausted { pc: cpu.regs.pc }
}
