//! Guest virtual memory: every fetch, load and store goes through the
//! software TLB, filled by `emu::mmu`'s stage 1 walker with the guest's own
//! SCTLR/TCR/TTBRn/MAIR (ARM ARM D8), with the architecture's alignment
//! checks (B2.5) and the local exclusive monitor (B2.9).
//!
//! An access that spans two pages is split at the smallest page size
//! (1K, below every guest granule and TLB page), both halves are
//! translated and permission-checked first, and only then is anything read
//! or written: the fault of the second page is precise and a store never
//! half happens. A device sees the guest's own access size.

use crate::addr::{PhysAddr, VirtAddr};
use crate::arch::esr::{DataAbort, Esr, FaultStatus, Origin};
use crate::arch::sysreg::{bits, SCTLR_EL1, TCR_EL1};
use crate::granule::Granule;
use crate::mem::{AccessSize, PageKind, PhysMemoryMap};
use crate::mmu::fault::{Access, AccessKind, El, Fault, FaultKind};
use crate::mmu::regime::Stage1Regs;
use crate::mmu::translation::{MemoryAttributes, Permissions, Rwx, Translation};
use crate::mmu::walker::{Walk, Walker};
use crate::mmu::Shareability;
use crate::pagesize::PageSize;
use crate::tlb::entry::flags as entry_flags;
use crate::tlb::{MmuIdx, TlbFill, TlbLookup};

use super::exception::Exception;
use super::{Cpu, GuestMemoryError};

/// SCTLR_EL1.M: stage 1 enabled.
const SCTLR_M: u64 = bits(SCTLR_EL1::M);
/// SCTLR_EL1.A: alignment checking.
const SCTLR_A: u64 = bits(SCTLR_EL1::A);
/// SCTLR_EL1.SA: SP alignment checking at EL1.
pub const SCTLR_SA: u64 = bits(SCTLR_EL1::SA);
/// SCTLR_EL1.SA0: SP alignment checking at EL0.
pub const SCTLR_SA0: u64 = bits(SCTLR_EL1::SA0);

/// Attribute of data accesses with stage 1 off: Device-nGnRnE.
const FLAT_DATA_MAIR: u8 = 0x00;
/// Attribute of instruction fetches with stage 1 off: Normal
/// Non-cacheable (SCTLR_EL1.I is not modelled).
const FLAT_CODE_MAIR: u8 = 0x44;

/// How one load or store must behave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessType {
    /// Read or write.
    pub kind: AccessKind,
    /// LDTR/STTR: checked with EL0 permissions.
    pub unprivileged: bool,
    /// The alignment the architecture checks (the element size).
    pub align: u64,
    /// Exclusive, acquire/release or atomic: unaligned is always a fault.
    pub strict: bool,
}

impl AccessType {
    /// An ordinary load or store of elements of `align` bytes.
    pub const fn normal(kind: AccessKind, align: u64) -> Self {
        AccessType {
            kind,
            unprivileged: false,
            align,
            strict: false,
        }
    }
}

/// Where one part of an access goes.
#[derive(Clone, Copy, Debug)]
enum Route {
    /// RAM through the TLB's addend: an offset into the arena.
    Host(u64),
    /// Through the memory map by physical address (devices, sub-pages,
    /// ROM, small guest pages, fresh fills).
    Phys(PhysAddr),
}

/// One part of an access, inside one 1K page.
#[derive(Clone, Copy, Debug)]
struct Part {
    route: Route,
    pa: PhysAddr,
    len: usize,
}

/// A failed translation: the walker's fault or a bus error on its tables.
enum Failure {
    Fault(Fault),
    External,
}

const SPLIT: u64 = 1 << PageSize::MIN_SHIFT;

impl Cpu {
    /// The stage 1 registers a walk uses now.
    pub(crate) fn stage1_regs(&self) -> Stage1Regs {
        Stage1Regs {
            sctlr: self.sys.sctlr,
            tcr: self.sys.tcr,
            ttbr0: self.sys.ttbr0,
            ttbr1: self.sys.ttbr1,
            mair: self.sys.mair,
            pan: false,
        }
    }

