/* Shared by scripts/bench.sh's guests (bench/guests/): the report line
 * and the loops' declarations. Each guest times its loop with its own
 * counter (CNTVCT_EL0 over CNTFRQ_EL0) and prints one line
 *   bench: NAME ops N insns N ticks N freq N sum X
 * where insns is exact: every timed loop is assembly (loops.S) with a
 * fixed instruction count per iteration. */
#ifndef BENCH_H
#define BENCH_H
#include "guest.h"

u64 granule_bench_int_loop(u64 iterations);
u64 bench_mem_loop(u64 base, u64 accesses, u64 stride, u64 mask);
u64 bench_tlbi_loop(u64 pte_addr, u64 pte, u64 flip, u64 va, u64 iterations);
u64 bench_mmio_loop(u64 uart, u64 reads);
u64 bench_blocks_loop(u64 rounds);

static inline u64 counter(void) {
    ISB();
    return SYSREG_READ(cntvct_el0);
}

static inline void report(const char *name, u64 ops, u64 insns, u64 ticks, u64 sum) {
    printf("bench: %s ops %u insns %u ticks %u freq %u sum %x\n", name, ops, insns, ticks,
           SYSREG_READ(cntfrq_el0), sum);
}

/* 4K-granule tables (39-bit VA, T0SZ 25) built by the guest: the first
 * 1 GiB of RAM as 2 MiB blocks but for [MAP_BASE, MAP_BASE + MAP_SIZE),
 * which gets 4K pages (below 0x4400_0000, where QEMU puts the device tree
 * with 128 MiB of RAM); the UART's 2 MiB as Device memory. */
#define MAP_BASE 0x41000000UL
#define MAP_SIZE (32UL << 20)
#define PAGES (MAP_SIZE >> 12)
extern u64 bench_l3[PAGES];
void bench_mmu_on(void);
#define PTE_PAGE(pa) ((pa) | 1UL << 10 | 3UL << 8 | 3) /* AF, inner shareable, Normal, page */

#endif
