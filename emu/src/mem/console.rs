//! Where a UART's output goes: a byte sink, and a line splitter that lets
//! the kernel print each guest line as `guest| LINE`.

use alloc::vec::Vec;

/// Receives the bytes a guest writes to its console.
pub trait ConsoleSink {
    /// One byte of output.
    fn write_byte(&mut self, byte: u8);
}

/// Supplies the bytes a guest reads from its console (the host runner's
/// stdin, the board's UART): polled, never blocking.
pub trait ConsoleSource {
    /// The next byte typed, if one is waiting.
    fn poll_byte(&mut self) -> Option<u8>;
}

impl<F: FnMut(u8)> ConsoleSink for F {
    fn write_byte(&mut self, byte: u8) {
        self(byte)
    }
}

/// A sink that hands complete lines (without the `\n`, `\r` dropped) to a
/// closure; what is left without a newline can be flushed at the end.
pub struct LineSink<F: FnMut(&[u8])> {
    line: Vec<u8>,
    on_line: F,
}

impl<F: FnMut(&[u8])> LineSink<F> {
    /// Lines longer than this are handed over in pieces of this size, so a
    /// guest that never writes a newline cannot exhaust host memory.
    pub const MAX_LINE: usize = 4096;

    /// A sink calling `on_line` for every line.
    pub fn new(on_line: F) -> Self {
        LineSink {
            line: Vec::new(),
            on_line,
        }
    }

    /// Hands over a pending partial line, if any.
    pub fn flush(&mut self) {
        if !self.line.is_empty() {
            (self.on_line)(&self.line);
            self.line.clear();
        }
    }
}

impl<F: FnMut(&[u8])> ConsoleSink for LineSink<F> {
    fn write_byte(&mut self, byte: u8) {
        match byte {
            b'\n' => {
                (self.on_line)(&self.line);
                self.line.clear();
            }
            b'\r' => {}
            _ => {
                self.line.push(byte);
                if self.line.len() >= Self::MAX_LINE {
                    self.flush();
                }
            }
        }
    }
}
