//! The translator against the architecture: self-modifying code (code and
//! data in one page, a store into the current block, IC IVAU, IC IALLU)
//! and chains across TLBI and ASID changes, at every TLB page size.
//! Instruction words come from the GNU assembler (assembly in comments);
//! expected registers follow from the ARM ARM's rules for instruction
//! fetch after cache maintenance and TLB maintenance (B2.4, D8.13).

use alloc::vec::Vec;

use super::InvalidateCause;
use crate::addr::PhysAddr;
use crate::cpu::{CallResult, Cpu, CpuConfig, Exit, GuestContext, System};
use crate::mem::PhysMemoryMap;
use crate::pagesize::PageSize;
use crate::tlb::MmuIdx;

const RAM: u64 = 0x4000_0000;
const TABLES: u64 = RAM + 0x10_0000;
const TABLES2: u64 = RAM + 0x10_4000;

/// `HVC #0` ends the run.
struct Sys;

impl System for Sys {
    fn hvc(&mut self, _: u16, _: &mut GuestContext<'_>) -> CallResult {
        CallResult::Exit(Exit::PowerOff)
    }
    fn semihosting(&mut self, _: &mut GuestContext<'_>) -> CallResult {
        CallResult::Undefined
    }
}

/// Every TLB page size (only the fixed one in a `page-size-*` build).
fn pages() -> impl Iterator<Item = PageSize> {
    let fixed = crate::cpu::page::fixed_page_size();
    PageSize::ALL
        .into_iter()
        .filter(move |p| fixed.is_none_or(|f| f == *p))
}

fn put_words(mem: &mut PhysMemoryMap, at: u64, code: &[u32]) {
    let bytes: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
    mem.write_bytes(PhysAddr(at), &bytes).unwrap();
}

fn machine(page: PageSize, code: &[(u64, &[u32])]) -> (Cpu, PhysMemoryMap) {
    let mut mem = PhysMemoryMap::new(page);
    mem.add_ram("ram", PhysAddr(RAM), 4 << 20, 0).unwrap();
    for (off, w) in code {
        put_words(&mut mem, RAM + off, w);
    }
    let mut cpu = Cpu::new(CpuConfig::new(page)).unwrap();
    cpu.reset(RAM, 0);
    (cpu, mem)
}

fn run(cpu: &mut Cpu, mem: &mut PhysMemoryMap) {
    assert_eq!(cpu.run(mem, &mut Sys, 100_000), Exit::PowerOff);
}

/// Single-steps to the HVC (the interpreter's answer).
fn step(cpu: &mut Cpu, mem: &mut PhysMemoryMap) {
    for _ in 0..100_000 {
        if cpu.step(mem, &mut Sys).exit == Some(Exit::PowerOff) {
            return;
        }
    }
    panic!("no HVC");
}

/// `bl patch_fn` (translated), then the patch with the full maintenance
/// sequence of B2.4.4 (DC CVAU, DSB, IC IVAU, DSB, ISB), then `bl
/// patch_fn` again: the second call must run the new instruction.
#[test]
fn a_patched_function_runs_the_new_code_after_ic_ivau_and_isb() {
    const P: &[u32] = &[
        0x9400000b, // bl patch_fn (+0x2c)
        0xaa0003e3, // mov x3, x0
        0xb9000022, // str w2, [x1]
        0xd50b7b21, // dc cvau, x1
        0xd5033b9f, // dsb ish
        0xd50b7521, // ic ivau, x1
        0xd5033b9f, // dsb ish
        0xd5033fdf, // isb
        0x94000003, // bl patch_fn
        0xaa0003e4, // mov x4, x0
        0xd4000002, // hvc #0
        0xd2800020, // patch_fn: movz x0, #1
        0xd65f03c0, // ret
    ];
    for page in pages() {
        // MMU off, then on with 4K guest pages (smaller than the TLB
        // page at 16K and 64K: the small-page path).
        for mmu in [false, true] {
            let (mut cpu, mut mem) = machine(page, &[(0, P)]);
            if mmu {
                mmu_on(&mut cpu, &mut mem);
            }
            cpu.regs.x[1] = RAM + 0x2c;
            cpu.regs.x[2] = 0xd2800040; // movz x0, #2
            run(&mut cpu, &mut mem);
            assert_eq!((cpu.regs.x[3], cpu.regs.x[4]), (1, 2), "{page} {mmu}");
            assert_eq!(cpu.tb_stats().invalidated_by(InvalidateCause::Store), 1);
        }
    }
}

