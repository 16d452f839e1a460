//! The table walk shared by every format: follow table descriptors from the
//! root to a leaf, checking encodings per level and output-address size,
//! and collecting the hierarchical attributes of the tables on the way.

use super::config::Stage;
use super::descriptor::Decoded;
use super::descriptor::{
    classify, DescriptorKind, AP_TABLE_NO_EL0, AP_TABLE_RO, OA_MASK, PXN_TABLE, XN_TABLE,
};
use super::fault::FaultKind;
use super::geometry::{Geometry, DESCRIPTOR_BYTES};
use crate::addr::PhysAddr;
use crate::granule::Granule;
use core::fmt;

/// One descriptor fetch of a walk, for tracing (the shell's `walk VA`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkStep {
    /// The stage whose table was read.
    pub stage: Stage,
    /// The granule of the table.
    pub granule: Granule,
    /// The lookup level.
    pub level: u8,
    /// The table's address (an IPA for stage-1 tables under stage 2).
    pub table: u64,
    /// The index into the table.
    pub index: usize,
    /// The descriptor read.
    pub descriptor: u64,
}

impl WalkStep {
    /// The descriptor with its fields decoded.
    pub const fn decoded(&self) -> Decoded {
        Decoded {
            descriptor: self.descriptor,
            granule: self.granule,
            level: self.level,
            stage2: matches!(self.stage, Stage::Stage2),
        }
    }
}

impl fmt::Display for WalkStep {
    /// One line: stage, level, table and index, raw and decoded descriptor.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match self.stage {
            Stage::Stage1 => 1,
            Stage::Stage2 => 2,
        };
        write!(
            f,
            "s{stage} L{} {:#x}[{}] = {:#018x}: {}",
            self.level,
            self.table,
            self.index,
            self.descriptor,
            self.decoded()
        )
    }
}

/// Receives each step of a walk, in order.
pub trait WalkObserver {
    /// Called after each descriptor is read, before it is interpreted.
    fn step(&mut self, step: &WalkStep);
}

impl<F: FnMut(&WalkStep)> WalkObserver for F {
    fn step(&mut self, step: &WalkStep) {
        self(step)
    }
}

/// An observer that ignores every step.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoTrace;

impl WalkObserver for NoTrace {
    fn step(&mut self, _: &WalkStep) {}
}

/// The most steps one two-stage walk can take: 4 stage-1 descriptor fetches,
/// each (and the final IPA) translated by up to 4 stage-2 fetches, plus the
/// stage-1 fetches themselves.
pub const MAX_WALK_STEPS: usize = 4 + 5 * 4;

/// A fixed-size record of a walk's steps, no heap needed.
#[derive(Clone, Copy, Debug)]
pub struct WalkTrace {
    steps: [Option<WalkStep>; MAX_WALK_STEPS],
    len: usize,
}

impl Default for WalkTrace {
    fn default() -> Self {
        WalkTrace {
            steps: [None; MAX_WALK_STEPS],
            len: 0,
        }
    }
}

impl WalkTrace {
    /// The recorded steps, in order.
    pub fn steps(&self) -> impl Iterator<Item = &WalkStep> {
        self.steps[..self.len].iter().flatten()
    }

    /// How many steps were recorded.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether no step was recorded.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl WalkObserver for WalkTrace {
    fn step(&mut self, step: &WalkStep) {
        if self.len < MAX_WALK_STEPS {
            self.steps[self.len] = Some(*step);
            self.len += 1;
        }
    }
}

/// Reads the descriptor at a table address for a level, translating the
/// address first if need be (tracing that to the observer it is given), or
/// returns the complete fault to report.
pub(crate) type Fetch<'a, F> = dyn FnMut(u64, u8, &mut dyn WalkObserver) -> Result<u64, F> + 'a;

/// The hierarchical attributes collected from table descriptors.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TableAttributes {
    /// Some APTable\[0\] was set: no EL0 access below.
    pub no_el0: bool,
    /// Some APTable\[1\] was set: no writes below.
    pub read_only: bool,
    /// Some UXNTable/XNTable was set.
    pub xn: bool,
    /// Some PXNTable was set.
    pub pxn: bool,
}

/// The leaf a walk ended at.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Leaf {
    pub descriptor: u64,
    /// Where the descriptor is (an IPA for stage-1 tables under stage 2):
    /// where a hardware update of its access flag writes.
    pub address: u64,
    pub level: u8,
    /// The output address of the start of the block or page.
    pub output: PhysAddr,
    pub tables: TableAttributes,
}

/// A fault found by the table walk itself (its level and kind; the caller
/// adds stage and access), or a complete fault from fetching a descriptor
/// (a stage-2 fault during a stage-1 walk).
#[derive(Clone, Copy, Debug)]
pub(crate) enum WalkFault<F> {
    Local(FaultKind, u8),
    Fetch(F),
}

/// The parameters of one walk.
pub(crate) struct TableWalk {
    pub geometry: Geometry,
    pub stage: Stage,
    /// The root table address (already checked against `output_bits`).
    pub base: u64,
    /// Output-address size: table and output addresses beyond are address
    /// size faults.
    pub output_bits: u32,
    /// Whether APTable/XNTable/PXNTable count (stage 1 without HPD).
    pub hierarchical: bool,
}

impl TableWalk {
    /// Walk from the root to the leaf for `input`. `fetch` reads the
    /// descriptor at a table address (translating it first if need be, and
    /// tracing that translation to the observer it is given) and reports
    /// failures as complete faults.
    pub fn run<F>(
        &self,
        input: u64,
        fetch: &mut Fetch<'_, F>,
        observer: &mut dyn WalkObserver,
    ) -> Result<Leaf, WalkFault<F>> {
        let g = self.geometry;
        let mut level = g.start_level;
        let mut table = self.base;
        let mut tables = TableAttributes::default();
        // The level rises by one per table descriptor and `classify` never
        // reports a table at the last level, so this ends after at most four
        // reads whatever the tables contain.
        loop {
            let index = g.index(level, input);
            let address = table + index as u64 * DESCRIPTOR_BYTES;
            let descriptor = fetch(address, level, observer).map_err(WalkFault::Fetch)?;
            observer.step(&WalkStep {
                stage: self.stage,
                granule: g.granule,
                level,
                table,
                index,
                descriptor,
            });
            let beyond_output = (descriptor & OA_MASK) >> self.output_bits != 0;
            match classify(descriptor, g.granule, level) {
                DescriptorKind::Invalid | DescriptorKind::Reserved => {
                    return Err(WalkFault::Local(FaultKind::Translation, level))
                }
                DescriptorKind::Table { next } => {
                    if beyond_output {
                        return Err(WalkFault::Local(FaultKind::AddressSize, level));
                    }
                    if self.hierarchical {
                        tables.no_el0 |= descriptor & AP_TABLE_NO_EL0 != 0;
                        tables.read_only |= descriptor & AP_TABLE_RO != 0;
                        tables.xn |= descriptor & XN_TABLE != 0;
                        tables.pxn |= descriptor & PXN_TABLE != 0;
                    }
                    table = next.0;
                    level += 1;
                }
                DescriptorKind::Leaf { output } => {
                    if beyond_output {
                        return Err(WalkFault::Local(FaultKind::AddressSize, level));
                    }
                    return Ok(Leaf {
                        descriptor,
                        address,
                        level,
                        output,
                        tables,
                    });
                }
            }
        }
    }
}
