//! The TLB's walker: `mmu`'s stage 1 translation over guest tables in the
//! guest's physical memory map, turned into [`TlbFill`]s.
//!
//! Table walks read guest RAM and ROM only. A descriptor address that is
//! unmapped, or inside a device, is a synchronous external abort on the
//! walk: a walk never has device side effects.

use super::fill::{AccessKind, FillFlags, TlbFill};
use super::softmmu::MissHandler;
use crate::addr::{PhysAddr, VirtAddr};
use crate::mem::PhysMemoryMap;
use crate::mmu::fault::{Access, El, Fault};
use crate::mmu::memory::{ExternalAbort, WalkMemory};
use crate::mmu::regime::{Features, Stage1Regs};
use crate::mmu::translation::Translation;
use crate::mmu::MmuIdx;
use crate::mmu::{Walk, Walker};
use core::fmt;

impl WalkMemory for PhysMemoryMap {
    fn read_descriptor(&self, address: PhysAddr) -> Result<u64, ExternalAbort> {
        let mut bytes = [0u8; 8];
        self.read_bytes(address, &mut bytes)
            .map_err(|_| ExternalAbort)?;
        Ok(u64::from_le_bytes(bytes))
    }
}

impl TlbFill {
    /// The fill for a successful walk.
    pub fn from_translation(t: &Translation) -> TlbFill {
        TlbFill {
            va: VirtAddr(t.input),
            pa: t.output,
            ipa: None,
            size_log2: t.size_log2 as u8,
            granule: t.granule,
            perms: t.permissions,
            asid: t.asid,
            attrs: t.attributes,
            flags: FillFlags::default(),
        }
    }
}

/// Why [`Stage1Walker`] could not fill a TLB entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WalkerError {
    /// The walk faulted, as the architecture says.
    Fault(Fault),
    /// The miss was in a regime this walker does not model: it walks the
    /// EL1&0 stage 1 tables only and never stands in for another regime.
    Unmodelled(MmuIdx),
}

impl From<Fault> for WalkerError {
    fn from(fault: Fault) -> Self {
        WalkerError::Fault(fault)
    }
}

impl fmt::Display for WalkerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WalkerError::Fault(fault) => write!(f, "{fault}"),
            WalkerError::Unmodelled(idx) => write!(
                f,
                "the EL1&0 stage 1 walker does not model the {} translation regime",
                idx.name()
            ),
        }
    }
}

impl core::error::Error for WalkerError {}

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

impl MissHandler for Stage1Walker {
    type Fault = WalkerError;

    fn handle_miss(
        &mut self,
        map: &PhysMemoryMap,
        idx: MmuIdx,
        va: VirtAddr,
        kind: AccessKind,
    ) -> Result<TlbFill, WalkerError> {
        let el = match idx {
            MmuIdx::El0 => El::El0,
            MmuIdx::El1 => El::El1,
            MmuIdx::El2 | MmuIdx::Stage2 => return Err(WalkerError::Unmodelled(idx)),
        };
        self.walks += 1;
        let walker = Walker::new(self.features, map).with_stage1(self.regs);
        let t = walker.translate(Walk::Stage1(va), Access::new(el, kind))?;
        Ok(TlbFill::from_translation(&t))
    }
}