/// A store into the block being executed: the translator ends the block
/// after the store, so the next fetch sees the new word, exactly as the
/// interpreter (which fetches every instruction) does.
#[test]
fn a_store_into_the_current_block_is_seen_by_the_next_fetch() {
    const P: &[u32] = &[
        0xb9000022, // str w2, [x1]
        0xd503201f, // nop
        0xd2800020, // movz x0, #1 (overwritten with movz x0, #2)
        0xd4000002, // hvc #0
    ];
    for page in pages() {
        let mut results = Vec::new();
        for translate in [true, false] {
            let (mut cpu, mut mem) = machine(page, &[(0, P)]);
            cpu.regs.x[1] = RAM + 8;
            cpu.regs.x[2] = 0xd2800040;
            if translate {
                run(&mut cpu, &mut mem);
                let s = cpu.tb_stats();
                assert_eq!(s.invalidated_by(InvalidateCause::Store), 1, "{page}");
                // The first block, then the one from the NOP on.
                assert_eq!(s.translated, 2, "{page}");
            } else {
                step(&mut cpu, &mut mem);
            }
            results.push(cpu.regs.x[0]);
        }
        assert_eq!(results, [2, 2], "{page}");
    }
}

/// Stores to data in the code's own 1K chunk (and page) never drop the
/// loop's block: the loop is translated once and chained to itself (from
/// its third execution: the second finds it in the jump cache and links
/// it).
#[test]
fn data_next_to_code_does_not_flush_its_blocks() {
    const P: &[u32] = &[
        0xf9000083, // loop: str x3, [x4]
        0xf9000483, // str x3, [x4, #8]
        0xf10004a5, // subs x5, x5, #1
        0x54ffffa1, // b.ne loop
        0xd4000002, // hvc #0
    ];
    for page in pages() {
        let (mut cpu, mut mem) = machine(page, &[(0, P)]);
        cpu.regs.x[3] = 0x1122_3344_5566_7788;
        cpu.regs.x[4] = RAM + 0x40;
        cpu.regs.x[5] = 100;
        run(&mut cpu, &mut mem);
        let mut b = [0u8; 16];
        mem.read_bytes(PhysAddr(RAM + 0x40), &mut b).unwrap();
        assert_eq!(
            b,
            [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11].repeat(2)[..]
        );
        let s = cpu.tb_stats();
        assert_eq!(s.invalidated, [0; 4], "{page}: {s}");
        assert_eq!(s.translated, 2, "{page}: {s}");
        assert_eq!(s.chained, 98, "{page}: {s}");
        assert_eq!(s.executed_insns, 401, "{page}: {s}");
    }
}

