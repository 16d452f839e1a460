//! Device drivers.

pub mod mmio;
pub mod pl011;
