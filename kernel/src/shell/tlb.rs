//! `tlb [1k|4k|16k|64k|all]`: runs a small guest workload through `emu`'s
//! software TLB, filled by `emu`'s walker from guest tables in guest RAM,
//! and prints the TLB's counters and the cost per access measured with the
//! generic timer. Until the guest CPU exists this is what exercises the
//! emulator's memory system on the board itself.

use super::args::{self, ArgError};
use super::Outcome;
use crate::arch::cpu;
use crate::memory::guest_ram::GuestRam;
use crate::println;
use alloc::boxed::Box;
use emu::addr::VirtAddr;
use emu::machine::layout::RAM_BASE;
use emu::machine::workload::{self, BLOCK_VA, PAGES, PAGES_VA, UART_VA};
use emu::machine::{Virt, VirtConfig};
use emu::mem::{AccessSize, LineSink, PhysMemoryMap};
use emu::pagesize::PageSize;
use emu::timing::{Clock, Measurement};
use emu::tlb::WalkerError;
use emu::tlb::{AsidMatch, LevelScope, MemoryFault, MmuIdx, RuntimePageSize, Stage1Walker, TlbSet};

const TLB_ENTRIES: usize = 256;
const UARTDR: u64 = 0;

/// The workload's guest: emu's virt machine with its RAM from the frame
/// allocator, and the workload's tables.
fn build_guest(
    page: PageSize,
) -> Result<(Virt, emu::mmu::regime::Stage1Regs), alloc::string::String> {
    let ram = GuestRam::allocate(workload::RAM_SIZE)?;
    let sink = LineSink::new(|line: &[u8]| {
        println!(
            "guest| {}",
            core::str::from_utf8(line).unwrap_or("<not UTF-8>")
        );
    });
    let mut config = VirtConfig::new(page);
    config.ram_size = workload::RAM_SIZE;
    let mut virt = Virt::new(config, Some(Box::new(ram)), Box::new(sink), None)
        .map_err(|e| alloc::format!("{e}"))?;
    let regs = workload::build_tables(&mut virt)?;
    Ok((virt, regs))
}

/// A measurement's time per operation, in ns with two decimals.
fn nanos(m: &Measurement) -> alloc::string::String {
    // ticks/op * 10^6, as "microseconds", is picoseconds per op.
    if !m.resolved {
        return alloc::string::String::from("below the timer's resolution");
    }
    let ps = cpu::ticks_to_micros(m.per_op_scaled(1_000_000));
    alloc::format!("{}.{:02} ns", ps / 1000, ps % 1000 / 10)
}

/// Nanoseconds per operation over `count` operations since `start`.
fn ns_per(start: u64, count: u64) -> u64 {
    cpu::ticks_to_micros((cpu::counter() - start) * 1000) / count.max(1)
}

fn run_one(page: PageSize) -> Result<(), alloc::string::String> {
    let (mut virt, regs) = build_guest(page)?;
    let map = &mut virt.map;
    let mut walker = Stage1Walker {
        regs,
        features: crate::memory::mmu::walker_features(),
        walks: 0,
    };
    // A marker at the start of the block, to read back after the TLBI.
    const MARKER: u64 = 0x6772_616e_756c_6521;
    map.write_bytes(RAM_BASE, &MARKER.to_le_bytes())
        .map_err(|e| alloc::format!("{e}"))?;
    let mut tlbs =
        TlbSet::new(RuntimePageSize(page), TLB_ENTRIES).map_err(|e| alloc::format!("{e}"))?;
    let fault = |e: MemoryFault<WalkerError>| alloc::format!("guest access faulted: {e:?}");
    let load =
        |map: &mut PhysMemoryMap,
         tlbs: &mut TlbSet<RuntimePageSize>,
         w: &mut Stage1Walker,
         va: u64| { tlbs.load(map, w, MmuIdx::El1, VirtAddr(va), AccessSize::Double) };

    // Sequential loads over the 2 MiB block: one miss per TLB page.
    let words = (2u64 << 20) / 8;
    let start = cpu::counter();
    let mut sum = 0u64;
    for i in 0..words {
        sum = sum.wrapping_add(load(map, &mut tlbs, &mut walker, BLOCK_VA + 8 * i).map_err(fault)?);
    }
    let sequential = ns_per(start, words);
    core::hint::black_box(sum);

    // One load per 4K guest page, twice: misses, then the second round.
    let start = cpu::counter();
    for _ in 0..2 {
        for i in 0..PAGES {
            load(map, &mut tlbs, &mut walker, PAGES_VA + i * 0x1000 + 0x40).map_err(fault)?;
        }
    }
    let strided = ns_per(start, 2 * PAGES);

    // MMIO through the slow path: the guest says hello on its UART.
    for byte in b"tlb: hello from the guest's PL011\n" {
        tlbs.store(
            map,
            &mut walker,
            MmuIdx::El1,
            VirtAddr(UART_VA + UARTDR),
            AccessSize::Word,
            u64::from(*byte),
        )
        .map_err(fault)?;
    }

    // Invalidate the block by an address in a small page never touched
    // since, refilling it in between, until the time measured is large
    // against the timer's resolution; then a full flush.
    let mut clock = Clock::new(cpu::counter);
    let mut refill_fault = None;
    let invalidate = clock.measure(
        &mut (&mut *map, &mut tlbs, &mut walker),
        100_000,
        |(map, tlbs, walker)| {
            if let Err(e) = load(map, tlbs, walker, BLOCK_VA) {
                refill_fault.get_or_insert(e);
            }
        },
        |(_, tlbs, _)| {
            tlbs.tlbi_va_e1(BLOCK_VA + 0x1f_f000, AsidMatch::Any, LevelScope::AllLevels);
            1
        },
    );
    if let Some(e) = refill_fault {
        return Err(fault(e));
    }
    let invalidate = nanos(&invalidate);
    let reload = load(map, &mut tlbs, &mut walker, BLOCK_VA).map_err(fault)?;
    tlbs.tlbi_vmalle1();

    println!("tlb: page size {page}, {TLB_ENTRIES} entries per MMU index, guest granule 4k");
    println!("  EL1: {}", tlbs.tlb(MmuIdx::El1).stats());
    println!("  walks {}", walker.walks);
    println!(
        "  sequential 8-byte loads over a 2 MiB block: {sequential} ns each; one load per 4K guest page: {strided} ns each; TLBI VA on the block: {invalidate}"
    );
    if reload != MARKER {
        return Err(alloc::format!(
            "after TLBI the block read {reload:#x}, not {MARKER:#x}"
        ));
    }
    Ok(())
}

/// The shell command.
pub fn tlb<'a>(args: &[&'a str]) -> Result<Outcome, ArgError<'a>> {
    Ok(run(args::page_sizes(args)?))
}

fn run(sizes: &[PageSize]) -> Outcome {
    for &page in sizes {
        if let Err(e) = run_one(page) {
            println!("tlb: {e}");
            return Outcome::Failed;
        }
    }
    Outcome::Done
}
