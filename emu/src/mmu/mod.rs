//! The MMU model: translation tables for every granule and both stages, a
//! builder that makes them and a walker that translates through them as the
//! hardware does (ARM ARM part D8, "The AArch64 Virtual Memory System
//! Architecture", and G5 for the ARMv7 long-descriptor format).
//!
//! - Building tables: [`TableConfig`] says what kind, [`PageTable`] maps,
//!   unmaps and re-protects through a [`TableMemory`] the caller provides.
//! - Walking: [`stage1::translate_stage1`], [`stage2::translate_stage2`],
//!   [`stage2::translate_two_stage`], [`lpae::translate_lpae`] read tables
//!   through a [`WalkMemory`] and return a [`Translation`] or a [`Fault`];
//!   the `trace_*` variants also record each step.
//! - Comparing with the hardware: [`par::par_el1`].

pub mod attrs;
pub mod builder;
pub mod config;
pub mod descriptor;
pub mod fault;
pub mod geometry;
pub mod lpae;
pub mod memory;
pub mod par;
mod permissions;
pub mod regime;
pub mod stage1;
pub mod stage2;
pub mod translation;
pub mod walk;

pub use attrs::{
    AccessPermissions, Attributes, Shareability, Stage1Attributes, Stage2Access, Stage2Attributes,
};
pub use builder::{MapError, PageTable};
pub use config::{ConfigError, InputRange, Stage, TableConfig};
pub use fault::{Access, AccessKind, El, Fault, FaultKind};
pub use memory::{ExternalAbort, TableMemory, WalkMemory};
pub use regime::{Features, LpaeRegs, Stage1Regs, Stage2Regs, TnszOutOfRange};
pub use translation::{MemoryAttributes, Permissions, Rwx, Translation};
pub use walk::{WalkObserver, WalkStep, WalkTrace};

#[cfg(test)]
mod tests;
