//! The host MMU: the kernel's identity map, built with `emu`'s table builder
//! for any granule the CPU supports, and the run-time switch between
//! granules, each followed by a self-check with the AT instructions.

use super::frame;
use crate::arch::cpu;
use crate::arch::mmu::{self as regs, At, MAIR_DEVICE, MAIR_NORMAL};
use crate::bootinfo::BootInfo;
use crate::memory::PhysRange;
use crate::sync::CoreCell;
use core::fmt;
use emu::addr::PhysAddr;
use emu::arch::esr::FaultStatus;
use emu::arch::id::{GranuleSet, MmuFeatures};
use emu::arch::par::Par;
use emu::granule::Granule;
use emu::mmu::regime::{Features, Stage1Regs, TnszOutOfRange};
use emu::mmu::{
    AccessPermissions, MapError, Shareability, Stage1Attributes, TableConfig, TableMemory, TableSet,
};

/// Input-address size of the kernel's TTBR0 regime: 512 GiB, which covers
/// every board's RAM and MMIO (the Raspberry Pi 5's UART is at 66 GiB) and
/// suits all three granules.
pub const VA_BITS: u32 = 39;
/// The largest PARange encoding Granule programs into IPS (48 bits): 52-bit
/// output needs FEAT_LPA descriptors, which the builder does not write.
const IPS_MAX: u8 = 5;

/// Table memory for the kernel: frames from the frame allocator, reached
/// through the identity map (or with the MMU off).
#[derive(Default)]
pub struct FrameTables {
    /// Tables allocated and not freed.
    pub tables: usize,
    /// Bytes of them.
    pub bytes: usize,
}

impl TableMemory for FrameTables {
    fn allocate_table(&mut self, bytes: usize) -> Option<PhysAddr> {
        let address = frame::allocate_zeroed(bytes, bytes)?;
        self.tables += 1;
        self.bytes += bytes;
        Some(PhysAddr(address))
    }

    fn free_table(&mut self, table: PhysAddr, bytes: usize) {
        frame::free(table.0, bytes, bytes);
        self.tables = self.tables.saturating_sub(1);
        self.bytes = self.bytes.saturating_sub(bytes);
    }

    fn read_descriptor(&self, address: PhysAddr) -> u64 {
        // SAFETY: the builder only reads descriptors of tables it got from
        // `allocate_table`: identity-mapped RAM that we own.
        unsafe { core::ptr::read_volatile(address.0 as *const u64) }
    }

    fn write_descriptor(&mut self, address: PhysAddr, value: u64) {
        // SAFETY: as for `read_descriptor`; one 64-bit store, as the
        // hardware walker may be reading a live table.
        unsafe { core::ptr::write_volatile(address.0 as *mut u64, value) }
    }
}

/// Why the MMU could not be set up or switched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MmuError {
    /// The CPU does not support this granule at stage 1.
    Unsupported {
        /// What was asked for.
        granule: Granule,
        /// What the CPU has.
        supported: GranuleSet,
    },
    /// The builder refused a mapping.
    Map(MapError),
    /// The configuration was refused.
    Config(emu::mmu::ConfigError),
    /// `init` has not run (or the MMU state is in use).
    NotInitialised,
    /// The self-check after the switch found a disagreement.
    SelfCheck(&'static str, u64, Par),
}

impl fmt::Display for MmuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MmuError::Unsupported { granule, supported } => write!(
                f,
                "the CPU does not support the {granule} granule at stage 1 (it supports: {supported})"
            ),
            MmuError::Map(e) => write!(f, "building the identity map: {e}"),
            MmuError::NotInitialised => f.write_str("the host MMU is not set up"),
            MmuError::Config(e) => write!(f, "table configuration: {e}"),
            MmuError::SelfCheck(what, va, par) => {
                write!(f, "AT self-check failed for {what} at {va:#x}: {par}")
            }
        }
    }
}

