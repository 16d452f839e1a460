//! The exception model, guest memory and system instructions, as data:
//! instruction words from the GNU assembler (the assembly is in the
//! comments), expected ESR/FAR/ELR/SPSR/PAR values worked out from the ARM
//! ARM's field definitions (D17/D19: ESR_EL1, SPSR_EL1, PAR_EL1; the
//! vector offsets of D1.10.2).

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

use super::decoder::Rng;
use crate::addr::PhysAddr;
use crate::cpu::{CallResult, Cpu, CpuConfig, EncodingClass, Exit, GuestContext, System};
use crate::mem::{AccessSize, Device, DeviceError, PhysMemoryMap};
use crate::pagesize::PageSize;

const RAM: u64 = 0x4000_0000;
const RAM_SIZE: u64 = 4 << 20;
const VBAR: u64 = RAM + 0x10_0000;
const DEV: u64 = 0x0900_0000;
const TABLES: u64 = RAM + 0x18_0000;

/// SPSR of EL1h with D, A, I, F masked (M = 0b0101).
const SPSR_EL1H_MASKED: u64 = 0x3c5;

type Log = Rc<RefCell<Vec<(bool, u64, AccessSize)>>>;

/// A device that records every access it sees.
struct Recorder(Log);

impl Device for Recorder {
    fn read(&mut self, offset: u64, size: AccessSize) -> Result<u64, DeviceError> {
        self.0.borrow_mut().push((false, offset, size));
        Ok(0x1122_3344_5566_7788)
    }
    fn write(&mut self, offset: u64, size: AccessSize, _: u64) -> Result<(), DeviceError> {
        self.0.borrow_mut().push((true, offset, size));
        Ok(())
    }
}

/// Every vector entry is `HVC #index`: the test system records the index
/// (offset / 0x80) and ends the run.
#[derive(Default)]
struct TestSys {
    vector: Option<u16>,
    semihosting: Vec<(u64, u64, [u8; 4])>,
}

impl System for TestSys {
    fn hvc(&mut self, imm: u16, _: &mut GuestContext<'_>) -> CallResult {
        self.vector = Some(imm);
        CallResult::Exit(Exit::PowerOff)
    }
    fn semihosting(&mut self, g: &mut GuestContext<'_>) -> CallResult {
        let mut b = [0u8; 4];
        let ok = g.read_virt(g.x(1), &mut b).is_ok();
        self.semihosting.push((g.x(0), g.x(1), b));
        g.set_x(0, if ok { 0x1234 } else { u64::MAX });
        CallResult::Continue
    }
}

struct T {
    cpu: Cpu,
    mem: PhysMemoryMap,
    sys: TestSys,
    log: Log,
}

fn words(mem: &mut PhysMemoryMap, at: u64, code: &[u32]) {
    let bytes: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
    mem.write_bytes(PhysAddr(at), &bytes).unwrap();
}

fn setup(code: &[u32]) -> T {
    let mut mem = PhysMemoryMap::new(PageSize::K4);
    mem.add_ram("ram", PhysAddr(RAM), RAM_SIZE, 0).unwrap();
    let log: Log = Rc::default();
    mem.add_mmio(
        "rec",
        PhysAddr(DEV),
        0x1000,
        0,
        Box::new(Recorder(log.clone())),
    )
    .unwrap();
    words(&mut mem, RAM, code);
    for k in 0..16u32 {
        // hvc #k
        words(
            &mut mem,
            VBAR + 0x80 * u64::from(k),
            &[0xd400_0002 | k << 5],
        );
    }
    let mut cpu = Cpu::new(CpuConfig::new(PageSize::K4)).unwrap();
    cpu.reset(RAM, 0);
    cpu.sys.vbar = VBAR;
    cpu.sys.cpacr = 3 << 20;
    T {
        cpu,
        mem,
        sys: TestSys::default(),
        log,
    }
}

impl T {
    fn run(&mut self) -> Exit {
        self.cpu.run(&mut self.mem, &mut self.sys, 10_000)
    }

    /// Runs to the vector and checks which one and ESR/ELR.
    fn expect_vector(&mut self, index: u16, esr: u64, elr: u64) {
        assert_eq!(self.run(), Exit::PowerOff);
        assert_eq!(self.sys.vector, Some(index), "vector");
        assert_eq!(self.cpu.sys.esr, esr, "ESR_EL1 {:#x}", self.cpu.sys.esr);
        assert_eq!(self.cpu.sys.elr, elr, "ELR_EL1");
    }
}

