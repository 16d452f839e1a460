//! CPU target: the decoder and the whole CPU on random words.
//!
//! First every 4-byte word of the input is decoded and disassembled. Then
//! the input (after its first byte) runs as a raw image in the virt
//! machine, as `granule-run` builds it, with a small RAM and instruction
//! budget; the first byte picks the page size and whether the translator
//! is on. The run must end in an [`Exit`] that is not a host-side
//! [`Exit::Error`], within the budget.
//!
//! "Never an access outside guest RAM and devices" is checked two ways:
//! the memory map ends with exactly the regions it started with (so PAs
//! outside them are still holes), and a canary ROM, whose bytes lie in the
//! RAM arena directly after guest RAM's, still holds its pattern: no guest
//! store (through the interpreter, the translator or the TLB's fast path)
//! wrote past the end of RAM's storage or into memory the guest may only
//! read. The whole of guest RAM is the guest's to change.
//!
//! The seeds in `emu/fuzz/corpus/cpu` are one choice byte followed by the
//! raw output (`aarch64-linux-gnu-as`, `objcopy -O binary`) of a source in
//! `emu/fuzz/seed-sources/cpu`: a load/store loop ending in PSCI
//! SYSTEM_OFF, SCTLR.M set over garbage tables, UART stores and a branch
//! into the hole beside it, faults taken through a vector table, and
//! stores to the canary.

use alloc::boxed::Box;
use alloc::format;
use alloc::vec::Vec;

use crate::addr::PhysAddr;
use crate::cpu::{Cpu, CpuConfig, Decoder, Exit};
use crate::machine::run::run;
use crate::machine::semihosting::SemihostingHost;
use crate::machine::{Virt, VirtConfig};
use crate::mem::RegionInfo;
use crate::pagesize::PageSize;

/// The smallest RAM the machine takes.
const RAM_SIZE: u64 = 4 << 20;
const BUDGET: u64 = 20_000;
/// The canary ROM: above any RAM the machine can have, inside the PA space.
const CANARY: u64 = 0x80_0000_0000;
const CANARY_SIZE: usize = 64 << 10;

/// A host that has no console input and no clock.
struct Host;

impl SemihostingHost for Host {
    fn write_console(&mut self, _error: bool, _bytes: &[u8]) {}
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

fn canary_byte(i: usize) -> u8 {
    (i as u8) ^ ((i >> 8) as u8) ^ 0xa5
}

/// Decodes and disassembles every word of `data`.
fn decode(data: &[u8]) {
    static DECODER: std::sync::OnceLock<Decoder> = std::sync::OnceLock::new();
    let decoder = DECODER.get_or_init(Decoder::new);
    for w in data.chunks_exact(4) {
        let word = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
        if let Some(insn) = decoder.decode(word) {
            let text = format!("{insn}");
            assert!(!text.is_empty(), "{word:08x} disassembles to nothing");
        }
    }
}

/// Runs `data` as described in the module's documentation.
pub fn check(data: &[u8]) {
    decode(data);
    let Some((&choice, image)) = data.split_first() else {
        return;
    };
    let page = [PageSize::K1, PageSize::K4, PageSize::K16, PageSize::K64][usize::from(choice & 3)];
    let mut config = VirtConfig::new(page);
    config.ram_size = RAM_SIZE;
    let mut virt = Virt::new(config, None, Box::new(|_b: u8| {}), None).unwrap();
    let pattern: Vec<u8> = (0..CANARY_SIZE).map(canary_byte).collect();
    virt.map
        .add_rom("canary", PhysAddr(CANARY), &pattern, 0)
        .unwrap();
    let regions: Vec<RegionInfo> = virt.map.regions().cloned().collect();
    let mut cpu = Cpu::new(CpuConfig::new(page)).unwrap();
    cpu.set_translation(choice & 4 != 0);
    let Ok(report) = run(&mut virt, &mut cpu, image, &mut Host, BUDGET, None) else {
        // Refused cleanly (e.g. an empty image).
        return;
    };
    assert!(
        !matches!(report.exit, Exit::Error(_)),
        "host-side failure: {}",
        report.exit
    );
    assert!(
        report.instructions <= BUDGET,
        "{} instructions",
        report.instructions
    );
    let after: Vec<RegionInfo> = virt.map.regions().cloned().collect();
    assert_eq!(regions, after, "the memory map changed");
    let canary = virt.map.read_vec(PhysAddr(CANARY), CANARY_SIZE).unwrap();
    assert!(canary == pattern, "the canary ROM after guest RAM changed");
}
