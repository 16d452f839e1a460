//! Behaviours of QEMU that differ from the ARM ARM, recognised exactly:
//! for each address, what a deviation would answer instead of the ARM ARM,
//! so that a disagreement is excused only when the oracle has that
//! deviation and gave exactly that answer, and an agreement where the
//! answer would have differed shows that the oracle follows the ARM ARM.

use super::stage2::Stage2Setup;
use super::tables::TestTables;
pub use crate::cmdline::Oracle;
use emu::addr::{IntermPhysAddr, VirtAddr};
use emu::mmu::descriptor::{classify, DescriptorKind};
use emu::mmu::fault::{Access, Fault, FaultKind};
use emu::mmu::regime::{Features, Stage1Regs};
use emu::mmu::translation::Translation;
use emu::mmu::Stage;
use emu::mmu::{MemoryAttributes, Walk, Walker};

impl Oracle {
    /// The oracle of this boot (`oracle=` on the command line).
    pub fn current() -> Oracle {
        crate::kernel::with_boot_info(|i| crate::cmdline::parse(i.bootargs()).0.oracle)
            .flatten()
            .unwrap_or(Oracle::Unknown)
    }
}

/// Behaviours of QEMU that differ from the ARM ARM. The comparison
/// recognises them exactly (and counts them) for the versions that have
/// them, instead of blaming the walker, which follows the architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KnownDeviation {
    /// A stage 2 fault on a stage 1 table walk is reported with the level of
    /// the stage 1 lookup, not of the stage 2 lookup that faulted.
    S1ptwLevel,
    /// Combining a Normal stage with a Device stage, QEMU reads the Normal
    /// attribute's low nibble as a Device type (Normal Non-cacheable, 0x44,
    /// turns into Device-nGnRE) instead of keeping the Device stage's type.
    DeviceCombination,
    /// `AT S12E*` whose stage 2 walk of the final IPA ends in a permission
    /// fault aborts QEMU 10 (`do_ats_write: Assertion
    /// !res.cacheattrs.is_s2_format`): such an address is not asked.
    S2PermissionAborts,
}

impl KnownDeviation {
    /// Every known deviation, in the order of [`super::DiffStats`]'s counts.
    pub const ALL: [KnownDeviation; 3] = [
        KnownDeviation::S1ptwLevel,
        KnownDeviation::DeviceCombination,
        KnownDeviation::S2PermissionAborts,
    ];

    /// One line saying what it is.
    pub fn describe(self) -> &'static str {
        match self {
            KnownDeviation::S1ptwLevel => {
                "QEMU 7.2 (not 10) reports a stage 2 fault on a stage 1 walk at the stage 1 lookup level"
            }
            KnownDeviation::DeviceCombination => {
                "QEMU 7.2 and 10 combine Normal with Device memory by the Normal attribute's low nibble"
            }
            KnownDeviation::S2PermissionAborts => {
                "not asked of QEMU 10: it aborts on AT S12E* with a stage 2 permission fault"
            }
        }
    }

    /// Whether `oracle` is known to behave so.
    pub fn of(self, oracle: Oracle) -> bool {
        match oracle {
            Oracle::Qemu72 => matches!(
                self,
                KnownDeviation::S1ptwLevel | KnownDeviation::DeviceCombination
            ),
            // QEMU 10 reports the stage 2 lookup's level (it fixed
            // S1ptwLevel) but still combines Device types by the nibble.
            Oracle::Qemu10 => matches!(
                self,
                KnownDeviation::DeviceCombination | KnownDeviation::S2PermissionAborts
            ),
            Oracle::Hardware => false,
            Oracle::Unknown => true,
        }
    }
}

/// Whether `AT S12E*` for an address the walker answers with `walker`
/// aborts QEMU 10. Its stage 2 walk of the final IPA records the stage 2
/// (not the combined) attributes before the permission check, and
/// `do_ats_write` asserts they are never left so when the walk fails.
/// Access flag, translation and address size faults come before that point,
/// and stage 2 faults on the stage 1 walk use their own result.
pub(super) fn aborts_qemu10(walker: &Result<Translation, Fault>) -> bool {
    matches!(walker, Err(f) if f.stage == Stage::Stage2 && !f.s1ptw && f.kind == FaultKind::Permission)
}

