//! The run loop of the virt machine with the CPU: PSCI SYSTEM_OFF and
//! SYSTEM_RESET through HVC, semihosting exit status, the instruction
//! budget, WFI. Instruction words from GNU as (aarch64-linux-gnu-as);
//! outcomes from the PSCI and semihosting specifications.

use std::boxed::Box;
use std::vec::Vec;

use emu::cpu::{Cpu, CpuConfig, Exit};
use emu::machine::run::run;
use emu::machine::semihosting::SemihostingHost;
use emu::machine::{Virt, VirtConfig};
use emu::pagesize::PageSize;

#[derive(Default)]
struct Host {
    err: Vec<u8>,
}
impl SemihostingHost for Host {
    fn write_console(&mut self, _error: bool, bytes: &[u8]) {
        self.err.extend_from_slice(bytes);
    }
    fn read_console(&mut self) -> Option<u8> {
        None
    }
    fn elapsed_ns(&mut self) -> u64 {
        0
    }
    fn unix_time(&mut self) -> Option<u64> {
        None
    }
}

fn image(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

fn go(words: &[u32], budget: u64) -> emu::machine::run::RunReport {
    let mut virt = Virt::new(
        VirtConfig::new(PageSize::K4),
        None,
        Box::new(|_b: u8| {}),
        None,
    )
    .unwrap();
    let mut cpu = Cpu::new(CpuConfig::new(PageSize::K4)).unwrap();
    run(
        &mut virt,
        &mut cpu,
        &image(words),
        &mut Host::default(),
        budget,
        None,
    )
    .unwrap()
}

// mov x0, #0x84000000; movk x0, #8; hvc #0
const SYSTEM_OFF: [u32; 3] = [0xd2b0_8000, 0xf280_0100, 0xd400_0002];

#[test]
fn psci_system_off_ends_the_run_with_status_0() {
    let r = go(&SYSTEM_OFF, 100);
    assert_eq!(r.exit, Exit::PowerOff);
    assert_eq!(r.status(), 0);
    assert!(r.passed());
    assert_eq!(r.instructions, 3);
}

#[test]
fn semihosting_exit_status_becomes_the_runs() {
    // mov x0, #0x20; adr x1, block; hlt #0xf000; b .; wfi;
    // block: .quad 0x20026, 3
    let words = [
        0xd280_0400,
        0x1000_0081,
        0xd45e_0000,
        0x1400_0000,
        0xd503_207f,
        0x0002_0026,
        0,
        3,
        0,
    ];
    let r = go(&words, 100);
    assert_eq!(r.exit, Exit::SemihostingExit { status: 3 });
    assert_eq!(r.status(), 3);
    assert!(!r.passed());
}

#[test]
fn the_budget_stops_a_loop_with_its_pc() {
    // b .
    let r = go(&[0x1400_0000], 1000);
    assert_eq!(r.exit, Exit::BudgetExhausted { pc: 0x4008_0000 });
    assert_eq!(r.instructions, 1000);
    assert_ne!(r.status(), 0);
}

#[test]
fn wfi_without_interrupts_ends_the_run() {
    let r = go(&[0xd503_207f], 10);
    assert!(matches!(r.exit, Exit::WaitForInterrupt { pc: 0x4008_0000 }));
}

#[test]
fn system_reset_reloads_and_a_resetting_loop_is_stopped() {
    // mov x0, #0x84000000; movk x0, #9; hvc #0: resets forever.
    let r = go(&[0xd2b0_8000, 0xf280_0120, 0xd400_0002], 10_000);
    assert_eq!(r.exit, Exit::Reset);
    assert_eq!(r.resets, emu::machine::run::MAX_RESETS);
    assert_eq!(
        r.instructions,
        3 * (u64::from(emu::machine::run::MAX_RESETS) + 1)
    );
}