/// Vector indexes (offset / 0x80) of synchronous exceptions.
const SYNC_SP0: u16 = 0;
const SYNC_SPX: u16 = 4;
const SYNC_LOWER: u16 = 8;

#[test]
fn svc_from_el1h_takes_the_current_el_spx_vector() {
    let mut t = setup(&[
        0xd2800000, // mov x0, #0x0
        0xd40000a1, // svc #0x5
    ]);
    // EC 0x15, IL, imm16 5; the preferred return is the next instruction.
    t.expect_vector(SYNC_SPX, 0x5600_0005, RAM + 8);
    assert_eq!(t.cpu.sys.spsr, SPSR_EL1H_MASKED);
    assert_eq!((t.cpu.regs.pstate.el, t.cpu.regs.pstate.sp), (1, true));
}

#[test]
fn svc_from_el1t_takes_the_sp0_vector() {
    let mut t = setup(&[
        0xd50040bf, // msr spsel, #0x0
        0xd40000a1, // svc #0x5
    ]);
    t.expect_vector(SYNC_SP0, 0x5600_0005, RAM + 8);
    assert_eq!(t.cpu.sys.spsr, SPSR_EL1H_MASKED & !1);
}

#[test]
fn svc_from_el0_takes_the_lower_el_vector_and_eret_returns_there() {
    let mut t = setup(&[
        0xd69f03e0, // eret
    ]);
    words(&mut t.mem, RAM + 0x100, &[0xd4000021]); // svc #0x1
    t.cpu.sys.spsr = 0; // EL0t, nothing masked, flags clear
    t.cpu.sys.elr = RAM + 0x100;
    t.cpu.regs.sp_el0 = 0x1230;
    t.expect_vector(SYNC_LOWER, 0x5600_0001, RAM + 0x104);
    assert_eq!(t.cpu.sys.spsr, 0);
    assert_eq!(t.cpu.regs.sp_el0, 0x1230);
}

#[test]
fn undefined_instruction_reports_ec_0_and_is_counted() {
    let mut t = setup(&[
        0x00000000, // udf #0
    ]);
    t.expect_vector(SYNC_SPX, 0x0200_0000, RAM);
    assert_eq!(t.cpu.stats.undefined[EncodingClass::Reserved.index()], 1);
}

#[test]
fn illegal_exception_return_sets_il_and_the_next_instruction_faults() {
    let mut t = setup(&[
        0xd69f03e0, // eret
    ]);
    t.cpu.sys.spsr = 0b1001; // EL2h: not implemented, an illegal return
    t.cpu.sys.elr = RAM + 0x40;
    // EC 0x0E (Illegal Execution state), IL; SPSR keeps PSTATE.IL (bit 20)
    // and EL1h (EL and SP unchanged by the illegal return).
    t.expect_vector(SYNC_SPX, 0x3a00_0000, RAM + 0x40);
    assert_eq!(t.cpu.sys.spsr, 1 << 20 | 0b0101);
    assert!(!t.cpu.regs.pstate.il, "exception entry clears PSTATE.IL");
}

#[test]
fn load_from_a_hole_is_a_synchronous_external_abort() {
    let mut t = setup(&[
        0xf9400020, // ldr x0, [x1]
    ]);
    t.cpu.regs.x[1] = 0x1000_0000;
    // EC 0x25 (data abort, same EL), IL, DFSC 0b010000.
    t.expect_vector(SYNC_SPX, 0x9600_0010, RAM);
    assert_eq!(t.cpu.sys.far, 0x1000_0000);
}

#[test]
fn store_to_the_hole_next_to_a_device_is_an_abort_with_wnr() {
    let mut t = setup(&[
        0xf9000020, // str x0, [x1]
    ]);
    t.cpu.regs.x[1] = DEV + 0x1000;
    t.expect_vector(SYNC_SPX, 0x9600_0050, RAM);
    assert_eq!(t.cpu.sys.far, DEV + 0x1000);
}