impl From<MapError> for MmuError {
    fn from(e: MapError) -> Self {
        MmuError::Map(e)
    }
}

/// The memory layout the identity map follows.
#[derive(Clone, Copy)]
struct Layout {
    ram: [PhysRange; crate::bootinfo::MAX_RANGES],
    ram_count: usize,
    mmio: [PhysRange; 4],
    mmio_count: usize,
    text: PhysRange,
    rodata: PhysRange,
    pa_range: u8,
}

/// The running regime.
struct Active {
    granule: Granule,
    tables: TableSet<FrameTables>,
    tcr: u64,
}

struct State {
    layout: Layout,
    features: MmuFeatures,
    active: Option<Active>,
}

static STATE: CoreCell<Option<State>> = CoreCell::new(None);

/// A summary of the running regime, for `info` and `granule`.
#[derive(Clone, Copy, Debug)]
pub struct Current {
    /// The granule.
    pub granule: Granule,
    /// The level walks start at.
    pub start_level: u8,
    /// Translation tables in use.
    pub tables: usize,
    /// Their size.
    pub table_bytes: usize,
    /// TCR_EL1.
    pub tcr: u64,
}

impl fmt::Display for Current {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (T0SZ {}, start level {}, {} tables, {} KiB, TCR_EL1 {:#x})",
            self.granule,
            64 - VA_BITS,
            self.start_level,
            self.tables,
            self.table_bytes / 1024,
            self.tcr
        )
    }
}

/// The running regime, or `None` with the MMU off.
pub fn current() -> Option<Current> {
    let state = STATE.try_lock()?;
    let active = state.as_ref()?.active.as_ref()?;
    Some(Current {
        granule: active.granule,
        start_level: active.tables.config().geometry().start_level,
        tables: active.tables.memory().tables,
        table_bytes: active.tables.memory().bytes,
        tcr: active.tcr,
    })
}

/// The CPU's MMU features.
pub fn features() -> MmuFeatures {
    cpu::mmu_features()
}

extern "C" {
    static __text_start: u8;
    static __text_end: u8;
    static __rodata_start: u8;
    static __rodata_end: u8;
}

fn symbol_range(start: *const u8, end: *const u8) -> PhysRange {
    PhysRange {
        start: start as u64,
        end: end as u64,
    }
}

/// Records the layout and turns the MMU on with `granule` (or the smallest
/// granule the CPU supports).
pub fn init(info: &BootInfo, granule: Option<Granule>) -> Result<(), MmuError> {
    let features = features();
    let mut layout = Layout {
        ram: [PhysRange::new(0, 0); crate::bootinfo::MAX_RANGES],
        ram_count: 0,
        mmio: [PhysRange::new(0, 0); 4],
        mmio_count: 0,
        text: symbol_range(&raw const __text_start, &raw const __text_end),
        rodata: symbol_range(&raw const __rodata_start, &raw const __rodata_end),
        pa_range: features.pa_range.min(IPS_MAX),
    };
    for range in info.ram.as_slice() {
        layout.ram[layout.ram_count] = *range;
        layout.ram_count += 1;
    }
    for window in info.board.mmio.iter().take(layout.mmio.len() - 1) {
        layout.mmio[layout.mmio_count] = *window;
        layout.mmio_count += 1;
    }
    if !info.board.mmio.iter().any(|w| w.contains(info.uart)) {
        // A UART the board's windows miss (a device tree's): map its page.
        layout.mmio[layout.mmio_count] = PhysRange::new(info.uart & !0xffff, 0x1_0000);
        layout.mmio_count += 1;
    }
    *STATE.lock() = Some(State {
        layout,
        features,
        active: None,
    });
    let granule = granule
        .filter(|g| features.stage1.contains(*g))
        .or_else(|| features.stage1.iter().next())
        .ok_or(MmuError::Unsupported {
            granule: Granule::K4,
            supported: features.stage1,
        })?;
    switch_granule(granule).map(|_| ())
}