    fn origin(&self) -> Origin {
        if self.regs.pstate.el == 0 {
            Origin::Lower
        } else {
            Origin::Same
        }
    }

    fn mmu_idx(&self, unprivileged: bool) -> MmuIdx {
        if self.regs.pstate.el == 0 || unprivileged {
            MmuIdx::El0
        } else {
            MmuIdx::El1
        }
    }

    /// Translates `va` for `access` as the walker (or, with stage 1 off,
    /// the flat map) says, without the TLB: what AT and fills use.
    pub(crate) fn walk(
        &self,
        mem: &PhysMemoryMap,
        va: u64,
        access: Access,
    ) -> Result<Translation, Fault> {
        if self.sys.sctlr & SCTLR_M == 0 {
            if va >> self.features.pa_bits != 0 {
                return Err(Fault::stage1(FaultKind::AddressSize, 0, access));
            }
            let mair = if access.kind == AccessKind::Execute {
                FLAT_CODE_MAIR
            } else {
                FLAT_DATA_MAIR
            };
            // One uniform identity mapping: any aligned size is correct;
            // use the TLB page so that one entry covers it.
            let size_log2 = self.page_size.shift().max(Granule::K4.shift());
            return Ok(Translation {
                input: va,
                output: PhysAddr(va),
                size_log2,
                level: 0,
                contiguous: false,
                permissions: Permissions {
                    el0: Rwx::ALL,
                    el1: Rwx::ALL,
                    el0_accessible: false,
                },
                attributes: MemoryAttributes {
                    mair,
                    shareability: Shareability::Outer,
                },
                global: true,
                asid: None,
                granule: Granule::K4,
            });
        }
        Walker::new(self.features, mem)
            .with_stage1(self.stage1_regs())
            .translate(Walk::Stage1(VirtAddr(va)), access)
    }

    /// The address the TLB is indexed with: with the top byte ignored
    /// (TCR_EL1.TBIn, and TBIDn for fetches) the tag is replaced by the
    /// sign extension of bit 55, so that tagged aliases share one entry and
    /// TLBI by VA (which carries no tag) reaches it. Faults still report
    /// the address as the guest gave it.
    #[inline(always)]
    fn tlb_va(&self, va: u64, kind: AccessKind) -> u64 {
        let t = self.sys.tcr;
        if t & (bits(TCR_EL1::TBI0) | bits(TCR_EL1::TBI1)) == 0 {
            return va;
        }
        let (tbi, tbid) = if va >> 55 & 1 == 1 {
            (bits(TCR_EL1::TBI1), bits(TCR_EL1::TBID1))
        } else {
            (bits(TCR_EL1::TBI0), bits(TCR_EL1::TBID0))
        };
        if t & tbi != 0 && !(kind == AccessKind::Execute && t & tbid != 0) {
            (((va << 8) as i64) >> 8) as u64
        } else {
            va
        }
    }

