//! Host tests of the CPU.

mod decoder;
