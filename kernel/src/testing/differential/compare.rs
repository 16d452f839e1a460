//! The comparison: for random addresses in an installed table set, the
//! walker's answer against what `AT` leaves in PAR_EL1, with the counts.

use super::deviations::{aborts_qemu10, predict, DeviationContext, KnownDeviation, Oracle};
use super::rng::Rng;
use super::stage2::Stage2Setup;
use super::tables::{random_asid, TestTables};
use super::ADDRESSES_PER_SET;
use crate::arch::cpu;
use crate::arch::el2::{self, AtS12};
use crate::arch::mmu::{self as regs, At};
use crate::println;
use alloc::format;
use alloc::string::String;
use emu::addr::VirtAddr;
use emu::arch::id::ID_AA64MMFR1_EL1;
use emu::arch::par;
use emu::arch::par::Par;
use emu::arch::sysreg::{Ttbr, TTBR};
use emu::mmu::fault::{Access, AccessKind, El, Fault, FaultKind};
use emu::mmu::regime::{Features, Stage1Regs};
use emu::mmu::translation::Translation;
use emu::mmu::{Walk, Walker};
use tock_registers::LocalRegisterCopy;

/// The AT operations compared, with the access each stands for; the last
/// two (PSTATE.PAN set) only with FEAT_PAN2 and without stage 2.
const OPERATIONS: [(At, Access); 6] = [
    (At::S1E1R, Access::new(El::El1, AccessKind::Read)),
    (At::S1E1W, Access::new(El::El1, AccessKind::Write)),
    (At::S1E0R, Access::new(El::El0, AccessKind::Read)),
    (At::S1E0W, Access::new(El::El0, AccessKind::Write)),
    (At::S1E1RP, Access::new(El::El1, AccessKind::Read)),
    (At::S1E1WP, Access::new(El::El1, AccessKind::Write)),
];

/// What one configuration compared.
#[derive(Clone, Copy, Debug)]
pub struct DiffStats {
    /// What answered the `AT` instructions.
    pub oracle: Oracle,
    /// Addresses compared.
    pub compared: usize,
    /// Of them, how many translated (the rest faulted).
    pub translated: usize,
    /// Disagreements.
    pub mismatches: usize,
    /// Faults seen, by kind: translation, access flag, permission, address
    /// size, external abort on walk.
    pub faults: [usize; 5],
    /// Per [`KnownDeviation::ALL`]: addresses where the oracle answered as
    /// that deviation predicts (or, for an abort, was not asked).
    pub deviations: [usize; 3],
    /// Per [`KnownDeviation::ALL`]: addresses where the deviation would
    /// have changed the answer, and the oracle answered as the ARM ARM says.
    pub followed_arm: [usize; 3],
    /// Stage 2 faults, and of them those on a stage 1 table walk.
    pub stage2_faults: [usize; 2],
}

impl DiffStats {
    /// Empty counts for `oracle`.
    pub fn new(oracle: Oracle) -> Self {
        DiffStats {
            oracle,
            compared: 0,
            translated: 0,
            mismatches: 0,
            faults: [0; 5],
            deviations: [0; 3],
            followed_arm: [0; 3],
            stage2_faults: [0; 2],
        }
    }
}

