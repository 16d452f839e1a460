//! ARMv7 LPAE long-descriptor translation (AArch32 PL1&0 stage 1 with
//! TTBCR.EAE = 1): the T0SZ/T1SZ split of the 32-bit input, three levels,
//! 1GB and 2MB blocks, 40-bit output (ARM ARM G5.5).

use super::config::{LPAE_INPUT_BITS, LPAE_OUTPUT_BITS};
use super::fault::{Access, Fault, FaultKind};
use super::geometry::Geometry;
use super::memory::WalkMemory;
use super::permissions::PermissionRules;
use super::stage1::{finish_stage1, ASID8_MASK};
use super::translation::Translation;
use super::walk::{TableWalk, WalkFault, WalkObserver};
use super::walker::Walker;
use crate::addr::PhysAddr;
use crate::arch::sysreg::{
    Sctlr32, Ttbcr, Ttbr, SCTLR, TTBCR, TTBR, TTBR_BADDR_MASK, TTBR_LPAE_BADDR_MASK,
};
use crate::granule::Granule;

/// The first lookup level of the long-descriptor format (it has no level 0).
const FIRST_LEVEL: u8 = 1;
/// Input sizes above this start at level 1, the others at level 2.
const LEVEL2_MAX_INPUT_BITS: u32 = 30;

/// Translate the 32-bit `va` for `access` through the LPAE tables,
/// reporting each descriptor read to `observer`.
///
/// With SCTLR.M clear the address is used untranslated. TTBCR.EAE is
/// assumed set: the short-descriptor format is not modelled.
pub(crate) fn lpae<M: WalkMemory + ?Sized>(
    w: &Walker<'_, M>,
    va: u32,
    access: Access,
    observer: &mut dyn WalkObserver,
) -> Result<Translation, Fault> {
    let (regs, mem) = (&w.lpae, w.memory());
    let va = u64::from(va);
    let fault = |kind, level| Fault::stage1(kind, level, access);
    let sctlr = Sctlr32::new(regs.sctlr);
    if !sctlr.is_set(SCTLR::M) {
        // A 32-bit VA always fits the 32-bit PA size of IPS = 0.
        return super::stage1::flat(va, LPAE_INPUT_BITS, access);
    }
    let c = Ttbcr::new(regs.ttbcr);
    let t0sz = c.read(TTBCR::T0SZ) as u32;
    let t1sz = c.read(TTBCR::T1SZ) as u32;
    let in_lower = va >> (LPAE_INPUT_BITS - t0sz) == 0;
    let in_upper = va >> (LPAE_INPUT_BITS - t1sz) == (1 << t1sz) - 1;
    // ARM ARM G5.5.3: each non-zero TnSZ bounds its range; a zero one lets
    // its TTBR cover whatever the other range does not.
    let upper = if t0sz != 0 && in_lower {
        false
    } else if t1sz != 0 && in_upper {
        true
    } else if t0sz == 0 {
        false
    } else if t1sz == 0 {
        true
    } else {
        return Err(fault(FaultKind::Translation, FIRST_LEVEL));
    };
    let (tnsz, epd, table_base) = if upper {
        (t1sz, TTBCR::EPD1, regs.ttbr1)
    } else {
        (t0sz, TTBCR::EPD0, regs.ttbr0)
    };
    if c.is_set(epd) {
        return Err(fault(FaultKind::Translation, FIRST_LEVEL));
    }
    let input_bits = LPAE_INPUT_BITS - tnsz;
    let geometry = Geometry {
        granule: Granule::K4,
        input_bits,
        start_level: if input_bits > LEVEL2_MAX_INPUT_BITS {
            FIRST_LEVEL
        } else {
            2
        },
    };
    // TTBR bits [47:40] are beyond the 40-bit output: ARMv8 reports an
    // address size fault (level 0, as for the AArch64 TTBRs).
    if (table_base & TTBR_BADDR_MASK) >> LPAE_OUTPUT_BITS != 0 {
        return Err(fault(FaultKind::AddressSize, 0));
    }
    let walk = TableWalk {
        geometry,
        stage: super::config::Stage::Stage1,
        base: table_base & TTBR_LPAE_BADDR_MASK & !(geometry.table_bytes(geometry.start_level) - 1),
        output_bits: LPAE_OUTPUT_BITS,
        hierarchical: true,
    };
    let mut fetch = |address: u64, level: u8, _: &mut dyn WalkObserver| {
        mem.read_descriptor(PhysAddr(address))
            .map_err(|_| fault(FaultKind::ExternalAbortOnWalk, level))
    };
    let leaf = walk.run(va, &mut fetch, observer).map_err(|e| match e {
        WalkFault::Local(kind, level) => fault(kind, level),
        WalkFault::Fetch(f) => f,
    })?;
    let asid_ttbr = Ttbr::new(if c.is_set(TTBCR::A1) {
        regs.ttbr1
    } else {
        regs.ttbr0
    });
    let rules = PermissionRules {
        wxn: sctlr.is_set(SCTLR::WXN),
        el0_writable_implies_pxn: sctlr.is_set(SCTLR::UWXN),
        xn_applies_to_el1: true,
    };
    finish_stage1(
        &leaf,
        &geometry,
        va,
        regs.mair,
        // AArch32 ASIDs are 8 bits, at TTBR[55:48].
        (asid_ttbr.read(TTBR::ASID) & ASID8_MASK) as u16,
        // AArch32 has no hardware access-flag management.
        false,
        rules,
        regs.pan,
        access,
    )
}