/// What a granule switch did and how long it took.
#[derive(Clone, Copy, Debug)]
pub struct SwitchReport {
    /// The new regime.
    pub current: Current,
    /// Microseconds to build the new tables.
    pub build_micros: u64,
    /// Microseconds to install them (MMU off, registers, TLB, MMU on).
    pub switch_micros: u64,
    /// Microseconds for the AT self-check.
    pub check_micros: u64,
    /// AT translations checked.
    pub checks: usize,
}

impl fmt::Display for SwitchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "host granule {}\n  built in {} us, switched in {} us, AT self-check: {} translations agree ({} us)",
            self.current, self.build_micros, self.switch_micros, self.checks, self.check_micros
        )
    }
}

/// Re-maps the kernel with `granule`: builds a new identity map, switches
/// to it, frees the old one, then checks the new one with AT.
pub fn switch_granule(granule: Granule) -> Result<SwitchReport, MmuError> {
    let mut guard = STATE.lock();
    let Some(state) = guard.as_mut() else {
        return Err(MmuError::NotInitialised);
    };
    if !state.features.stage1.contains(granule) {
        return Err(MmuError::Unsupported {
            granule,
            supported: state.features.stage1,
        });
    }
    let t0 = cpu::counter();
    let mut tables = build_identity_map(&state.layout, granule)?;
    let tcr = regs::tcr_value(granule, VA_BITS, state.layout.pa_range);
    let t1 = cpu::counter();
    // SAFETY: the new tables identity-map all RAM (so the kernel's code,
    // data, stack and heap) and the MMIO windows, with MAIR's attributes;
    // `state.active` keeps them until the next switch deactivates them.
    unsafe { activate(&mut tables, tcr) };
    let t2 = cpu::counter();
    let old = state.active.replace(Active {
        granule,
        tables,
        tcr,
    });
    if let Some(mut old) = old {
        // SAFETY: TTBR0_EL1 now holds the new root and `activate`
        // invalidated the TLB: nothing walks the old tables any more.
        unsafe { deactivate(&mut old.tables) };
    }
    let layout = state.layout;
    drop(guard);
    let checks = self_check(&layout)?;
    let t3 = cpu::counter();
    Ok(SwitchReport {
        current: current().ok_or(MmuError::NotInitialised)?,
        build_micros: cpu::ticks_to_micros(t1 - t0),
        switch_micros: cpu::ticks_to_micros(t2 - t1),
        check_micros: cpu::ticks_to_micros(t3 - t2),
        checks,
    })
}

fn normal(access: AccessPermissions, executable: bool) -> Stage1Attributes {
    Stage1Attributes {
        attr_index: MAIR_NORMAL,
        shareability: Shareability::Inner,
        access,
        uxn: true,
        pxn: !executable,
        not_global: false,
        access_flag: true,
        contiguous: true,
    }
}

fn device() -> Stage1Attributes {
    Stage1Attributes {
        attr_index: MAIR_DEVICE,
        shareability: Shareability::NonShareable,
        ..normal(AccessPermissions::PrivilegedReadWrite, false)
    }
}

/// Rounds `range` inwards to `granule` boundaries (RAM the tables cannot
/// describe exactly is left out rather than over-mapped).
fn inward(range: PhysRange, granule: Granule) -> PhysRange {
    let size = granule.size();
    PhysRange {
        start: range.start.next_multiple_of(size),
        end: range.end & !(size - 1),
    }
}

/// Rounds `range` outwards to `granule` boundaries (MMIO windows).
fn outward(range: PhysRange, granule: Granule) -> PhysRange {
    let size = granule.size();
    PhysRange {
        start: range.start & !(size - 1),
        end: range.end.next_multiple_of(size),
    }
}

