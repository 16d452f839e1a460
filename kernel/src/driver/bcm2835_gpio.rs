//! The BCM2835-family GPIO block (BCM2835 ARM Peripherals, chapter 6), as
//! far as the console needs it: pins 14 and 15 to the PL011.

use super::mmio::Mmio;
use tock_registers::interfaces::{ReadWriteable, Readable};
use tock_registers::registers::ReadWrite;
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    /// Function select for pins 10 to 19.
    GPFSEL1 [
        /// Pin 15: RXD0 is alternate function 0.
        FSEL15 OFFSET(15) NUMBITS(3) [Alt0 = 0b100],
        /// Pin 14: TXD0 is alternate function 0.
        FSEL14 OFFSET(12) NUMBITS(3) [Alt0 = 0b100]
    ]
}

register_structs! {
    /// GPIO registers.
    pub Registers {
        (0x00 => _gpfsel0),
        (0x04 => gpfsel1: ReadWrite<u32, GPFSEL1::Register>),
        (0x08 => @END),
    }
}

/// A BCM2835/2837/2711 GPIO block.
pub struct Gpio {
    registers: Mmio<Registers>,
}

impl Gpio {
    /// # Safety
    /// `base` must be the GPIO block, mapped as Device memory (or the MMU off).
    pub const unsafe fn new(base: usize) -> Self {
        Gpio {
            // SAFETY: forwarded from the caller.
            registers: unsafe { Mmio::new(base) },
        }
    }

    /// Routes pins 14 and 15 to the PL011 (UART0), whichever UART the
    /// firmware gave them to.
    pub fn route_pl011(&self) {
        self.registers
            .gpfsel1
            .modify(GPFSEL1::FSEL14::Alt0 + GPFSEL1::FSEL15::Alt0);
    }

    /// Whether pins 14 and 15 are on the PL011, as read back from GPFSEL1.
    pub fn pl011_routed(&self) -> bool {
        let fsel = self.registers.gpfsel1.extract();
        fsel.matches_all(GPFSEL1::FSEL14::Alt0 + GPFSEL1::FSEL15::Alt0)
    }
}
