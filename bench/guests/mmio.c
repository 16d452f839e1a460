/* MMIO loop: reads of the PL011's flag register (MMU off: Device memory). */
#include "bench.h"

#define READS 4000000UL

int main(void) {
    u64 t0 = counter();
    u64 sum = bench_mmio_loop(UART_BASE, READS);
    u64 t1 = counter();
    report("mmio", READS, READS * 4 + 3, t1 - t0, sum);
    return failures;
}
