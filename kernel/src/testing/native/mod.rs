//! Instruction sequences run natively: a code page mapped executable in
//! TTBR1 (the kernel's identity map is W^X, and keeps running from TTBR0),
//! written through its read/write identity alias, and called with a
//! register file. The differential test of emu's CPU runs every generated
//! sequence here and on the emulator.
//!
//! The harness uses SP only: X0-X30 and NZCV are all loaded before the
//! sequence and stored after it, so a sequence may use every general
//! purpose register, and must not touch SP (`emu::a64gen` never does).
//! Loads and stores go to a scratch buffer in kernel RAM (a frame of its
//! own, identity-mapped read/write), which X28 must address: its bytes
//! are set from the sequence before and read back after.

use crate::arch::exception::{self, CodeFixup};
use crate::arch::mmu as regs;
use crate::arch::native::{self as frame, NativeState};
use crate::memory::frame as frames;
use crate::memory::mmu::{self as host_mmu, FrameTables};
use alloc::format;
use alloc::string::String;
use core::fmt;
use emu::a64gen::{Outcome, Sequence, BUFFER};
use emu::addr::PhysAddr;
use emu::arch::esr::Esr;
use emu::mmu::{AccessPermissions, PageTable, Stage1Attributes, TableConfig};

/// Why a sequence did not run to its end natively.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NativeFault {
    /// It took an exception, with this ESR_EL1.
    Exception(Esr),
    /// Instruction `index` could escape the harness (a branch, a memory
    /// access, an SP write...): it was not run.
    Refused {
        /// Which instruction.
        index: usize,
        /// Its word.
        word: u32,
    },
}

impl fmt::Display for NativeFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NativeFault::Exception(esr) => {
                write!(f, "the sequence took an exception natively: {esr}")
            }
            NativeFault::Refused { index, word } => write!(
                f,
                "instruction {index} ({word:#010x}) is not one the harness runs natively"
            ),
        }
    }
}

/// The executable code page, mapped at the bottom of the TTBR1 range while
/// it lives; dropping it restores the kernel's TCR and frees everything.
pub struct CodePage {
    /// Physical address of the page: its read/write identity alias.
    frame: u64,
    /// Its size: the kernel's granule.
    size: u64,
    /// Its executable alias in TTBR1.
    exec: u64,
    table: Option<(PageTable, FrameTables)>,
    kernel_tcr: u64,
    /// The scratch buffer's frame (physical = identity address).
    buffer: u64,
}

impl CodePage {
    /// Maps a fresh page executable (EL1 read-only, executable) in TTBR1
    /// with the kernel's granule, and registers its fault entry.
    pub fn install() -> Result<Self, String> {
        let granule = host_mmu::current()
            .ok_or("the MMU is off: no W^X map to run code from")?
            .granule;
        let size = granule.size();
        let words = frame::fault_entry().len()
            + frame::prologue().len()
            + emu::a64gen::MAX_LEN
            + frame::epilogue().len();
        if 4 * words as u64 > size {
            return Err(format!(
                "a framed sequence needs {words} words: more than a page"
            ));
        }
        let frame = frames::allocate_zeroed(size as usize, size as usize)
            .ok_or("no free frame for the code page")?;
        let Some(buffer) = frames::allocate_zeroed(size as usize, size as usize) else {
            frames::free(frame, size as usize, size as usize);
            return Err("no free frame for the scratch buffer".into());
        };
        let mut page = CodePage {
            frame,
            size,
            exec: !0u64 << host_mmu::VA_BITS,
            table: None,
            kernel_tcr: regs::tcr_el1(),
            buffer,
        };
        let config = TableConfig::stage1_upper(granule, host_mmu::VA_BITS, 48)
            .map_err(|e| format!("code page table: {e}"))?;
        let mut mem = FrameTables::default();
        let mut table = PageTable::new(config, &mut mem).map_err(|e| format!("{e}"))?;
        let attrs = Stage1Attributes {
            access: AccessPermissions::PrivilegedReadOnly,
            pxn: false,
            ..Stage1Attributes::kernel_data(regs::MAIR_NORMAL)
        };
        if let Err(e) = table.map(&mut mem, page.exec, PhysAddr(frame), size, attrs) {
            table.destroy(&mut mem);
            return Err(format!("mapping the code page: {e}"));
        }
        let tcr = regs::tcr_with_ttbr1(page.kernel_tcr, granule, host_mmu::VA_BITS);
        // SAFETY: TTBR0's fields stay as they are; TTBR1 gets a complete
        // table set for its granule and size.
        unsafe { regs::set_ttbr1(table.root().0, tcr) };
        page.table = Some((table, mem));
        // The fault entry sits at the start of the page, the framed
        // sequence after it.
        page.write(0, frame::fault_entry());
        // SAFETY: the fault entry resumes from any instruction of a framed
        // sequence, which leaves SP as the prologue set it.
        unsafe {
            exception::set_code_fixup(Some(CodeFixup {
                start: page.exec,
                end: page.exec + size,
                fixup: page.exec,
            }))
        };
        Ok(page)
    }

