//! The serial shell: a line editor, the argument rules and the commands.

pub mod args;
#[cfg(target_os = "none")]
mod bench;
#[cfg(target_os = "none")]
mod commands;
pub mod line;
#[cfg(target_os = "none")]
mod run;
#[cfg(target_os = "none")]
mod tb;
#[cfg(target_os = "none")]
mod tlb;
#[cfg(target_os = "none")]
mod walk;

#[cfg(target_os = "none")]
pub use commands::{execute, run_batch, run_interactive, Outcome};
