//! VMSAv8-64 stage 1 translation of the EL1&0 regime: TTBR0/TTBR1 range
//! selection, TnSZ, granule, walk, access flag and permissions.

use super::attrs::Shareability;
use super::config::Stage;
use super::descriptor::{AF, ATTR_INDX_MASK, ATTR_INDX_SHIFT, CONTIGUOUS, NG, SH_MASK, SH_SHIFT};
use super::fault::{Access, AccessKind, Fault, FaultKind};
use super::geometry::{contiguous_entries_log2, mask, stage1_start_level, Geometry};
use super::memory::WalkMemory;
use super::permissions::{stage1_permissions, PermissionRules};
use super::regime::{output_bits, Features, Stage1Regs};
use super::translation::{MemoryAttributes, Permissions, Rwx, Translation};
use super::walk::{Fetch, Leaf, TableWalk, WalkFault, WalkObserver};
use super::walker::Walker;
use crate::addr::{PhysAddr, VirtAddr};
use crate::arch::sysreg::{
    mair_attribute, tg0_granule, tg1_granule, Sctlr, Tcr, Ttbr, SCTLR_EL1, TCR_EL1, TTBR,
    TTBR_BADDR_MASK,
};
use crate::granule::Granule;

/// Bit 55 of a VA selects the TTBR1 range (and its TBI bit).
const RANGE_SELECT_BIT: u32 = 55;
/// With the top byte ignored, bits above 55 play no part in translation.
const TOP_WITH_TBI: u32 = 55;
/// Without TBI every bit up to 63 must match the range.
const TOP_WITHOUT_TBI: u32 = 63;
/// Page size reported for translations with stage 1 off.
const FLAT_SIZE_LOG2: u32 = 12;
/// MAIR attribute of accesses with stage 1 off: Device-nGnRnE.
const FLAT_MAIR: u8 = 0x00;
/// ASIDs with TCR_EL1.AS = 0 are 8 bits.
pub(crate) const ASID8_MASK: u64 = 0xff;
/// ASIDs with TCR_EL1.AS = 1 are 16 bits.
const ASID16_MASK: u64 = 0xffff;

/// Translate `va` for `access` through the EL1&0 stage-1 tables, reading
/// them as PAs (no stage 2) and reporting each read to `observer`.
pub(crate) fn stage1<M: WalkMemory + ?Sized>(
    w: &Walker<'_, M>,
    va: VirtAddr,
    access: Access,
    observer: &mut dyn WalkObserver,
) -> Result<Translation, Fault> {
    let mem = w.memory();
    let mut fetch = |address: u64, level: u8, _: &mut dyn WalkObserver| {
        mem.read_descriptor(PhysAddr(address))
            .map_err(|_| Fault::stage1(FaultKind::ExternalAbortOnWalk, level, access))
    };
    // Without stage 2 a descriptor update needs no permission.
    let mut update = |_: u64, _: u8, _: &mut dyn WalkObserver| Ok(());
    stage1_with_fetch(
        &w.stage1,
        &w.features,
        va,
        access,
        &mut fetch,
        &mut update,
        observer,
    )
}

/// The range a VA falls in and that range's controls.
struct RangeSetup {
    geometry: Geometry,
    ttbr: u64,
    hierarchical: bool,
}

/// Pick TTBR0 or TTBR1 for `va` and decode that range's TCR fields.
fn select_range(
    regs: &Stage1Regs,
    features: &Features,
    va: u64,
    access: Access,
) -> Result<RangeSetup, Fault> {
    let t = Tcr::new(regs.tcr);
    let fault = Fault::stage1(FaultKind::Translation, 0, access);
    let upper = (va >> RANGE_SELECT_BIT) & 1 == 1;
    let (tbi, tbid, tnsz, tg, epd, hpd, ttbr) = if upper {
        (
            TCR_EL1::TBI1,
            TCR_EL1::TBID1,
            t.read(TCR_EL1::T1SZ) as u32,
            tg1_granule(t.read(TCR_EL1::TG1)),
            TCR_EL1::EPD1,
            TCR_EL1::HPD1,
            regs.ttbr1,
        )
    } else {
        (
            TCR_EL1::TBI0,
            TCR_EL1::TBID0,
            t.read(TCR_EL1::T0SZ) as u32,
            tg0_granule(t.read(TCR_EL1::TG0)),
            TCR_EL1::EPD0,
            TCR_EL1::HPD0,
            regs.ttbr0,
        )
    };
    let granule = features.granule_or_fallback(Stage::Stage1, tg);
    let tnsz = features.effective_tnsz(granule, tnsz).ok_or(fault)?;
    let input_bits = u64::BITS - tnsz;
    // TBI applies to instruction fetches too unless TBIDn says data only.
    let ignore_top = t.is_set(tbi) && !(access.kind == AccessKind::Execute && t.is_set(tbid));
    let top = if ignore_top {
        TOP_WITH_TBI
    } else {
        TOP_WITHOUT_TBI
    };
    let upper_bits = (va & mask(top + 1)) >> input_bits;
    let expected = if upper { mask(top + 1 - input_bits) } else { 0 };
    if upper_bits != expected || t.is_set(epd) {
        return Err(fault);
    }
    Ok(RangeSetup {
        geometry: Geometry {
            granule,
            input_bits,
            start_level: stage1_start_level(granule, input_bits),
        },
        ttbr,
        hierarchical: !(features.hpds && t.is_set(hpd)),
    })
}

/// log2 of the region a leaf maps, contiguous runs included.
pub(crate) const fn leaf_size_log2(geometry: &Geometry, leaf_level: u8, descriptor: u64) -> u32 {
    let shift = geometry.level_shift(leaf_level);
    if descriptor & CONTIGUOUS != 0 {
        shift + contiguous_entries_log2(geometry.granule, leaf_level)
    } else {
        shift
    }
}

