//! Stage 2 translation (VTCR_EL2/VTTBR_EL2): IPA to PA with SL0, up to 16
//! concatenated initial tables, S2AP/XN/MemAttr, and the two-stage walk in
//! which every stage-1 table access is itself translated by stage 2.

use super::attrs::Shareability;
use super::config::{stage2_start_level_valid, Stage};
use super::descriptor::{
    AF, CONTIGUOUS, S2AP_READ, S2AP_WRITE, S2_MEMATTR_MASK, S2_MEMATTR_SHIFT, S2_XN, SH_MASK,
    SH_SHIFT,
};
use super::fault::{Access, AccessKind, Fault, FaultKind};
use super::geometry::{mask, Geometry, LAST_LEVEL};
use super::memory::WalkMemory;
use super::regime::{output_bits, Features, Stage2Regs};
use super::stage1::{leaf_size_log2, stage1_with_fetch};
use super::translation::{MemoryAttributes, Permissions, Rwx, Translation};
use super::walk::{TableWalk, WalkFault, WalkObserver};
use super::walker::Walker;
use crate::addr::{IntermPhysAddr, PhysAddr, VirtAddr};
use crate::arch::sysreg::{tg0_granule, Vtcr, TTBR_BADDR_MASK, VTCR_EL2};
use crate::granule::Granule;

/// PA sizes below which some stage-2 start levels are not allowed
/// (CONSTRAINED UNPREDICTABLE; like QEMU, such a configuration faults):
/// 4K level 0 and 64K level 1 need more than 42 bits, 16K level 1 more
/// than 40.
const MIN_PA_BITS_4K_L0: u32 = 43;
/// See [`MIN_PA_BITS_4K_L0`].
const MIN_PA_BITS_16K_L1: u32 = 41;
/// See [`MIN_PA_BITS_4K_L0`].
const MIN_PA_BITS_64K_L1: u32 = 43;
/// SL0 = 3 with 4K means level 3 (FEAT_TTST).
const SL0_4K_LEVEL3: u64 = 3;

/// The decoded, checked stage-2 configuration.
struct Stage2Setup {
    geometry: Geometry,
    base: u64,
    ps: u32,
    hardware_af: bool,
}

/// The start level SL0 encodes for a granule (None: reserved).
const fn sl0_start_level(granule: Granule, sl0: u64, ttst: bool) -> Option<u8> {
    match (granule, sl0) {
        (Granule::K4, SL0_4K_LEVEL3) if ttst => Some(LAST_LEVEL),
        (Granule::K4, SL0_4K_LEVEL3) => None,
        (Granule::K4, s) => Some(2 - s as u8),
        (_, 3) => None,
        (_, s) => Some(LAST_LEVEL - s as u8),
    }
}

fn setup(regs: &Stage2Regs, features: &Features, fault: Fault) -> Result<Stage2Setup, Fault> {
    let v = Vtcr::new(regs.vtcr);
    let granule = features.granule_or_fallback(Stage::Stage2, tg0_granule(v.read(VTCR_EL2::TG0)));
    let t0sz = v.read(VTCR_EL2::T0SZ) as u32;
    let t0sz = features.effective_tnsz(granule, t0sz).ok_or(fault)?;
    let input_bits = u64::BITS - t0sz;
    let ps = output_bits(v.read(VTCR_EL2::PS), features);
    let level = sl0_start_level(granule, v.read(VTCR_EL2::SL0), features.ttst).ok_or(fault)?;
    let pa = features.pa_bits;
    let pa_too_small = matches!(
        (granule, level),
        (Granule::K4, 0) if pa < MIN_PA_BITS_4K_L0
    ) || matches!((granule, level), (Granule::K16, 1) if pa < MIN_PA_BITS_16K_L1)
        || matches!((granule, level), (Granule::K64, 1) if pa < MIN_PA_BITS_64K_L1);
    // An IPA space bigger than the PA space, or an SL0 that does not fit
    // T0SZ, is CONSTRAINED UNPREDICTABLE; this model faults (as QEMU does).
    if pa_too_small || input_bits > pa || !stage2_start_level_valid(granule, input_bits, level) {
        return Err(fault);
    }
    let geometry = Geometry {
        granule,
        input_bits,
        start_level: level,
    };
    let base = regs.vttbr & TTBR_BADDR_MASK & !(geometry.table_bytes(level) - 1);
    Ok(Stage2Setup {
        geometry,
        base,
        ps,
        hardware_af: features.hardware_access_flag && v.is_set(VTCR_EL2::HA),
    })
}

