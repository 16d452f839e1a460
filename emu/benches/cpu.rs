//! CPU benchmark: decoder throughput (random words and a real mix), and
//! interpreter and translator MIPS on an integer loop and a load/store loop, with the MMU
//! off and on (4K pages), for each TLB page size.
//!
//! Run with `cargo bench -p emu --bench cpu`.

use std::hint::black_box;
use std::time::Instant;

use emu::addr::PhysAddr;
use emu::cpu::{Cpu, CpuConfig, Decoder, Exit, NoMachine};
use emu::mem::PhysMemoryMap;
use emu::pagesize::PageSize;

const RAM: u64 = 0x4000_0000;
const RAM_SIZE: u64 = 16 << 20;
const TABLES: u64 = RAM + 0x80_0000;

/// Words from the GNU assembler (assembly in the comments).
const INTEGER_LOOP: &[u32] = &[
    0xd2c00020, // mov x0, #0x100000000 (iterations, large: the budget stops it)
    0x8b000021, // loop: add x1, x1, x0
    0xca010042, // eor x2, x2, x1
    0x9ac12063, // lsl x3, x3, x1
    0x9b020c64, // madd x4, x3, x2, x3
    0xf1000400, // subs x0, x0, #0x1
    0x54ffff61, // b.ne loop
    0xd503207f, // wfi
];

const LOAD_STORE_LOOP: &[u32] = &[
    0xd2c00020, // mov x0, #0x100000000
    0xd2a80025, // mov x5, #0x40010000
    0xf94000a1, // loop: ldr x1, [x5]
    0x91000421, // add x1, x1, #0x1
    0xf90000a1, // str x1, [x5]
    0xa94108a3, // ldp x3, x2, [x5, #16]
    0xa90188a2, // stp x2, x2, [x5, #24]
    0xf1000400, // subs x0, x0, #0x1
    0x54ffff41, // b.ne loop
    0xd503207f, // wfi
];

fn machine(page: PageSize, code: &[u32], mmu: bool) -> (Cpu, PhysMemoryMap) {
    let mut mem = PhysMemoryMap::new(page);
    mem.add_ram("ram", PhysAddr(RAM), RAM_SIZE, 0).unwrap();
    let bytes: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
    mem.write_bytes(PhysAddr(RAM), &bytes).unwrap();
    let mut cpu = Cpu::new(CpuConfig::new(page)).unwrap();
    cpu.reset(RAM, 0);
    if mmu {
        // 4K granule, T0SZ 25, L1[1] -> L2 -> L3 pages over the first 2M.
        let put = |mem: &mut PhysMemoryMap, at: u64, v: u64| {
            mem.write_bytes(PhysAddr(at), &v.to_le_bytes()).unwrap()
        };
        put(&mut mem, TABLES + 8, (TABLES + 0x1000) | 3);
        put(&mut mem, TABLES + 0x1000, (TABLES + 0x2000) | 3);
        for p in 0..512 {
            put(
                &mut mem,
                TABLES + 0x2000 + 8 * p,
                (RAM + (p << 12)) | 3 | 1 << 10 | 3 << 8,
            );
        }
        cpu.sys.mair = 0xff;
        cpu.sys.tcr = 25 | 3 << 12 | 1 << 23 | 0b101 << 32;
        cpu.sys.ttbr0 = TABLES;
        cpu.sys.sctlr |= 1;
    }
    (cpu, mem)
}

fn mips(page: PageSize, code: &[u32], mmu: bool, insns: u64, blocks: bool) -> f64 {
    let (mut cpu, mut mem) = machine(page, code, mmu);
    cpu.set_translation(blocks);
    let t = Instant::now();
    let exit = cpu.run(&mut mem, &mut NoMachine, insns);
    let dt = t.elapsed().as_secs_f64();
    assert!(matches!(exit, Exit::BudgetExhausted { .. }), "{exit}");
    assert_eq!(cpu.stats.exceptions, 0);
    insns as f64 / dt / 1e6
}

fn main() {
    let d = Decoder::new();
    let mut x: u64 = 0x1234_5678_9abc_def1;
    let words: Vec<u32> = (0..1_000_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u32
        })
        .collect();
    let t = Instant::now();
    let mut n = 0;
    for w in &words {
        n += black_box(d.decode(*w)).is_some() as u32;
    }
    let dt = t.elapsed().as_secs_f64();
    println!(
        "decode: random words: {:.1} ns/word ({n} of 10^6 allocated)",
        dt * 1e9 / 1e6
    );
    let mix: Vec<u32> = INTEGER_LOOP
        .iter()
        .chain(LOAD_STORE_LOOP)
        .copied()
        .cycle()
        .take(1_000_000)
        .collect();
    let t = Instant::now();
    for w in &mix {
        black_box(d.decode(*w));
    }
    println!(
        "decode: loop instructions: {:.1} ns/word",
        t.elapsed().as_secs_f64() * 1e9 / 1e6
    );
    const N: u64 = 20_000_000;
    // A build with a `page-size-*` feature fixes the page size: only that
    // one runs, and the lines say "constant".
    let fixed = emu::cpu::page::fixed_page_size();
    let how = if fixed.is_some() {
        "constant"
    } else {
        "run-time"
    };
    for page in [PageSize::K1, PageSize::K4, PageSize::K16, PageSize::K64] {
        if fixed.is_some_and(|f| f != page) {
            continue;
        }
        for mmu in [false, true] {
            for blocks in [false, true] {
                println!(
                    "{}, {page} TLB pages ({how}), MMU {}: integer loop {:.1} MIPS, load/store loop {:.1} MIPS",
                    if blocks { "translator" } else { "interpreter" },
                    if mmu { "on (4K pages)" } else { "off" },
                    mips(page, INTEGER_LOOP, mmu, N, blocks),
                    mips(page, LOAD_STORE_LOOP, mmu, N, blocks)
                );
            }
        }
    }
}