#[test]
fn unaligned_access_with_the_mmu_off_is_an_alignment_fault() {
    // With stage 1 off, data accesses are Device-nGnRnE.
    let mut t = setup(&[
        0xf9400020, // ldr x0, [x1]
    ]);
    t.cpu.regs.x[1] = RAM + 0x2001;
    t.expect_vector(SYNC_SPX, 0x9600_0021, RAM);
    assert_eq!(t.cpu.sys.far, RAM + 0x2001);
}

#[test]
fn devices_see_the_guest_access_size() {
    let mut t = setup(&[
        0xb9400020, // ldr w0, [x1]
        0x79000020, // strh w0, [x1]
        0xa9400c22, // ldp x2, x3, [x1]
        0xd503207f, // wfi
    ]);
    t.cpu.regs.x[1] = DEV + 0x10;
    assert_eq!(t.run(), Exit::WaitForInterrupt { pc: RAM + 12 });
    let log = t.log.borrow().clone();
    assert_eq!(
        log,
        [
            (false, 0x10, AccessSize::Word),
            (true, 0x10, AccessSize::Half),
            (false, 0x10, AccessSize::Double),
            (false, 0x18, AccessSize::Double),
        ]
    );
    assert_eq!(t.cpu.regs.x[0], 0x5566_7788);
}

#[test]
fn fp_instruction_with_cpacr_fpen_clear_traps_with_ec_7() {
    let mut t = setup(&[
        0x9e670000, // fmov d0, x0
    ]);
    t.cpu.sys.cpacr = 0;
    // EC 0x07, IL, CV (bit 24) = 1, COND (23:20) = 0b1110.
    t.expect_vector(SYNC_SPX, 0x1fe0_0000, RAM);
}

#[test]
fn unimplemented_fp_instruction_traps_before_it_is_undefined() {
    let mut t = setup(&[
        0x1e222820, // fadd s0, s1, s2
    ]);
    t.cpu.sys.cpacr = 0;
    t.expect_vector(SYNC_SPX, 0x1fe0_0000, RAM);
    let mut t = setup(&[
        0x1e222820, // fadd s0, s1, s2
    ]);
    t.expect_vector(SYNC_SPX, 0x0200_0000, RAM);
    assert_eq!(
        t.cpu.stats.undefined[EncodingClass::ScalarFloatingPoint.index()],
        1
    );
}

#[test]
fn msr_and_mrs_of_an_unimplemented_register_are_undefined() {
    for w in [
        0xd518f000, // msr s3_0_c15_c0_0, x0
        0xd538f000, // mrs x0, s3_0_c15_c0_0
        0xd4000003, // smc #0x0
        0xd4400020, // hlt #0x1
    ] {
        let mut t = setup(&[w]);
        t.expect_vector(SYNC_SPX, 0x0200_0000, RAM);
    }
}

#[test]
fn brk_reports_its_immediate() {
    let mut t = setup(&[
        0xd4200060, // brk #0x3
    ]);
    // EC 0x3C, IL, comment 3.
    t.expect_vector(SYNC_SPX, 0xf200_0003, RAM);
}

#[test]
fn wfi_and_the_budget_end_the_run_with_the_pc() {
    let mut t = setup(&[
        0xd503207f, // wfi
    ]);
    assert_eq!(t.run(), Exit::WaitForInterrupt { pc: RAM });
    let mut t = setup(&[
        0x14000000, // b .
    ]);
    assert_eq!(
        t.cpu.run(&mut t.mem, &mut t.sys, 1000),
        Exit::BudgetExhausted { pc: RAM }
    );
    assert_eq!(t.cpu.stats.instructions, 1000);
}

#[test]
fn semihosting_reads_guest_memory_and_returns_in_x0() {
    let mut t = setup(&[
        0xd45e0000, // hlt #0xf000
        0xd503207f, // wfi
    ]);
    words(&mut t.mem, RAM + 0x3000, &[0xdead_beef]);
    t.cpu.regs.x[0] = 4;
    t.cpu.regs.x[1] = RAM + 0x3000;
    assert_eq!(t.run(), Exit::WaitForInterrupt { pc: RAM + 4 });
    assert_eq!(
        t.sys.semihosting,
        [(4, RAM + 0x3000, 0xdead_beefu32.to_le_bytes())]
    );
    assert_eq!(t.cpu.regs.x[0], 0x1234);
}