/// fa (line 0x100) and fb (line 0x200) are translated, then both are
/// rewritten behind the CPU (as a DMA would: no store to catch). IC IVAU
/// of fb's line must make fb's new code visible after ISB; fa's block,
/// whose line was not invalidated, stays (the architecture allows the old
/// instruction there). IC IALLU then drops everything.
#[test]
fn ic_ivau_drops_the_line_and_ic_iallu_everything() {
    const MAIN: &[u32] = &[
        0x94000040, // bl fa
        0xaa0003e6, // mov x6, x0
        0x9400007e, // bl fb
        0xaa0003e7, // mov x7, x0
        0xd4000002, // hvc #0
    ];
    const PHASE2: &[u32] = &[
        0xd50b7521, // ic ivau, x1
        0xd5033b9f, // dsb ish
        0xd5033fdf, // isb
        0x9400001d, // bl fa
        0xaa0003e6, // mov x6, x0
        0x9400005b, // bl fb
        0xaa0003e7, // mov x7, x0
        0xd4000002, // hvc #0
    ];
    const PHASE3: &[u32] = &[
        0xd508751f, // ic iallu
        0xd5033b9f, // dsb ish
        0xd5033fdf, // isb
        0x17ffff60, // b 0x8c (PHASE2's bl fa)
    ];
    const FA: &[u32] = &[0xd2800020, 0xd65f03c0]; // movz x0, #1; ret
    const FB: &[u32] = &[0xd2800060, 0xd65f03c0]; // movz x0, #3; ret
    for page in pages() {
        let (mut cpu, mut mem) = machine(
            page,
            &[
                (0, MAIN),
                (0x80, PHASE2),
                (0x100, FA),
                (0x200, FB),
                (0x300, PHASE3),
            ],
        );
        run(&mut cpu, &mut mem);
        assert_eq!((cpu.regs.x[6], cpu.regs.x[7]), (1, 3));
        put_words(&mut mem, RAM + 0x100, &[0xd2800160]); // movz x0, #11
        put_words(&mut mem, RAM + 0x200, &[0xd28001a0]); // movz x0, #13
        cpu.regs.pc = RAM + 0x80;
        cpu.regs.x[1] = RAM + 0x204;
        run(&mut cpu, &mut mem);
        assert_eq!((cpu.regs.x[6], cpu.regs.x[7]), (1, 13), "{page}");
        assert_eq!(cpu.tb_stats().invalidated_by(InvalidateCause::IcIvau), 1);
        // IC IALLU, DSB, ISB, then PHASE2's calls: fa's new code too.
        cpu.regs.pc = RAM + 0x300;
        run(&mut cpu, &mut mem);
        assert_eq!((cpu.regs.x[6], cpu.regs.x[7]), (11, 13), "{page}");
        assert!(cpu.tb_stats().invalidated_by(InvalidateCause::IcIallu) >= 4);
        assert_eq!(cpu.tb_stats().invalidated_by(InvalidateCause::Store), 0);
    }
}

const LOOP: &[u32] = &[
    0xd2800645, // main: mov x5, #50
    0x940003ff, // loop: bl f1 (+0x1000)
    0x940007fe, // bl f2 (+0x2000)
    0xf10004a5, // subs x5, x5, #1
    0x54ffffa1, // b.ne loop
    0xd4000002, // hvc #0
];
const F1: &[u32] = &[0x910004c6, 0xd65f03c0]; // add x6, x6, #1; ret
const F2: &[u32] = &[0x910004e7, 0xd65f03c0]; // add x7, x7, #1; ret
const F2_NEW: &[u32] = &[0x910190e7, 0xd65f03c0]; // add x7, x7, #100; ret
const PHASE_TLBI: &[u32] = &[
    0xf9000062, // str x2, [x3]
    0xd5033b9f, // dsb ish
    0xd5088721, // tlbi vae1, x1
    0xd5033b9f, // dsb ish
    0xd5033fdf, // isb
    0xd2800645, // mov x5, #50
    0x17fff3fb, // b loop
];
const PHASE_ASID: &[u32] = &[
    0xd5182002, // msr ttbr0_el1, x2
    0xd5033fdf, // isb
    0xd2800645, // mov x5, #50
    0x17fff3be, // b loop
];

const PAGE: u64 = 1 | 1 << 1 | 1 << 10 | 3 << 8; // valid page, AF, Inner Shareable
const NG: u64 = 1 << 11;

/// 4K granule, T0SZ 25, identity over the first 2M of RAM; guest page 2
/// (f2) non-global and mapped to `f2_pa`.
fn tables(mem: &mut PhysMemoryMap, at: u64, f2_pa: u64) {
    let put = |mem: &mut PhysMemoryMap, a: u64, v: u64| {
        mem.write_bytes(PhysAddr(a), &v.to_le_bytes()).unwrap()
    };
    put(mem, at + 8, (at + 0x1000) | 3);
    put(mem, at + 0x1000, (at + 0x2000) | 3);
    for p in 0..512u64 {
        let d = if p == 2 {
            f2_pa | PAGE | NG
        } else {
            (RAM + (p << 12)) | PAGE
        };
        put(mem, at + 0x2000 + 8 * p, d);
    }
}

/// The MMU on with [`tables`] at [`TABLES`], ASID 1.
fn mmu_on(cpu: &mut Cpu, mem: &mut PhysMemoryMap) {
    tables(mem, TABLES, RAM + 0x2000);
    cpu.sys.mair = 0xff;
    cpu.sys.tcr = 25 | 3 << 12 | 1 << 23 | 0b101 << 32;
    cpu.sys.ttbr0 = TABLES | 1 << 48;
    cpu.tlb.set_asid(1);
    cpu.sys.sctlr |= 1;
}

