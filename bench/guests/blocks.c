/* Many blocks: 4096 calls per round to 4096 small functions (lib/loops.S),
 * 8192 distinct blocks per round. ops counts calls. */
#include "bench.h"

#define ROUNDS 2000UL

int main(void) {
    u64 t0 = counter();
    u64 sum = bench_blocks_loop(ROUNDS);
    u64 t1 = counter();
    /* QEMU 7.2's result. */
    check_eq(sum, 0x668f583ea901565UL, "blocks: checksum");
    report("blocks", ROUNDS * 4096, ROUNDS * (4096 * 4 + 2) + 6, t1 - t0, sum);
    return failures;
}
