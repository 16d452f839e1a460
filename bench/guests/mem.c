/* Memory-heavy loop: the guest MMU on with 4K pages over 32 MiB (8192
 * pages); each access is to another page (stride 7 pages + 64 bytes), so
 * no TLB of fewer than 8192 entries holds a page between two visits. The
 * sum checks the loop against a model of it (memory starts zeroed). */
#include "bench.h"

#ifndef BENCH_NAME
#define BENCH_NAME "mem"
#endif
#define ACCESSES 4000000UL
#define STRIDE (7 * 4096 + 64)

int main(void) {
#ifndef BENCH_FLAT
    bench_mmu_on();
#endif
    u64 t0 = counter();
    u64 sum = bench_mem_loop(MAP_BASE, ACCESSES, STRIDE, MAP_SIZE - 1);
    u64 t1 = counter();
    /* From a Python model of the loop over zeroed memory. */
    check_eq(sum, 0x1083f30370000UL, "mem: sum");
    report(BENCH_NAME, ACCESSES, ACCESSES * 8 + 4, t1 - t0, sum);
    return failures;
}
