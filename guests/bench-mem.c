/* bench-mem: guest MIPS on a load/store-heavy loop over 256 KiB (through
 * the MMU, caches on), timed by the guest's own counter. */
#include "guest.h"

#define WORDS (256 * 1024 / 8)
#define ROUNDS 128
static u64 buf[WORDS] __attribute__((aligned(64)));

int main(void) {
    printf("bench-mem: start\n");
    identity_mmu_on();
    for (u64 i = 0; i < WORDS; i++)
        buf[i] = i * 0x9e3779b97f4a7c15UL;
    u64 f = SYSREG_READ(cntfrq_el0);
    ISB();
    u64 t0 = SYSREG_READ(cntvct_el0);
    u64 sum = 0;
    /* Per pair of words: ldp, add, eor, stp, add, cmp, b.ne = 7 insns. */
    for (u64 r = 0; r < ROUNDS; r++) {
        u64 *p = buf, *end = buf + WORDS;
        __asm__ volatile("1:\tldp x4, x5, [%1]\n\t"
                         "add %0, %0, x4\n\t"
                         "eor x5, x5, %0\n\t"
                         "stp x5, x4, [%1], #16\n\t"
                         "add %0, %0, #1\n\t"
                         "cmp %1, %2\n\t"
                         "b.ne 1b"
                         : "+r"(sum), "+r"(p)
                         : "r"(end)
                         : "x4", "x5", "memory", "cc");
    }
    ISB();
    u64 t1 = SYSREG_READ(cntvct_el0);
    u64 insns = ROUNDS * (WORDS / 2) * 7;
    u64 us = (t1 - t0) * 1000000 / f;
    printf("bench-mem: checksum %lx\n", sum);
    printf("time: bench-mem %u instructions in %u us: %u MIPS\n", insns, us,
           us ? insns / us : 0);
    return failures;
}