/// Maps `range` minus the kernel's text and read-only data, which get
/// their own permissions: text is EL1 read-only and executable, rodata
/// read-only, everything else read/write and never executable.
fn map_ram(
    table: &mut TableSet<FrameTables>,
    range: PhysRange,
    layout: &Layout,
) -> Result<(), MapError> {
    let pieces = [
        (
            layout.text,
            normal(AccessPermissions::PrivilegedReadOnly, true),
        ),
        (
            layout.rodata,
            normal(AccessPermissions::PrivilegedReadOnly, false),
        ),
    ];
    let mut cursor = range.start;
    for (piece, attrs) in pieces {
        let start = piece.start.clamp(range.start, range.end);
        let end = piece.end.clamp(range.start, range.end);
        if start >= end {
            continue;
        }
        if cursor < start {
            let rw = normal(AccessPermissions::PrivilegedReadWrite, false);
            table.map(cursor, PhysAddr(cursor), start - cursor, rw)?;
        }
        table.map(start, PhysAddr(start), end - start, attrs)?;
        cursor = end;
    }
    if cursor < range.end {
        let rw = normal(AccessPermissions::PrivilegedReadWrite, false);
        table.map(cursor, PhysAddr(cursor), range.end - cursor, rw)?;
    }
    Ok(())
}

/// Installs `tables` as the kernel's translation regime: MMU off,
/// TTBR0_EL1, TCR_EL1 (`tcr`) and MAIR_EL1, TLB invalidated, MMU on.
///
/// # Safety
///
/// `tables` must identity-map everything the kernel uses from here on (its
/// code, data, stack, heap and the MMIO it touches) with MAIR_EL1's
/// attributes, and must stay alive and unmoved in the hardware's view until
/// [`deactivate`] is called on it, after another set has been installed.
unsafe fn activate(tables: &mut TableSet<FrameTables>, tcr: u64) {
    tables.activate(|root| {
        // SAFETY: the caller vouches for the tables (this function's
        // contract).
        unsafe { regs::switch_translation(root.0, tcr, regs::mair_value()) }
    });
}

/// Marks `tables` as no longer walked, so that dropping them frees them.
///
/// # Safety
///
/// The hardware must no longer walk `tables` nor hold TLB entries from
/// them: another set has been installed with [`activate`] (which
/// invalidates the TLB), or the MMU is off.
unsafe fn deactivate(tables: &mut TableSet<FrameTables>) {
    tables.deactivate(|| {});
}

/// The identity map for `layout` with `granule`; on an error every table
/// built so far is freed (the set is dropped).
fn build_identity_map(
    layout: &Layout,
    granule: Granule,
) -> Result<TableSet<FrameTables>, MmuError> {
    let pa_bits = emu::mmu::regime::output_bits(u64::from(layout.pa_range), &walker_features());
    let config = TableConfig::stage1(granule, VA_BITS, pa_bits).map_err(MmuError::Config)?;
    let mut table = TableSet::new(config, FrameTables::default())?;
    for ram in &layout.ram[..layout.ram_count] {
        let ram = inward(*ram, granule);
        if ram.start < ram.end {
            map_ram(&mut table, ram, layout)?;
        }
    }
    for window in &layout.mmio[..layout.mmio_count] {
        let window = outward(*window, granule);
        table.map(
            window.start,
            PhysAddr(window.start),
            window.size(),
            device(),
        )?;
    }
    Ok(table)
}

/// An address the identity map leaves unmapped: just past the top of RAM,
/// if that is in range and not MMIO.
fn unmapped_probe_address(layout: &Layout) -> Option<u64> {
    let top = layout.ram[..layout.ram_count].iter().map(|r| r.end).max()?;
    let candidate = top.next_multiple_of(1 << 16) + 0x1_0000;
    let in_mmio = layout.mmio[..layout.mmio_count]
        .iter()
        .any(|w| w.contains(candidate));
    let in_ram = layout.ram[..layout.ram_count]
        .iter()
        .any(|r| r.contains(candidate));
    (candidate < (1 << VA_BITS) && !in_mmio && !in_ram).then_some(candidate)
}

