//! The differential test's random stage 2 (for `AT S12E*`): RAM mapped to
//! itself for the stage 1 walk, the stage 1 outputs mapped with random
//! attributes.

use super::rng::Rng;
use super::tables::TestTables;
use crate::memory::mmu::{self as host_mmu, FrameTables};
use alloc::format;
use alloc::string::String;
use emu::addr::{PhysAddr, VirtAddr};
use emu::arch::sysreg::{Vtcr, VTCR_EL2};
use emu::granule::Granule;
use emu::mmu::fault::{Access, AccessKind, El};
use emu::mmu::regime::{Features, Stage1Regs, Stage2Regs};
use emu::mmu::{MapError, Shareability, Stage2Access, Stage2Attributes, TableConfig, TableSet};
use emu::mmu::{Walk, Walker};

/// A stage 2 to go with a stage 1 check (AT S12E*).
pub struct Stage2Setup {
    /// VTTBR_EL2.
    pub vttbr: u64,
    /// VTCR_EL2.
    pub vtcr: u64,
}

impl Stage2Setup {
    pub(super) fn regs(&self) -> Stage2Regs {
        Stage2Regs {
            vtcr: self.vtcr,
            vttbr: self.vttbr,
        }
    }
}

fn random_stage2_attributes(rng: &mut Rng) -> Stage2Attributes {
    Stage2Attributes {
        // Every MemAttr the ARM ARM defines: the four Device types
        // (0b00xx) and each Normal outer (bits 3:2) with each inner (bits
        // 1:0) cacheability, 0b01 Non-cacheable, 0b10 Write-Through, 0b11
        // Write-Back (0bxx00 with a Normal outer half is reserved).
        mem_attr: [
            0b0000, 0b0001, 0b0010, 0b0011, 0b0101, 0b0110, 0b0111, 0b1001, 0b1010, 0b1011, 0b1101,
            0b1110, 0b1111,
        ][rng.below(13) as usize],
        shareability: [
            Shareability::NonShareable,
            Shareability::Outer,
            Shareability::Inner,
        ][rng.below(3) as usize],
        access: Stage2Access::ALL[rng.below(4) as usize],
        xn: rng.one_in(2),
        access_flag: !rng.one_in(8),
        contiguous: rng.one_in(2),
    }
}

