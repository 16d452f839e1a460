//! The MMU model: translation tables for every granule and both stages, a
//! builder that makes them and a walker that translates through them as the
//! hardware does (ARM ARM part D8, "The AArch64 Virtual Memory System
//! Architecture", and G5 for the ARMv7 long-descriptor format).
//!
//! - Building tables: [`TableConfig`] says what kind, [`PageTable`] maps,
//!   unmaps and re-protects through a [`TableMemory`] the caller provides;
//!   a [`TableSet`] owns a [`PageTable`] and its memory, frees the tables on
//!   drop and is live (break-before-make enforced) between
//!   [`TableSet::activate`] and [`TableSet::deactivate`].
//! - Walking: a [`Walker`] holds the registers, the CPU's [`Features`] and
//!   a [`WalkMemory`]; [`Walker::translate`] takes a [`Walk`] (stage 1,
//!   stage 2, both, stage 1 under stage 2, or LPAE) and returns a
//!   [`Translation`] or a [`Fault`]; [`Walker::trace`] also records each
//!   step ([`WalkStep`] prints as one line for the shell).
//! - Comparing with the hardware: [`crate::arch::par::par_el1`] and
//!   [`crate::arch::par::comparable`].
//!
//! # Using it from the kernel
//!
//! Building the identity map with the MMU off:
//!
//! ```
//! # use emu::mmu::*;
//! # use emu::addr::PhysAddr;
//! # use emu::granule::Granule;
//! # struct Frames { next: u64, words: std::collections::BTreeMap<u64, u64> }
//! # impl TableMemory for Frames {
//! #     fn allocate_table(&mut self, bytes: usize) -> Option<PhysAddr> {
//! #         let a = self.next.next_multiple_of(bytes as u64); self.next = a + bytes as u64; Some(PhysAddr(a))
//! #     }
//! #     fn free_table(&mut self, _: PhysAddr, _: usize) {}
//! #     fn read_descriptor(&self, a: PhysAddr) -> u64 { self.words.get(&a.0).copied().unwrap_or(0) }
//! #     fn write_descriptor(&mut self, a: PhysAddr, v: u64) { self.words.insert(a.0, v); }
//! # }
//! # let mut frames = Frames { next: 0x4800_0000, words: Default::default() };
//! let config = TableConfig::stage1(Granule::K16, 39, 40)?;
//! let mut table = TableSet::new(config, frames)?;
//! let ram = Stage1Attributes::kernel_data(0); // MAIR index 0: Normal WB
//! table.map(0x4000_0000, PhysAddr(0x4000_0000), 0x800_0000, ram)?;
//! // TCR_EL1 = config.tcr_el1_bits() | EPD1 | caches and shareability.
//! // The kernel's unsafe activation writes TTBR0_EL1 and turns the MMU on;
//! // from then on the builder keeps to break-before-make.
//! let root = table.root();
//! table.activate(|ttbr0| assert_eq!(ttbr0, root));
//! assert!(table.is_live());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The kernel's [`TableMemory`] hands out zeroed, size-aligned frames and
//! writes descriptors with single 64-bit stores; its [`TableMemory::publish`]
//! should be a `DSB ISHST`. After changing a live table the kernel still does
//! the TLB maintenance (the builder cannot): `unmap` then `TLBI` then `map`
//! is the break-before-make sequence the builder refuses to do in one step.
//!
//! For the differential test, translate with the same register values the
//! hardware uses (SCTLR_EL1, TCR_EL1, TTBRn_EL1, MAIR_EL1; PAN false for
//! `AT S1E1R/W`, which ignore it) and compare
//! `arch::par::comparable(hardware_par)` with
//! `arch::par::comparable(arch::par::par_el1(&result))`. With EL2 and
//! `HCR_EL2.VM` set, `AT S1E1*` matches [`Walk::Stage1UnderStage2`] and
//! `AT S12E1*` matches [`Walk::TwoStage`].
//!
//! # Choices where the architecture leaves some
//!
//! - A TnSZ out of range clamps or faults at level 0 per
//!   [`Features::tnsz_out_of_range`] (QEMU faults).
//! - Input addresses outside both ranges, EPDn and a bad stage-2 SL0/T0SZ
//!   are translation faults at level 0 (ARMv8.0 pseudocode and QEMU; recent
//!   ARM ARM revisions report the start level instead). TTBR/VTTBR beyond the
//!   output size is an address size fault at level 0. LPAE reports level 1.
//! - TGn reserved or naming an unimplemented granule: the first implemented
//!   of 4K, 64K, 16K (IMPLEMENTATION DEFINED; QEMU's choice).
//! - TBI/TBID are honoured; FEAT_LPA/LPA2 (52-bit), FEAT_XNX, EPAN, E0PD,
//!   HCR_EL2.PTW, FEAT_S2FWB and hardware dirty state (HD/DBM) are not
//!   modelled; with HA set the walker treats AF as set but does not write it.

pub mod attrs;
pub mod builder;
pub mod config;
pub mod descriptor;
pub mod fault;
pub mod geometry;
pub mod lpae;
pub mod memory;
mod permissions;
pub mod regime;
pub mod stage1;
pub mod stage2;
pub mod table_set;
pub mod translation;
pub mod walk;
pub mod walker;

pub use attrs::{
    AccessPermissions, Attributes, Shareability, Stage1Attributes, Stage2Access, Stage2Attributes,
};
pub use builder::{MapError, PageTable};
pub use config::{ConfigError, InputRange, Stage, TableConfig};
pub use fault::{Access, AccessKind, El, Fault, FaultKind};
pub use memory::{ExternalAbort, TableMemory, WalkMemory};
pub use regime::{Features, LpaeRegs, MmuIdx, Stage1Regs, Stage2Regs, TnszOutOfRange};
pub use table_set::TableSet;
pub use translation::{MemoryAttributes, Permissions, Rwx, Translation};
pub use walk::{WalkObserver, WalkStep, WalkTrace};
pub use walker::{Walk, Walker};

#[cfg(test)]
mod tests;