/// Stage-2 MemAttr\[3:0\] in MAIR encoding: Device types map to the MAIR
/// Device encodings, Normal ones to inner/outer nibbles (with read and
/// write allocation hints, which stage 2 does not carry).
pub fn stage2_mair(mem_attr: u64) -> u8 {
    const DEVICE_SHIFT: u32 = 2;
    const NC: u8 = 0b0100;
    const WT: u8 = 0b1011;
    const WB: u8 = 0b1111;
    let outer = (mem_attr >> 2) & 0b11;
    let inner = mem_attr & 0b11;
    if outer == 0 {
        return (inner as u8) << DEVICE_SHIFT;
    }
    let nibble = |v: u64| match v {
        0b10 => WT,
        0b11 => WB,
        // 0b01 is Non-cacheable; inner 0b00 is reserved and treated so.
        _ => NC,
    };
    (nibble(outer) << 4) | nibble(inner)
}

/// Translate `ipa` through stage 2 alone (as for a device access by the
/// guest with its MMU off, or for `AT S12E1*` without stage 1).
pub(crate) fn stage2<M: WalkMemory + ?Sized>(
    w: &Walker<'_, M>,
    ipa: IntermPhysAddr,
    access: Access,
    observer: &mut dyn WalkObserver,
) -> Result<Translation, Fault> {
    stage2_walk(w, ipa, access, None, observer)
}

/// The stage-2 walk. `walk_access` marks a translation of a stage-1 table
/// address, whose faults are reported with S1PTW set, and says what the
/// walk does there: it reads descriptors, and writes one to set its access
/// flag; the access that started the walk does not count.
fn stage2_walk<M: WalkMemory + ?Sized>(
    w: &Walker<'_, M>,
    ipa: IntermPhysAddr,
    access: Access,
    walk_access: Option<AccessKind>,
    observer: &mut dyn WalkObserver,
) -> Result<Translation, Fault> {
    let mem = w.memory();
    let s1ptw = walk_access.is_some();
    let fault = |kind, level| Fault {
        kind,
        level,
        stage: Stage::Stage2,
        s1ptw,
        access,
        ipa: Some(ipa),
    };
    let s = setup(&w.stage2, &w.features, fault(FaultKind::Translation, 0))?;
    let g = s.geometry;
    if ipa.0 >> g.input_bits != 0 {
        return Err(fault(FaultKind::Translation, 0));
    }
    if s.base >> s.ps != 0 {
        return Err(fault(FaultKind::AddressSize, 0));
    }
    let walk = TableWalk {
        geometry: g,
        stage: Stage::Stage2,
        base: s.base,
        output_bits: s.ps,
        hierarchical: false,
    };
    let mut fetch = |address: u64, level: u8, _: &mut dyn WalkObserver| {
        mem.read_descriptor(PhysAddr(address))
            .map_err(|_| fault(FaultKind::ExternalAbortOnWalk, level))
    };
    let leaf = walk.run(ipa.0, &mut fetch, observer).map_err(|e| match e {
        WalkFault::Local(kind, level) => fault(kind, level),
        WalkFault::Fetch(f) => f,
    })?;
    let d = leaf.descriptor;
    if d & AF == 0 && !s.hardware_af {
        return Err(fault(FaultKind::AccessFlag, leaf.level));
    }
    let rights = Rwx {
        read: d & S2AP_READ != 0,
        write: d & S2AP_WRITE != 0,
        execute: d & S2_XN == 0,
    };
    let permissions = Permissions {
        el0: rights,
        el1: rights,
        el0_accessible: false,
    };
    let kind = walk_access.unwrap_or(access.kind);
    if !rights.allows(kind) {
        return Err(fault(FaultKind::Permission, leaf.level));
    }
    Ok(Translation {
        input: ipa.0,
        output: PhysAddr(leaf.output.0 | (ipa.0 & mask(g.level_shift(leaf.level)))),
        size_log2: leaf_size_log2(&g, leaf.level, d),
        granule: g.granule,
        level: leaf.level,
        contiguous: d & CONTIGUOUS != 0,
        permissions,
        attributes: MemoryAttributes {
            mair: stage2_mair((d & S2_MEMATTR_MASK) >> S2_MEMATTR_SHIFT),
            shareability: Shareability::from_bits((d & SH_MASK) >> SH_SHIFT),
        },
        global: true,
        asid: None,
    })
}

