//! Arm semihosting (the "Semihosting for AArch32 and AArch64" specification)
//! as QEMU implements it for `HLT #0xF000`: console output and input,
//! clocks, the command line, the heap, and exit. Files other than the
//! console (`:tt`) are refused with an error the guest can read back with
//! SYS_ERRNO.

use alloc::vec::Vec;

/// Operation numbers (w0).
pub mod op {
    /// Open a file (only `:tt`, the console, is allowed).
    pub const SYS_OPEN: u64 = 0x01;
    /// Close a handle.
    pub const SYS_CLOSE: u64 = 0x02;
    /// Write one character.
    pub const SYS_WRITEC: u64 = 0x03;
    /// Write a NUL-terminated string.
    pub const SYS_WRITE0: u64 = 0x04;
    /// Write a buffer to a handle.
    pub const SYS_WRITE: u64 = 0x05;
    /// Read from a handle.
    pub const SYS_READ: u64 = 0x06;
    /// Read one character from the console.
    pub const SYS_READC: u64 = 0x07;
    /// Whether a status is an error.
    pub const SYS_ISERROR: u64 = 0x08;
    /// Whether a handle is a terminal.
    pub const SYS_ISTTY: u64 = 0x09;
    /// Seek.
    pub const SYS_SEEK: u64 = 0x0a;
    /// File length.
    pub const SYS_FLEN: u64 = 0x0c;
    /// Temporary file name.
    pub const SYS_TMPNAM: u64 = 0x0d;
    /// Remove a file.
    pub const SYS_REMOVE: u64 = 0x0e;
    /// Rename a file.
    pub const SYS_RENAME: u64 = 0x0f;
    /// Centiseconds since the run started.
    pub const SYS_CLOCK: u64 = 0x10;
    /// Seconds since 1970.
    pub const SYS_TIME: u64 = 0x11;
    /// Run a host command.
    pub const SYS_SYSTEM: u64 = 0x12;
    /// The last error.
    pub const SYS_ERRNO: u64 = 0x13;
    /// The command line.
    pub const SYS_GET_CMDLINE: u64 = 0x15;
    /// Heap and stack placement.
    pub const SYS_HEAPINFO: u64 = 0x16;
    /// Exit (AArch64: a block of reason and status).
    pub const SYS_EXIT: u64 = 0x18;
    /// Exit with a status.
    pub const SYS_EXIT_EXTENDED: u64 = 0x20;
    /// Ticks since the run started.
    pub const SYS_ELAPSED: u64 = 0x30;
    /// Ticks per second.
    pub const SYS_TICKFREQ: u64 = 0x31;
}

/// The exit reason of a normal end (ADP_Stopped_ApplicationExit).
pub const ADP_STOPPED_APPLICATION_EXIT: u64 = 0x2_0026;

/// errno values the guest sees (the host's, as QEMU passes them on).
pub mod errno {
    /// No such file.
    pub const ENOENT: u64 = 2;
    /// Bad handle.
    pub const EBADF: u64 = 9;
    /// Not permitted: file access is refused by this machine.
    pub const EACCES: u64 = 13;
    /// Bad address in a parameter block.
    pub const EFAULT: u64 = 14;
    /// Bad argument.
    pub const EINVAL: u64 = 22;
}

pub use crate::cpu::GuestMemoryError;

/// The guest's memory as the CPU sees it at the time of the call:
/// addresses are guest virtual, translated with the guest's own MMU state.
pub trait GuestMemory {
    /// Copies guest memory at `va` into `buf`; `Err` if any byte is not
    /// readable.
    fn read(&mut self, va: u64, buf: &mut [u8]) -> Result<(), GuestMemoryError>;
    /// Copies `data` to guest memory at `va`; `Err` if any byte is not
    /// writable.
    fn write(&mut self, va: u64, data: &[u8]) -> Result<(), GuestMemoryError>;
}

/// What the host gives semihosting: the console and the clocks.
pub trait SemihostingHost {
    /// Output for handle 1 (stdout) or 2 (stderr, when `error`).
    fn write_console(&mut self, error: bool, bytes: &[u8]);
    /// One byte of console input; `None` when there is none and never will
    /// be (end of input).
    fn read_console(&mut self) -> Option<u8>;
    /// Time since the run started, in nanoseconds.
    fn elapsed_ns(&mut self) -> u64;
    /// Seconds since 1970, if the host knows.
    fn unix_time(&mut self) -> Option<u64>;
}

/// What a call leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SemihostingOutcome {
    /// Put this in x0 and go on.
    Return(u64),
    /// The guest asked to stop; `status` is the run's exit status.
    Exit {
        /// The exit status (the low byte becomes the process's status).
        status: u64,
    },
}