    /// Translates one part of `len` bytes (inside one 1K page) through the TLB, walking
    /// and filling on a miss. Returns the route and whether the memory is
    /// Device memory.
    fn translate_part(
        &mut self,
        mem: &mut PhysMemoryMap,
        idx: MmuIdx,
        va: u64,
        len: usize,
        kind: AccessKind,
    ) -> Result<(Route, PhysAddr, bool), Failure> {
        let tlb = self.tlb.tlb_mut(idx);
        let slot = tlb.slot_of(va);
        match tlb.lookup(va, len as u64, kind) {
            TlbLookup::Hit { host } => {
                let info = tlb.info(slot).copied().unwrap_or_default();
                let pa = PhysAddr(info.pa_base.wrapping_add(va.wrapping_sub(info.map_base)));
                return Ok((Route::Host(host), pa, is_device(info.mair)));
            }
            TlbLookup::Slow { slot, flags } => {
                if let Some(pa) = tlb.phys_addr(slot, va) {
                    let dev = is_device(tlb.info(slot).map_or(0, |i| i.mair));
                    // A guest page smaller than the TLB page, checked by
                    // `phys_addr` to hold `va`: if its physical page is
                    // plain RAM, reach it directly rather than through the
                    // memory map's dispatch.
                    if flags == entry_flags::SMALL_PAGE {
                        if let PageKind::Memory {
                            arena_offset,
                            writable,
                        } = mem.page_kind(pa)
                        {
                            if writable || kind != AccessKind::Write {
                                let off = pa.0 & mem.page_size().offset_mask();
                                return Ok((Route::Host(arena_offset + off), pa, dev));
                            }
                        }
                    }
                    return Ok((Route::Phys(pa), pa, dev));
                }
            }
            TlbLookup::Miss => {}
        }
        let el = if idx == MmuIdx::El0 { El::El0 } else { El::El1 };
        let t = self
            .walk(mem, va, Access::new(el, kind))
            .map_err(Failure::Fault)?;
        let mut fill = TlbFill::from_translation(&t);
        // A page holding translated code keeps stores off the fast path.
        fill.flags.watched = self.tb.holds_code(t.output, self.page_size);
        self.tlb.sync_map(mem);
        // A fill the TLB refuses is still a correct translation for this
        // access: serve it by physical address and do not cache it.
        let _ = self.tlb.tlb_mut(idx).fill(&fill, mem);
        Ok((Route::Phys(t.output), t.output, t.attributes.is_device()))
    }

    /// The exception a failed translation raises for a data access.
    /// The synchronous external abort of a part of `acc` at `va` that the
    /// bus refused (a hole, or a device that said no).
    fn bus_error(&self, va: u64, acc: &AccessType) -> Exception {
        self.data_fault(va, Failure::External, acc, false)
    }

    fn data_fault(&self, va: u64, f: Failure, acc: &AccessType, cm: bool) -> Exception {
        let abort = DataAbort {
            write: acc.kind == AccessKind::Write || cm,
            cache_maintenance: cm,
            // No instruction syndrome (ISV = 0): it is only reported for
            // aborts taken to EL2 (QEMU does the same).
            syndrome: None,
            far_not_valid: false,
        };
        let esr = match f {
            Failure::Fault(fault) => Esr::from_fault(self.origin(), &fault, abort),
            Failure::External => {
                Esr::data_abort(self.origin(), FaultStatus::ExternalAbort, false, abort)
            }
        };
        Exception::with_far(esr, va)
    }

    fn alignment_fault(&self, va: u64, acc: &AccessType) -> Exception {
        let abort = DataAbort {
            write: acc.kind == AccessKind::Write,
            cache_maintenance: false,
            // No instruction syndrome (ISV = 0): it is only reported for
            // aborts taken to EL2 (QEMU does the same).
            syndrome: None,
            far_not_valid: false,
        };
        Exception::with_far(Esr::alignment(self.origin(), abort), va)
    }

    /// Translates and checks all of `[va, va + len)` (at most two parts).
    fn translate_access(
        &mut self,
        mem: &mut PhysMemoryMap,
        va: u64,
        len: usize,
        acc: &AccessType,
    ) -> Result<[Option<Part>; 2], Exception> {
        let aligned = va & (acc.align - 1) == 0;
        if !aligned && (acc.strict || self.sys.sctlr & SCTLR_A != 0) {
            return Err(self.alignment_fault(va, acc));
        }
        let idx = self.mmu_idx(acc.unprivileged);
        let first_len = ((SPLIT - (va & (SPLIT - 1))) as usize).min(len);
        let mut parts = [None, None];
        let mut at = va;
        let mut left = len;
        let mut n = first_len;
        for part in parts.iter_mut() {
            if left == 0 {
                break;
            }
            let (route, pa, device) = self
                .translate_part(mem, idx, self.tlb_va(at, acc.kind), n, acc.kind)
                .map_err(|f| self.data_fault(at, f, acc, false))?;
            if device && !aligned {
                return Err(self.alignment_fault(va, acc));
            }
            *part = Some(Part { route, pa, len: n });
            at = at.wrapping_add(n as u64);
            left -= n;
            n = left;
        }
        Ok(parts)
    }

