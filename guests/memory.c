/* memory: loads and stores in every addressing form and size, signed and
 * unsigned, pairs (LDPSW, LDNP/STNP), literal loads, exclusives with the
 * local monitor (STXR fails after CLREX, pairs), load-acquire and
 * store-release, and unaligned accesses to Normal memory. */
#include "guest.h"

static u8 buf[256] __attribute__((aligned(16)));

static void fill(void) {
    for (int i = 0; i < 256; i++)
        buf[i] = (u8)(i * 37 + 0x81);
}

static u64 sum_buf(void) {
    u64 h = 0;
    for (int i = 0; i < 256; i++)
        h = h * 31 + buf[i];
    return h;
}

static void loads(void) {
    u8 *p = buf + 64;
    u64 a, b, c, d, e, f, g, h;
    __asm__ volatile("ldrb %w0, [%8]\n\t"
                     "ldrsb %1, [%8, #1]\n\t"
                     "ldrsb %w2, [%8, #2]\n\t"
                     "ldrh %w3, [%8, #4]\n\t"
                     "ldrsh %4, [%8, #6]\n\t"
                     "ldr %w5, [%8, #8]\n\t"
                     "ldrsw %6, [%8, #12]\n\t"
                     "ldr %7, [%8, #16]"
                     : "=&r"(a), "=&r"(b), "=&r"(c), "=&r"(d), "=&r"(e), "=&r"(f), "=&r"(g), "=&r"(h)
                     : "r"(p));
    printf("load uoff %lx %lx %lx %lx %lx %lx %lx %lx\n", a, b, c, d, e, f, g, h);
    __asm__ volatile("ldurb %w0, [%8, #-1]\n\t"
                     "ldursb %1, [%8, #-3]\n\t"
                     "ldurh %w2, [%8, #-5]\n\t"
                     "ldursh %w3, [%8, #-7]\n\t"
                     "ldur %w4, [%8, #-9]\n\t"
                     "ldursw %5, [%8, #-13]\n\t"
                     "ldur %6, [%8, #-21]\n\t"
                     "ldur %7, [%8, #255]"
                     : "=&r"(a), "=&r"(b), "=&r"(c), "=&r"(d), "=&r"(e), "=&r"(f), "=&r"(g), "=&r"(h)
                     : "r"(p + 0));
    printf("load unscaled %lx %lx %lx %lx %lx %lx %lx %lx\n", a, b, c, d, e, f, g, h);
    u64 base = (u64)p, idx = 3;
    __asm__ volatile("ldr %0, [%3, #8]!\n\t"
                     "ldr %1, [%3], #-16\n\t"
                     "ldrsh %2, [%3, #2]!"
                     : "=&r"(a), "=&r"(b), "=&r"(c), "+r"(base));
    printf("load pre/post %lx %lx %lx base+%lx\n", a, b, c, base - (u64)p);
    __asm__ volatile("ldr %0, [%6, %7, lsl #3]\n\t"
                     "ldrh %w1, [%6, %7, lsl #1]\n\t"
                     "ldrsw %2, [%6, %w7, uxtw #2]\n\t"
                     "ldrb %w3, [%6, %7]\n\t"
                     "ldrsb %4, [%6, %w8, sxtw]\n\t"
                     "ldr %w5, [%6, %8, lsl #2]"
                     : "=&r"(a), "=&r"(b), "=&r"(c), "=&r"(d), "=&r"(e), "=&r"(f)
                     : "r"(p), "r"(idx), "r"((u64)-5));
    printf("load regoff %lx %lx %lx %lx %lx %lx\n", a, b, c, d, e, f);
    __asm__ volatile("ldp %0, %1, [%6]\n\t"
                     "ldp %w2, %w3, [%6, #-8]\n\t"
                     "ldpsw %4, %5, [%6, #24]"
                     : "=&r"(a), "=&r"(b), "=&r"(c), "=&r"(d), "=&r"(e), "=&r"(f)
                     : "r"(p));
    printf("load pair %lx %lx %lx %lx %lx %lx\n", a, b, c, d, e, f);
    base = (u64)p;
    __asm__ volatile("ldp %0, %1, [%4, #-16]!\n\t"
                     "ldnp %2, %3, [%4, #32]\n\t"
                     "ldp %w0, %w1, [%4], #8"
                     : "=&r"(a), "=&r"(b), "=&r"(c), "=&r"(d), "+r"(base));
    printf("load pair wb %lx %lx %lx %lx base+%lx\n", a, b, c, d, base - (u64)p);
    __asm__ volatile("ldr %0, 1f\n\t"
                     "ldrsw %1, 1f\n\t"
                     "ldr %w2, 1f\n\t"
                     "b 2f\n\t"
                     ".balign 8\n1:\t.quad 0x80000001fedcba98\n2:"
                     : "=&r"(a), "=&r"(b), "=&r"(c));
    printf("load literal %lx %lx %lx\n", a, b, c);
    /* Unaligned Normal memory accesses (SCTLR.A is 0). */
    __asm__ volatile("ldr %0, [%3, #1]\n\tldr %w1, [%3, #3]\n\tldrh %w2, [%3, #7]"
                     : "=&r"(a), "=&r"(b), "=&r"(c)
                     : "r"(p));
    printf("load unaligned %lx %lx %lx\n", a, b, c);
}