/// Handles the guest's console handles: 0 stdin, 1 stdout, 2 stderr, as
/// `:tt` opened with modes r, w and a.
const HANDLE_STDIN: u64 = 0;
const HANDLE_STDOUT: u64 = 1;
const HANDLE_STDERR: u64 = 2;

/// Ticks SYS_ELAPSED counts per second.
pub const TICK_HZ: u64 = 1_000_000_000;

/// The longest string SYS_WRITE0 or SYS_OPEN will read (a guest passing an
/// unterminated one cannot make the host read forever).
const MAX_STRING: usize = 1 << 20;

const MINUS_ONE: u64 = u64::MAX;

/// Semihosting state for one run.
#[derive(Clone, Debug)]
pub struct Semihosting {
    errno: u64,
    cmdline: Vec<u8>,
    heap: (u64, u64),
}

impl Semihosting {
    /// For a guest with a command line (QEMU's: the image name, then
    /// `-append`'s arguments) and its heap at `heap.0..heap.1` (see
    /// [`Semihosting::set_heap`]).
    pub fn new(cmdline: &str, heap: (u64, u64)) -> Self {
        Semihosting {
            errno: 0,
            cmdline: cmdline.as_bytes().to_vec(),
            heap,
        }
    }

    /// Where SYS_HEAPINFO puts the heap (and the stack, growing down from
    /// its end): QEMU gives the largest stretch of RAM that nothing was
    /// loaded into.
    pub fn set_heap(&mut self, base: u64, limit: u64) {
        self.heap = (base, limit);
    }

    fn fail(&mut self, errno: u64) -> SemihostingOutcome {
        self.errno = errno;
        SemihostingOutcome::Return(MINUS_ONE)
    }

    /// The `n` 64-bit words of a parameter block at `va`.
    fn block<const N: usize>(mem: &mut dyn GuestMemory, va: u64) -> Option<[u64; N]> {
        let mut words = [0u64; N];
        for (i, w) in words.iter_mut().enumerate() {
            let mut b = [0u8; 8];
            mem.read(va.checked_add(8 * i as u64)?, &mut b).ok()?;
            *w = u64::from_le_bytes(b);
        }
        Some(words)
    }