fn chain_machine(page: PageSize) -> (Cpu, PhysMemoryMap) {
    let (mut cpu, mut mem) = machine(
        page,
        &[
            (0, LOOP),
            (0x1000, F1),
            (0x2000, F2),
            (0x3000, PHASE_TLBI),
            (0x3100, PHASE_ASID),
            (0x5000, F2_NEW),
        ],
    );
    mmu_on(&mut cpu, &mut mem);
    tables(&mut mem, TABLES2, RAM + 0x5000);
    run(&mut cpu, &mut mem);
    assert_eq!((cpu.regs.x[6], cpu.regs.x[7]), (50, 50), "{page}");
    (cpu, mem)
}

fn misses(cpu: &Cpu) -> u64 {
    cpu.tlbs().tlb(MmuIdx::El1).stats().misses
}

/// Remap f2's page and TLBI VAE1 it: after DSB and ISB the loop must call
/// the new f2 (D8.13: the new translation is used), while the chains into
/// the loop's and f1's pages, whose TLB entries the TLBI spares, are
/// followed with no new walk.
#[test]
fn tlbi_breaks_only_the_chain_into_the_page_it_drops() {
    for page in pages() {
        let (mut cpu, mut mem) = chain_machine(page);
        let before = misses(&cpu);
        let chained = cpu.tb_stats().chained;
        cpu.regs.pc = RAM + 0x3000;
        cpu.regs.x[1] = (RAM + 0x2000) >> 12 | 1 << 48;
        cpu.regs.x[2] = (RAM + 0x5000) | PAGE | NG;
        cpu.regs.x[3] = TABLES + 0x2000 + 8 * 2;
        run(&mut cpu, &mut mem);
        assert_eq!((cpu.regs.x[6], cpu.regs.x[7]), (100, 50 + 5000), "{page}");
        if page <= PageSize::K4 {
            // The phase's code page, its store's page, f2's page once.
            assert_eq!(misses(&cpu) - before, 3, "{page}");
        }
        // 50 iterations of loop -> f1 -> loop+8 -> f2 -> loop+12 -> loop;
        // only the first entry into each new block is not chained.
        let s = cpu.tb_stats();
        assert!(s.chained - chained >= 4 * 50 - 4, "{page}: {s}");
    }
}

/// A TTBR0 write with another ASID (and another f2 mapping): after ISB the
/// new f2 runs; the global pages' entries, and the chains into them, stay.
#[test]
fn an_asid_change_breaks_only_the_chains_into_non_global_pages() {
    for page in pages() {
        let (mut cpu, mut mem) = chain_machine(page);
        let before = misses(&cpu);
        cpu.regs.pc = RAM + 0x3100;
        cpu.regs.x[2] = TABLES2 | 2 << 48;
        run(&mut cpu, &mut mem);
        assert_eq!((cpu.regs.x[6], cpu.regs.x[7]), (100, 50 + 5000), "{page}");
        if page <= PageSize::K4 {
            // The phase's code page, and f2's page under ASID 2.
            assert_eq!(misses(&cpu) - before, 2, "{page}");
        }
    }
}

/// With the budget ending inside a block, the run stops at exactly that
/// instruction: 7 instructions are mov, bl f1, add, ret, bl f2, add, ret.
#[test]
fn the_budget_ends_a_run_inside_a_block() {
    for page in pages() {
        let (mut cpu, mut mem) = machine(page, &[(0, LOOP), (0x1000, F1), (0x2000, F2)]);
        assert_eq!(
            cpu.run(&mut mem, &mut Sys, 7),
            Exit::BudgetExhausted { pc: RAM + 0xc }
        );
        assert_eq!((cpu.regs.x[6], cpu.regs.x[7]), (1, 1));
        assert_eq!(cpu.stats.instructions, 7);
    }
}

