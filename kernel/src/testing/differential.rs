//! The differential test of `emu`'s walker against the hardware MMU: random
//! table sets built with `emu`'s builder are installed in TTBR1 (the kernel
//! keeps running from TTBR0), and for thousands of addresses the walker's
//! answer is compared with what `AT S1E1R/S1E1W/S1E0R/S1E0W` (or, with EL2,
//! `AT S12E1R/...` through the EL2 stub) leave in PAR_EL1.

use crate::arch::el2::{self, AtS12};
use crate::arch::mmu::{self as regs, At};
use crate::memory::mmu::{self as host_mmu, FrameTables};
use crate::println;
use alloc::format;
use alloc::string::String;
use emu::addr::{IntermPhysAddr, PhysAddr, VirtAddr};
use emu::arch::par;
use emu::arch::par::Par;
use emu::arch::sysreg::{Vtcr, VTCR_EL2};
use emu::granule::Granule;
use emu::mmu::fault::{Access, AccessKind, El, Fault};
use emu::mmu::regime::{Features, Stage1Regs, Stage2Regs};
use emu::mmu::translation::Translation;
use emu::mmu::{
    AccessPermissions, MapError, Shareability, Stage1Attributes, Stage2Access, Stage2Attributes,
    TableConfig, TableSet,
};
use emu::mmu::{Walk, Walker};

/// Table sets per configuration.
pub const TABLE_SETS: usize = 8;
/// Addresses per table set: 8 x 4096 = 32768 per configuration.
pub const ADDRESSES_PER_SET: usize = 4096;

/// A small deterministic generator (xorshift64*): a failure reproduces from
/// its seed.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True with probability 1 in `n`.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

/// Behaviours of QEMU 7.2 that differ from the ARM ARM. The comparison
/// recognises them (and counts them) instead of blaming the walker, which
/// follows the architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KnownDeviation {
    /// A stage 2 fault on a stage 1 table walk is reported with the level of
    /// the stage 1 lookup, not of the stage 2 lookup that faulted.
    S1ptwLevel,
    /// Combining a Normal stage with a Device stage, QEMU reads the Normal
    /// attribute's low nibble as a Device type (Normal Non-cacheable, 0x44,
    /// turns into Device-nGnRE) instead of keeping the Device stage's type.
    DeviceCombination,
}

impl KnownDeviation {
    /// One line saying what it is.
    pub fn describe(self) -> &'static str {
        match self {
            KnownDeviation::S1ptwLevel => {
                "QEMU 7.2 reports a stage 2 fault on a stage 1 walk at the stage 1 lookup level"
            }
            KnownDeviation::DeviceCombination => {
                "QEMU 7.2 combines Normal with Device memory by the Normal attribute's low nibble"
            }
        }
    }
}

/// The combined attribute QEMU 7.2 computes when either stage is Device.
fn qemu_device_combination(s1: u8, s2: u8) -> u8 {
    let (s1lo, s2lo) = (s1 & 0xf, s2 & 0xf);
    if s1lo == 0 || s2lo == 0 {
        0x00
    } else if s1lo == 4 || s2lo == 4 {
        0x04
    } else if s1lo == 8 || s2lo == 8 {
        0x08
    } else {
        0x0c
    }
}

/// The AT operations compared, with the access each stands for.
const OPERATIONS: [(At, Access); 4] = [
    (At::S1E1R, Access::new(El::El1, AccessKind::Read)),
    (At::S1E1W, Access::new(El::El1, AccessKind::Write)),
    (At::S1E0R, Access::new(El::El0, AccessKind::Read)),
    (At::S1E0W, Access::new(El::El0, AccessKind::Write)),
];

fn random_attributes(rng: &mut Rng) -> Stage1Attributes {
    Stage1Attributes {
        attr_index: rng.below(regs::MAIR_ATTRS.len() as u64) as u8,
        shareability: [
            Shareability::NonShareable,
            Shareability::Outer,
            Shareability::Inner,
        ][rng.below(3) as usize],
        access: AccessPermissions::ALL[rng.below(4) as usize],
        uxn: rng.one_in(2),
        pxn: rng.one_in(2),
        not_global: rng.one_in(2),
        access_flag: !rng.one_in(6),
        contiguous: rng.one_in(2),
    }
}

