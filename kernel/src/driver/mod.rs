//! Device drivers.

pub mod bcm2835_gpio;
pub mod mmio;
pub mod pl011;
