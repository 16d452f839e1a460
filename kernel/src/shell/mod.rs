//! The serial shell: a line editor and the commands.

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
pub use commands::{execute, run_interactive, Outcome};