    /// Loads `buf.len()` bytes (1 to 32) at `va`, in elements of
    /// `acc.align` bytes for devices.
    pub(crate) fn read_mem(
        &mut self,
        mem: &mut PhysMemoryMap,
        va: u64,
        buf: &mut [u8],
        acc: &AccessType,
    ) -> Result<PhysAddr, Exception> {
        if let Some(host) = self.fast_host(va, buf.len(), acc) {
            if let Some(s) = arena_slice(mem, host, buf.len()) {
                buf.copy_from_slice(s);
                let slot = self.tlb.tlb(self.mmu_idx(acc.unprivileged)).slot_of(va);
                let info = self
                    .tlb
                    .tlb(self.mmu_idx(acc.unprivileged))
                    .info(slot)
                    .copied()
                    .unwrap_or_default();
                return Ok(PhysAddr(
                    info.pa_base.wrapping_add(va.wrapping_sub(info.map_base)),
                ));
            }
        }
        let parts = self.translate_access(mem, va, buf.len(), acc)?;
        let mut off = 0;
        let mut first_pa = PhysAddr(0);
        for (k, p) in parts.iter().flatten().enumerate() {
            if k == 0 {
                first_pa = p.pa;
            }
            let dst = &mut buf[off..off + p.len];
            let ok = match p.route {
                Route::Host(h) => arena_slice(mem, h, p.len)
                    .map(|s| dst.copy_from_slice(s))
                    .is_some(),
                Route::Phys(pa) => phys_read(mem, pa, dst, acc.align),
            };
            if !ok {
                return Err(self.bus_error(va.wrapping_add(off as u64), acc));
            }
            off += p.len;
        }
        Ok(first_pa)
    }

    /// Stores `data` (1 to 32 bytes) at `va`; both pages are checked before
    /// anything is written.
    pub(crate) fn write_mem(
        &mut self,
        mem: &mut PhysMemoryMap,
        va: u64,
        data: &[u8],
        acc: &AccessType,
    ) -> Result<(), Exception> {
        if let Some(host) = self.fast_host(va, data.len(), acc) {
            if let Some(d) = arena_slice_mut(mem, host, data.len()) {
                d.copy_from_slice(data);
                return Ok(());
            }
        }
        let parts = self.translate_access(mem, va, data.len(), acc)?;
        self.write_parts(mem, va, data, acc, &parts)
    }

    /// The TLB fast path for an access of `len` bytes: an arena offset
    /// when one unflagged entry (RAM, whole page, permitted) covers it and
    /// no alignment rule can apply (aligned elements; a page the guest
    /// maps as Device memory is only reached through here when aligned).
    #[inline]
    fn fast_host(&mut self, va: u64, len: usize, acc: &AccessType) -> Option<u64> {
        if acc.strict || va & (acc.align - 1) != 0 {
            return None;
        }
        let idx = self.mmu_idx(acc.unprivileged);
        let va = self.tlb_va(va, acc.kind);
        self.tlb.tlb_mut(idx).probe(va, len as u64, acc.kind)
    }

    fn write_parts(
        &mut self,
        mem: &mut PhysMemoryMap,
        va: u64,
        data: &[u8],
        acc: &AccessType,
        parts: &[Option<Part>; 2],
    ) -> Result<(), Exception> {
        let mut off = 0;
        for p in parts.iter().flatten() {
            let src = &data[off..off + p.len];
            // A store by this CPU to a marked address clears nothing in
            // the local monitor (ARM ARM B2.9.1: IMPLEMENTATION DEFINED);
            // like QEMU, the monitor stays.
            let ok = match p.route {
                Route::Host(h) => match arena_slice_mut(mem, h, p.len) {
                    Some(d) => {
                        d.copy_from_slice(src);
                        true
                    }
                    None => false,
                },
                Route::Phys(pa) => phys_write(mem, pa, src, acc.align),
            };
            // Stores to pages holding translated code (watched in the
            // TLB) come this way, whatever their route: drop the code
            // they overlap.
            self.code_written(p.pa, p.len);
            if !ok {
                return Err(self.bus_error(va.wrapping_add(off as u64), acc));
            }
            off += p.len;
        }
        Ok(())
    }

