/* devices: the PL011's registers at their own sizes (flags, control, the
 * PrimeCell ID bytes), the hole in the rest of its 64K page and beyond RAM
 * as synchronous external aborts, with the MMU off and through a 64K-
 * granule mapping of the UART's page (a device in a sub-page). */
#include "guest.h"

static volatile u64 aborts, last_esr, last_far;

static void handler(struct frame *f, u64 index) {
    (void)index;
    aborts++;
    last_esr = f->esr;
    last_far = f->far;
    f->elr += 4;
}

static u64 rd32(u64 a) {
    u64 v = 0xdead;
    __asm__ volatile("ldr %w0, [%1]" : "+r"(v) : "r"(a) : "memory");
    return v;
}
static u64 rd8(u64 a) {
    u64 v = 0xdead;
    __asm__ volatile("ldrb %w0, [%1]" : "+r"(v) : "r"(a) : "memory");
    return v;
}
static void wr32(u64 a, u64 v) { __asm__ volatile("str %w0, [%1]" ::"r"(v), "r"(a) : "memory"); }

static void probe(const char *what, u64 a, int write) {
    u64 before = aborts, v = 0;
    if (write)
        wr32(a, 0);
    else
        v = rd32(a);
    int took = aborts == before + 1;
    printf("  %s %lx: %s", what, a, took ? "abort" : "no abort");
    if (took)
        printf(" esr %lx far %lx", last_esr, last_far);
    else
        printf(" value %lx", v);
    printf("\n");
}

static void registers(u64 base) {
    printf("  UARTFR %x UARTCR %x UARTFR byte %x\n", rd32(base + 0x18), rd32(base + 0x30),
           rd8(base + 0x18));
    printf("  ID");
    for (u64 off = 0xfe0; off < 0x1000; off += 4)
        printf(" %x", rd32(base + off));
    printf("\n");
}

static u64 l1[8192] __attribute__((aligned(65536)));
static u64 l2[8192] __attribute__((aligned(65536)));
static u64 l3[8192] __attribute__((aligned(65536)));

int main(void) {
    printf("devices: start\n");
    on_exception = handler;
    printf("devices: MMU off\n");
    registers(UART_BASE);
    probe("hole after the UART", UART_BASE + 0x1000, 0);
    probe("hole at the end of its 64K", UART_BASE + 0xfffc, 1);
    probe("just past RAM", RAM_BASE + (128UL << 20), 0);

    /* 64K granule, 48-bit VA (walk from level 1): RAM a 512M block, the
     * UART's 64K page mapped at VA 0x1_0000_0000. */
    const u64 AF = 1UL << 10, DEV = 1 << 2, XN = 3UL << 53;
    l2[RAM_BASE >> 29] = RAM_BASE | AF | 3UL << 8 | 1;
    l2[0] = 0 | AF | DEV | XN | 1; /* the low 512M, printf's UART included */
    l1[0] = (u64)l2 | 3;
    u64 va = 0x100000000UL;
    l2[(va >> 29) & 0x1fff] = (u64)l3 | 3;
    l3[(va >> 16) & 0x1fff] = UART_BASE | AF | DEV | XN | 3;
    SYSREG_WRITE(mair_el1, 0x00ffUL);
    /* T0SZ 16, TG0 64K, WB, inner shareable, EPD1, IPS 40 bits. */
    SYSREG_WRITE(tcr_el1, 16 | 1UL << 14 | 1UL << 8 | 1UL << 10 | 3UL << 12 | 1UL << 23 | 2UL << 32);
    SYSREG_WRITE(ttbr0_el1, (u64)l1);
    ISB();
    __asm__ volatile("tlbi vmalle1\n\tdsb ish\n\tisb" ::: "memory");
    SYSREG_WRITE(sctlr_el1, SYSREG_READ(sctlr_el1) | 1);
    ISB();
    printf("devices: MMU on, UART page at %lx\n", va);
    registers(va);
    /* Writing the data register through the mapping. */
    const char *msg = "  written through the 64K mapping\n";
    while (*msg)
        wr32(va, *msg++);
    probe("hole after the UART", va + 0x1000, 0);
    probe("hole in the middle of the page", va + 0x8000, 1);
    probe("hole at the end of the page", va + 0xfffc, 0);
    printf("devices: done, %u aborts\n", (unsigned)aborts);
    check(aborts == 6, "six external aborts");
    return failures;
}
