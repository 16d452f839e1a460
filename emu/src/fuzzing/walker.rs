//! Walker target: stage 1, stage 2, stage 1 under stage 2, two stages and
//! LPAE, on arbitrary registers and table memory. The untraced and traced
//! walks must agree, the trace must record exactly the descriptor reads
//! made, and their number is bounded by the architecture's longest walk.

use core::cell::Cell;

use super::Input;
use crate::addr::{IntermPhysAddr, PhysAddr, VirtAddr};
use crate::arch::id::GranuleSet;
use crate::granule::Granule;
use crate::mmu::fault::{Access, AccessKind, El};
use crate::mmu::memory::{ExternalAbort, WalkMemory};
use crate::mmu::regime::{Features, LpaeRegs, Stage1Regs, Stage2Regs, TnszOutOfRange};
use crate::mmu::walk::{WalkStep, MAX_WALK_STEPS};
use crate::mmu::{Walk, Walker};

/// Table memory: the input's remaining bytes at physical address 0, up to
/// this size; every other address aborts.
const MEMORY_MAX: usize = 1 << 16;

/// Table memory that counts its reads.
struct Memory<'a> {
    bytes: &'a [u8],
    reads: Cell<usize>,
}

impl WalkMemory for Memory<'_> {
    fn read_descriptor(&self, address: PhysAddr) -> Result<u64, ExternalAbort> {
        self.reads.set(self.reads.get() + 1);
        let at = usize::try_from(address.0).map_err(|_| ExternalAbort)?;
        let word = self.bytes.get(at..at.checked_add(8).ok_or(ExternalAbort)?);
        let word = word.ok_or(ExternalAbort)?;
        Ok(u64::from_le_bytes(
            word.try_into().map_err(|_| ExternalAbort)?,
        ))
    }
}

/// A table address: mostly inside the memory, sometimes anywhere.
fn table_address(input: &mut Input<'_>) -> u64 {
    let raw = input.bits(8);
    if raw & 1 == 0 {
        raw & (MEMORY_MAX as u64 - 1) & !7
    } else {
        raw
    }
}

/// One input: the regime, the access, the registers, the features, then
/// the table memory.
pub fn check(data: &[u8]) {
    let mut input = Input::new(data);
    let regime = input.u8() % 5;
    let kind =
        [AccessKind::Read, AccessKind::Write, AccessKind::Execute][usize::from(input.u8() % 3)];
    let el = if input.bool() { El::El1 } else { El::El0 };
    let access = Access::new(el, kind);
    let va = input.bits(8);
    let s1 = Stage1Regs {
        sctlr: input.bits(8),
        tcr: input.bits(8),
        ttbr0: table_address(&mut input),
        ttbr1: table_address(&mut input),
        mair: input.bits(8),
        pan: input.bool(),
    };
    let s2 = Stage2Regs {
        vtcr: input.bits(8),
        vttbr: table_address(&mut input),
    };
    let flags = input.u8();
    let mut stage1_granules = GranuleSet::NONE;
    for (bit, granule) in [(1, Granule::K4), (2, Granule::K16), (4, Granule::K64)] {
        if flags & bit != 0 {
            stage1_granules = stage1_granules.with(granule);
        }
    }
    let features = Features {
        pa_bits: [32, 36, 40, 42, 44, 48][usize::from(input.u8() % 6)],
        stage1_granules,
        // Bit 7: stage 2 has every granule, else the same as stage 1.
        stage2_granules: if flags & 128 != 0 {
            GranuleSet::ALL
        } else {
            stage1_granules
        },
        ttst: flags & 8 != 0,
        hpds: flags & 16 != 0,
        hardware_access_flag: flags & 32 != 0,
        tnsz_out_of_range: if flags & 64 != 0 {
            TnszOutOfRange::Clamp
        } else {
            TnszOutOfRange::Fault
        },
    };
    let lpae = LpaeRegs {
        sctlr: s1.sctlr,
        ttbcr: s1.tcr,
        ttbr0: s1.ttbr0,
        ttbr1: s1.ttbr1,
        mair: s1.mair,
        pan: s1.pan,
    };
    let mem = Memory {
        bytes: input.bytes(MEMORY_MAX),
        reads: Cell::new(0),
    };
    let walk = match regime {
        0 => Walk::Stage1(VirtAddr(va)),
        1 => Walk::Stage2(IntermPhysAddr(va)),
        2 => Walk::Stage1UnderStage2(VirtAddr(va)),
        3 => Walk::TwoStage(VirtAddr(va)),
        _ => Walk::Lpae(va as u32),
    };
    let walker = Walker::new(features, &mem)
        .with_stage1(s1)
        .with_stage2(s2)
        .with_lpae(lpae);
    let untraced = walker.translate(walk, access);
    let untraced_reads = mem.reads.replace(0);
    let mut steps = 0usize;
    let traced = walker.translate_observed(walk, access, &mut |_: &WalkStep| steps += 1);
    let traced_reads = mem.reads.get();
    assert_eq!(untraced, traced, "traced and untraced walks differ");
    assert_eq!(
        untraced_reads, traced_reads,
        "traced and untraced walks read differently"
    );
    assert!(
        untraced_reads <= MAX_WALK_STEPS,
        "{untraced_reads} descriptor reads in one walk"
    );
    // A step is reported for every descriptor read; an aborted read is a
    // read without a step.
    assert!(
        steps <= traced_reads,
        "{steps} steps for {traced_reads} reads"
    );
    if let Ok(t) = untraced {
        assert!(t.size_log2 >= 12 && t.size_log2 <= 48, "{t:x?}");
    }
}