    /// Loads 1, 2, 4 or 8 bytes, zero-extended: the fast path for RAM.
    #[inline]
    pub(crate) fn load(
        &mut self,
        mem: &mut PhysMemoryMap,
        va: u64,
        size: usize,
        acc: &AccessType,
    ) -> Result<u64, Exception> {
        let idx = self.mmu_idx(acc.unprivileged);
        if va & (size as u64 - 1) == 0 && !acc.strict {
            let tva = self.tlb_va(va, AccessKind::Read);
            if let Some(host) = self
                .tlb
                .tlb_mut(idx)
                .probe(tva, size as u64, AccessKind::Read)
            {
                if let Some(b) = arena_slice(mem, host, size) {
                    return Ok(le(b));
                }
            }
        }
        let mut buf = [0u8; 8];
        self.read_mem(mem, va, &mut buf[..size], acc)?;
        Ok(u64::from_le_bytes(buf))
    }

    /// Stores the low 1, 2, 4 or 8 bytes of `value`.
    #[inline]
    pub(crate) fn store(
        &mut self,
        mem: &mut PhysMemoryMap,
        va: u64,
        size: usize,
        value: u64,
        acc: &AccessType,
    ) -> Result<(), Exception> {
        let idx = self.mmu_idx(acc.unprivileged);
        if va & (size as u64 - 1) == 0 && !acc.strict {
            let tva = self.tlb_va(va, AccessKind::Write);
            if let Some(host) = self
                .tlb
                .tlb_mut(idx)
                .probe(tva, size as u64, AccessKind::Write)
            {
                if let Some(b) = arena_slice_mut(mem, host, size) {
                    b.copy_from_slice(&value.to_le_bytes()[..size]);
                    return Ok(());
                }
            }
        }
        self.write_mem(mem, va, &value.to_le_bytes()[..size], acc)
    }

    /// An atomic read-modify-write of `len` bytes (1 to 16) at `va`
    /// (FEAT_LSE): translated and checked for writing, then read, then
    /// `update` gives the bytes to write (or `None` to write nothing, a
    /// failed compare-and-swap). Returns the old bytes.
    pub(crate) fn atomic_rmw(
        &mut self,
        mem: &mut PhysMemoryMap,
        va: u64,
        len: usize,
        update: impl FnOnce(&[u8]) -> Option<[u8; 16]>,
    ) -> Result<[u8; 16], Exception> {
        let acc = AccessType {
            kind: AccessKind::Write,
            unprivileged: false,
            align: len as u64,
            strict: true,
        };
        let parts = self.translate_access(mem, va, len, &acc)?;
        let mut old = [0u8; 16];
        let mut off = 0;
        for p in parts.iter().flatten() {
            let dst = &mut old[off..off + p.len];
            let ok = match p.route {
                Route::Host(h) => arena_slice(mem, h, p.len)
                    .map(|s| dst.copy_from_slice(s))
                    .is_some(),
                Route::Phys(pa) => phys_read(mem, pa, dst, acc.align),
            };
            if !ok {
                let read = AccessType {
                    kind: AccessKind::Read,
                    ..acc
                };
                return Err(self.bus_error(va.wrapping_add(off as u64), &read));
            }
            off += p.len;
        }
        if let Some(new) = update(&old[..len]) {
            self.write_parts(mem, va, &new[..len], &acc, &parts)?;
        }
        Ok(old)
    }