/// The combined Device type the ARM ARM gives (CombineS1S2Device), from
/// each stage's Device attribute (`None`: that stage is Normal): the
/// stronger of two Device types, else the one Device stage's type (`None`
/// when both are Normal). The
/// MAIR encodings 0b0000dd00 order from strongest (nGnRnE) to weakest
/// (GRE). Kept apart from emu's own combination, which is under test.
fn arm_device_combination(s1: Option<u8>, s2: Option<u8>) -> Option<u8> {
    match (s1, s2) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The combined attribute QEMU 7.2 and 10 compute when either stage is
/// Device.
fn qemu_device_combination(s1: u8, s2: u8) -> u8 {
    let (s1lo, s2lo) = (s1 & 0xf, s2 & 0xf);
    if s1lo == 0 || s2lo == 0 {
        0x00
    } else if s1lo == 4 || s2lo == 4 {
        0x04
    } else if s1lo == 8 || s2lo == 8 {
        0x08
    } else {
        0x0c
    }
}

pub(super) struct DeviationContext<'a> {
    pub(super) tables: &'a TestTables,
    pub(super) walker_regs: &'a Stage1Regs,
    pub(super) features: &'a Features,
    pub(super) s2: &'a Stage2Setup,
    pub(super) va: u64,
    pub(super) access: Access,
}

/// What QEMU's known deviations would answer instead of the ARM ARM's
/// `walker` for a two-stage translation: per deviation of
/// [`KnownDeviation::ALL`], the answer when it would differ.
pub(super) fn predict(
    walker: &Result<Translation, Fault>,
    ctx: &DeviationContext<'_>,
) -> [Option<Result<Translation, Fault>>; 3] {
    let mut answers = [None, None, None];
    match walker {
        Err(fault) if fault.s1ptw => {
            // The level of the stage 1 lookup whose table access faulted:
            // the one after the last descriptor read, or, when that was a
            // leaf (the stage 2 fault is on the write that sets its access
            // flag), the leaf's own.
            let (_, trace) = Walker::new(*ctx.features, ctx.tables.memory())
                .with_stage1(*ctx.walker_regs)
                .with_stage2(ctx.s2.regs())
                .trace(Walk::TwoStage(VirtAddr(ctx.va)), ctx.access);
            let s1_level = trace
                .steps()
                .filter(|s| s.stage == Stage::Stage1)
                .last()
                .map_or_else(
                    || {
                        emu::mmu::geometry::stage1_start_level(
                            ctx.tables.table.config().granule(),
                            ctx.tables.input_bits,
                        )
                    },
                    |s| match classify(s.descriptor, s.granule, s.level) {
                        DescriptorKind::Leaf { .. } => s.level,
                        _ => s.level + 1,
                    },
                );
            if s1_level != fault.level {
                answers[0] = Some(Err(Fault {
                    level: s1_level,
                    ..*fault
                }));
            }
        }
        Ok(t) => {
            let combined = (|| {
                let s1 = Walker::new(*ctx.features, ctx.tables.memory())
                    .with_stage1(*ctx.walker_regs)
                    .with_stage2(ctx.s2.regs())
                    .translate(Walk::Stage1UnderStage2(VirtAddr(ctx.va)), ctx.access)
                    .ok()?;
                let s2 = Walker::new(*ctx.features, ctx.tables.memory())
                    .with_stage2(ctx.s2.regs())
                    .translate(Walk::Stage2(IntermPhysAddr(s1.output.0)), ctx.access)
                    .ok()?;
                let (a1, a2) = (s1.attributes, s2.attributes);
                let device = |a: MemoryAttributes| a.is_device().then_some(a.mair);
                // Only where QEMU's rule and the ARM ARM's differ: where
                // they agree, a walker that differs is wrong, not excused.
                let arm = arm_device_combination(device(a1), device(a2))?;
                let qemu = qemu_device_combination(a1.mair, a2.mair);
                (qemu != arm).then_some(qemu)
            })();
            if let Some(mair) = combined {
                let mut qemu = *t;
                qemu.attributes.mair = mair;
                answers[1] = Some(Ok(qemu));
            }
        }
        Err(_) => {}
    }
    answers
}
