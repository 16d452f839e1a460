/* The page tables shared by the mem and tlbi benchmarks (bench.h). */
#include "bench.h"

static u64 l1[512] __attribute__((aligned(4096)));
static u64 l2[512] __attribute__((aligned(4096)));
static u64 l2_uart[512] __attribute__((aligned(4096)));
u64 bench_l3[PAGES] __attribute__((aligned(4096)));

void bench_mmu_on(void) {
    for (u64 i = 0; i < 512; i++) {
        u64 pa = RAM_BASE + (i << 21);
        if (pa >= MAP_BASE && pa < MAP_BASE + MAP_SIZE)
            l2[i] = (u64)&bench_l3[(pa - MAP_BASE) >> 12] | 3;
        else
            l2[i] = pa | 1UL << 10 | 3UL << 8 | 1;
    }
    for (u64 i = 0; i < PAGES; i++)
        bench_l3[i] = PTE_PAGE(MAP_BASE + (i << 12));
    l2_uart[UART_BASE >> 21] = UART_BASE | 1UL << 10 | 1 << 2 | 3UL << 53 | 1;
    l1[0] = (u64)l2_uart | 3;
    l1[1] = (u64)l2 | 3;
    SYSREG_WRITE(mair_el1, 0x00ffUL);
    SYSREG_WRITE(tcr_el1, 25 | 1UL << 8 | 1UL << 10 | 3UL << 12 | 1UL << 23 | 2UL << 32);
    SYSREG_WRITE(ttbr0_el1, (u64)l1);
    __asm__ volatile("dsb ish\n\ttlbi vmalle1\n\tdsb ish\n\tisb" ::: "memory");
    SYSREG_WRITE(sctlr_el1, SYSREG_READ(sctlr_el1) | 1 | 1 << 2 | 1 << 12);
    ISB();
}
