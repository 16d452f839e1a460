/* el0: exceptions from EL0 and back by ERET: SVC with its immediate and
 * registers, BRK, an UNDEFINED instruction, an EL1 register read from EL0,
 * an alignment fault from EL0, SP_EL0 versus SP_EL1, NZCV kept across the
 * exception; at EL1: SVC, BRK and an illegal exception return. */
#include "guest.h"

static volatile u64 log_esr[16], log_spsr[16], log_vec[16], nlog;
static volatile u64 el0_sp_seen, svc_arg;
static u64 el1_resume;  /* where SVC #0xfff from EL0 goes back to EL1 */
static u64 el1_sp;
static u8 el0_stack[4096] __attribute__((aligned(16)));

static void handler(struct frame *f, u64 index) {
    u64 ec = f->esr >> 26;
    if (nlog < 16) {
        log_esr[nlog] = f->esr;
        log_spsr[nlog] = f->spsr;
        log_vec[nlog] = index;
        nlog++;
    }
    switch (ec) {
    case 0x15: /* SVC: return value in x0; ELR already past the SVC */
        if ((f->esr & 0xffff) == 0xfff) {
            el0_sp_seen = SYSREG_READ(sp_el0);
            f->elr = el1_resume;
            f->spsr = 0x3c5; /* EL1h, DAIF masked */
            f->x[0] = el1_sp;
        } else {
            svc_arg = f->x[0];
            f->x[0] = f->x[0] * 2 + (f->esr & 0xffff);
        }
        break;
    case 0x0e: /* illegal execution state: clear PSTATE.IL and go on */
        f->spsr &= ~(1UL << 20);
        f->elr = f->x[30];
        break;
    default: /* BRK, UNDEFINED, faults: skip the instruction */
        f->elr += 4;
        break;
    }
}

/* Runs at EL0 with the MMU off (no permissions to check). */
static void __attribute__((noinline)) el0_main(void) {
    u64 r, flags;
    __asm__ volatile("mov x0, #21\n\t"
                     "msr nzcv, %2\n\t"
                     "svc #0x10\n\t"
                     "mrs %1, nzcv\n\t"
                     "mov %0, x0"
                     : "=r"(r), "=r"(flags)
                     : "r"(0x60000000UL)
                     : "x0", "cc");
    u64 x;
    __asm__ volatile("brk #0x7\n\t"
                     "udf #0x1234\n\t"
                     "mrs %0, sctlr_el1" : "=r"(x));
    u64 v = 0;
    __asm__ volatile("ldxr %0, [%1]" : "+r"(v) : "r"((u64)el0_stack + 3) : "memory");
    u64 sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    __asm__ volatile("mov x0, %0\n\tmov x1, %1\n\tmov x2, %2\n\tsvc #0xfff"
                     :: "r"(r), "r"(flags), "r"(sp) : "x0", "x1", "x2");
    for (;;)
        ;
}

static void go_el0(void) {
    u64 r, flags, sp;
    /* Save SP_EL1, enter EL0 at el0_main with SP_EL0 on its own stack;
     * SVC #0xfff comes back to label 1 with x0 = SP_EL1. */
    __asm__ volatile("adr x3, 1f\n\t"
                     "str x3, %3\n\t"
                     "mov x3, sp\n\t"
                     "str x3, %4\n\t"
                     "msr sp_el0, %5\n\t"
                     "msr elr_el1, %6\n\t"
                     "msr spsr_el1, xzr\n\t"
                     "eret\n"
                     "1:\tmov sp, x0\n\t"
                     "mov %0, x3\n\t"
                     : "=r"(r), "=r"(flags), "=r"(sp), "=m"(el1_resume), "=m"(el1_sp)
                     : "r"((u64)el0_stack + sizeof el0_stack), "r"((u64)el0_main)
                     : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11",
                       "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x30", "memory", "cc");
    (void)r;
    (void)flags;
    (void)sp;
}

int main(void) {
    printf("el0: start\n");
    on_exception = handler;
    go_el0();
    printf("el0: back at EL%u, SP_EL0 at exit %lx below its top\n",
           (unsigned)(SYSREG_READ(CurrentEL) >> 2),
           (u64)el0_stack + sizeof el0_stack - el0_sp_seen);
    printf("el0: svc argument %u\n", (unsigned)svc_arg);
    /* At EL1: SVC, BRK, then an ERET to EL2 (not implemented): illegal. */
    u64 r;
    __asm__ volatile("mov x0, #5\n\tsvc #0x3\n\tmov %0, x0" : "=r"(r) : : "x0");
    printf("el1: svc returned %u\n", (unsigned)r);
    __asm__ volatile("brk #0x99");
    __asm__ volatile("adr x0, 1f\n\t"
                     "msr elr_el1, x0\n\t"
                     "mov x0, #0x3c9\n\t" /* EL2h */
                     "msr spsr_el1, x0\n\t"
                     "bl 2f\n\t"
                     "b 1f\n"
                     "2:\teret\n"
                     "1:"
                     ::: "x0", "x30", "memory");
    printf("el1: after the illegal return at EL%u\n", (unsigned)(SYSREG_READ(CurrentEL) >> 2));
    for (u64 i = 0; i < nlog; i++)
        printf("exception %u: vector %u esr %lx spsr %lx\n", (unsigned)i, log_vec[i], log_esr[i],
               log_spsr[i]);
    const u64 want_ec[] = {0x15, 0x3c, 0x00, 0x00, 0x24, 0x15, 0x15, 0x3c, 0x0e};
    check(nlog == sizeof want_ec / sizeof want_ec[0], "number of exceptions");
    for (u64 i = 0; i < nlog && i < sizeof want_ec / sizeof want_ec[0]; i++)
        check_eq(log_esr[i] >> 26, want_ec[i], "exception class");
    printf("el0: done\n");
    return failures;
}
