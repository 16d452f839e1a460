//! A model of the Arm PrimeCell UART (PL011), as on QEMU's `virt` board:
//! transmit to a sink, receive from a small FIFO, the flag register, the
//! control and interrupt registers stored, and the PrimeCell ID registers.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;

use super::access::AccessSize;
use super::console::{ConsoleSink, ConsoleSource};
use super::device::{AccessConstraints, Device, DeviceError, DeviceStateError};

/// Register offsets (PL011 TRM, "Summary of registers").
pub mod reg {
    /// Data register.
    pub const UARTDR: u64 = 0x000;
    /// Receive status / error clear register.
    pub const UARTRSR: u64 = 0x004;
    /// Flag register.
    pub const UARTFR: u64 = 0x018;
    /// IrDA low-power counter register.
    pub const UARTILPR: u64 = 0x020;
    /// Integer baud rate register.
    pub const UARTIBRD: u64 = 0x024;
    /// Fractional baud rate register.
    pub const UARTFBRD: u64 = 0x028;
    /// Line control register.
    pub const UARTLCR_H: u64 = 0x02c;
    /// Control register.
    pub const UARTCR: u64 = 0x030;
    /// Interrupt FIFO level select register.
    pub const UARTIFLS: u64 = 0x034;
    /// Interrupt mask set/clear register.
    pub const UARTIMSC: u64 = 0x038;
    /// Raw interrupt status register.
    pub const UARTRIS: u64 = 0x03c;
    /// Masked interrupt status register.
    pub const UARTMIS: u64 = 0x040;
    /// Interrupt clear register.
    pub const UARTICR: u64 = 0x044;
    /// DMA control register.
    pub const UARTDMACR: u64 = 0x048;
    /// First of UARTPeriphID0..3 then UARTPCellID0..3.
    pub const UARTPERIPHID0: u64 = 0xfe0;
}

/// UARTFR bits.
pub mod fr {
    /// UART busy transmitting.
    pub const BUSY: u32 = 1 << 3;
    /// Receive FIFO empty.
    pub const RXFE: u32 = 1 << 4;
    /// Transmit FIFO full.
    pub const TXFF: u32 = 1 << 5;
    /// Receive FIFO full.
    pub const RXFF: u32 = 1 << 6;
    /// Transmit FIFO empty.
    pub const TXFE: u32 = 1 << 7;
}

/// Interrupt bits (UARTRIS/UARTMIS/UARTIMSC/UARTICR).
pub mod int {
    /// Receive interrupt.
    pub const RX: u32 = 1 << 4;
    /// Transmit interrupt.
    pub const TX: u32 = 1 << 5;
    /// Every interrupt bit the model implements.
    pub const ALL: u32 = 0x7ff;
}

