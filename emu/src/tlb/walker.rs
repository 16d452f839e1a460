//! The TLB's walker: `mmu`'s stage 1 translation over guest tables in the
//! guest's physical memory map, turned into [`TlbFill`]s.
//!
//! Table walks read guest RAM and ROM only. A descriptor address that is
//! unmapped, or inside a device, is a synchronous external abort on the
//! walk: a walk never has device side effects.

use super::direct::MmuIdx;
use super::fill::{AccessKind, FillFlags, TlbFill};
use super::softmmu::Translate;
use crate::addr::{PhysAddr, VirtAddr};
use crate::granule::Granule;
use crate::mem::PhysMemoryMap;
use crate::mmu::fault::{Access, El, Fault};
use crate::mmu::memory::{ExternalAbort, WalkMemory};
use crate::mmu::regime::{Features, Stage1Regs};
use crate::mmu::stage1::translate_stage1;
use crate::mmu::translation::Translation;

impl WalkMemory for PhysMemoryMap {
    fn read_descriptor(&self, address: PhysAddr) -> Result<u64, ExternalAbort> {
        let mut bytes = [0u8; 8];
        self.read_bytes(address, &mut bytes)
            .map_err(|_| ExternalAbort)?;
        Ok(u64::from_le_bytes(bytes))
    }
}

impl TlbFill {
    /// The fill for a successful walk of `granule` tables.
    pub fn from_translation(t: &Translation, granule: Granule) -> TlbFill {
        TlbFill {
            va: VirtAddr(t.input),
            pa: t.output,
            ipa: None,
            size_log2: t.size_log2 as u8,
            granule,
            perms: t.permissions,
            asid: t.asid,
            attrs: t.attributes,
            flags: FillFlags::default(),
        }
    }
}

/// The EL1&0 stage 1 MMU of a guest: its registers and the CPU's
/// translation features. Its tables are read from the guest's memory map.
pub struct Stage1Walker {
    /// The guest's SCTLR_EL1, TCR_EL1, TTBRn_EL1, MAIR_EL1.
    pub regs: Stage1Regs,
    /// What the modelled CPU implements.
    pub features: Features,
    /// Walks made (each miss of the TLB makes one).
    pub walks: u64,
}

impl Stage1Walker {
    /// The granule of the range `va` falls in (TG0 or TG1), as the walk
    /// used it (a reserved or unimplemented TGn falls back as it does).
    fn granule_for(&self, va: VirtAddr) -> Granule {
        use crate::mmu::regime::tcr;
        let tg = if va.0 >> 55 & 1 != 0 {
            tcr::tg1_granule((self.regs.tcr >> tcr::TG1_SHIFT) & 0b11)
        } else {
            tcr::tg0_granule((self.regs.tcr >> tcr::TG0_SHIFT) & 0b11)
        };
        self.features
            .granule_or_fallback(crate::mmu::Stage::Stage1, tg)
    }
}

impl Translate for Stage1Walker {
    type Fault = Fault;

    fn translate(
        &mut self,
        map: &PhysMemoryMap,
        idx: MmuIdx,
        va: VirtAddr,
        kind: AccessKind,
    ) -> Result<TlbFill, Fault> {
        self.walks += 1;
        let el = match idx {
            MmuIdx::El0 => El::El0,
            _ => El::El1,
        };
        let t = translate_stage1(&self.regs, &self.features, va, Access::new(el, kind), map)?;
        Ok(TlbFill::from_translation(&t, self.granule_for(va)))
    }
}
