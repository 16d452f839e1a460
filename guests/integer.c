/* integer: A64 integer semantics at their edges: flags of add/sub with and
 * without carry, logical, shifts by register, multiply high and long,
 * divide by zero and overflow, bit counting and reversal, bitfields,
 * extract, conditional compare and select, move wide, ADR/ADRP. Every
 * result is printed; QEMU's transcript is the expected one. */
#include "guest.h"

static const u64 vals[] = {
    0, 1, 2, 0x7f, 0x80, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000,
    0x7fffffffffffffff, 0x8000000000000000, 0xfffffffffffffffe, 0xffffffffffffffff,
    0x0123456789abcdef,
};
#define NV (sizeof(vals) / sizeof(vals[0]))

/* Two-operand, flags in and out: nzcv_in is written first. */
#define BIN(name, insn)                                                                  \
    static void name(u64 a, u64 b, u64 in) {                                             \
        u64 r, f;                                                                        \
        __asm__ volatile("msr nzcv, %4\n\t" insn "\n\tmrs %1, nzcv"                      \
                         : "=&r"(r), "=&r"(f)                                            \
                         : "r"(a), "r"(b), "r"(in << 28)                                 \
                         : "cc");                                                        \
        printf(#name " %lx %lx c%u -> %lx nzcv %x\n", a, b, (in >> 1) & 1, r, f >> 28); \
    }

BIN(adds, "adds %0, %2, %3")
BIN(adds_w, "adds %w0, %w2, %w3")
BIN(subs, "subs %0, %2, %3")
BIN(subs_w, "subs %w0, %w2, %w3")
BIN(adcs, "adcs %0, %2, %3")
BIN(adcs_w, "adcs %w0, %w2, %w3")
BIN(sbcs, "sbcs %0, %2, %3")
BIN(sbcs_w, "sbcs %w0, %w2, %w3")
BIN(ands, "ands %0, %2, %3")
BIN(bics_w, "bics %w0, %w2, %w3")
BIN(lslv, "lsl %0, %2, %3")
BIN(lsrv_w, "lsr %w0, %w2, %w3")
BIN(asrv, "asr %0, %2, %3")
BIN(rorv_w, "ror %w0, %w2, %w3")
BIN(udiv, "udiv %0, %2, %3")
BIN(sdiv, "sdiv %0, %2, %3")
BIN(udiv_w, "udiv %w0, %w2, %w3")
BIN(sdiv_w, "sdiv %w0, %w2, %w3")
BIN(mul, "mul %0, %2, %3")
BIN(umulh, "umulh %0, %2, %3")
BIN(smulh, "smulh %0, %2, %3")
BIN(smull, "smull %0, %w2, %w3")
BIN(umull, "umull %0, %w2, %w3")
BIN(msub, "msub %0, %2, %3, %2")
BIN(smsubl, "smsubl %0, %w2, %w3, %2")
BIN(add_ext, "add %0, %2, %w3, sxtb #2")
BIN(sub_ext, "sub %0, %2, %w3, uxth #4")
BIN(adds_sh, "adds %0, %2, %3, asr #17")
BIN(eor_sh, "eon %0, %2, %3, ror #9")
BIN(extr, "extr %0, %2, %3, #13")
BIN(extr_w, "extr %w0, %w2, %w3, #31")
BIN(ccmp_eq, "cmp %2, %3\n\tccmp %2, #5, #0x6, eq\n\tcset %0, ge")
BIN(ccmn_lt, "cmp %2, %3\n\tccmn %3, %2, #0xf, lt\n\tcset %0, hi")
BIN(csel_hi, "cmp %2, %3\n\tcsel %0, %2, %3, hi")
BIN(csinc_lt, "cmp %2, %3\n\tcsinc %0, %2, %3, lt")
BIN(csinv_vs, "adds xzr, %2, %3\n\tcsinv %0, %2, %3, vs")
BIN(csneg_le, "cmp %w2, %w3\n\tcsneg %w0, %w2, %w3, le")

typedef void (*bin_fn)(u64, u64, u64);
static const bin_fn bins[] = {
    adds, adds_w, subs, subs_w, adcs, adcs_w, sbcs, sbcs_w, ands, bics_w, lslv, lsrv_w, asrv,
    rorv_w, udiv, sdiv, udiv_w, sdiv_w, mul, umulh, smulh, smull, umull, msub, smsubl, add_ext,
    sub_ext, adds_sh, eor_sh, extr, extr_w, ccmp_eq, ccmn_lt, csel_hi, csinc_lt, csinv_vs, csneg_le,
};

#define UN(name, insn)                                                 \
    static void name(u64 a) {                                          \
        u64 r;                                                         \
        __asm__ volatile(insn : "=&r"(r) : "r"(a));                    \
        printf(#name " %lx -> %lx\n", a, r);                           \
    }

UN(clz, "clz %0, %1")
UN(clz_w, "clz %w0, %w1")
UN(cls, "cls %0, %1")
UN(cls_w, "cls %w0, %w1")
UN(rbit, "rbit %0, %1")
UN(rev, "rev %0, %1")
UN(rev16, "rev16 %0, %1")
UN(rev32, "rev32 %0, %1")
UN(rev_w, "rev %w0, %w1")
UN(ubfx, "ubfx %0, %1, #7, #13")
UN(sbfx, "sbfx %0, %1, #60, #4")
UN(sbfiz_w, "sbfiz %w0, %w1, #3, #7")
UN(bfi, "mov %0, #0x5555\n\tbfi %0, %1, #8, #20")
UN(bfxil_w, "mov %w0, #-1\n\tbfxil %w0, %w1, #20, #12")
UN(sxtw, "sxtw %0, %w1")
UN(uxtb, "uxtb %w0, %w1")
UN(sxth, "sxth %0, %w1")
UN(lsl_i, "lsl %0, %1, #63")
UN(asr_i_w, "asr %w0, %w1, #31")
UN(ror_i, "ror %0, %1, #1")
UN(and_imm, "and %0, %1, #0x00ff00ff00ff00ff")
UN(orr_imm_w, "orr %w0, %w1, #0xfffffff0")
UN(eor_imm, "eor %0, %1, #0x5555555555555555")
UN(tst_imm, "tst %1, #0x8000000000000001\n\tmrs %0, nzcv")
UN(neg, "neg %0, %1")
UN(ngcs, "ngcs %0, %1\n\tmrs %0, nzcv")
UN(mvn, "mvn %0, %1")
UN(cbz, "mov %0, #1\n\tcbz %1, 1f\n\tmov %0, #2\n1:")
UN(tbnz63, "mov %0, #1\n\ttbnz %1, #63, 1f\n\tmov %0, #2\n1:")
UN(tbz31, "mov %0, #1\n\ttbz %w1, #31, 1f\n\tmov %0, #2\n1:")

typedef void (*un_fn)(u64);
static const un_fn uns[] = {
    clz, clz_w, cls, cls_w, rbit, rev, rev16, rev32, rev_w, ubfx, sbfx, sbfiz_w, bfi, bfxil_w,
    sxtw, uxtb, sxth, lsl_i, asr_i_w, ror_i, and_imm, orr_imm_w, eor_imm, tst_imm, neg, ngcs, mvn,
    cbz, tbnz63, tbz31,
};

static void moves(void) {
    u64 a, b, c, d;
    __asm__ volatile("movz %0, #0xbeef, lsl #48\n\t"
                     "movk %0, #0x1234, lsl #16\n\t"
                     "movn %1, #0x1234, lsl #32\n\t"
                     "movn %w2, #0x1\n\t"
                     "mov %3, #-2"
                     : "=&r"(a), "=&r"(b), "=&r"(c), "=&r"(d));
    printf("movewide %lx %lx %lx %lx\n", a, b, c, d);
    u64 here, page, fn;
    __asm__ volatile("adr %0, .\n\tadrp %1, .\n\tadr %2, moves" : "=r"(here), "=r"(page), "=r"(fn));
    printf("adr page-aligned %u, adrp low bits %x, adr of moves matches %u\n",
           (here & ~0xfffUL) == page, page & 0xfff, fn == (u64)moves);
}

/* Branch and link: BL/BLR/BR/RET leave x30 and land where they should. */
static u64 leaf(u64 x) { return x * 3 + 1; }
static void branches(void) {
    u64 (*volatile f)(u64) = leaf;
    u64 r = f(14);
    u64 lr;
    __asm__ volatile("bl 1f\n1:\tmov %0, x30" : "=r"(lr) : : "x30");
    printf("branch blr %u, bl links %u\n", r, lr != 0);
}

int main(void) {
    printf("integer: start\n");
    for (unsigned op = 0; op < sizeof(bins) / sizeof(bins[0]); op++)
        for (unsigned i = 0; i < NV; i++)
            for (unsigned j = 0; j < NV; j += 3)
                bins[op](vals[i], vals[j], (i + j) & 1 ? 0x2 : 0x0);
    for (unsigned op = 0; op < sizeof(uns) / sizeof(uns[0]); op++)
        for (unsigned i = 0; i < NV; i++)
            uns[op](vals[i]);
    moves();
    branches();
    printf("integer: done\n");
    return failures;
}
