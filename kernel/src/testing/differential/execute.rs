//! Execute permissions against instruction fetches. No `AT` operation
//! checks a fetch, so here every mapped page of a random TTBR1 table set
//! is one frame full of `RET`, and the kernel branches to random addresses
//! at EL1, or drops to EL0 at them: whether the fetch runs or takes an
//! instruction abort (and with which fault status) is compared with the
//! walker's execute answer. This sees UXN, PXN, UXNTable, PXNTable,
//! SCTLR.WXN and "EL0-writable is never EL1-executable", which `AT`
//! cannot.

use super::deviations::Oracle;
use super::rng::Rng;
use super::tables::{empty_tables, random_attributes, scatter_bits, with_built, TestTables};
use super::TABLE_SETS;
use crate::arch::exception;
use crate::arch::mmu as regs;
use crate::memory::frame;
use crate::memory::mmu as host_mmu;
use crate::println;
use alloc::format;
use alloc::string::String;
use emu::addr::{PhysAddr, VirtAddr};
use emu::arch::esr::{Esr, ExceptionClass};
use emu::granule::Granule;
use emu::mmu::fault::{Access, AccessKind, El};
use emu::mmu::regime::Features;
use emu::mmu::{MapError, Walk, Walker};

/// Pages mapped per table set (all onto the one `RET` frame).
const PAGES: usize = 24;
/// Branches per table set.
const BRANCHES: usize = 1024;
/// `RET` (A64), which fills the frame.
const RET: u32 = 0xd65f_03c0;
/// MAIR indices (arch::mmu::MAIR_ATTRS) of Normal memory: executing Device
/// memory is CONSTRAINED UNPREDICTABLE, so it is left out.
const NORMAL_ATTR_INDICES: [u8; 5] = [1, 2, 5, 6, 7];

/// What the execute test compared.
#[derive(Clone, Copy, Debug)]
pub struct ExecStats {
    /// What ran the fetches.
    pub oracle: Oracle,
    /// Branches made.
    pub branches: usize,
    /// Of them, fetches at EL0.
    pub el0: usize,
    /// Of them, fetches that returned.
    pub executed: usize,
    /// Disagreements.
    pub mismatches: usize,
}

impl core::fmt::Display for ExecStats {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} fetches compared with {} ({} at EL0, {} at EL1), {} mismatches ({} executed, {} \
             instruction aborts)",
            self.branches,
            self.oracle.name(),
            self.el0,
            self.branches - self.el0,
            self.mismatches,
            self.executed,
            self.branches - self.executed
        )
    }
}

/// A frame of `granule`'s size full of `RET`, made visible to instruction
/// fetches.
struct RetFrame {
    address: u64,
    size: usize,
}

impl RetFrame {
    fn new(granule: Granule) -> Option<RetFrame> {
        let size = granule.size() as usize;
        let address = frame::allocate(size, size)?;
        for i in 0..size / 4 {
            // SAFETY: a fresh frame of `size` bytes, identity-mapped RAM.
            unsafe { core::ptr::write_volatile((address as *mut u32).add(i), RET) };
        }
        regs::sync_instruction_cache(address, size);
        Some(RetFrame { address, size })
    }
}

impl Drop for RetFrame {
    fn drop(&mut self) {
        frame::free(self.address, self.size, self.size);
    }
}

/// Pages at random VAs of the TTBR1 range, all onto `ret`, with random
/// Normal attributes, then random hierarchical bits on the tables.
fn build(
    rng: &mut Rng,
    granule: Granule,
    features: &Features,
    ret: u64,
) -> Result<TestTables, String> {
    let mut tables = empty_tables(rng, granule, features)?;
    let page = granule.size();
    let space = 1u64 << tables.input_bits;
    for _ in 0..PAGES {
        let va = rng.below(space / page) * page;
        let mut attrs = random_attributes(rng);
        attrs.attr_index = NORMAL_ATTR_INDICES[rng.below(5) as usize];
        attrs.contiguous = false;
        let base = tables.base();
        match tables.table.map(base + va, PhysAddr(ret), page, attrs) {
            Ok(()) => {
                tables.mapped[tables.mapped_count] = (va, page, ret);
                tables.mapped_count += 1;
            }
            Err(MapError::AlreadyMapped { .. }) => {}
            Err(e) => return Err(format!("map {va:#x} -> {ret:#x}: {e}")),
        }
    }
    let root = tables.table.root().0;
    let geometry = tables.table.config().geometry();
    scatter_bits(rng, geometry, geometry.start_level, root);
    Ok(tables)
}