/// Turning the MMU on (SCTLR_EL1.M, then ISB) changes the regime: the
/// same `bl f2` that ran f2 at its physical address with the MMU off runs
/// what the tables map there (the new f2) once the MMU is on.
#[test]
fn a_regime_change_sends_the_same_branch_to_the_new_translation() {
    const PHASE_MMU: &[u32] = &[
        0x97fffb80, // bl f2 (+0x2000)
        0xd5181002, // msr sctlr_el1, x2
        0xd5033fdf, // isb
        0x97fffb7d, // bl f2
        0xd4000002, // hvc #0
    ];
    for page in pages() {
        let (mut cpu, mut mem) =
            machine(page, &[(0x2000, F2), (0x3200, PHASE_MMU), (0x5000, F2_NEW)]);
        tables(&mut mem, TABLES2, RAM + 0x5000);
        cpu.sys.mair = 0xff;
        cpu.sys.tcr = 25 | 3 << 12 | 1 << 23 | 0b101 << 32;
        cpu.sys.ttbr0 = TABLES2 | 2 << 48;
        cpu.tlb.set_asid(2);
        cpu.regs.x[2] = cpu.sys.sctlr | 1;
        cpu.regs.pc = RAM + 0x3200;
        run(&mut cpu, &mut mem);
        assert_eq!(cpu.regs.x[7], 101, "{page}");
    }
}

/// Random programs of decodable words, one in eight a word store through
/// X0-X15, which point into the program (so it rewrites its own code), with
/// the vectors inside it,
/// leave the same registers, system registers, exit and memory after the
/// same number of instructions whether translated or single-stepped.
#[test]
fn random_self_modifying_programs_run_the_same_translated_and_stepped() {
    use crate::cpu::tests::decoder::Rng;
    use crate::cpu::NoMachine;
    let decoder = crate::cpu::Decoder::new();
    let mut rng = Rng(0x7b10_c4c7_e5ee_d001);
    const WORDS: usize = 2048;
    let (mut smc, mut blocks) = (0, 0);
    for round in 0..24 {
        let mut code = Vec::with_capacity(WORDS);
        while code.len() < WORDS {
            let w = rng.next() as u32;
            if rng.next().is_multiple_of(8) {
                // str wT, [xN, #4*imm] with N < 16 (a pointer into the code).
                let (t, n, imm) = (w & 31, (w >> 5) & 15, (w >> 10) & 63);
                code.push(0xb900_0000 | imm << 10 | n << 5 | t);
            } else if decoder.decode(w).is_some() {
                code.push(w);
            }
        }
        let mut x = [0u64; 31];
        for (k, v) in x.iter_mut().enumerate() {
            // Around the synchronous exception vector (VBAR + 0x200),
            // where these programs spend most of their time.
            *v = if k < 16 {
                RAM + 0x100 + (rng.next() & 0x3fc)
            } else {
                rng.next()
            };
        }
        for page in pages() {
            let mut ends = Vec::new();
            for translate in [true, false] {
                let (mut cpu, mut mem) = machine(page, &[(0, &code)]);
                cpu.sys.vbar = RAM;
                cpu.sys.cpacr = 3 << 20;
                cpu.regs.x[..31].copy_from_slice(&x);
                let exit = if translate {
                    let e = cpu.run(&mut mem, &mut NoMachine, 3000);
                    smc += cpu.tb_stats().invalidated_by(InvalidateCause::Store);
                    blocks += cpu.tb_stats().executed;
                    Some(e)
                } else {
                    (0..3000).find_map(|_| cpu.step(&mut mem, &mut NoMachine).exit)
                };
                let mut ram = alloc::vec![0u8; 4 * WORDS];
                mem.read_bytes(PhysAddr(RAM), &mut ram).unwrap();
                let s = &cpu.sys;
                ends.push((
                    exit.filter(|e| !matches!(e, Exit::BudgetExhausted { .. })),
                    cpu.regs.x,
                    cpu.regs.pc,
                    cpu.regs.pstate,
                    [s.esr, s.elr, s.far, s.spsr, s.sctlr, s.tcr, s.par],
                    cpu.stats.instructions,
                    ram,
                ));
            }
            assert!(ends[0] == ends[1], "round {round}, {page}");
        }
    }
    // The programs did run blocks and rewrite them.
    assert!(
        smc > 0 && blocks > 1000,
        "{smc} blocks dropped by stores, {blocks} run"
    );
}
