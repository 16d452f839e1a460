//! Behaviours of QEMU that differ from the ARM ARM, recognised exactly:
//! for a disagreement, what QEMU would have answered, and whether that is
//! what it did.

use super::stage2::Stage2Setup;
use super::tables::TestTables;
use crate::par::Par;
use emu::addr::{IntermPhysAddr, VirtAddr};
use emu::mmu::fault::{Access, Fault};
use emu::mmu::par;
use emu::mmu::regime::{Features, Stage1Regs};
use emu::mmu::stage2::{trace_two_stage, translate_stage1_under_stage2, translate_stage2};
use emu::mmu::translation::Translation;

/// Behaviours of QEMU 7.2 that differ from the ARM ARM. The comparison
/// recognises them (and counts them) instead of blaming the walker, which
/// follows the architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KnownDeviation {
    /// A stage 2 fault on a stage 1 table walk is reported with the level of
    /// the stage 1 lookup, not of the stage 2 lookup that faulted.
    S1ptwLevel,
    /// Combining a Normal stage with a Device stage, QEMU reads the Normal
    /// attribute's low nibble as a Device type (Normal Non-cacheable, 0x44,
    /// turns into Device-nGnRE) instead of keeping the Device stage's type.
    DeviceCombination,
}

impl KnownDeviation {
    /// One line saying what it is.
    pub fn describe(self) -> &'static str {
        match self {
            KnownDeviation::S1ptwLevel => {
                "QEMU 7.2 reports a stage 2 fault on a stage 1 walk at the stage 1 lookup level"
            }
            KnownDeviation::DeviceCombination => {
                "QEMU 7.2 combines Normal with Device memory by the Normal attribute's low nibble"
            }
        }
    }
}

/// The combined attribute QEMU 7.2 computes when either stage is Device.
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

/// Which known QEMU deviation, if any, explains the hardware's `par` where
/// the walker says `walker` for a two-stage translation.
pub(super) fn known_deviation(
    par: u64,
    walker: &Result<Translation, Fault>,
    ctx: &DeviationContext<'_>,
) -> Option<KnownDeviation> {
    let hardware = Par(par);
    match walker {
        Err(fault) if fault.s1ptw => {
            // The level of the stage 1 lookup whose table read faulted.
            let (_, trace) = trace_two_stage(
                ctx.walker_regs,
                &ctx.s2.regs(),
                ctx.features,
                VirtAddr(ctx.va),
                ctx.access,
                &ctx.tables.mem,
            );
            let s1_level = trace
                .steps()
                .filter(|s| s.stage == emu::mmu::Stage::Stage1)
                .last()
                .map_or_else(
                    || {
                        emu::mmu::geometry::stage1_start_level(
                            ctx.tables.table.config().granule(),
                            ctx.tables.input_bits,
                        )
                    },
                    |s| s.level + 1,
                );
            let qemu = Fault {
                level: s1_level,
                ..*fault
            };
            (s1_level != fault.level && par::matches(par, &Err(qemu)))
                .then_some(KnownDeviation::S1ptwLevel)
        }
        Ok(t) if !hardware.faulted() => {
            let s1 = translate_stage1_under_stage2(
                ctx.walker_regs,
                &ctx.s2.regs(),
                ctx.features,
                VirtAddr(ctx.va),
                ctx.access,
                &ctx.tables.mem,
            )
            .ok()?;
            let s2 = translate_stage2(
                &ctx.s2.regs(),
                ctx.features,
                IntermPhysAddr(s1.output.0),
                ctx.access,
                &ctx.tables.mem,
            )
            .ok()?;
            let (a1, a2) = (s1.attributes, s2.attributes);
            if !(a1.is_device() || a2.is_device()) {
                return None;
            }
            let mut qemu = *t;
            qemu.attributes.mair = qemu_device_combination(a1.mair, a2.mair);
            (qemu.attributes.mair != t.attributes.mair && par::matches(par, &Ok(qemu)))
                .then_some(KnownDeviation::DeviceCombination)
        }
        _ => None,
    }
}