/// One random table set in the TTBR1 range.
pub struct TestTables {
    /// The tables; dropping them frees them.
    table: TableSet<FrameTables>,
    /// Input size (64 - T1SZ).
    input_bits: u32,
    /// Mapped ranges (VA offset from the range base, length, output
    /// address), to aim at.
    mapped: [(u64, u64, u64); 24],
    mapped_count: usize,
}

impl TestTables {
    /// The lowest address of the TTBR1 range.
    pub fn base(&self) -> u64 {
        !0u64 << self.input_bits
    }

    /// The mapped ranges: (VA, length, output address).
    pub fn mapped(&self) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
        self.mapped[..self.mapped_count]
            .iter()
            .map(|&(va, len, pa)| (self.base() + va, len, pa))
    }

    /// The memory the tables live in, for a walker.
    pub fn memory(&self) -> &FrameTables {
        self.table.memory()
    }
}

/// Builds the random test table set for `granule` and `seed`, installs it
/// in TTBR1 while `f` runs, then removes and frees it.
pub fn with_test_tables<T>(
    granule: Granule,
    seed: u64,
    f: impl FnOnce(&TestTables, &Stage1Regs) -> T,
) -> Result<T, String> {
    let features = host_mmu::walker_features();
    with_installed(&mut Rng(seed), granule, &features, |_, tables, regs| {
        Ok(f(tables, regs))
    })
}

/// Builds a random table set, installs it in TTBR1 while `f` runs, then
/// restores the kernel's TCR and frees the tables, whatever `f` returned.
fn with_installed<T>(
    rng: &mut Rng,
    granule: Granule,
    features: &Features,
    f: impl FnOnce(&mut Rng, &TestTables, &Stage1Regs) -> Result<T, String>,
) -> Result<T, String> {
    let kernel_tcr = regs::tcr_el1();
    let tables = build_tables(rng, granule, features)?;
    let walker_regs = install(rng, &tables, granule, kernel_tcr);
    let result = f(rng, &tables, &walker_regs);
    // SAFETY: restores the kernel's own TCR (TTBR1 walks off) before the
    // test tables are freed.
    unsafe { regs::set_ttbr1(0, kernel_tcr) };
    drop(tables);
    result
}