#[test]
fn the_exclusive_monitor_is_cleared_by_clrex_and_by_exceptions() {
    let mut t = setup(&[
        0xc85f7c20, // ldxr x0, [x1]
        0xc8027c20, // stxr w2, x0, [x1]
        0xc85f7c20, // ldxr x0, [x1]
        0xd5033f5f, // clrex
        0xc8037c20, // stxr w3, x0, [x1]
        0xc85f7c20, // ldxr x0, [x1]
        0xd40000a1, // svc #0x5
        0xc8047c20, // stxr w4, x0, [x1]
        0xd503207f, // wfi
    ]);
    // The SVC handler returns at once.
    words(&mut t.mem, VBAR + 0x200, &[0xd69f03e0]); // eret
    t.cpu.regs.x[1] = RAM + 0x3000;
    t.cpu.regs.x[2] = 7;
    t.cpu.regs.x[3] = 7;
    t.cpu.regs.x[4] = 7;
    assert_eq!(t.run(), Exit::WaitForInterrupt { pc: RAM + 32 });
    assert_eq!(t.cpu.regs.x[2..5], [0, 1, 1]);
}

#[test]
fn unaligned_exclusive_is_an_alignment_fault_even_on_normal_memory() {
    let mut t = mmu_setup(&[
        0xc85f7c20, // ldxr x0, [x1]
    ]);
    t.cpu.regs.x[1] = RAM + 0x5004;
    t.expect_vector(SYNC_SPX, 0x9600_0021, RAM);
}

/// Stage 1 descriptor bits for the tests (4K granule).
mod desc {
    pub const TABLE: u64 = 0b11;
    pub const PAGE: u64 = 0b11;
    pub const AF: u64 = 1 << 10;
    pub const SH_INNER: u64 = 3 << 8;
    pub const AP_RO: u64 = 2 << 6;
    pub const ATTR_DEVICE: u64 = 1 << 2;
}

/// The MMU on: 4K granule, T0SZ 25 (level 1 start), identity map of the
/// first 2M of RAM (code and vectors) with 4K pages, Normal memory (MAIR attr 0), EL1 RW;
/// page RAM+0x6000 left unmapped, RAM+0x7000 read-only, RAM+0x8000 Device.
fn mmu_setup(code: &[u32]) -> T {
    let mut t = setup(code);
    let l1 = TABLES;
    let l2 = TABLES + 0x1000;
    let l3 = TABLES + 0x2000;
    let put = |mem: &mut PhysMemoryMap, at: u64, v: u64| {
        mem.write_bytes(PhysAddr(at), &v.to_le_bytes()).unwrap()
    };
    put(&mut t.mem, l1 + 8, l2 | desc::TABLE); // VA 1G..2G
    put(&mut t.mem, l2, l3 | desc::TABLE); // the first 2M of it
    for p in 0..512u64 {
        let pa = RAM + (p << 12);
        let extra = match p {
            6 => continue,
            7 => desc::AP_RO,
            8 => desc::ATTR_DEVICE,
            _ => 0,
        };
        put(
            &mut t.mem,
            l3 + 8 * p,
            pa | desc::PAGE | desc::AF | desc::SH_INNER | extra,
        );
    }
    t.cpu.sys.mair = 0x00ff; // attr 0 Normal WB, attr 1 Device-nGnRnE
    t.cpu.sys.tcr = 25 | 3 << 12 | 1 << 23 | 0b101 << 32;
    t.cpu.sys.ttbr0 = l1;
    t.cpu.sys.sctlr |= 1;
    t
}

#[test]
fn a_store_across_into_an_unmapped_page_faults_precisely_and_writes_nothing() {
    let mut t = mmu_setup(&[
        0xf9000020, // str x0, [x1]
    ]);
    t.cpu.regs.x[0] = u64::MAX;
    t.cpu.regs.x[1] = RAM + 0x5ffc;
    // Translation fault, level 3 (DFSC 0b000111), WnR; FAR names the
    // page that faulted.
    t.expect_vector(SYNC_SPX, 0x9600_0047, RAM);
    assert_eq!(t.cpu.sys.far, RAM + 0x6000);
    assert_eq!(t.mem.read_vec(PhysAddr(RAM + 0x5ffc), 4).unwrap(), [0; 4]);
}