    /// Store-exclusive: translates and checks first, then stores only if
    /// the local monitor holds this physical address and size. Returns
    /// whether the store happened.
    pub(crate) fn store_exclusive(
        &mut self,
        mem: &mut PhysMemoryMap,
        va: u64,
        data: &[u8],
        acc: &AccessType,
    ) -> Result<bool, Exception> {
        let parts = self.translate_access(mem, va, data.len(), acc)?;
        let pa = parts[0].map_or(0, |p| p.pa.0);
        let pass = self.monitor == Some((pa, data.len() as u64));
        self.monitor = None;
        if pass {
            self.write_parts(mem, va, data, acc, &parts)?;
        }
        Ok(pass)
    }

    /// Fetches the instruction at `pc`.
    #[inline]
    pub(crate) fn fetch(&mut self, mem: &mut PhysMemoryMap, pc: u64) -> Result<u32, Exception> {
        if pc & 3 != 0 {
            return Err(Exception::pc_alignment(pc));
        }
        let idx = self.mmu_idx(false);
        let tva = self.tlb_va(pc, AccessKind::Execute);
        if let Some(host) = self.tlb.tlb_mut(idx).probe(tva, 4, AccessKind::Execute) {
            if let Some(b) = arena_slice(mem, host, 4) {
                return Ok(le(b) as u32);
            }
        }
        let (route, _) = self.fetch_route(mem, pc)?;
        let mut b = [0u8; 4];
        let ok = match route {
            Route::Host(h) => arena_slice(mem, h, 4)
                .map(|s| b.copy_from_slice(s))
                .is_some(),
            Route::Phys(pa) => phys_read(mem, pa, &mut b, 4),
        };
        if ok {
            Ok(u32::from_le_bytes(b))
        } else {
            Err(self.instruction_abort(pc, Failure::External))
        }
    }

    fn instruction_abort(&self, pc: u64, f: Failure) -> Exception {
        let status = match f {
            Failure::Fault(fault) => FaultStatus::of(&fault),
            Failure::External => FaultStatus::ExternalAbort,
        };
        Exception::with_far(Esr::instruction_abort(self.origin(), status, false), pc)
    }

    /// Translates `pc` (4-aligned) for an instruction fetch through the
    /// TLB, walking and filling on a miss.
    fn fetch_route(
        &mut self,
        mem: &mut PhysMemoryMap,
        pc: u64,
    ) -> Result<(Route, PhysAddr), Exception> {
        let idx = self.mmu_idx(false);
        let tva = self.tlb_va(pc, AccessKind::Execute);
        match self.translate_part(mem, idx, tva, 4, AccessKind::Execute) {
            Ok((route, pa, _)) => Ok((route, pa)),
            Err(f) => Err(self.instruction_abort(pc, f)),
        }
    }

    /// The physical address the instruction at `pc` is fetched from, as
    /// [`Cpu::fetch`] translates it (same TLB entry, same faults): a block
    /// is found by it. The TLB hit costs a compare and the entry's base.
    #[inline]
    pub(crate) fn fetch_phys(
        &mut self,
        mem: &mut PhysMemoryMap,
        pc: u64,
    ) -> Result<PhysAddr, Exception> {
        if pc & 3 != 0 {
            return Err(Exception::pc_alignment(pc));
        }
        let idx = self.mmu_idx(false);
        let tva = self.tlb_va(pc, AccessKind::Execute);
        let tlb = self.tlb.tlb_mut(idx);
        if tlb.probe(tva, 4, AccessKind::Execute).is_some() {
            if let Some(i) = tlb.info(tlb.slot_of(tva)) {
                return Ok(PhysAddr(
                    i.pa_base.wrapping_add(tva.wrapping_sub(i.map_base)),
                ));
            }
        }
        self.fetch_route(mem, pc).map(|(_, pa)| pa)
    }

    /// A System call's read of guest-virtual memory (semihosting): as
    /// loads at the current EL, without alignment or Device checks.
    pub(crate) fn debug_read(
        &mut self,
        mem: &mut PhysMemoryMap,
        va: u64,
        buf: &mut [u8],
    ) -> Result<(), GuestMemoryError> {
        let acc = AccessType::normal(AccessKind::Read, 1);
        for (i, chunk) in buf.chunks_mut(16).enumerate() {
            let at = va.wrapping_add(16 * i as u64);
            self.read_mem(mem, at, chunk, &acc)
                .map_err(|_| GuestMemoryError { va: at })?;
        }
        Ok(())
    }

