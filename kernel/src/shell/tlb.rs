//! `tlb [1k|4k|16k|64k|all]`: runs a small guest workload through `emu`'s
//! software TLB, filled by `emu`'s walker from guest tables in guest RAM,
//! and prints the TLB's counters and the cost per access measured with the
//! generic timer. Until the guest CPU exists this is what exercises the
//! emulator's memory system on the board itself.

use super::Outcome;
use crate::arch::cpu;
use crate::println;
use alloc::boxed::Box;
use emu::addr::{PhysAddr, VirtAddr};
use emu::arch::sysreg::TCR_EL1;
use emu::granule::Granule;
use emu::mem::{AccessSize, GuestTableMemory, LineSink, PhysMemoryMap, Pl011};
use emu::mmu::regime::Stage1Regs;
use emu::mmu::{AccessPermissions, PageTable, Stage1Attributes, TableConfig};
use emu::pagesize::PageSize;
use emu::tlb::WalkerError;
use emu::tlb::{AsidMatch, LevelScope, MemoryFault, MmuIdx, RuntimePageSize, Stage1Walker, TlbSet};

/// The guest machine: RAM and a PL011 where QEMU's `virt` has them.
const RAM: u64 = 0x4000_0000;
const RAM_SIZE: u64 = 8 << 20;
const UART: u64 = 0x0900_0000;
const UART_SIZE: u64 = 0x1000;
/// Guest tables in the last MiB of its RAM.
const TABLES: u64 = RAM + RAM_SIZE - (1 << 20);
/// Guest VAs: a 2 MiB block of RAM, 4K pages of RAM, the UART page.
const BLOCK_VA: u64 = 0x1_0000_0000;
const PAGES_VA: u64 = 0x2_0000_0000;
const PAGES: u64 = 256;
const UART_VA: u64 = 0x3_0000_0000;
/// MAIR: slot 0 Normal Write-Back, slot 1 Device-nGnRE.
const GUEST_MAIR: u64 = 0x04ff;
const SCTLR_M: u64 = 1;
const TLB_ENTRIES: usize = 256;
const UARTDR: u64 = 0;

fn attrs(attr_index: u8, access: AccessPermissions) -> Stage1Attributes {
    Stage1Attributes {
        access,
        ..Stage1Attributes::kernel_data(attr_index)
    }
}

/// Builds the guest: memory map and stage 1 tables (4K granule).
fn build_guest(page: PageSize) -> Result<(PhysMemoryMap, Stage1Regs), alloc::string::String> {
    let mut map = PhysMemoryMap::new(page);
    map.add_ram("ram", PhysAddr(RAM), RAM_SIZE, 0)
        .map_err(|e| alloc::format!("{e}"))?;
    let sink = LineSink::new(|line: &[u8]| {
        println!(
            "guest| {}",
            core::str::from_utf8(line).unwrap_or("<not UTF-8>")
        );
    });
    map.add_mmio(
        "pl011",
        PhysAddr(UART),
        UART_SIZE,
        0,
        Box::new(Pl011::new(Box::new(sink))),
    )
    .map_err(|e| alloc::format!("{e}"))?;
    let config = TableConfig::stage1(Granule::K4, 39, 48).map_err(|e| alloc::format!("{e}"))?;
    let mut mem = GuestTableMemory::new(&mut map, PhysAddr(TABLES), PhysAddr(RAM + RAM_SIZE));
    let mut table = PageTable::new(config, &mut mem).map_err(|e| alloc::format!("{e}"))?;
    let rw = attrs(0, AccessPermissions::PrivilegedReadWrite);
    let result = (|| {
        table.map(&mut mem, BLOCK_VA, PhysAddr(RAM), 2 << 20, rw)?;
        // Scattered pages: neighbours in VA are 8 KiB apart in PA, backwards.
        for i in 0..PAGES {
            let pa = RAM + (2 << 20) + (PAGES - i) * 0x2000;
            table.map(&mut mem, PAGES_VA + i * 0x1000, PhysAddr(pa), 0x1000, rw)?;
        }
        table.map(
            &mut mem,
            UART_VA,
            PhysAddr(UART),
            0x1000,
            attrs(1, AccessPermissions::PrivilegedReadWrite),
        )
    })();
    result.map_err(|e| alloc::format!("building the guest tables: {e}"))?;
    let regs = Stage1Regs {
        sctlr: SCTLR_M,
        tcr: config.tcr_el1_bits() | TCR_EL1::EPD1::SET.value,
        ttbr0: table.root().0,
        ttbr1: 0,
        mair: GUEST_MAIR,
        pan: false,
    };
    Ok((map, regs))
}

