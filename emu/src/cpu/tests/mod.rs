//! Host tests of the CPU.

pub(crate) mod decoder;
mod model;
