//! The walker: one value holding the translation registers, the CPU's
//! features and the memory the tables are read from, with `translate` and
//! `trace` for each regime and stage ([`Walk`] says which).

use super::fault::{Access, Fault};
use super::memory::WalkMemory;
use super::regime::{Features, LpaeRegs, Stage1Regs, Stage2Regs};
use super::translation::Translation;
use super::walk::{NoTrace, WalkObserver, WalkTrace};
use super::{lpae, stage1, stage2};
use crate::addr::{IntermPhysAddr, VirtAddr};

/// What to translate, and through which regime and stages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Walk {
    /// A VA through the EL1&0 stage 1 alone (HCR_EL2.VM clear): the output
    /// is a PA.
    Stage1(VirtAddr),
    /// A VA through stage 1 with every table read translated by stage 2:
    /// what `AT S1E1R/W` and `AT S1E0R/W` do with HCR_EL2.VM set. The
    /// output is the IPA; stage 2 faults on the walk have S1PTW set.
    Stage1UnderStage2(VirtAddr),
    /// An IPA through stage 2 alone (VTCR_EL2, VTTBR_EL2).
    Stage2(IntermPhysAddr),
    /// A VA through both stages (the EL1&0 regime with HCR_EL2.VM set, and
    /// `AT S12E1*`).
    TwoStage(VirtAddr),
    /// A 32-bit VA through the AArch32 PL1&0 long-descriptor tables.
    Lpae(u32),
}

/// A walker over the tables in `M`, with the registers of every regime it
/// models. Registers not set are zero (for stage 1 and LPAE: the MMU off;
/// a zero VTCR_EL2 is an out-of-range T0SZ).
pub struct Walker<'m, M: WalkMemory + ?Sized> {
    /// What the modelled CPU implements.
    pub features: Features,
    /// The EL1&0 stage 1 registers.
    pub stage1: Stage1Regs,
    /// The stage 2 registers.
    pub stage2: Stage2Regs,
    /// The AArch32 long-descriptor registers.
    pub lpae: LpaeRegs,
    memory: &'m M,
}

impl<'m, M: WalkMemory + ?Sized> Walker<'m, M> {
    /// A walker for a CPU with `features` over `memory`, every register zero.
    pub fn new(features: Features, memory: &'m M) -> Self {
        Walker {
            features,
            stage1: Stage1Regs::default(),
            stage2: Stage2Regs::default(),
            lpae: LpaeRegs::default(),
            memory,
        }
    }

    /// The same walker with the EL1&0 stage 1 registers `regs`.
    pub fn with_stage1(self, regs: Stage1Regs) -> Self {
        Walker {
            stage1: regs,
            ..self
        }
    }

    /// The same walker with the stage 2 registers `regs`.
    pub fn with_stage2(self, regs: Stage2Regs) -> Self {
        Walker {
            stage2: regs,
            ..self
        }
    }

    /// The same walker with the AArch32 long-descriptor registers `regs`.
    pub fn with_lpae(self, regs: LpaeRegs) -> Self {
        Walker { lpae: regs, ..self }
    }

    /// The memory the tables are read from.
    pub fn memory(&self) -> &'m M {
        self.memory
    }

    /// Translate for `access` as `walk` says.
    pub fn translate(&self, walk: Walk, access: Access) -> Result<Translation, Fault> {
        self.translate_observed(walk, access, &mut NoTrace)
    }

    /// [`Walker::translate`] with every descriptor read recorded.
    pub fn trace(&self, walk: Walk, access: Access) -> (Result<Translation, Fault>, WalkTrace) {
        let mut trace = WalkTrace::default();
        let result = self.translate_observed(walk, access, &mut trace);
        (result, trace)
    }

    /// [`Walker::translate`], reporting each descriptor read (of both
    /// stages, in the order the walk makes them) to `observer`.
    pub fn translate_observed(
        &self,
        walk: Walk,
        access: Access,
        observer: &mut dyn WalkObserver,
    ) -> Result<Translation, Fault> {
        match walk {
            Walk::Stage1(va) => stage1::stage1(self, va, access, observer),
            Walk::Stage1UnderStage2(va) => stage2::stage1_under_stage2(self, va, access, observer),
            Walk::Stage2(ipa) => stage2::stage2(self, ipa, access, observer),
            Walk::TwoStage(va) => stage2::two_stage(self, va, access, observer),
            Walk::Lpae(va) => lpae::lpae(self, va, access, observer),
        }
    }
}
