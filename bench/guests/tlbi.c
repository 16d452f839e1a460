/* TLBI-heavy loop: a page flips between two frames (its entry rewritten,
 * TLBI VAE1, DSB, ISB) and is read after each flip; the frames hold 1 and
 * 2, so the sum proves every TLBI took effect. */
#include "bench.h"

#define ITERATIONS 1000000UL

int main(void) {
    bench_mmu_on();
    u64 va = MAP_BASE, a = MAP_BASE + 0x100000, b = MAP_BASE + 0x200000;
    *(volatile u64 *)a = 1;
    *(volatile u64 *)b = 2;
    DSB(ish);
    u64 t0 = counter();
    /* The first flip maps a (the entry starts at b). */
    bench_l3[0] = PTE_PAGE(b);
    DSB(ish);
    u64 sum = bench_tlbi_loop((u64)&bench_l3[0], PTE_PAGE(b), a ^ b, va, ITERATIONS);
    u64 t1 = counter();
    check_eq(sum, ITERATIONS / 2 * 3, "tlbi: sum of the frames read");
    report("tlbi", ITERATIONS, ITERATIONS * 10 + 4, t1 - t0, sum);
    return failures;
}
