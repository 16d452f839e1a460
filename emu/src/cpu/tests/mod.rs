//! Host tests of the CPU.

mod decoder;
mod model;