    /// Handles operation `op` with parameter `param` (x0 and x1).
    pub fn call(
        &mut self,
        op: u64,
        param: u64,
        mem: &mut dyn GuestMemory,
        host: &mut dyn SemihostingHost,
    ) -> SemihostingOutcome {
        use op::*;
        use SemihostingOutcome::Return;
        match op {
            // The debug console: QEMU writes it to its stderr, and so does
            // Granule's runner (stdout stays the guest's UART and files).
            SYS_WRITEC => {
                let mut c = [0u8];
                if mem.read(param, &mut c).is_err() {
                    return self.fail(errno::EFAULT);
                }
                host.write_console(true, &c);
                Return(0)
            }
            SYS_WRITE0 => match read_string(mem, param) {
                Some(s) => {
                    host.write_console(true, &s);
                    Return(0)
                }
                None => self.fail(errno::EFAULT),
            },
            SYS_WRITE => {
                let Some([handle, buf, len]) = Self::block::<3>(mem, param) else {
                    return self.fail(errno::EFAULT);
                };
                if handle != HANDLE_STDOUT && handle != HANDLE_STDERR {
                    self.errno = errno::EBADF;
                    return Return(len);
                }
                // In pieces, so a huge length cannot make the host allocate.
                let mut done = 0u64;
                let mut chunk = [0u8; 256];
                while done < len {
                    let n = (len - done).min(chunk.len() as u64) as usize;
                    let Some(at) = buf.checked_add(done) else {
                        break;
                    };
                    if mem.read(at, &mut chunk[..n]).is_err() {
                        self.errno = errno::EFAULT;
                        break;
                    }
                    host.write_console(handle == HANDLE_STDERR, &chunk[..n]);
                    done += n as u64;
                }
                // The number of bytes not written.
                Return(len - done)
            }
            SYS_READ => {
                let Some([handle, buf, len]) = Self::block::<3>(mem, param) else {
                    return self.fail(errno::EFAULT);
                };
                if handle != HANDLE_STDIN {
                    return self.fail(errno::EBADF);
                }
                // A console read returns one line at most, as a terminal does.
                let mut done = 0u64;
                while done < len {
                    let Some(b) = host.read_console() else { break };
                    if mem.write(buf.wrapping_add(done), &[b]).is_err() {
                        return self.fail(errno::EFAULT);
                    }
                    done += 1;
                    if b == b'\n' {
                        break;
                    }
                }
                Return(len - done)
            }
            SYS_READC => match host.read_console() {
                Some(b) => Return(u64::from(b)),
                None => self.fail(errno::EBADF),
            },
            SYS_ISERROR => {
                // A parameter block holding the status to test.
                match Self::block::<1>(mem, param) {
                    Some([status]) => Return(u64::from((status as i64) < 0)),
                    None => self.fail(errno::EFAULT),
                }
            }
            SYS_OPEN => {
                let Some([name, mode, len]) = Self::block::<3>(mem, param) else {
                    return self.fail(errno::EFAULT);
                };
                let mut bytes = alloc::vec![0u8; len.min(MAX_STRING as u64) as usize];
                if mem.read(name, &mut bytes).is_err() {
                    return self.fail(errno::EFAULT);
                }
                if bytes != b":tt" {
                    return self.fail(errno::EACCES);
                }
                // Modes 0-3 are "r" forms, 4-7 "w", 8-11 "a".
                Return(match mode {
                    0..=3 => HANDLE_STDIN,
                    4..=7 => HANDLE_STDOUT,
                    _ => HANDLE_STDERR,
                })
            }
            SYS_CLOSE => match Self::block::<1>(mem, param) {
                Some([h]) if h <= HANDLE_STDERR => Return(0),
                Some(_) => self.fail(errno::EBADF),
                None => self.fail(errno::EFAULT),
            },
            SYS_ISTTY => match Self::block::<1>(mem, param) {
                Some([h]) if h <= HANDLE_STDERR => Return(1),
                Some(_) => {
                    self.errno = errno::EBADF;
                    Return(0)
                }
                None => self.fail(errno::EFAULT),
            },
            SYS_SEEK | SYS_FLEN => self.fail(errno::EBADF),
            SYS_TMPNAM | SYS_REMOVE | SYS_RENAME | SYS_SYSTEM => self.fail(errno::EACCES),
            SYS_CLOCK => Return(host.elapsed_ns() / 10_000_000),
            SYS_TIME => match host.unix_time() {
                Some(t) => Return(t),
                None => self.fail(errno::EINVAL),
            },
            SYS_ELAPSED => {
                let ticks = host.elapsed_ns();
                if mem.write(param, &ticks.to_le_bytes()).is_err() {
                    return self.fail(errno::EFAULT);
                }
                Return(0)
            }
            SYS_TICKFREQ => Return(TICK_HZ),
            SYS_ERRNO => Return(self.errno),
            SYS_GET_CMDLINE => {
                let Some([buf, len]) = Self::block::<2>(mem, param) else {
                    return self.fail(errno::EFAULT);
                };
                let n = self.cmdline.len() as u64;
                if n + 1 > len {
                    return self.fail(errno::EINVAL);
                }
                let mut s = self.cmdline.clone();
                s.push(0);
                if mem.write(buf, &s).is_err() || mem.write(param + 8, &n.to_le_bytes()).is_err() {
                    return self.fail(errno::EFAULT);
                }
                Return(0)
            }
            SYS_HEAPINFO => {
                // The block's address is the first word of the parameter.
                let Some([block]) = Self::block::<1>(mem, param) else {
                    return self.fail(errno::EFAULT);
                };
                // Heap base and limit, stack base (its top) and limit: the
                // stack grows down from the heap's end towards its base.
                let (base, limit) = self.heap;
                let words = [base, limit, limit, base];
                let mut bytes = [0u8; 32];
                for (i, w) in words.iter().enumerate() {
                    bytes[8 * i..8 * i + 8].copy_from_slice(&w.to_le_bytes());
                }
                if mem.write(block, &bytes).is_err() {
                    return self.fail(errno::EFAULT);
                }
                Return(0)
            }
            SYS_EXIT | SYS_EXIT_EXTENDED => {
                // AArch64: a block of (reason, subcode). A normal exit's
                // status is the subcode; any other reason is a failure.
                let status = match Self::block::<2>(mem, param) {
                    Some([ADP_STOPPED_APPLICATION_EXIT, code]) => code,
                    _ => 1,
                };
                SemihostingOutcome::Exit { status }
            }
            _ => self.fail(errno::EINVAL),
        }
    }
}

/// A NUL-terminated string at `va`, at most [`MAX_STRING`] bytes.
fn read_string(mem: &mut dyn GuestMemory, va: u64) -> Option<Vec<u8>> {
    let mut s = Vec::new();
    let mut chunk = [0u8; 1];
    while s.len() < MAX_STRING {
        mem.read(va.checked_add(s.len() as u64)?, &mut chunk).ok()?;
        if chunk[0] == 0 {
            return Some(s);
        }
        s.push(chunk[0]);
    }
    None
}
