//! The MMU model: translation tables for every granule and both stages, a
//! builder that makes them and a walker that translates through them as the
//! hardware does (ARM ARM part D8, "The AArch64 Virtual Memory System
//! Architecture", and G5 for the ARMv7 long-descriptor format).

pub mod attrs;
pub mod builder;
pub mod config;
pub mod descriptor;
pub mod geometry;
pub mod memory;

pub use attrs::{
    AccessPermissions, Attributes, Shareability, Stage1Attributes, Stage2Access, Stage2Attributes,
};
pub use builder::{MapError, PageTable};
pub use config::{ConfigError, InputRange, Stage, TableConfig};
pub use memory::{ExternalAbort, TableMemory, WalkMemory};
pub mod fault;
pub mod permissions;
pub mod regime;
pub mod stage1;
pub mod translation;
pub mod walk;

#[cfg(test)]
mod tests;
