/* The runtime shared by Granule's built-in guests: UART output on the
 * virt board's PL011, a small printf, semihosting and PSCI calls, system
 * register access and an exception hook. */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdint.h>

typedef uint64_t u64;
typedef int64_t i64;
typedef uint32_t u32;
typedef int32_t i32;
typedef uint8_t u8;

#define UART_BASE 0x09000000UL
#define RAM_BASE 0x40000000UL

/* What an exception vector saved; the handler may change it. */
struct frame {
    u64 x[31];
    u64 elr, spsr, esr, far;
};

/* Vector offsets / 0x80: 0-3 current EL SP0, 4-7 current EL SPx,
 * 8-11 lower EL AArch64, 12-15 lower EL AArch32; +0 sync, +1 IRQ... */
typedef void (*handler_fn)(struct frame *f, u64 index);
extern handler_fn on_exception;

void putc(char c);
void puts(const char *s);
void printf(const char *fmt, ...);
void vprintf(const char *fmt, va_list ap);

/* Semihosting (HLT #0xF000): operation, parameter block address. */
u64 semihost(u64 op, u64 param);
/* PSCI through HVC. */
u64 psci(u64 fn, u64 a1, u64 a2, u64 a3);
/* Exits: semihosting SYS_EXIT_EXTENDED with the status. */
void exit_guest(int status) __attribute__((noreturn));
void psci_off(void) __attribute__((noreturn));

/* Counts failed checks; main returns it, so a guest that checked
 * something wrong exits non-zero. */
extern int failures;
void check(int ok, const char *what);
void check_eq(u64 got, u64 want, const char *what);

#define SYSREG_READ(name) ({ u64 _v; __asm__ volatile("mrs %0, " #name : "=r"(_v)); _v; })
#define SYSREG_WRITE(name, v) __asm__ volatile("msr " #name ", %0" ::"r"((u64)(v)) : "memory")
#define ISB() __asm__ volatile("isb" ::: "memory")
#define DSB(opt) __asm__ volatile("dsb " #opt ::: "memory")

static inline u64 nzcv(void) { return SYSREG_READ(nzcv) >> 28; }

void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);

#endif

/* Turns on the MMU with an identity map (4K granule, 39-bit VA): RAM as
 * Normal write-back memory, the UART's 2M as Device-nGnRnE, caches on.
 * Guests that make unaligned accesses need it: with the MMU off every
 * data access is to Device memory. */
void identity_mmu_on(void);