/// A random stage 2 under `s1`: RAM (where the stage 1 tables are) mapped
/// to itself, with a table page or two unmapped or unreadable (stage 2
/// faults on the stage 1 walk), and most stage 1 output ranges mapped
/// somewhere with random attributes.
pub(super) fn build_stage2(
    rng: &mut Rng,
    granule: Granule,
    s1: &TestTables,
    s1_regs: &Stage1Regs,
    features: &Features,
) -> Result<(TableSet<FrameTables>, Stage2Setup), String> {
    let ram = crate::kernel::with_boot_info(|i| i.ram).ok_or("no boot info")?;
    let ram_top = ram.as_slice().iter().map(|r| r.end).max().unwrap_or(0);
    let min_ipa = (64 - (ram_top.max(1) - 1).leading_zeros()).max(32);
    // The output size (VTCR_EL2.PS, at most PARange, 52 bits included), an
    // input size no
    // larger (a larger one is CONSTRAINED UNPREDICTABLE), and a start level
    // the architecture defines for both; some draws have none, so draw
    // again.
    let max_ps = u64::from(host_mmu::features().pa_range.min(6));
    let mut draw = || {
        let ps = (2 + rng.below(max_ps.saturating_sub(1))).min(max_ps);
        let ps_bits = emu::mmu::regime::output_bits(ps, features);
        let ipa_bits = min_ipa + rng.below(u64::from(ps_bits.saturating_sub(min_ipa)) + 1) as u32;
        let levels: alloc::vec::Vec<u8> = (0..=3u8)
            .filter(|&l| emu::mmu::config::stage2_start_level_valid(granule, ipa_bits, l))
            .filter(|&l| match (granule, l) {
                (Granule::K4, 0) | (Granule::K64, 1) => ps_bits > 42,
                (Granule::K16, 1) => ps_bits > 40,
                _ => true,
            })
            .collect();
        let level = *levels.get(rng.below(levels.len().max(1) as u64) as usize)?;
        (ipa_bits <= ps_bits).then_some((ps, ipa_bits, level))
    };
    let (ps, ipa_bits, level) = (0..64)
        .find_map(|_| draw())
        .ok_or_else(|| format!("no stage 2 configuration for {granule} fits this CPU"))?;
    let config = TableConfig::stage2(granule, ipa_bits, level, 48)
        .map_err(|e| format!("stage 2 config {granule} {ipa_bits} bits level {level}: {e}"))?;
    let mut table = TableSet::new(config, FrameTables::default()).map_err(|e| format!("{e}"))?;
    // On an error the table set frees itself as it drops.
    let fail = |e: MapError| format!("building stage 2: {e}");
    {
        for r in ram.as_slice() {
            let start = r.start.next_multiple_of(granule.size());
            let end = r.end & !granule.offset_mask();
            if start < end {
                table
                    .map(
                        start,
                        PhysAddr(start),
                        end - start,
                        Stage2Attributes::normal_ram(),
                    )
                    .map_err(fail)?;
            }
        }
        // Up to three pages of the stage 1 tables change their stage 2
        // rights: below the root unmapped, unreadable, write-only or
        // read-only; the root only read-only, so that most walks still work.
        // (The walk reads: a write AT through a read-only table page still
        // walks, through a write-only one it does not.)
        for _ in 0..rng.below(4) {
            if s1.mapped_count == 0 {
                break;
            }
            let (start, len, _) = s1.mapped[rng.below(s1.mapped_count as u64) as usize];
            let access = Access::new(El::El1, AccessKind::Read);
            let va = VirtAddr(s1.base() + start + rng.below(len));
            let (_, trace) = Walker::new(*features, s1.memory())
                .with_stage1(*s1_regs)
                .trace(Walk::Stage1(va), access);
            let steps: alloc::vec::Vec<_> = trace.steps().collect();
            let pick = rng.below(steps.len().max(1) as u64) as usize;
            let Some(step) = steps.get(pick) else {
                continue;
            };
            let page = step.table & !granule.offset_mask();
            let mut attrs = Stage2Attributes::normal_ram();
            attrs.access = if pick == 0 {
                Stage2Access::ReadOnly
            } else {
                match rng.below(4) {
                    0 => {
                        table.unmap(page, granule.size()).map_err(fail)?;
                        continue;
                    }
                    1 => Stage2Access::None,
                    2 => Stage2Access::WriteOnly,
                    _ => Stage2Access::ReadOnly,
                }
            };
            table.protect(page, granule.size(), attrs).map_err(fail)?;
        }
        for &(_, len, pa) in &s1.mapped[..s1.mapped_count] {
            if rng.one_in(8) || pa.checked_add(len).is_none_or(|end| end > 1 << ipa_bits) {
                continue;
            }
            let target = (rng.below((1 << 40) / len) * len).min((1 << 48) - len);
            match table.map(pa, PhysAddr(target), len, random_stage2_attributes(rng)) {
                Ok(()) | Err(MapError::AlreadyMapped { .. }) => {}
                Err(e) => return Err(fail(e)),
            }
        }
    }
    // What the builder's configuration leaves to the caller: the PS drawn
    // above, RES1, cacheable, inner shareable walks, and VTCR_EL2.HA in
    // half the sets where the CPU has FEAT_HAFDBS (stage 2 access flags
    // set by the hardware instead of faulting).
    let mut vtcr = Vtcr::new(config.vtcr_el2_bits());
    vtcr.modify(
        VTCR_EL2::PS.val(ps)
            + VTCR_EL2::RES1::SET
            + VTCR_EL2::IRGN0::WriteBackReadWriteAllocate
            + VTCR_EL2::ORGN0::WriteBackReadWriteAllocate
            + VTCR_EL2::SH0::InnerShareable,
    );
    if features.hardware_access_flag && rng.one_in(2) {
        vtcr.modify(VTCR_EL2::HA::SET);
    }
    let vtcr = vtcr.get();
    let setup = Stage2Setup {
        vttbr: table.root().0,
        vtcr,
    };
    Ok((table, setup))
}