    /// Writes `words` at word `index` through the identity alias.
    fn write(&mut self, index: usize, words: &[u32]) -> usize {
        for (i, w) in words.iter().enumerate() {
            let offset = ((index + i) * 4) as u64;
            // `install` checked that the longest framed sequence fits.
            assert!(offset < self.size, "code page overflow");
            // SAFETY: the frame is ours, identity-mapped read/write.
            unsafe { core::ptr::write_volatile((self.frame + offset) as *mut u32, *w) };
        }
        index + words.len()
    }

    /// The scratch buffer's address: the X28 of sequences that load and
    /// store.
    pub fn buffer(&self) -> u64 {
        self.buffer
    }

    /// Runs `sequence` from its registers, flags and buffer and returns
    /// theirs after its last instruction. A sequence that could escape the
    /// page or the buffer ([`Sequence::escape`]) is refused.
    pub fn run(&mut self, sequence: &Sequence) -> Result<Outcome, NativeFault> {
        if let Some((index, word)) = sequence.escape(self.buffer) {
            return Err(NativeFault::Refused { index, word });
        }
        let bytes = self.buffer as *mut u8;
        // SAFETY: the buffer frame is ours, identity-mapped read/write, and
        // larger than BUFFER bytes (a granule).
        unsafe { core::ptr::copy_nonoverlapping(sequence.buffer.as_ptr(), bytes, BUFFER) };
        let start = frame::fault_entry().len();
        let mut end = self.write(start, frame::prologue());
        end = self.write(end, sequence.words());
        end = self.write(end, frame::epilogue());
        let offset = (start * 4) as u64;
        let len = ((end - start) * 4) as u64;
        frame::sync_code(self.frame + offset, self.exec + offset, len);
        let mut state = NativeState {
            x: sequence.x,
            nzcv: sequence.nzcv,
            ..NativeState::default()
        };
        // SAFETY: the page holds the prologue, the sequence (checked
        // above: data processing that touches neither SP nor memory, loads
        // and stores inside the buffer, UDF, NOP, and forward branches
        // that land inside it or on the epilogue) and the epilogue, synchronised above; the fault
        // entry is registered.
        unsafe { frame::call(self.exec + offset, &mut state) };
        if state.faulted != 0 {
            return Err(NativeFault::Exception(Esr(state.esr)));
        }
        let mut buffer = [0; BUFFER];
        // SAFETY: as above; the sequence has finished with it.
        unsafe { core::ptr::copy_nonoverlapping(bytes, buffer.as_mut_ptr(), BUFFER) };
        Ok(Outcome {
            x: state.x,
            nzcv: state.nzcv & emu::a64gen::NZCV_MASK,
            buffer,
        })
    }
}

impl Drop for CodePage {
    fn drop(&mut self) {
        // SAFETY: no framed code runs any more.
        unsafe { exception::set_code_fixup(None) };
        // SAFETY: restores the kernel's own TCR (TTBR1 walks off) before
        // the tables are freed.
        unsafe { regs::set_ttbr1(0, self.kernel_tcr) };
        if let Some((table, mut mem)) = self.table.take() {
            table.destroy(&mut mem);
        }
        frames::free(self.frame, self.size as usize, self.size as usize);
        frames::free(self.buffer, self.size as usize, self.size as usize);
    }
}