static void stores(void) {
    u8 *p = buf + 128;
    u64 v = 0x1122334455667788, base = (u64)p;
    __asm__ volatile("strb %w1, [%0]\n\t"
                     "strh %w1, [%0, #2]\n\t"
                     "str %w1, [%0, #4]\n\t"
                     "str %1, [%0, #8]\n\t"
                     "sturh %w1, [%0, #-3]\n\t"
                     "stur %1, [%0, #17]\n\t"
                     "stp %1, %1, [%0, #32]\n\t"
                     "stp %w1, %w1, [%0, #-24]\n\t"
                     "stnp %w1, %w1, [%0, #56]\n\t"
                     "str %1, [%0, #64]!\n\t"
                     "strh %w1, [%0], #-70\n\t"
                     "stp %1, %1, [%0, #-16]!"
                     : "+r"(base)
                     : "r"(v)
                     : "memory");
    printf("store checksum %lx base+%lx\n", sum_buf(), base - (u64)p);
    u64 idx = 5;
    __asm__ volatile("str %1, [%0, %2, lsl #3]\n\t"
                     "strb %w1, [%0, %w2, uxtw]\n\t"
                     "strh %w1, [%0, %2, lsl #1]\n\t"
                     "str %w1, [%0, %w3, sxtw #2]"
                     :
                     : "r"(p), "r"(~v), "r"(idx), "r"((u64)-9)
                     : "memory");
    printf("store regoff checksum %lx\n", sum_buf());
}

static void exclusives(void) {
    static u64 word __attribute__((aligned(16)));
    static u64 pair[2] __attribute__((aligned(16)));
    u64 old, st1, st2, st3, a, b;
    word = 10;
    __asm__ volatile("ldxr %0, [%4]\n\t"
                     "add %0, %0, #1\n\t"
                     "stxr %w1, %0, [%4]\n\t"
                     "stxr %w2, %0, [%4]\n\t"   /* no reservation left: fails */
                     "ldaxr %0, [%4]\n\t"
                     "clrex\n\t"
                     "stlxr %w3, %0, [%4]"      /* cleared: fails */
                     : "=&r"(old), "=&r"(st1), "=&r"(st2), "=&r"(st3)
                     : "r"(&word)
                     : "memory");
    printf("exclusive value %lu status %lu %lu %lu\n", word, st1, st2, st3);
    pair[0] = 1;
    pair[1] = 2;
    __asm__ volatile("ldxp %0, %1, [%3]\n\t"
                     "add %0, %0, #5\n\t"
                     "add %1, %1, #7\n\t"
                     "stxp %w2, %0, %1, [%3]"
                     : "=&r"(a), "=&r"(b), "=&r"(st1)
                     : "r"(pair)
                     : "memory");
    printf("exclusive pair %lu %lu status %lu\n", pair[0], pair[1], st1);
    u32 w32 = 0;
    u64 h;
    __asm__ volatile("ldxrb %w0, [%2]\n\t"
                     "add %w0, %w0, #0x41\n\t"
                     "stxrb %w1, %w0, [%2]\n\t"
                     "ldxrh %w0, [%2]\n\t"
                     "stlxrh %w1, %w0, [%2]\n\t"
                     "ldaxr %w0, [%2]\n\t"
                     "stxr %w1, %w0, [%2]"
                     : "=&r"(h), "=&r"(st1)
                     : "r"(&w32)
                     : "memory");
    printf("exclusive narrow %x status %lu\n", w32, st1);
    u64 acq, acqh;
    word = 0xa5a5;
    __asm__ volatile("stlr %2, [%3]\n\t"
                     "ldar %0, [%3]\n\t"
                     "stlrh %w2, [%3]\n\t"
                     "ldarh %w1, [%3]\n\t"
                     "ldarb %w1, [%3]"
                     : "=&r"(acq), "=&r"(acqh)
                     : "r"(0x5a5a5a5a5a5a5a5aUL), "r"(&word)
                     : "memory");
    printf("acquire/release %lx %lx %lx\n", acq, acqh, word);
}

/* The C the compiler writes: struct copies and byte loops. */
struct blob { u64 a; u32 b; u8 c[13]; };
static void compiled(void) {
    struct blob x = {1, 2, {3, 4, 5}}, y;
    y = x;
    y.c[12] = 9;
    u8 local[40];
    memset(local, 0x5c, sizeof local);
    memcpy(local + 3, &y, 20);
    u64 h = 0;
    for (unsigned i = 0; i < sizeof local; i++)
        h = h * 131 + local[i];
    printf("compiled copies %lx\n", h);
}

int main(void) {
    printf("memory: start\n");
    identity_mmu_on();
    fill();
    printf("memory: buffer checksum %lx\n", sum_buf());
    loads();
    stores();
    exclusives();
    compiled();
    printf("memory: done\n");
    return failures;
}
