//! The serial console: `print!`/`println!`, the `log` backend, and input for
//! the shell. Output goes to the board's PL011.

use crate::arch::cpu;
use crate::driver::pl011::Pl011;
use crate::sync::CoreCell;
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicUsize, Ordering};

static UART: CoreCell<Option<Pl011>> = CoreCell::new(None);
/// The UART's address, kept apart so that a panic or exception raised while
/// the console is borrowed can still print (plain loads and stores only).
static UART_BASE: AtomicUsize = AtomicUsize::new(0);

/// Starts the console on the PL011 at `base`, whose reference clock is
/// `clock` Hz if known.
///
/// # Safety
/// `base` must be a PL011 that stays mapped as Device memory.
pub unsafe fn init(base: usize, clock: Option<u32>) {
    // SAFETY: forwarded from the caller.
    let uart = unsafe { Pl011::new(base) };
    uart.init(clock);
    UART_BASE.store(base, Ordering::Relaxed);
    *UART.lock() = Some(uart);
}

/// The console UART's base address (0 before `init`).
pub fn uart_base() -> usize {
    UART_BASE.load(Ordering::Relaxed)
}

struct Writer<'a>(&'a Pl011);

impl Write for Writer<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            if b == b'\n' {
                self.0.write_byte(b'\r');
            }
            self.0.write_byte(b);
        }
        Ok(())
    }
}

/// Prints formatted text; used by the `print!` macros.
pub fn print(args: fmt::Arguments<'_>) {
    match UART.try_lock() {
        Some(guard) => {
            if let Some(uart) = guard.as_ref() {
                let _ = Writer(uart).write_fmt(args);
            }
        }
        None => emergency_print(args),
    }
}

/// Prints even when the console is borrowed by the code an exception
/// interrupted: for panics and fault dumps only.
pub fn emergency_print(args: fmt::Arguments<'_>) {
    let base = uart_base();
    if base != 0 {
        // SAFETY: `base` was handed to `init`, whose caller vouched for it.
        let uart = unsafe { Pl011::new(base) };
        let _ = Writer(&uart).write_fmt(args);
    }
}

/// A byte from the console, if one is waiting.
pub fn read_byte() -> Option<u8> {
    UART.try_lock()?.as_ref()?.read_byte()
}

/// Waits until all output has left the UART (before power-off).
pub fn flush() {
    if let Some(guard) = UART.try_lock() {
        if let Some(uart) = guard.as_ref() {
            uart.flush();
        }
    }
}

/// Prints to the serial console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => ($crate::console::print(format_args!($($arg)*)));
}

/// Prints a line to the serial console.
#[macro_export]
macro_rules! println {
    () => ($crate::print!("\n"));
    ($($arg:tt)*) => ($crate::console::print(format_args!("{}\n", format_args!($($arg)*))));
}

struct Logger;

impl log::Log for Logger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let micros = cpu::uptime_micros();
        crate::println!(
            "[{:4}.{:06}] {:5} {}",
            micros / 1_000_000,
            micros % 1_000_000,
            record.level(),
            record.args()
        );
    }

    fn flush(&self) {}
}

static LOGGER: Logger = Logger;

/// Installs the console as the `log` backend.
pub fn init_logging(level: log::LevelFilter) {
    // SAFETY: called once, on the only core, before anything logs; the racy
    // variants avoid atomic read-modify-writes, which need the MMU on.
    unsafe {
        let _ = log::set_logger_racy(&LOGGER);
        log::set_max_level_racy(level);
    }
}