/// The common end of a stage-1 walk (AArch64 and AArch32): AF, attributes,
/// permissions and the permission check.
#[allow(clippy::too_many_arguments)] // the decoded state of one walk
pub(crate) fn finish_stage1(
    leaf: &Leaf,
    geometry: &Geometry,
    input: u64,
    mair: u64,
    asid: u16,
    hardware_af: bool,
    rules: PermissionRules,
    pan: bool,
    access: Access,
) -> Result<Translation, Fault> {
    let d = leaf.descriptor;
    if d & AF == 0 && !hardware_af {
        return Err(Fault::stage1(FaultKind::AccessFlag, leaf.level, access));
    }
    let permissions = stage1_permissions(d, leaf.tables, rules);
    if !permissions.allows(access, pan) {
        return Err(Fault::stage1(FaultKind::Permission, leaf.level, access));
    }
    let offset_bits = geometry.level_shift(leaf.level);
    let global = d & NG == 0;
    Ok(Translation {
        input,
        output: PhysAddr(leaf.output.0 | (input & mask(offset_bits))),
        size_log2: leaf_size_log2(geometry, leaf.level, d),
        granule: geometry.granule,
        level: leaf.level,
        contiguous: d & CONTIGUOUS != 0,
        permissions,
        attributes: MemoryAttributes {
            mair: mair_attribute(mair, (d & ATTR_INDX_MASK) >> ATTR_INDX_SHIFT),
            shareability: Shareability::from_bits((d & SH_MASK) >> SH_SHIFT),
        },
        global,
        asid: if global { None } else { Some(asid) },
    })
}

/// Checks that the walk may write the descriptor at an address (an IPA when
/// stage 2 is on) for a level, or returns the complete fault to report.
pub(crate) type Update<'a> = dyn FnMut(u64, u8, &mut dyn WalkObserver) -> Result<(), Fault> + 'a;

/// Stage 1 with descriptor reads done by `fetch`, which gets the table
/// address (an IPA when stage 2 is on) and the level, and returns the
/// descriptor or the complete fault to report; `update` vets the write of a
/// hardware access flag update.
pub(crate) fn stage1_with_fetch(
    regs: &Stage1Regs,
    features: &Features,
    va: VirtAddr,
    access: Access,
    fetch: &mut Fetch<'_, Fault>,
    update: &mut Update<'_>,
    observer: &mut dyn WalkObserver,
) -> Result<Translation, Fault> {
    let t = Tcr::new(regs.tcr);
    let sctlr = Sctlr::new(regs.sctlr);
    let ps = output_bits(t.read(TCR_EL1::IPS), features);
    if !sctlr.is_set(SCTLR_EL1::M) {
        return flat(va.0, ps, access);
    }
    let range = select_range(regs, features, va.0, access)?;
    let g = range.geometry;
    let base = range.ttbr & TTBR_BADDR_MASK & !(g.table_bytes(g.start_level) - 1);
    if base >> ps != 0 {
        return Err(Fault::stage1(FaultKind::AddressSize, 0, access));
    }
    let walk = TableWalk {
        geometry: g,
        stage: Stage::Stage1,
        base,
        output_bits: ps,
        hierarchical: range.hierarchical,
    };
    let leaf = walk.run(va.0, fetch, observer).map_err(|e| match e {
        WalkFault::Local(kind, level) => Fault::stage1(kind, level, access),
        WalkFault::Fetch(fault) => fault,
    })?;
    let asid_ttbr = Ttbr::new(if t.is_set(TCR_EL1::A1) {
        regs.ttbr1
    } else {
        regs.ttbr0
    });
    let asid_mask = if t.is_set(TCR_EL1::AS) {
        ASID16_MASK
    } else {
        ASID8_MASK
    };
    let rules = PermissionRules {
        wxn: sctlr.is_set(SCTLR_EL1::WXN),
        el0_writable_implies_pxn: true,
        xn_applies_to_el1: false,
    };
    let hardware_af = features.hardware_access_flag && t.is_set(TCR_EL1::HA);
    let translation = finish_stage1(
        &leaf,
        &g,
        va.0,
        regs.mair,
        (asid_ttbr.read(TTBR::ASID) & asid_mask) as u16,
        hardware_af,
        rules,
        regs.pan,
        access,
    )?;
    // Hardware sets the access flag by writing the descriptor, once the
    // access has passed its permission checks (ARM ARM, hardware updates
    // of translation table descriptors); under stage 2 that write needs
    // stage 2 write permission for the table, else it is a stage 2 fault
    // on the walk.
    if hardware_af && leaf.descriptor & AF == 0 {
        update(leaf.address, leaf.level, observer)?;
    }
    Ok(translation)
}

/// Stage 1 disabled: the output is the input, which must fit the PA size.
pub(crate) fn flat(va: u64, pa_bits: u32, access: Access) -> Result<Translation, Fault> {
    if va >> pa_bits != 0 {
        return Err(Fault::stage1(FaultKind::AddressSize, 0, access));
    }
    Ok(Translation {
        input: va,
        output: PhysAddr(va),
        size_log2: FLAT_SIZE_LOG2,
        granule: Granule::K4,
        level: 0,
        contiguous: false,
        permissions: Permissions {
            el0: Rwx::ALL,
            el1: Rwx::ALL,
            el0_accessible: false,
        },
        attributes: MemoryAttributes {
            mair: FLAT_MAIR,
            shareability: Shareability::Outer,
        },
        global: true,
        asid: None,
    })
}