/// Builds a random table set: mappings of pages, blocks and contiguous
/// runs with random attributes and output addresses (some beyond the
/// output size), holes, then some unmaps and permission changes that split
/// blocks.
fn build_tables(
    rng: &mut Rng,
    granule: Granule,
    features: &Features,
) -> Result<TestTables, String> {
    // Every input size the CPU allows: down to 64 - the largest TnSZ.
    let min_bits = u64::BITS - features.max_tnsz(granule);
    let input_bits = min_bits + rng.below(u64::from(48 - min_bits + 1)) as u32;
    let config = TableConfig::stage1_upper(granule, input_bits, 48)
        .map_err(|e| format!("config {granule} {input_bits} bits: {e}"))?;
    let table = TableSet::new(config, FrameTables::default()).map_err(|e| format!("{e}"))?;
    let mut tables = TestTables {
        table,
        input_bits,
        mapped: [(0, 0, 0); 24],
        mapped_count: 0,
    };

    let page = granule.size();
    let space = 1u64 << input_bits;
    // Output addresses mostly below 2^40 (inside every IPS the test sets),
    // some up to 2^48 (address size faults unless IPS is 48 bits).
    let pa_limit = 1u64 << 40;
    // Sizes to try: a few pages, a contiguous run, a block, several blocks.
    let block = emu::mmu::geometry::level_shift(granule, 2);
    for _ in 0..tables.mapped.len() {
        let size_log2 = match rng.below(4) {
            0 => granule.shift() + rng.below(3) as u32,
            1 => granule.shift() + emu::mmu::geometry::contiguous_entries_log2(granule, 3),
            2 => block,
            _ => block + 1,
        };
        let len = (1u64 << size_log2).min(space / 4).max(page);
        let align = if rng.one_in(3) { page } else { len };
        let va = (rng.below(space / align) * align).min(space - len);
        let va = va & !(page - 1);
        let pa_space = if rng.one_in(8) { 1u64 << 48 } else { pa_limit };
        let pa = (rng.below(pa_space / align) * align) & !(page - 1);
        let pa = pa.min((1u64 << 48) - len);
        let attrs = random_attributes(rng);
        let base = tables.base();
        match tables.table.map(base + va, PhysAddr(pa), len, attrs) {
            Ok(()) => {
                tables.mapped[tables.mapped_count] = (va, len, pa);
                tables.mapped_count += 1;
            }
            Err(MapError::AlreadyMapped { .. } | MapError::OutputOutOfRange { .. }) => {}
            Err(e) => return Err(format!("map {va:#x}+{len:#x} -> {pa:#x}: {e}")),
        }
    }
    // Punch holes and change permissions inside some mappings.
    for i in 0..tables.mapped_count {
        let (va, len, _) = tables.mapped[i];
        if len <= page || !rng.one_in(3) {
            continue;
        }
        let offset = rng.below(len / page) * page;
        let piece = page * (1 + rng.below(((len - offset) / page).min(4)));
        let at = tables.base() + va + offset;
        let attrs = random_attributes(rng);
        let result = if rng.one_in(2) {
            tables.table.unmap(at, piece)
        } else {
            tables.table.protect(at, piece, attrs)
        };
        result.map_err(|e| format!("edit {at:#x}+{piece:#x}: {e}"))?;
    }
    Ok(tables)
}

/// What one configuration compared.
#[derive(Clone, Copy, Debug, Default)]
pub struct DiffStats {
    /// Addresses compared.
    pub compared: usize,
    /// Of them, how many translated (the rest faulted).
    pub translated: usize,
    /// Disagreements.
    pub mismatches: usize,
    /// Faults seen, by kind: translation, access flag, permission, address
    /// size, external abort on walk.
    pub faults: [usize; 5],
    /// Disagreements explained by a known QEMU deviation, by kind.
    pub deviations: [usize; 2],
    /// Stage 2 faults, and of them those on a stage 1 table walk.
    pub stage2_faults: [usize; 2],
}

impl core::fmt::Display for DiffStats {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let [translation, access_flag, permission, address_size, abort] = self.faults;
        write!(
            f,
            "{} addresses compared, {} mismatches ({} translated; faults: {} translation, \
             {} access flag, {} permission, {} address size, {} external abort)",
            self.compared,
            self.mismatches,
            self.translated,
            translation,
            access_flag,
            permission,
            address_size,
            abort
        )?;
        if self.stage2_faults[0] > 0 {
            write!(
                f,
                "; {} in stage 2, {} of them on the stage 1 walk",
                self.stage2_faults[0], self.stage2_faults[1]
            )?;
        }
        for (count, kind) in self.deviations.iter().zip([
            KnownDeviation::S1ptwLevel,
            KnownDeviation::DeviceCombination,
        ]) {
            if *count > 0 {
                write!(f, "; {count} known deviations: {}", kind.describe())?;
            }
        }
        Ok(())
    }
}

/// Runs the stage 1 differential test for `granule`.
pub fn stage1(granule: Granule, seed: u64) -> Result<DiffStats, String> {
    let features = host_mmu::walker_features();
    let mut rng = Rng(seed);
    let mut stats = DiffStats::default();
    for set in 0..TABLE_SETS {
        with_installed(&mut rng, granule, &features, |rng, tables, walker_regs| {
            compare_set(rng, tables, walker_regs, &features, &mut stats, None)
        })
        .map_err(|e| format!("table set {set} (seed {seed:#x}): {e}"))?;
    }
    Ok(stats)
}