/// Nanoseconds per operation over `count` operations since `start`.
fn ns_per(start: u64, count: u64) -> u64 {
    cpu::ticks_to_micros((cpu::counter() - start) * 1000) / count.max(1)
}

fn run_one(page: PageSize) -> Result<(), alloc::string::String> {
    let (mut map, regs) = build_guest(page)?;
    let mut walker = Stage1Walker {
        regs,
        features: crate::memory::mmu::walker_features(),
        walks: 0,
    };
    // A marker at the start of the block, to read back after the TLBI.
    const MARKER: u64 = 0x6772_616e_756c_6521;
    map.write_bytes(PhysAddr(RAM), &MARKER.to_le_bytes())
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
        sum = sum
            .wrapping_add(load(&mut map, &mut tlbs, &mut walker, BLOCK_VA + 8 * i).map_err(fault)?);
    }
    let sequential = ns_per(start, words);
    core::hint::black_box(sum);

    // One load per 4K guest page, twice: misses, then the second round.
    let start = cpu::counter();
    for _ in 0..2 {
        for i in 0..PAGES {
            load(
                &mut map,
                &mut tlbs,
                &mut walker,
                PAGES_VA + i * 0x1000 + 0x40,
            )
            .map_err(fault)?;
        }
    }
    let strided = ns_per(start, 2 * PAGES);

    // MMIO through the slow path: the guest says hello on its UART.
    for byte in b"tlb: hello from the guest's PL011\n" {
        tlbs.store(
            &mut map,
            &mut walker,
            MmuIdx::El1,
            VirtAddr(UART_VA + UARTDR),
            AccessSize::Word,
            u64::from(*byte),
        )
        .map_err(fault)?;
    }

    // Invalidate the block by an address in a small page never touched
    // since, then a full flush.
    let start = cpu::counter();
    tlbs.tlbi_va_e1(BLOCK_VA + 0x1f_f000, AsidMatch::Any, LevelScope::AllLevels);
    let invalidate = ns_per(start, 1);
    let reload = load(&mut map, &mut tlbs, &mut walker, BLOCK_VA).map_err(fault)?;
    tlbs.tlbi_vmalle1();

    println!("tlb: page size {page}, {TLB_ENTRIES} entries per MMU index, guest granule 4k");
    println!("  EL1: {}", tlbs.tlb(MmuIdx::El1).stats());
    println!("  walks {}", walker.walks);
    println!(
        "  sequential 8-byte loads over a 2 MiB block: {sequential} ns each; one load per 4K guest page: {strided} ns each; TLBI VA on the block: {invalidate} ns"
    );
    if reload != MARKER {
        return Err(alloc::format!(
            "after TLBI the block read {reload:#x}, not {MARKER:#x}"
        ));
    }
    Ok(())
}

/// The shell command.
pub fn tlb(args: &[&str]) -> Outcome {
    let sizes: &[PageSize] = match args {
        [] => &[PageSize::K4],
        ["all"] => &[PageSize::K1, PageSize::K4, PageSize::K16, PageSize::K64],
        [one] => match one.parse::<PageSize>() {
            Ok(p) => return run(&[p]),
            Err(_) => {
                println!("tlb: {one:?} is not a page size: use 1k, 4k, 16k, 64k or all");
                return Outcome::Failed;
            }
        },
        _ => {
            println!("usage: tlb [1k|4k|16k|64k|all]");
            return Outcome::Failed;
        }
    };
    run(sizes)
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
