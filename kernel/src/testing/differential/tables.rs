//! The differential test's random table sets: built with `emu`'s builder,
//! installed in TTBR1 while the kernel keeps running from TTBR0.

use super::rng::Rng;
use crate::arch::mmu as regs;
use crate::memory::mmu::{self as host_mmu, FrameTables};
use alloc::format;
use alloc::string::String;
use emu::addr::PhysAddr;
use emu::arch::sysreg::{Tcr, Ttbr, TCR_EL1, TTBR};
use emu::granule::Granule;
use emu::mmu::geometry::Geometry;
use emu::mmu::memory::TableMemory;
use emu::mmu::regime::{Features, Stage1Regs};
use emu::mmu::{
    AccessPermissions, MapError, Shareability, Stage1Attributes, TableConfig, TableSet,
};

pub(super) fn random_attributes(rng: &mut Rng) -> Stage1Attributes {
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
    pub(super) table: TableSet<FrameTables>,
    /// Input size (64 - T1SZ).
    pub(super) input_bits: u32,
    /// Mapped ranges (VA offset from the range base, length, output
    /// address), to aim at.
    pub(super) mapped: [(u64, u64, u64); 24],
    pub(super) mapped_count: usize,
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
pub(super) fn with_installed<T>(
    rng: &mut Rng,
    granule: Granule,
    features: &Features,
    f: impl FnOnce(&mut Rng, &TestTables, &Stage1Regs) -> Result<T, String>,
) -> Result<T, String> {
    with_built(rng, granule, features, build_tables, f)
}

/// [`with_installed`] with the table set made by `build`.
pub(super) fn with_built<T>(
    rng: &mut Rng,
    granule: Granule,
    features: &Features,
    build: impl FnOnce(&mut Rng, Granule, &Features) -> Result<TestTables, String>,
    f: impl FnOnce(&mut Rng, &TestTables, &Stage1Regs) -> Result<T, String>,
) -> Result<T, String> {
    let kernel_tcr = regs::tcr_el1();
    let tables = build(rng, granule, features)?;
    let walker_regs = install(rng, &tables, granule, kernel_tcr);
    let result = f(rng, &tables, &walker_regs);
    regs::set_wxn(false);
    // SAFETY: restores the kernel's own TCR (TTBR1 walks off) before the
    // test tables are freed.
    unsafe { regs::set_ttbr1(0, kernel_tcr) };
    drop(tables);
    result
}

/// An empty table set for TTBR1 with a random input size: every size the
/// CPU allows, down to 64 - the largest TnSZ.
pub(super) fn empty_tables(
    rng: &mut Rng,
    granule: Granule,
    features: &Features,
) -> Result<TestTables, String> {
    let min_bits = u64::BITS - features.max_tnsz(granule);
    let input_bits = min_bits + rng.below(u64::from(48 - min_bits + 1)) as u32;
    let config = TableConfig::stage1_upper(granule, input_bits, 48)
        .map_err(|e| format!("config {granule} {input_bits} bits: {e}"))?;
    let table = TableSet::new(config, FrameTables::default()).map_err(|e| format!("{e}"))?;
    Ok(TestTables {
        table,
        input_bits,
        mapped: [(0, 0, 0); 24],
        mapped_count: 0,
    })
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
    let mut tables = empty_tables(rng, granule, features)?;

    let page = granule.size();
    let space = 1u64 << tables.input_bits;
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
    let root = tables.table.root().0;
    let geometry = tables.table.config().geometry();
    scatter_bits(rng, geometry, geometry.start_level, root);
    Ok(tables)
}

/// Walks the finished tables and sets, on random table descriptors at
/// every level, APTable\[1\] (read-only below), APTable\[0\] (no EL0
/// below), UXNTable and PXNTable; and on random leaves the contiguous bit,
/// which then marks runs that are not aligned or not uniform (the builder
/// only makes aligned, uniform ones). What the walker makes of all of them
/// is compared like everything else.
pub(super) fn scatter_bits(rng: &mut Rng, g: Geometry, level: u8, table: u64) {
    use emu::mmu::descriptor::{
        AP_TABLE_NO_EL0, AP_TABLE_RO, CONTIGUOUS, OA_MASK, PXN_TABLE, XN_TABLE,
    };
    const TABLE_BITS: [u64; 4] = [AP_TABLE_RO, AP_TABLE_NO_EL0, XN_TABLE, PXN_TABLE];
    // Written behind the builder's back, on purpose, through a second
    // handle on the same frames: a FrameTables reads and writes physical
    // memory and keeps nothing but its allocation counts.
    let mut mem = FrameTables::default();
    for index in 0..g.entries(level) as u64 {
        let address = PhysAddr(table + index * 8);
        let d = mem.read_descriptor(address);
        if d & 1 == 0 {
            continue;
        }
        let is_table = level < 3 && d & 0b11 == 0b11;
        if is_table {
            let mut bits = 0;
            if rng.one_in(3) {
                for bit in TABLE_BITS {
                    if rng.one_in(2) {
                        bits |= bit;
                    }
                }
            }
            if bits != 0 {
                mem.write_descriptor(address, d | bits);
            }
            scatter_bits(rng, g, level + 1, d & OA_MASK);
        } else if rng.one_in(16) {
            mem.write_descriptor(address, d | CONTIGUOUS);
        }
    }
}

/// Installs `tables` in TTBR1 and returns the registers the walker needs
/// to see the same regime. Besides the IPS, the walker's other TCR_EL1 and
/// SCTLR_EL1 controls are drawn at random: HPD1 and HA where the CPU has
/// them, TBI1, A1 and AS with a random ASID in TTBR1, and SCTLR_EL1.WXN
/// (the kernel's mappings are global and its writable memory never runs).
fn install(rng: &mut Rng, tables: &TestTables, granule: Granule, kernel_tcr: u64) -> Stage1Regs {
    let features = host_mmu::walker_features();
    let tcr = regs::tcr_with_ttbr1(kernel_tcr, granule, tables.input_bits);
    // Output sizes below the 48 bits the tables use, so that some output
    // addresses are address size faults (the kernel's own addresses stay
    // below 2^40), and 52 bits where the CPU has them: without TCR_EL1.DS
    // that is 48 bits for 4K and 16K, and 52 for 64K (FEAT_LPA), where the
    // builder's outputs all stay below 2^48.
    let max_ips = host_mmu::features().pa_range.min(6);
    let ips = 2 + rng.below(u64::from(max_ips.saturating_sub(1))) as u8;
    let mut t = Tcr::new(regs::tcr_with_ips(tcr, ips.min(max_ips)));
    t.modify(
        TCR_EL1::HPD1::CLEAR
            + TCR_EL1::TBI1::CLEAR
            + TCR_EL1::HA::CLEAR
            + TCR_EL1::A1::CLEAR
            + TCR_EL1::AS::CLEAR,
    );
    let wide_asid = host_mmu::features().asid_bits >= 16;
    for (field, available) in [
        (TCR_EL1::HPD1::SET, features.hpds),
        (TCR_EL1::TBI1::SET, true),
        (TCR_EL1::HA::SET, features.hardware_access_flag),
        (TCR_EL1::A1::SET, true),
        (TCR_EL1::AS::SET, wide_asid),
    ] {
        if available && rng.one_in(2) {
            t.modify(field);
        }
    }
    let tcr = t.get();
    let mut ttbr1 = Ttbr::new(tables.table.root().0);
    ttbr1.modify(TTBR::ASID.val(random_asid(rng, tcr)));
    let ttbr1 = ttbr1.get();
    // SAFETY: TTBR0's fields stay as they are (the kernel's mappings are
    // global, so A1, AS and the ASID do not change them); TTBR1 gets a
    // complete table set for its granule and size.
    unsafe { regs::set_ttbr1(ttbr1, tcr) };
    let sctlr = regs::set_wxn(rng.one_in(2));
    Stage1Regs {
        sctlr,
        tcr,
        ttbr0: regs::ttbr0_el1(),
        ttbr1,
        mair: regs::mair_value(),
        pan: false,
    }
}

/// A random ASID of the size TCR_EL1.AS selects.
pub(super) fn random_asid(rng: &mut Rng, tcr: u64) -> u64 {
    let bits = if Tcr::new(tcr).is_set(TCR_EL1::AS) {
        16
    } else {
        8
    };
    rng.below(1 << bits)
}