impl core::fmt::Display for DiffStats {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let [translation, access_flag, permission, address_size, abort] = self.faults;
        write!(
            f,
            "{} addresses compared with {}, {} mismatches ({} translated; faults: {} translation, \
             {} access flag, {} permission, {} address size, {} external abort)",
            self.compared,
            self.oracle.name(),
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
        for (i, kind) in KnownDeviation::ALL.iter().enumerate() {
            if self.deviations[i] > 0 {
                write!(
                    f,
                    "; {} known deviations: {}",
                    self.deviations[i],
                    kind.describe()
                )?;
            }
            if self.followed_arm[i] > 0 {
                write!(
                    f,
                    "; {} answered as the ARM ARM says where {}",
                    self.followed_arm[i],
                    kind.describe()
                )?;
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
    let mmfr1 = LocalRegisterCopy::<u64, ID_AA64MMFR1_EL1::Register>::new(cpu::id_aa64mmfr1());
    // ID_AA64MMFR1_EL1.PAN 0b0010: FEAT_PAN2, AT S1E1RP/WP.
    let operations = if stage2.is_none() && mmfr1.read(ID_AA64MMFR1_EL1::PAN) >= 2 {
        OPERATIONS.len()
    } else {
        4
    };
    let mut walker_regs = *walker_regs;
    for n in 0..ADDRESSES_PER_SET {
        if n == ADDRESSES_PER_SET / 2 {
            // A new ASID half-way, with no TLB maintenance: AT must use the
            // new one (nG entries of the old ASID no longer match).
            let asid = random_asid(rng, walker_regs.tcr);
            let mut ttbr1 = Ttbr::new(walker_regs.ttbr1);
            ttbr1.modify(TTBR::ASID.val(asid));
            walker_regs.ttbr1 = ttbr1.get();
            // SAFETY: only the ASID changes; the tables stay installed.
            unsafe { regs::set_ttbr1_asid(walker_regs.ttbr1) };
        }
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
        // A random top byte now and then: ignored under TBI1, a
        // translation fault without it.
        let va = if rng.one_in(4) {
            (va & !(0xff << 56)) | (rng.below(256) << 56)
        } else {
            va
        };
        let (op, access) = OPERATIONS[rng.below(operations as u64) as usize];
        let pan = matches!(op, At::S1E1RP | At::S1E1WP);
        let walker_regs = &Stage1Regs { pan, ..walker_regs };
        let (model, walk) = match stage2 {
            None => (
                Walker::new(*features, tables.memory()).with_stage1(*walker_regs),
                Walk::Stage1(VirtAddr(va)),
            ),
            Some(s2) => (
                Walker::new(*features, tables.memory())
                    .with_stage1(*walker_regs)
                    .with_stage2(s2.regs()),
                Walk::TwoStage(VirtAddr(va)),
            ),
        };
        let walker = model.translate(walk, access);
        let aborts = KnownDeviation::S2PermissionAborts;
        if stage2.is_some() && aborts.of(stats.oracle) && aborts_qemu10(&walker) {
            stats.deviations[aborts as usize] += 1;
            continue;
        }
        let hardware = match stage2 {
            None => regs::at(op, va),
            Some(s2) => {
                let op = match op {
                    At::S1E1R => AtS12::E1R,
                    At::S1E1W => AtS12::E1W,
                    At::S1E0R => AtS12::E0R,
                    At::S1E0W => AtS12::E0W,
                    At::S1E1RP | At::S1E1WP => unreachable!("no PAN operations with stage 2"),
                };
                el2::at_s12(op, va, s2.vttbr, s2.vtcr)
            }
        };
        stats.compared += 1;
        count_result(stats, &walker);
        let predicted = match stage2 {
            None => [None, None, None],
            Some(s2) => predict(
                &walker,
                &DeviationContext {
                    tables,
                    walker_regs,
                    features,
                    s2,
                    va,
                    access,
                },
            ),
        };
        if par::matches(hardware, &walker) {
            for (i, p) in predicted.iter().enumerate() {
                stats.followed_arm[i] += usize::from(p.is_some());
            }
            continue;
        }
        let explained = predicted.iter().enumerate().find(|(i, p)| {
            KnownDeviation::ALL[*i].of(stats.oracle)
                && p.as_ref().is_some_and(|p| par::matches(hardware, p))
        });
        if let Some((i, _)) = explained {
            stats.deviations[i] += 1;
            continue;
        }
        stats.mismatches += 1;
        let (_, trace) = model.trace(walk, access);
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
    Ok(())
}

/// Counts the walker's result by kind.
fn count_result(stats: &mut DiffStats, walker: &Result<Translation, Fault>) {
    match walker {
        Ok(_) => stats.translated += 1,
        Err(fault) => {
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
}
