/* Integer loop (guests/lib/intloop.S: 8 instructions per iteration, no
 * memory access). */
#include "bench.h"

#define ITERATIONS 10000000UL

int main(void) {
    u64 t0 = counter();
    u64 sum = granule_bench_int_loop(ITERATIONS);
    u64 t1 = counter();
    /* QEMU 7.2's result. */
    check_eq(sum, 0x7a668a814f69fc95UL, "int: checksum");
    report("int", ITERATIONS, ITERATIONS * 8 + 4, t1 - t0, sum);
    return failures;
}
