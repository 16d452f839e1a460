//! The comparison: for random addresses in an installed table set, the
//! walker's answer against what `AT` leaves in PAR_EL1, with the counts.

use super::deviations::{known_deviation, DeviationContext, KnownDeviation};
use super::rng::Rng;
use super::stage2::Stage2Setup;
use super::tables::TestTables;
use super::ADDRESSES_PER_SET;
use crate::arch::el2::{self, AtS12};
use crate::arch::mmu::{self as regs, At};
use crate::par::Par;
use crate::println;
use alloc::format;
use alloc::string::String;
use emu::addr::VirtAddr;
use emu::mmu::fault::{Access, AccessKind, El};
use emu::mmu::par;
use emu::mmu::regime::{Features, Stage1Regs};
use emu::mmu::stage1::{trace_stage1, translate_stage1};
use emu::mmu::stage2::{trace_two_stage, translate_two_stage};

/// The AT operations compared, with the access each stands for.
const OPERATIONS: [(At, Access); 4] = [
    (At::S1E1R, Access::new(El::El1, AccessKind::Read)),
    (At::S1E1W, Access::new(El::El1, AccessKind::Write)),
    (At::S1E0R, Access::new(El::El0, AccessKind::Read)),
    (At::S1E0W, Access::new(El::El0, AccessKind::Write)),
];

/// What one configuration compared.
#[derive(Clone, Copy, Debug, Default)]
pub struct DiffStats {
    /// Addresses compared.
    pub compared: usize,
    /// Of them, how many translated (the rest faulted).
    pub translated: usize,
    /// Disagreements.
    pub mismatches: usize,
    /// Faults seen, by kind: translation, access flag, permission, address
    /// size, external abort on walk.
    pub faults: [usize; 5],
    /// Disagreements explained by a known QEMU deviation, by kind.
    pub deviations: [usize; 2],
    /// Stage 2 faults, and of them those on a stage 1 table walk.
    pub stage2_faults: [usize; 2],
}

impl core::fmt::Display for DiffStats {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let [translation, access_flag, permission, address_size, abort] = self.faults;
        write!(
            f,
            "{} addresses compared, {} mismatches ({} translated; faults: {} translation, \
             {} access flag, {} permission, {} address size, {} external abort)",
            self.compared,
            self.mismatches,
            self.translated,
            translation,
            access_flag,
            permission,
            address_size,
            abort
        )?;
        if self.stage2_faults[0] > 0 {
            write!(
                f,
                "; {} in stage 2, {} of them on the stage 1 walk",
                self.stage2_faults[0], self.stage2_faults[1]
            )?;
        }
        for (count, kind) in self.deviations.iter().zip([
            KnownDeviation::S1ptwLevel,
            KnownDeviation::DeviceCombination,
        ]) {
            if *count > 0 {
                write!(f, "; {count} known deviations: {}", kind.describe())?;
            }
        }
        Ok(())
    }
}

pub(super) fn compare_set(
    rng: &mut Rng,
    tables: &TestTables,
    walker_regs: &Stage1Regs,
    features: &Features,
    stats: &mut DiffStats,
    stage2: Option<&Stage2Setup>,
) -> Result<(), String> {
    let space = 1u64 << tables.input_bits;
    for _ in 0..ADDRESSES_PER_SET {
        // Mostly inside mappings, sometimes anywhere in (or just outside)
        // the range.
        let va = if tables.mapped_count > 0 && !rng.one_in(4) {
            let (start, len, _) = tables.mapped[rng.below(tables.mapped_count as u64) as usize];
            tables.base() + start + rng.below(len)
        } else if rng.one_in(8) {
            // Below the TTBR1 range: a level-0 translation fault.
            tables.base().wrapping_sub(1 + rng.below(space))
        } else {
            tables.base() + rng.below(space)
        };
        let (op, access) = OPERATIONS[rng.below(4) as usize];
        let hardware = match stage2 {
            None => regs::at(op, va),
            Some(s2) => {
                let op = match op {
                    At::S1E1R => AtS12::E1R,
                    At::S1E1W => AtS12::E1W,
                    At::S1E0R => AtS12::E0R,
                    At::S1E0W => AtS12::E0W,
                };
                el2::at_s12(op, va, s2.vttbr, s2.vtcr)
            }
        };
        let walker = match stage2 {
            None => translate_stage1(walker_regs, features, VirtAddr(va), access, &tables.mem),
            Some(s2) => translate_two_stage(
                walker_regs,
                &s2.regs(),
                features,
                VirtAddr(va),
                access,
                &tables.mem,
            ),
        };
        stats.compared += 1;
        match &walker {
            Ok(_) => stats.translated += 1,
            Err(fault) => {
                use emu::mmu::fault::FaultKind;
                let kind = match fault.kind {
                    FaultKind::Translation => 0,
                    FaultKind::AccessFlag => 1,
                    FaultKind::Permission => 2,
                    FaultKind::AddressSize => 3,
                    FaultKind::ExternalAbortOnWalk => 4,
                };
                stats.faults[kind] += 1;
                if fault.stage == emu::mmu::Stage::Stage2 {
                    stats.stage2_faults[0] += 1;
                    stats.stage2_faults[1] += usize::from(fault.s1ptw);
                }
            }
        }
        if !par::matches(hardware, &walker) {
            if let Some(s2) = stage2 {
                let ctx = DeviationContext {
                    tables,
                    walker_regs,
                    features,
                    s2,
                    va,
                    access,
                };
                if let Some(deviation) = known_deviation(hardware, &walker, &ctx) {
                    stats.deviations[deviation as usize] += 1;
                    continue;
                }
            }
            stats.mismatches += 1;
            let (_, trace) = match stage2 {
                None => trace_stage1(walker_regs, features, VirtAddr(va), access, &tables.mem),
                Some(s2) => trace_two_stage(
                    walker_regs,
                    &s2.regs(),
                    features,
                    VirtAddr(va),
                    access,
                    &tables.mem,
                ),
            };
            println!("  MISMATCH at {va:#x} for {op:?}:");
            println!("    hardware {}", Par(hardware));
            println!("    walker   {walker:?}");
            println!("    expected {}", Par(par::par_el1(&walker)));
            println!(
                "    TCR_EL1 {:#x} TTBR1 {:#x}",
                walker_regs.tcr, walker_regs.ttbr1
            );
            if let Some(s2) = stage2 {
                println!("    VTCR_EL2 {:#x} VTTBR_EL2 {:#x}", s2.vtcr, s2.vttbr);
            }
            for step in trace.steps() {
                println!(
                    "    {:?} level {} table {:#x} index {:4} descriptor {:#018x}",
                    step.stage, step.level, step.table, step.index, step.descriptor
                );
            }
            return Err(format!("walker and {op:?} disagree at {va:#x}"));
        }
    }
    Ok(())
}