#[test]
fn a_pair_load_across_a_page_leaves_the_registers_on_a_fault() {
    let mut t = mmu_setup(&[
        0xa9400c22, // ldp x2, x3, [x1]
    ]);
    t.cpu.regs.x[1] = RAM + 0x5ff8;
    t.cpu.regs.x[2] = 2;
    t.cpu.regs.x[3] = 3;
    t.expect_vector(SYNC_SPX, 0x9600_0007, RAM);
    assert_eq!(t.cpu.sys.far, RAM + 0x6000);
    assert_eq!(t.cpu.regs.x[2..4], [2, 3]);
}

#[test]
fn a_store_to_a_read_only_page_is_a_permission_fault() {
    let mut t = mmu_setup(&[
        0xf9000020, // str x0, [x1]
    ]);
    t.cpu.regs.x[1] = RAM + 0x7008;
    // Permission fault, level 3 (0b001111), WnR.
    t.expect_vector(SYNC_SPX, 0x9600_004f, RAM);
}

#[test]
fn unaligned_access_to_device_memory_faults_and_to_normal_memory_does_not() {
    let mut t = mmu_setup(&[
        0xf9400020, // ldr x0, [x1]
        0xf9400040, // ldr x0, [x2]
    ]);
    t.cpu.regs.x[1] = RAM + 0x5001;
    t.cpu.regs.x[2] = RAM + 0x8001;
    t.expect_vector(SYNC_SPX, 0x9600_0021, RAM + 4);
    assert_eq!(t.cpu.sys.far, RAM + 0x8001);
}

#[test]
fn sctlr_a_makes_every_unaligned_access_fault() {
    let mut t = mmu_setup(&[
        0xf9400020, // ldr x0, [x1]
    ]);
    t.cpu.sys.sctlr |= 1 << 1;
    t.cpu.regs.x[1] = RAM + 0x5004;
    t.expect_vector(SYNC_SPX, 0x9600_0021, RAM);
}

#[test]
fn ldtr_checks_el0_permissions() {
    let mut t = mmu_setup(&[
        0xf8400820, // ldtr x0, [x1]
    ]);
    t.cpu.regs.x[1] = RAM + 0x5000;
    // AP = 00: no EL0 access; a permission fault at level 3 (same EL).
    t.expect_vector(SYNC_SPX, 0x9600_000f, RAM);
}

#[test]
fn at_s1e1r_writes_par_el1_from_the_walk() {
    let mut t = mmu_setup(&[
        0xd5087801, // at s1e1r, x1
        0xd5387404, // mrs x4, par_el1
        0xd5087802, // at s1e1r, x2
        0xd5387405, // mrs x5, par_el1
        0xd503207f, // wfi
    ]);
    t.cpu.regs.x[1] = RAM + 0x5123;
    t.cpu.regs.x[2] = RAM + 0x6000;
    assert_eq!(t.run(), Exit::WaitForInterrupt { pc: RAM + 16 });
    // ATTR 0xff, PA, RES1 bit 11, NS (bit 9: UNKNOWN, 1 as on QEMU's
    // Non-secure virt), SH Inner (0b11 at bits 8:7).
    assert_eq!(t.cpu.regs.x[4], 0xff00_0000_4000_5b80);
    // F, FST translation level 3 (0b000111 at bits 6:1), RES1 bit 11.
    assert_eq!(t.cpu.regs.x[5], 0x80f);
}

#[test]
fn tlbi_vae1_makes_a_changed_descriptor_visible() {
    let mut t = mmu_setup(&[
        0xf9400020, // ldr x0, [x1]
        0xf9000062, // str x2, [x3]
        0xd5033f9f, // dsb sy
        0xd5088724, // tlbi vae1, x4
        0xd5033f9f, // dsb sy
        0xd5033fdf, // isb
        0xf9400025, // ldr x5, [x1]
        0xd503207f, // wfi
    ]);
    words(&mut t.mem, RAM + 0x5000, &[1, 0]);
    words(&mut t.mem, RAM + 0x9000, &[2, 0]);
    t.cpu.regs.x[1] = RAM + 0x5000;
    // The L3 descriptor of RAM+0x5000, pointed at RAM+0x9000.
    t.cpu.regs.x[2] = (RAM + 0x9000) | desc::PAGE | desc::AF | desc::SH_INNER;
    t.cpu.regs.x[3] = TABLES + 0x2000 + 8 * 5;
    t.cpu.regs.x[4] = (RAM + 0x5000) >> 12;
    assert_eq!(t.run(), Exit::WaitForInterrupt { pc: RAM + 28 });
    assert_eq!((t.cpu.regs.x[0], t.cpu.regs.x[5]), (1, 2));
}