/// Checks the running map with AT: kernel text (readable, not writable),
/// data (writable), the console UART (Device), and an unmapped address.
fn self_check(layout: &Layout) -> Result<usize, MmuError> {
    let stack_marker = 0u64;
    let data = &raw const stack_marker as u64;
    let text = layout.text.start + 0x100;
    let uart = crate::console::uart_base() as u64;
    let expect_ok = |what, op, va: u64, attr: u8| {
        let par = Par(regs::at(op, va));
        if par.faulted() || par.physical_page() != va & !0xfff || par.attr() != attr {
            return Err(MmuError::SelfCheck(what, va, par));
        }
        Ok(())
    };
    let expect_fault = |what, op, va: u64, check: fn(FaultStatus) -> bool| {
        let par = Par(regs::at(op, va));
        match par.fault_status() {
            Some(status) if check(status) => Ok(()),
            _ => Err(MmuError::SelfCheck(what, va, par)),
        }
    };
    let normal_attr = regs::MAIR_ATTRS[MAIR_NORMAL as usize];
    let device_attr = regs::MAIR_ATTRS[MAIR_DEVICE as usize];
    let mut checks = 0;
    expect_ok("kernel text (EL1 read)", At::S1E1R, text, normal_attr)?;
    expect_fault("kernel text (EL1 write)", At::S1E1W, text, |s| {
        matches!(s, FaultStatus::Permission(_))
    })?;
    expect_fault("kernel text (EL0 read)", At::S1E0R, text, |s| {
        matches!(s, FaultStatus::Permission(_))
    })?;
    expect_ok("kernel stack (EL1 write)", At::S1E1W, data, normal_attr)?;
    checks += 4;
    if uart != 0 {
        expect_ok("console UART", At::S1E1W, uart, device_attr)?;
        checks += 1;
    }
    if let Some(hole) = unmapped_probe_address(layout) {
        expect_fault("unmapped address", At::S1E1R, hole, |s| {
            matches!(s, FaultStatus::Translation(_))
        })?;
        checks += 1;
    }
    Ok(checks)
}

/// Translates `va` with AT S1E1R (for tests and the shell).
pub fn translate(va: u64) -> Par {
    Par(regs::at(At::S1E1R, va))
}

/// An address that the identity map leaves unmapped, if there is one.
pub fn unmapped_address() -> Option<u64> {
    let state = STATE.try_lock()?;
    unmapped_probe_address(&state.as_ref()?.layout)
}

/// This CPU as `emu`'s walker models it. QEMU, like most cores, treats an
/// out-of-range TnSZ as the nearest allowed value; no ID register says so.
pub fn walker_features() -> Features {
    Features::from_mmu_features(&cpu::mmu_features(), TnszOutOfRange::Clamp)
}

/// SCTLR_EL1.
pub fn read_sctlr_el1() -> u64 {
    cpu::sctlr_el1()
}

/// The EL1&0 stage 1 registers as they are now, for the walker.
pub fn current_stage1_regs() -> Stage1Regs {
    Stage1Regs {
        sctlr: read_sctlr_el1(),
        tcr: regs::tcr_el1(),
        ttbr0: regs::ttbr0_el1(),
        ttbr1: regs::ttbr1_el1(),
        mair: regs::mair_value(),
        pan: false,
    }
}

/// Table memory read with probes, for walking tables nobody vouched for:
/// a descriptor address that faults is an external abort on the walk.
pub struct ProbedMemory;

impl emu::mmu::WalkMemory for ProbedMemory {
    fn read_descriptor(&self, address: PhysAddr) -> Result<u64, emu::mmu::ExternalAbort> {
        crate::arch::exception::probe_read_u64(address.0).map_err(|_| emu::mmu::ExternalAbort)
    }
}