/// Translate `va` through stage 1 and stage 2 (the EL1&0 regime with
/// HCR_EL2.VM set): each stage-1 table address is an IPA that stage 2
/// translates first; a fault there is a stage-2 fault with S1PTW set.
/// Every descriptor read of both stages goes to `observer`, in the order
/// the walk makes them.
pub(crate) fn two_stage<M: WalkMemory + ?Sized>(
    w: &Walker<'_, M>,
    va: VirtAddr,
    access: Access,
    observer: &mut dyn WalkObserver,
) -> Result<Translation, Fault> {
    let first = stage1_under_stage2(w, va, access, observer)?;
    let second = stage2_walk(w, IntermPhysAddr(first.output.0), access, None, observer)?;
    Ok(Translation {
        input: va.0,
        output: second.output,
        size_log2: first.size_log2.min(second.size_log2),
        granule: first.granule,
        level: first.level,
        contiguous: first.contiguous,
        permissions: first.permissions.intersect(second.permissions),
        attributes: combine(first.attributes, second.attributes),
        global: first.global,
        asid: first.asid,
    })
}

/// Cacheability class of a MAIR nibble, weakest first.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Cacheability {
    NonCacheable,
    WriteThrough,
    WriteBack,
}

const fn cacheability(nibble: u8) -> Cacheability {
    const NC: u8 = 0b0100;
    match nibble >> 2 {
        _ if nibble == NC => Cacheability::NonCacheable,
        0b00 | 0b10 => Cacheability::WriteThrough,
        _ => Cacheability::WriteBack,
    }
}

/// Stage 1 and stage 2 attributes combined (ARM ARM D8.5.5, without
/// FEAT_S2FWB): Device wins over Normal and the stricter Device type wins;
/// for Normal memory each of inner and outer takes the less cacheable of
/// the two, keeping stage 1's allocation hints where stage 1 decides.
/// Shareability: Outer for Device and Non-cacheable results, else the more
/// shareable of the two.
pub fn combine(s1: MemoryAttributes, s2: MemoryAttributes) -> MemoryAttributes {
    const WEAKEST_DEVICE: u8 = 0b1100;
    if s1.is_device() || s2.is_device() {
        let device = |a: MemoryAttributes| {
            if a.is_device() {
                a.mair
            } else {
                WEAKEST_DEVICE
            }
        };
        return MemoryAttributes {
            mair: device(s1).min(device(s2)),
            shareability: Shareability::Outer,
        };
    }
    let pick = |a: u8, b: u8| {
        if cacheability(b) < cacheability(a) {
            b
        } else {
            a
        }
    };
    let mair = (pick(s1.mair >> 4, s2.mair >> 4) << 4) | pick(s1.mair & 0xf, s2.mair & 0xf);
    let result = MemoryAttributes {
        mair,
        shareability: Shareability::NonShareable,
    };
    let rank = |s: Shareability| match s {
        Shareability::Outer => 2,
        Shareability::Inner => 1,
        _ => 0,
    };
    let shareability = if result.is_normal_non_cacheable() {
        Shareability::Outer
    } else if rank(s1.shareability) >= rank(s2.shareability) {
        s1.shareability
    } else {
        s2.shareability
    };
    MemoryAttributes { mair, shareability }
}

/// Stage 1 alone with stage 2 translating its table accesses: what
/// `AT S1E1R/W` and `AT S1E0R/W` do when HCR_EL2.VM is set. The output is
/// the IPA; stage-2 faults on the table walk are reported with S1PTW set.
/// Every descriptor read of both stages goes to `observer`.
pub(crate) fn stage1_under_stage2<M: WalkMemory + ?Sized>(
    w: &Walker<'_, M>,
    va: VirtAddr,
    access: Access,
    observer: &mut dyn WalkObserver,
) -> Result<Translation, Fault> {
    let mem = w.memory();
    let mut fetch = |address: u64, level: u8, observer: &mut dyn WalkObserver| {
        let table = stage2_walk(
            w,
            IntermPhysAddr(address),
            access,
            Some(AccessKind::Read),
            observer,
        )?;
        mem.read_descriptor(table.output)
            .map_err(|_| Fault::stage1(FaultKind::ExternalAbortOnWalk, level, access))
    };
    // A hardware access flag update writes the descriptor through stage 2.
    let mut update = |address: u64, _: u8, observer: &mut dyn WalkObserver| {
        stage2_walk(
            w,
            IntermPhysAddr(address),
            access,
            Some(AccessKind::Write),
            observer,
        )
        .map(|_| ())
    };
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
