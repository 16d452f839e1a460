//! Arm PrimeCell UART (PL011) driver: polled transmit and receive.
//! Register map from the PL011 Technical Reference Manual (DDI 0183).

use super::mmio::Mmio;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    /// Flag register.
    FR [
        /// Transmit FIFO full.
        TXFF OFFSET(5) NUMBITS(1) [],
        /// Receive FIFO empty.
        RXFE OFFSET(4) NUMBITS(1) [],
        /// Busy transmitting.
        BUSY OFFSET(3) NUMBITS(1) []
    ],
    /// Line control register.
    LCR_H [
        /// Word length.
        WLEN OFFSET(5) NUMBITS(2) [EightBit = 0b11],
        /// FIFO enable.
        FEN OFFSET(4) NUMBITS(1) []
    ],
    /// Control register.
    CR [
        /// Receive enable.
        RXE OFFSET(9) NUMBITS(1) [],
        /// Transmit enable.
        TXE OFFSET(8) NUMBITS(1) [],
        /// UART enable.
        UARTEN OFFSET(0) NUMBITS(1) []
    ]
}

register_structs! {
    /// PL011 registers.
    pub Registers {
        (0x00 => dr: ReadWrite<u32>),
        (0x04 => _reserved0),
        (0x18 => fr: ReadOnly<u32, FR::Register>),
        (0x1c => _reserved1),
        (0x24 => ibrd: ReadWrite<u32>),
        (0x28 => fbrd: ReadWrite<u32>),
        (0x2c => lcr_h: ReadWrite<u32, LCR_H::Register>),
        (0x30 => cr: ReadWrite<u32, CR::Register>),
        (0x34 => _reserved2),
        (0x44 => icr: WriteOnly<u32>),
        (0x48 => @END),
    }
}

/// A PL011 UART.
pub struct Pl011 {
    registers: Mmio<Registers>,
}

impl Pl011 {
    /// # Safety
    /// `base` must be a PL011 mapped as Device memory (or the MMU off).
    pub const unsafe fn new(base: usize) -> Self {
        Pl011 {
            // SAFETY: forwarded from the caller.
            registers: unsafe { Mmio::new(base) },
        }
    }

    /// The UART's base address.
    pub fn base(&self) -> usize {
        self.registers.base()
    }

    /// Enables the UART for 8N1 with FIFOs. With the reference clock known,
    /// also sets `BAUD`; otherwise keeps the rate the firmware (or QEMU) set.
    pub fn init(&self, clock: Option<u32>) {
        /// The console's baud rate.
        const BAUD: u64 = 115_200;
        self.flush();
        self.registers.cr.set(0);
        self.registers.icr.set(0x7ff);
        if let Some(clock) = clock {
            // The divisor is clock / (16 * baud), in 1/64ths: IBRD.FBRD.
            let divisor = (4 * u64::from(clock) + BAUD / 2) / BAUD;
            self.registers.ibrd.set((divisor >> 6) as u32);
            self.registers.fbrd.set((divisor & 0x3f) as u32);
        }
        self.registers
            .lcr_h
            .write(LCR_H::WLEN::EightBit + LCR_H::FEN::SET);
        self.registers
            .cr
            .write(CR::UARTEN::SET + CR::TXE::SET + CR::RXE::SET);
    }

    /// Sends one byte, waiting for room in the FIFO.
    pub fn write_byte(&self, byte: u8) {
        while self.registers.fr.is_set(FR::TXFF) {
            core::hint::spin_loop();
        }
        self.registers.dr.set(u32::from(byte));
    }

    /// A received byte, if one is waiting.
    pub fn read_byte(&self) -> Option<u8> {
        if self.registers.fr.is_set(FR::RXFE) {
            None
        } else {
            Some(self.registers.dr.get() as u8)
        }
    }

    /// Waits until every queued byte has left the UART.
    pub fn flush(&self) {
        while self.registers.fr.is_set(FR::BUSY) {
            core::hint::spin_loop();
        }
    }
}