/// Installs `tables` in TTBR1 (with a random IPS) and returns the
/// registers the walker needs to see the same regime.
fn install(rng: &mut Rng, tables: &TestTables, granule: Granule, kernel_tcr: u64) -> Stage1Regs {
    let tcr = regs::tcr_with_ttbr1(kernel_tcr, granule, tables.input_bits);
    // Output sizes below the 48 bits the tables use, so that some output
    // addresses are address size faults (the kernel's own addresses stay
    // below 2^40).
    let max_ips = host_mmu::features().pa_range.min(5);
    let ips = 2 + rng.below(u64::from(max_ips.saturating_sub(1))) as u8;
    let tcr = regs::tcr_with_ips(tcr, ips.min(max_ips));
    // SAFETY: TTBR0's fields stay as they are; TTBR1 gets a complete table
    // set for its granule and size.
    unsafe { regs::set_ttbr1(tables.table.root().0, tcr) };
    Stage1Regs {
        sctlr: host_mmu::read_sctlr_el1(),
        tcr,
        ttbr0: regs::ttbr0_el1(),
        ttbr1: tables.table.root().0,
        mair: regs::mair_value(),
        pan: false,
    }
}

/// A stage 2 to go with a stage 1 check (AT S12E*).
pub struct Stage2Setup {
    /// VTTBR_EL2.
    pub vttbr: u64,
    /// VTCR_EL2.
    pub vtcr: u64,
}

impl Stage2Setup {
    fn regs(&self) -> Stage2Regs {
        Stage2Regs {
            vtcr: self.vtcr,
            vttbr: self.vttbr,
        }
    }
}