    /// A System call's write of guest-virtual memory (semihosting).
    pub(crate) fn debug_write(
        &mut self,
        mem: &mut PhysMemoryMap,
        va: u64,
        data: &[u8],
    ) -> Result<(), GuestMemoryError> {
        let acc = AccessType::normal(AccessKind::Write, 1);
        for (i, chunk) in data.chunks(16).enumerate() {
            let at = va.wrapping_add(16 * i as u64);
            self.write_mem(mem, at, chunk, &acc)
                .map_err(|_| GuestMemoryError { va: at })?;
        }
        Ok(())
    }

    /// The data abort a failed walk raises for a cache maintenance
    /// instruction or DC ZVA.
    pub(crate) fn maintenance_fault(&self, va: u64, fault: Fault, zva: bool) -> Exception {
        let acc = AccessType::normal(AccessKind::Write, 1);
        self.data_fault(va, Failure::Fault(fault), &acc, !zva)
    }

    /// Checks a cache maintenance by VA (DC CIVAC/CVAC/CVAU, IC IVAU): it
    /// faults as a read would, but permission faults on write are not
    /// raised (ARM ARM D7.4.8); WnR and CM are 1.
    pub(crate) fn check_maintenance(
        &mut self,
        mem: &mut PhysMemoryMap,
        va: u64,
    ) -> Result<PhysAddr, Exception> {
        let el = if self.regs.pstate.el == 0 {
            El::El0
        } else {
            El::El1
        };
        match self.walk(mem, va, Access::new(el, AccessKind::Read)) {
            Ok(t) => Ok(t.output),
            Err(f) => Err(self.maintenance_fault(va, f, false)),
        }
    }
}

fn is_device(mair: u8) -> bool {
    mair >> 4 == 0
}

fn le(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}

fn arena_slice(mem: &PhysMemoryMap, host: u64, n: usize) -> Option<&[u8]> {
    let a = usize::try_from(host).ok()?;
    mem.arena().get(a..a.checked_add(n)?)
}

fn arena_slice_mut(mem: &mut PhysMemoryMap, host: u64, n: usize) -> Option<&mut [u8]> {
    let a = usize::try_from(host).ok()?;
    mem.arena_mut().get_mut(a..a.checked_add(n)?)
}

/// The access size of element reads of `dst` at `pa`: `align` bytes when
/// the element is naturally aligned, else bytes.
fn element(pa: PhysAddr, len: usize, align: u64) -> AccessSize {
    let e = align.clamp(1, 8);
    if (len as u64).is_multiple_of(e) && pa.0 & (e - 1) == 0 {
        AccessSize::from_bytes(e).unwrap_or(AccessSize::Byte)
    } else {
        AccessSize::Byte
    }
}

/// Reads through the memory map in elements, as the guest accessed them.
fn phys_read(mem: &mut PhysMemoryMap, pa: PhysAddr, dst: &mut [u8], align: u64) -> bool {
    let size = element(pa, dst.len(), align);
    let n = size.bytes() as usize;
    for (i, chunk) in dst.chunks_mut(n).enumerate() {
        match mem.read(pa.add((i * n) as u64), size) {
            Ok(v) => chunk.copy_from_slice(&v.to_le_bytes()[..n]),
            Err(_) => return false,
        }
    }
    true
}

/// Writes through the memory map in elements.
fn phys_write(mem: &mut PhysMemoryMap, pa: PhysAddr, src: &[u8], align: u64) -> bool {
    let size = element(pa, src.len(), align);
    let n = size.bytes() as usize;
    for (i, chunk) in src.chunks(n).enumerate() {
        let mut b = [0u8; 8];
        b[..n].copy_from_slice(chunk);
        if mem
            .write(pa.add((i * n) as u64), size, u64::from_le_bytes(b))
            .is_err()
        {
            return false;
        }
    }
    true
}
