/* smc: self-modifying code with the architecture's sequence (DC CVAU, DSB,
 * IC IVAU, DSB, ISB): a function rewritten and called again, an
 * instruction patched inside a loop already run, and IC IALLU; with the
 * MMU and caches on. */
#include "guest.h"

static u32 code[64] __attribute__((aligned(64)));

static void sync_code(void *p, u64 n) {
    for (u64 a = (u64)p & ~63UL; a < (u64)p + n; a += 64)
        __asm__ volatile("dc cvau, %0" ::"r"(a) : "memory");
    DSB(ish);
    for (u64 a = (u64)p & ~63UL; a < (u64)p + n; a += 64)
        __asm__ volatile("ic ivau, %0" ::"r"(a) : "memory");
    DSB(ish);
    ISB();
}

/* movz w0, #imm ; ret */
static void write_const(unsigned slot, u32 imm) {
    code[slot] = 0x52800000 | (imm & 0xffff) << 5;
    code[slot + 1] = 0xd65f03c0;
}

typedef u64 (*fn0)(void);
typedef u64 (*fn1)(u64);

int main(void) {
    printf("smc: start\n");
    identity_mmu_on();
    u64 sum = 0;
    for (u32 i = 0; i < 8; i++) {
        write_const(0, 100 + i * 7);
        sync_code(code, 8);
        u64 r = ((fn0)code)();
        printf("smc: rewrite %u returns %u\n", i, (unsigned)r);
        check_eq(r, 100 + i * 7, "rewritten function");
        sum += r;
    }
    /* A loop: x0 += x1 (patched to x0 += x1 * 2 via lsl) for x1 = count. */
    code[8] = 0xaa1f03e1; /* mov x1, xzr */
    code[9] = 0x8b010000; /* add x0, x0, x1 */
    code[10] = 0x91000421; /* add x1, x1, #1 */
    code[11] = 0xf100283f; /* cmp x1, #10 */
    code[12] = 0x54ffffa1; /* b.ne code[9] */
    code[13] = 0xd65f03c0; /* ret */
    sync_code(code + 8, 24);
    u64 a = ((fn1)(code + 8))(0);
    code[9] = 0x8b010400; /* add x0, x0, x1, lsl #1 */
    sync_code(code + 9, 4);
    u64 b = ((fn1)(code + 8))(0);
    code[9] = 0xcb010000; /* sub x0, x0, x1 */
    DSB(ish);
    __asm__ volatile("dc cvau, %0\n\tdsb ish\n\tic iallu\n\tdsb ish\n\tisb" ::"r"(code + 9)
                     : "memory");
    u64 c = ((fn1)(code + 8))(100);
    printf("smc: loop %u, patched %u, after IC IALLU %u\n", (unsigned)a, (unsigned)b,
           (unsigned)c);
    check(a == 45 && b == 90 && c == 55, "patched loop");
    printf("smc: done, sum %u\n", (unsigned)sum);
    return failures;
}
