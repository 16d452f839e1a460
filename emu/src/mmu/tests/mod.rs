//! Host tests of the MMU model: builder scenarios, hand-built tables for the
//! walker, and randomized builder/walker agreement.

mod arena;
mod builder;
mod hand;
mod invariants;
mod lpae;
mod par;
mod property;
mod robustness;
mod walker;

mod shadow;
mod stage2;
mod table_set;

use crate::arch::sysreg::{SCTLR_EL1, TCR_EL1};
use crate::mmu::builder::PageTable;
use crate::mmu::regime::{Features, Stage1Regs};

/// A MAIR value with eight different attributes, so AttrIndx mistakes show.
pub const MAIR: u64 = 0xee0c_aabb_0444_00ff;

/// The MAIR byte for `index`.
pub fn mair_byte(index: u8) -> u8 {
    (MAIR >> (8 * u32::from(index))) as u8
}

/// Features for tests: QEMU max, but no hardware AF update.
pub const FEATURES: Features = Features {
    hardware_access_flag: false,
    ..Features::QEMU_MAX
};

/// Stage-1 registers that use `lower` for TTBR0 and `upper` for TTBR1
/// (a missing range is disabled with EPDn).
pub fn s1_regs(lower: Option<&PageTable>, upper: Option<&PageTable>) -> Stage1Regs {
    let mut t = TCR_EL1::AS::SET.value;
    let mut regs = Stage1Regs {
        sctlr: SCTLR_EL1::M::SET.value,
        mair: MAIR,
        ..Default::default()
    };
    match lower {
        Some(table) => {
            t |= table.config().tcr_el1_bits();
            regs.ttbr0 = table.root().0;
        }
        None => t |= TCR_EL1::EPD0::SET.value,
    }
    match upper {
        Some(table) => {
            // IPS comes from whichever config; they agree in tests.
            t |= table.config().tcr_el1_bits();
            regs.ttbr1 = table.root().0;
        }
        None => {
            t |= TCR_EL1::EPD1::SET.value
                | TCR_EL1::TG1.val(0b10).value
                | TCR_EL1::T1SZ.val(25).value
        }
    }
    regs.tcr = t;
    regs
}
