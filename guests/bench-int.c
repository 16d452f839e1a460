/* bench-int: guest MIPS on an integer loop (guests/lib/intloop.S, eight
 * instructions per iteration), timed by the guest's own counter. The
 * checksum line is the transcript; the time: line is the measurement. */
#include "guest.h"

u64 granule_bench_int_loop(u64 iterations);

#define ITERATIONS 2000000UL

int main(void) {
    printf("bench-int: start\n");
    u64 f = SYSREG_READ(cntfrq_el0);
    ISB();
    u64 t0 = SYSREG_READ(cntvct_el0);
    u64 sum = granule_bench_int_loop(ITERATIONS);
    ISB();
    u64 t1 = SYSREG_READ(cntvct_el0);
    u64 insns = ITERATIONS * 8;
    u64 us = (t1 - t0) * 1000000 / f;
    printf("bench-int: checksum %lx\n", sum);
    printf("time: bench-int %u instructions in %u us: %u MIPS\n", insns, us,
           us ? insns / us : 0);
    return failures;
}