/// Fetches from `va` at `el`: `Ok` when the `RET` there ran, else the
/// instruction abort's class, fault status code and FAR.
fn fetch(el: El, va: u64) -> Result<(), (Option<ExceptionClass>, u8, u64)> {
    const FSC_MASK: u64 = 0x3f;
    match el {
        El::El1 => {
            // SAFETY: every page of the set maps the RET frame, so the
            // branch returns at once or its fetch faults.
            unsafe { exception::probe_execute(va) }.map_err(|abort| {
                (
                    abort.syndrome.class(),
                    (abort.syndrome.0 & FSC_MASK) as u8,
                    abort.far,
                )
            })
        }
        El::El0 => {
            // SAFETY: as for EL1; the kernel takes no interrupts.
            let back = unsafe { exception::probe_execute_el0(va) };
            if back.elr == exception::EL0_SENTINEL && back.far == exception::EL0_SENTINEL {
                Ok(())
            } else {
                Err((Esr(back.esr).class(), (back.esr & FSC_MASK) as u8, back.far))
            }
        }
    }
}

/// Runs the execute test for `granule`.
pub fn execute(granule: Granule, seed: u64) -> Result<ExecStats, String> {
    let features = host_mmu::walker_features();
    let ret = RetFrame::new(granule).ok_or("no frame for the RET page")?;
    let mut rng = Rng(seed);
    let mut stats = ExecStats {
        oracle: Oracle::current(),
        branches: 0,
        el0: 0,
        executed: 0,
        mismatches: 0,
    };
    for set in 0..TABLE_SETS {
        let build = |rng: &mut Rng, g, f: &Features| build(rng, g, f, ret.address);
        with_built(
            &mut rng,
            granule,
            &features,
            build,
            |rng, tables, walker_regs| {
                let space = 1u64 << tables.input_bits;
                for _ in 0..BRANCHES {
                    let va = if tables.mapped_count > 0 && !rng.one_in(8) {
                        let (start, len, _) =
                            tables.mapped[rng.below(tables.mapped_count as u64) as usize];
                        tables.base() + start + (rng.below(len) & !3)
                    } else {
                        tables.base() + (rng.below(space) & !3)
                    };
                    let el = if rng.one_in(2) { El::El0 } else { El::El1 };
                    let access = Access::new(el, AccessKind::Execute);
                    let walker = Walker::new(features, tables.memory())
                        .with_stage1(*walker_regs)
                        .translate(Walk::Stage1(VirtAddr(va)), access);
                    let hardware = fetch(el, va);
                    stats.branches += 1;
                    stats.el0 += usize::from(el == El::El0);
                    let agree = match (&walker, &hardware) {
                        (Ok(t), Ok(())) => {
                            stats.executed += 1;
                            t.output.0 & !(granule.size() - 1) == ret.address
                        }
                        (Err(fault), Err((class, fsc, far))) => {
                            let expected = match el {
                                El::El0 => ExceptionClass::InstructionAbortLower,
                                El::El1 => ExceptionClass::InstructionAbortSame,
                            };
                            *class == Some(expected) && *fsc == fault.fsc() && *far == va
                        }
                        _ => false,
                    };
                    if !agree {
                        stats.mismatches += 1;
                        println!("  MISMATCH at {va:#x} for a fetch at {el:?}:");
                        match &hardware {
                            Ok(()) => println!("    hardware executed it"),
                            Err((class, fsc, far)) => {
                                println!("    hardware: {class:?}, FSC {fsc:#x}, FAR {far:#x}")
                            }
                        }
                        println!("    walker   {walker:?}");
                        println!(
                            "    TCR_EL1 {:#x} TTBR1 {:#x} SCTLR_EL1 {:#x}",
                            walker_regs.tcr, walker_regs.ttbr1, walker_regs.sctlr
                        );
                        return Err(format!("walker and a fetch at {el:?} disagree at {va:#x}"));
                    }
                }
                Ok(())
            },
        )
        .map_err(|e: String| format!("table set {set} (seed {seed:#x}): {e}"))?;
    }
    Ok(stats)
}

/// The on-target tests of execute permissions, one per granule.
pub mod tests {
    use super::execute;
    use crate::ensure;
    use crate::memory::mmu;
    use crate::testing::{Outcome, TestResult};
    use emu::granule::Granule;

    fn vs_fetch(granule: Granule, seed: u64) -> TestResult {
        if !mmu::features().stage1.contains(granule) {
            return Err(Outcome::skipped("the CPU has no such granule"));
        }
        let stats = execute(granule, seed)?;
        crate::println!("  execute {granule}: {stats}");
        ensure!(stats.mismatches == 0, "{} mismatches", stats.mismatches);
        Ok(())
    }

    /// 4K granule.
    pub fn vs_fetch_4k() -> TestResult {
        vs_fetch(Granule::K4, 0xe4ec_0007)
    }

    /// 16K granule.
    pub fn vs_fetch_16k() -> TestResult {
        vs_fetch(Granule::K16, 0xe16e_c008)
    }

    /// 64K granule.
    pub fn vs_fetch_64k() -> TestResult {
        vs_fetch(Granule::K64, 0xe64e_c009)
    }
}