fn random_stage2_attributes(rng: &mut Rng) -> Stage2Attributes {
    Stage2Attributes {
        // Device types (0b00xx) and Normal combinations of the outer and
        // inner nibbles (each 0b01 NC, 0b10 WT, 0b11 WB).
        mem_attr: [
            0b0000, 0b0001, 0b0010, 0b0011, 0b0101, 0b1010, 0b1111, 0b1101,
        ][rng.below(8) as usize],
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
fn build_stage2(
    rng: &mut Rng,
    granule: Granule,
    s1: &TestTables,
    s1_regs: &Stage1Regs,
    features: &Features,
) -> Result<(TableSet<FrameTables>, Stage2Setup), String> {
    let ram = crate::kernel::with_boot_info(|i| i.ram).ok_or("no boot info")?;
    let ram_top = ram.as_slice().iter().map(|r| r.end).max().unwrap_or(0);
    let min_ipa = (64 - (ram_top.max(1) - 1).leading_zeros()).max(32);
    // The output size (VTCR_EL2.PS, at most PARange), an input size no
    // larger (a larger one is CONSTRAINED UNPREDICTABLE), and a start level
    // the architecture defines for both; some draws have none, so draw
    // again.
    let max_ps = u64::from(host_mmu::features().pa_range.min(5));
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
    let fail = |e: MapError| format!("building stage 2: {e}");
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
    // In half the sets, take one page of the stage 1 tables (below the
    // root, so that most walks still work) away from the walk.
    if s1.mapped_count > 0 && rng.one_in(2) {
        let (start, len, _) = s1.mapped[rng.below(s1.mapped_count as u64) as usize];
        let access = Access::new(El::El1, AccessKind::Read);
        let va = VirtAddr(s1.base() + start + rng.below(len));
        let (_, trace) = Walker::new(*features, s1.memory())
            .with_stage1(*s1_regs)
            .trace(Walk::Stage1(va), access);
        let below_root: alloc::vec::Vec<_> = trace.steps().skip(1).collect();
        if let Some(step) = below_root.get(rng.below(below_root.len().max(1) as u64) as usize) {
            let page = step.table & !granule.offset_mask();
            if rng.one_in(2) {
                table.unmap(page, granule.size()).map_err(fail)?;
            } else {
                let mut attrs = Stage2Attributes::normal_ram();
                attrs.access = [Stage2Access::None, Stage2Access::WriteOnly][rng.below(2) as usize];
                table.protect(page, granule.size(), attrs).map_err(fail)?;
            }
        }
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
    // What the builder's configuration leaves to the caller: the PS drawn
    // above, RES1, and cacheable, inner shareable walks.
    let mut vtcr = Vtcr::new(config.vtcr_el2_bits());
    vtcr.modify(
        VTCR_EL2::PS.val(ps)
            + VTCR_EL2::RES1::SET
            + VTCR_EL2::IRGN0::WriteBackReadWriteAllocate
            + VTCR_EL2::ORGN0::WriteBackReadWriteAllocate
            + VTCR_EL2::SH0::InnerShareable,
    );
    let vtcr = vtcr.get();
    let setup = Stage2Setup {
        vttbr: table.root().0,
        vtcr,
    };
    Ok((table, setup))
}

/// Runs the stage 1 + stage 2 differential test for `granule` (both
/// stages use it) through the EL2 stub's `AT S12E1R/W`, `AT S12E0R/W`.
pub fn two_stage(granule: Granule, seed: u64) -> Result<DiffStats, String> {
    let features = host_mmu::walker_features();
    let mut rng = Rng(seed);
    let mut stats = DiffStats::default();
    for set in 0..TABLE_SETS {
        with_installed(&mut rng, granule, &features, |rng, tables, walker_regs| {
            // Dropped (and freed) when the comparison is done.
            let (_s2_tables, setup) = build_stage2(rng, granule, tables, walker_regs, &features)?;
            compare_set(
                rng,
                tables,
                walker_regs,
                &features,
                &mut stats,
                Some(&setup),
            )
        })
        .map_err(|e| format!("table set {set} (seed {seed:#x}): {e}"))?;
    }
    Ok(stats)
}

fn compare_set(
    rng: &mut Rng,
    tables: &TestTables,
    walker_regs: &Stage1Regs,
    features: &Features,
    stats: &mut DiffStats,
    stage2: Option<&Stage2Setup>,
) -> Result<(), String> {
    let space = 1u64 << tables.input_bits;
    for _ in 0..ADDRESSES_PER_SET {
        // Mostly inside mappings, sometimes anywhere in (or just outside)
        // the range.
        let va = if tables.mapped_count > 0 && !rng.one_in(4) {
            let (start, len, _) = tables.mapped[rng.below(tables.mapped_count as u64) as usize];
            tables.base() + start + rng.below(len)
        } else if rng.one_in(8) {
            // Below the TTBR1 range: a level-0 translation fault.
            tables.base().wrapping_sub(1 + rng.below(space))
        } else {
            tables.base() + rng.below(space)
        };
        let (op, access) = OPERATIONS[rng.below(4) as usize];
        let hardware = match stage2 {
            None => regs::at(op, va),
            Some(s2) => {
                let op = match op {
                    At::S1E1R => AtS12::E1R,
                    At::S1E1W => AtS12::E1W,
                    At::S1E0R => AtS12::E0R,
                    At::S1E0W => AtS12::E0W,
                };
                el2::at_s12(op, va, s2.vttbr, s2.vtcr)
            }
        };
        let (model, walk) = match stage2 {
            None => (
                Walker::new(*features, tables.memory()).with_stage1(*walker_regs),
                Walk::Stage1(VirtAddr(va)),
            ),
            Some(s2) => (
                Walker::new(*features, tables.memory())
                    .with_stage1(*walker_regs)
                    .with_stage2(s2.regs()),
                Walk::TwoStage(VirtAddr(va)),
            ),
        };
        let walker = model.translate(walk, access);
        stats.compared += 1;
        match &walker {
            Ok(_) => stats.translated += 1,
            Err(fault) => {
                use emu::mmu::fault::FaultKind;
                let kind = match fault.kind {
                    FaultKind::Translation => 0,
                    FaultKind::AccessFlag => 1,
                    FaultKind::Permission => 2,
                    FaultKind::AddressSize => 3,
                    FaultKind::ExternalAbortOnWalk => 4,
                };
                stats.faults[kind] += 1;
                if fault.stage == emu::mmu::Stage::Stage2 {
                    stats.stage2_faults[0] += 1;
                    stats.stage2_faults[1] += usize::from(fault.s1ptw);
                }
            }
        }
        if !par::matches(hardware, &walker) {
            if let Some(s2) = stage2 {
                let ctx = DeviationContext {
                    tables,
                    walker_regs,
                    features,
                    s2,
                    va,
                    access,
                };
                if let Some(deviation) = known_deviation(hardware, &walker, &ctx) {
                    stats.deviations[deviation as usize] += 1;
                    continue;
                }
            }
            stats.mismatches += 1;
            let (_, trace) = model.trace(walk, access);
            println!("  MISMATCH at {va:#x} for {op:?}:");
            println!("    hardware {}", Par(hardware));
            println!("    walker   {walker:?}");
            println!("    expected {}", Par(par::par_el1(&walker)));
            println!(
                "    TCR_EL1 {:#x} TTBR1 {:#x}",
                walker_regs.tcr, walker_regs.ttbr1
            );
            if let Some(s2) = stage2 {
                println!("    VTCR_EL2 {:#x} VTTBR_EL2 {:#x}", s2.vtcr, s2.vttbr);
            }
            for step in trace.steps() {
                println!(
                    "    {:?} level {} table {:#x} index {:4} descriptor {:#018x}",
                    step.stage, step.level, step.table, step.index, step.descriptor
                );
            }
            return Err(format!("walker and {op:?} disagree at {va:#x}"));
        }
    }
    Ok(())
}

struct DeviationContext<'a> {
    tables: &'a TestTables,
    walker_regs: &'a Stage1Regs,
    features: &'a Features,
    s2: &'a Stage2Setup,
    va: u64,
    access: Access,
}

/// Which known QEMU deviation, if any, explains the hardware's `par` where
/// the walker says `walker` for a two-stage translation.
fn known_deviation(
    par: u64,
    walker: &Result<Translation, Fault>,
    ctx: &DeviationContext<'_>,
) -> Option<KnownDeviation> {
    let hardware = Par(par);
    match walker {
        Err(fault) if fault.s1ptw => {
            // The level of the stage 1 lookup whose table read faulted.
            let (_, trace) = Walker::new(*ctx.features, ctx.tables.memory())
                .with_stage1(*ctx.walker_regs)
                .with_stage2(ctx.s2.regs())
                .trace(Walk::TwoStage(VirtAddr(ctx.va)), ctx.access);
            let s1_level = trace
                .steps()
                .filter(|s| s.stage == emu::mmu::Stage::Stage1)
                .last()
                .map_or_else(
                    || {
                        emu::mmu::geometry::stage1_start_level(
                            ctx.tables.table.config().granule(),
                            ctx.tables.input_bits,
                        )
                    },
                    |s| s.level + 1,
                );
            let qemu = Fault {
                level: s1_level,
                ..*fault
            };
            (s1_level != fault.level && par::matches(par, &Err(qemu)))
                .then_some(KnownDeviation::S1ptwLevel)
        }
        Ok(t) if !hardware.faulted() => {
            let s1 = Walker::new(*ctx.features, ctx.tables.memory())
                .with_stage1(*ctx.walker_regs)
                .with_stage2(ctx.s2.regs())
                .translate(Walk::Stage1UnderStage2(VirtAddr(ctx.va)), ctx.access)
                .ok()?;
            let s2 = Walker::new(*ctx.features, ctx.tables.memory())
                .with_stage2(ctx.s2.regs())
                .translate(Walk::Stage2(IntermPhysAddr(s1.output.0)), ctx.access)
                .ok()?;
            let (a1, a2) = (s1.attributes, s2.attributes);
            if !(a1.is_device() || a2.is_device()) {
                return None;
            }
            let mut qemu = *t;
            qemu.attributes.mair = qemu_device_combination(a1.mair, a2.mair);
            (qemu.attributes.mair != t.attributes.mair && par::matches(par, &Ok(qemu)))
                .then_some(KnownDeviation::DeviceCombination)
        }
        _ => None,
    }
}