/// The PrimeCell identification bytes of an Arm PL011 r1p5 (as QEMU's
/// `pl011` device reports): PeriphID0..3 then CellID0..3.
pub const ID_BYTES: [u8; 8] = [0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

/// Depth of the receive FIFO (FIFOs enabled).
pub const RX_FIFO_DEPTH: usize = 16;

/// The size of the PL011's register window.
pub const MMIO_SIZE: u64 = 0x1000;

/// Control register value at reset: TXE and RXE set.
const CR_RESET: u32 = 0x300;
/// FIFO level select at reset: both at 1/2.
const IFLS_RESET: u32 = 0x12;

/// The stored registers (what a snapshot saves, besides the RX FIFO).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
struct Regs {
    rsr: u32,
    ilpr: u32,
    ibrd: u32,
    fbrd: u32,
    lcr_h: u32,
    cr: u32,
    ifls: u32,
    imsc: u32,
    ris: u32,
    dmacr: u32,
}

const N_REGS: usize = 10;

impl Regs {
    fn reset() -> Self {
        Regs {
            cr: CR_RESET,
            ifls: IFLS_RESET,
            ..Regs::default()
        }
    }

    fn to_array(self) -> [u32; N_REGS] {
        [
            self.rsr, self.ilpr, self.ibrd, self.fbrd, self.lcr_h, self.cr, self.ifls, self.imsc,
            self.ris, self.dmacr,
        ]
    }

    fn from_array(a: [u32; N_REGS]) -> Self {
        Regs {
            rsr: a[0],
            ilpr: a[1],
            ibrd: a[2],
            fbrd: a[3],
            lcr_h: a[4],
            cr: a[5],
            ifls: a[6],
            imsc: a[7],
            ris: a[8],
            dmacr: a[9],
        }
    }
}

/// A PL011 UART. Output is instantaneous (the TX FIFO is always empty).
pub struct Pl011 {
    regs: Regs,
    rx: VecDeque<u8>,
    sink: Box<dyn ConsoleSink>,
    source: Option<Box<dyn ConsoleSource>>,
}

impl Pl011 {
    /// A UART in its reset state sending its output to `sink`.
    pub fn new(sink: Box<dyn ConsoleSink>) -> Self {
        Pl011 {
            regs: Regs::reset(),
            rx: VecDeque::new(),
            sink,
            source: None,
        }
    }

    /// A UART whose receive FIFO is also fed from `source`, polled
    /// whenever the guest looks at the FIFO (UARTFR or UARTDR).
    pub fn with_input(sink: Box<dyn ConsoleSink>, source: Box<dyn ConsoleSource>) -> Self {
        Pl011 {
            source: Some(source),
            ..Pl011::new(sink)
        }
    }

    /// Moves waiting console input into the FIFO, as far as it has room.
    fn poll_input(&mut self) {
        while self.rx.len() < RX_FIFO_DEPTH {
            match self.source.as_mut().and_then(|s| s.poll_byte()) {
                Some(b) => {
                    self.push_input(b);
                }
                None => break,
            }
        }
    }

    /// Queues a received byte; returns false (byte dropped, overrun) when
    /// the FIFO is full.
    pub fn push_input(&mut self, byte: u8) -> bool {
        if self.rx.len() >= RX_FIFO_DEPTH {
            self.regs.rsr |= 1 << 3; // OE: overrun
            return false;
        }
        self.rx.push_back(byte);
        self.regs.ris |= int::RX;
        true
    }

    /// Whether the UART's interrupt line is raised (UARTMIS non-zero).
    pub fn irq_pending(&self) -> bool {
        self.regs.ris & self.regs.imsc != 0
    }

    fn flags(&self) -> u32 {
        let mut f = fr::TXFE;
        if self.rx.is_empty() {
            f |= fr::RXFE;
        }
        if self.rx.len() >= RX_FIFO_DEPTH {
            f |= fr::RXFF;
        }
        f
    }

    fn read_reg(&mut self, off: u64) -> Result<u32, DeviceError> {
        if matches!(off, reg::UARTDR | reg::UARTFR) {
            self.poll_input();
        }
        Ok(match off {
            reg::UARTDR => {
                let b = self.rx.pop_front().unwrap_or(0);
                if self.rx.is_empty() {
                    self.regs.ris &= !int::RX;
                }
                u32::from(b)
            }
            reg::UARTRSR => self.regs.rsr,
            reg::UARTFR => self.flags(),
            reg::UARTILPR => self.regs.ilpr,
            reg::UARTIBRD => self.regs.ibrd,
            reg::UARTFBRD => self.regs.fbrd,
            reg::UARTLCR_H => self.regs.lcr_h,
            reg::UARTCR => self.regs.cr,
            reg::UARTIFLS => self.regs.ifls,
            reg::UARTIMSC => self.regs.imsc,
            reg::UARTRIS => self.regs.ris,
            reg::UARTMIS => self.regs.ris & self.regs.imsc,
            reg::UARTDMACR => self.regs.dmacr,
            0xfe0..=0xffc => {
                let i = ((off - reg::UARTPERIPHID0) / 4) as usize;
                ID_BYTES.get(i).copied().map(u32::from).unwrap_or(0)
            }
            // UARTICR is write-only; everything else is reserved.
            _ => return Err(DeviceError::BusError),
        })
    }

    fn write_reg(&mut self, off: u64, v: u32) -> Result<(), DeviceError> {
        match off {
            reg::UARTDR => {
                self.sink.write_byte(v as u8);
                // The byte left at once: the TX FIFO is empty again.
                self.regs.ris |= int::TX;
            }
            reg::UARTRSR => self.regs.rsr = 0,
            reg::UARTILPR => self.regs.ilpr = v & 0xff,
            reg::UARTIBRD => self.regs.ibrd = v & 0xffff,
            reg::UARTFBRD => self.regs.fbrd = v & 0x3f,
            reg::UARTLCR_H => self.regs.lcr_h = v & 0xff,
            reg::UARTCR => self.regs.cr = v & 0xff87,
            reg::UARTIFLS => self.regs.ifls = v & 0x3f,
            reg::UARTIMSC => self.regs.imsc = v & int::ALL,
            reg::UARTICR => self.regs.ris &= !v,
            reg::UARTDMACR => self.regs.dmacr = v & 0x7,
            // Read-only and reserved registers: writes are ignored, as on
            // QEMU (which logs them as guest errors).
            reg::UARTFR | reg::UARTRIS | reg::UARTMIS | 0xfe0..=0xffc => {}
            _ => return Err(DeviceError::BusError),
        }
        Ok(())
    }
}

impl Device for Pl011 {
    /// 8-, 16- and 32-bit accesses, naturally aligned; a narrow access
    /// reads or writes the low bits of the register at its word.
    fn constraints(&self) -> AccessConstraints {
        AccessConstraints {
            min: AccessSize::Byte,
            max: AccessSize::Word,
            aligned: true,
        }
    }

    fn read(&mut self, offset: u64, size: AccessSize) -> Result<u64, DeviceError> {
        let lane = offset & 3;
        let v = self.read_reg(offset & !3)?;
        Ok(u64::from(v >> (8 * lane)) & size.value_mask())
    }

    fn write(&mut self, offset: u64, size: AccessSize, value: u64) -> Result<(), DeviceError> {
        // Only the low byte lane reaches a register; others are ignored.
        if offset & 3 != 0 {
            return Ok(());
        }
        self.write_reg(offset, (value & size.value_mask()) as u32)
    }

    fn save_state(&self, out: &mut Vec<u8>) {
        for r in self.regs.to_array() {
            out.extend_from_slice(&r.to_le_bytes());
        }
        out.push(self.rx.len() as u8);
        out.extend(self.rx.iter().copied());
    }

    fn restore_state(&mut self, state: &[u8]) -> Result<(), DeviceStateError> {
        let fixed = 4 * N_REGS + 1;
        let n_rx = state.get(fixed - 1).copied().map(usize::from);
        let expected = fixed + n_rx.unwrap_or(0);
        if state.len() != expected {
            return Err(DeviceStateError::BadLength {
                expected,
                found: state.len(),
            });
        }
        if expected - fixed > RX_FIFO_DEPTH {
            return Err(DeviceStateError::BadValue);
        }
        let mut a = [0u32; N_REGS];
        for (i, w) in state[..4 * N_REGS].chunks_exact(4).enumerate() {
            a[i] = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
        }
        self.regs = Regs::from_array(a);
        self.rx = state[fixed..].iter().copied().collect();
        Ok(())
    }
}
