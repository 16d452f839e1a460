/* The runtime shared by Granule's built-in guests (see guest.h). */
#include "guest.h"

#define UARTDR 0x000
#define UARTFR 0x018
#define UARTFR_TXFF (1u << 5)

int failures;
handler_fn on_exception;

static volatile u32 *uart_reg(u64 off) { return (volatile u32 *)(UART_BASE + off); }

void putc(char c) {
    while (*uart_reg(UARTFR) & UARTFR_TXFF)
        ;
    *uart_reg(UARTDR) = (u8)c;
}

void puts(const char *s) {
    while (*s)
        putc(*s++);
}

static void put_unsigned(u64 v, unsigned base, int width, char pad) {
    char buf[24];
    int n = 0;
    do {
        unsigned d = v % base;
        buf[n++] = d < 10 ? '0' + d : 'a' + d - 10;
        v /= base;
    } while (v);
    while (n < width--)
        putc(pad);
    while (n)
        putc(buf[--n]);
}

/* %d %u %x %s %c with optional 0-padding width and an l/ll prefix
 * (ignored: every integer argument is read as 64 bits), and %%. */
void vprintf(const char *fmt, va_list ap) {
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            putc(*fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0;
        if (*fmt == '0')
            pad = '0';
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l')
            fmt++;
        switch (*fmt) {
        case 'd': {
            i64 v = va_arg(ap, i64);
            if (v < 0) {
                putc('-');
                put_unsigned(-(u64)v, 10, width ? width - 1 : 0, pad);
            } else {
                put_unsigned(v, 10, width, pad);
            }
            break;
        }
        case 'u': put_unsigned(va_arg(ap, u64), 10, width, pad); break;
        case 'x': put_unsigned(va_arg(ap, u64), 16, width, pad); break;
        case 's': puts(va_arg(ap, const char *)); break;
        case 'c': putc((char)va_arg(ap, int)); break;
        case '%': putc('%'); break;
        default: putc('?'); break;
        }
    }
}

void printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

u64 semihost(u64 op, u64 param) {
    register u64 x0 __asm__("x0") = op;
    register u64 x1 __asm__("x1") = param;
    __asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
    return x0;
}

u64 psci(u64 fn, u64 a1, u64 a2, u64 a3) {
    register u64 x0 __asm__("x0") = fn;
    register u64 x1 __asm__("x1") = a1;
    register u64 x2 __asm__("x2") = a2;
    register u64 x3 __asm__("x3") = a3;
    __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
    return x0;
}

#define SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

void exit_guest(int status) {
    u64 block[2] = {ADP_STOPPED_APPLICATION_EXIT, (u64)(i64)status};
    semihost(SYS_EXIT_EXTENDED, (u64)block);
    for (;;)
        ;
}

void psci_off(void) {
    psci(0x84000008, 0, 0, 0);
    for (;;)
        ;
}

void check(int ok, const char *what) {
    if (!ok) {
        failures++;
        printf("FAIL %s\n", what);
    }
}

void check_eq(u64 got, u64 want, const char *what) {
    if (got != want) {
        failures++;
        printf("FAIL %s: got %lx, want %lx\n", what, got, want);
    }
}

void exception(struct frame *f, u64 index) {
    if (on_exception) {
        on_exception(f, index);
        return;
    }
    printf("unexpected exception: vector %u ESR %lx FAR %lx ELR %lx\n", index, f->esr, f->far,
           f->elr);
    exit_guest(99);
}

void *memset(void *d, int c, unsigned long n) {
    u8 *p = d;
    while (n--)
        *p++ = (u8)c;
    return d;
}

void *memcpy(void *d, const void *s, unsigned long n) {
    u8 *p = d;
    const u8 *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

static u64 l1[512] __attribute__((aligned(4096)));
static u64 l2_low[512] __attribute__((aligned(4096)));

void identity_mmu_on(void) {
    /* AF, inner shareable, AttrIndx 0 (Normal WB); AttrIndx 1 Device. */
    l1[1] = RAM_BASE | 1UL << 10 | 3UL << 8 | 0 << 2 | 1;
    l2_low[0x09000000 >> 21] = 0x09000000 | 1UL << 10 | 1 << 2 | 3UL << 53 | 1;
    l1[0] = (u64)l2_low | 3;
    SYSREG_WRITE(mair_el1, 0x00ffUL);
    /* T0SZ 25, IRGN0/ORGN0 WB, SH0 inner, 4K, EPD1, IPS 40 bits. */
    SYSREG_WRITE(tcr_el1, 25 | 1UL << 8 | 1UL << 10 | 3UL << 12 | 1UL << 23 | 2UL << 32);
    SYSREG_WRITE(ttbr0_el1, (u64)l1);
    ISB();
    __asm__ volatile("tlbi vmalle1\n\tdsb ish\n\tisb" ::: "memory");
    SYSREG_WRITE(sctlr_el1, SYSREG_READ(sctlr_el1) | 1 | 1 << 2 | 1 << 12);
    ISB();
}