#[test]
fn the_id_registers_advertise_every_granule_at_both_stages() {
    let mut t = setup(&[
        0xd5380706, // mrs x6, id_aa64mmfr0_el1
        0xd5384240, // mrs x0, currentel
        0xd503207f, // wfi
    ]);
    assert_eq!(t.run(), Exit::WaitForInterrupt { pc: RAM + 8 });
    let id = crate::arch::id::MmuFeatures::decode(t.cpu.regs.x[6], 0, 0);
    assert_eq!(id.stage1, crate::arch::id::GranuleSet::ALL);
    assert_eq!(id.stage2, crate::arch::id::GranuleSet::ALL);
    assert_eq!(id.pa_bits, 48);
    assert_eq!(t.cpu.regs.x[0], 1 << 2);
}

#[test]
fn random_images_never_panic_the_host() {
    let mut rng = Rng(0x5eed_1234_5678);
    for round in 0..6 {
        let code: Vec<u32> = (0..4096).map(|_| rng.next() as u32).collect();
        let mut t = setup(&code);
        // Random vector tables too, and random translation controls in
        // half the rounds.
        let vectors: Vec<u32> = (0..512).map(|_| rng.next() as u32).collect();
        words(&mut t.mem, VBAR, &vectors);
        if round % 2 == 1 {
            t.cpu.sys.sctlr = rng.next();
            t.cpu.sys.tcr = rng.next();
            t.cpu.sys.ttbr0 = RAM + (rng.next() & 0x3f_f000);
            t.cpu.sys.ttbr1 = rng.next();
        }
        for k in 0..31 {
            t.cpu.regs.x[k] = if rng.next() & 1 == 0 {
                RAM + (rng.next() & (RAM_SIZE - 1))
            } else {
                rng.next()
            };
        }
        let _ = t.cpu.run(&mut t.mem, &mut t.sys, 200_000);
    }
}

#[test]
fn tagged_addresses_share_the_tlb_entry_that_tlbi_by_va_drops() {
    let mut t = mmu_setup(&[
        0xf9400020, // ldr x0, [x1]
        0xf9000062, // str x2, [x3]
        0xd5033f9f, // dsb sy
        0xd5088724, // tlbi vae1, x4
        0xd5033f9f, // dsb sy
        0xd5033fdf, // isb
        0xf9400025, // ldr x5, [x1]
        0xd503207f, // wfi
    ]);
    t.cpu.sys.tcr |= 1 << 37; // TBI0
    words(&mut t.mem, RAM + 0x5000, &[1, 0]);
    words(&mut t.mem, RAM + 0x9000, &[2, 0]);
    t.cpu.regs.x[1] = 0x5a00_0000_0000_0000 | (RAM + 0x5000);
    t.cpu.regs.x[2] = (RAM + 0x9000) | desc::PAGE | desc::AF | desc::SH_INNER;
    t.cpu.regs.x[3] = TABLES + 0x2000 + 8 * 5;
    t.cpu.regs.x[4] = (RAM + 0x5000) >> 12;
    assert_eq!(t.run(), Exit::WaitForInterrupt { pc: RAM + 28 });
    assert_eq!((t.cpu.regs.x[0], t.cpu.regs.x[5]), (1, 2));
}

#[test]
fn wfi_at_el0_traps_unless_sctlr_ntwi_is_set() {
    let mut t = setup(&[
        0xd69f03e0, // eret
    ]);
    words(&mut t.mem, RAM + 0x100, &[0xd503207f]); // wfi
    t.cpu.sys.spsr = 0;
    t.cpu.sys.elr = RAM + 0x100;
    // EC 0x01, IL, CV = 1, COND = 0b1110, TI = 0 (WFI).
    t.expect_vector(SYNC_LOWER, 0x07e0_0000, RAM + 0x100);
    let mut t = setup(&[
        0xd69f03e0, // eret
    ]);
    words(&mut t.mem, RAM + 0x100, &[0xd503207f]); // wfi
    t.cpu.sys.spsr = 0;
    t.cpu.sys.elr = RAM + 0x100;
    t.cpu.sys.sctlr |= 1 << 16;
    assert_eq!(t.run(), Exit::WaitForInterrupt { pc: RAM + 0x100 });
}
