/* mmu: the guest's own MMU under each granule (4K with a four-level walk,
 * 16K, 64K), with blocks and pages, TTBR1, ASIDs, a fault of each kind
 * (translation at every level, access flag, permission, address size,
 * alignment, instruction abort) with ESR and FAR checked, AT, and TLBI by
 * VA inside a block and inside a guest page larger than 4K. */
#include "guest.h"

#define MAIR_VALUE 0x4400ffUL /* 0: Normal WB, 1: Device-nGnRnE, 2: Normal NC */
#define ATTR_NORMAL (0UL << 2)
#define ATTR_DEVICE (1UL << 2)
#define AP_RO (2UL << 6)
#define AP_EL0 (1UL << 6)
#define SH_INNER (3UL << 8)
#define AF (1UL << 10)
#define NG (1UL << 11)
#define PXN (1UL << 53)
#define UXN (1UL << 54)
#define NORMAL (ATTR_NORMAL | SH_INNER | AF)
#define DEVICE (ATTR_DEVICE | AF | PXN | UXN)

#define VA_PAGES 0x1000000000UL   /* pages under test */
#define VA_BLOCK 0x2000000000UL   /* a block under test */
#define VA_ASID 0x3000000000UL    /* an nG page, different per ASID */
#define VA_FAR 0x800000000000UL   /* beyond everything mapped: fault at the start level */
#define VA_HIGH 0xffff000000000000UL

static unsigned shift;          /* granule: 12, 14, 16 */
static u8 pool[0x100000] __attribute__((aligned(0x10000)));
static unsigned pool_used;
static u8 data[4][0x10000] __attribute__((aligned(0x10000)));

static u64 *new_table(void) {
    u64 size = 1UL << shift;
    pool_used = (pool_used + size - 1) & ~(size - 1);
    u64 *t = (u64 *)(pool + pool_used);
    pool_used += size;
    if (pool_used > sizeof pool) {
        printf("mmu: table pool exhausted\n");
        exit_guest(98);
    }
    memset(t, 0, size);
    return t;
}

static unsigned bits(void) { return shift - 3; }
/* First level of a 48-bit walk. */
static int start_level(void) { return 4 - (48 - shift + bits() - 1) / bits(); }
static unsigned index_at(u64 va, int level) {
    va &= 0xffffffffffffUL; /* TTBR1 addresses: the walk sees the low 48 bits */
    return (va >> (shift + (3 - level) * bits())) & ((1UL << bits()) - 1);
}
static u64 level_size(int level) { return 1UL << (shift + (3 - level) * bits()); }

/* The descriptor slot for va at `level`, creating tables on the way. */
static u64 *slot(u64 *root, u64 va, int level) {
    u64 *t = root;
    for (int l = start_level(); l < level; l++) {
        u64 *e = &t[index_at(va, l)];
        if (!(*e & 1))
            *e = (u64)new_table() | 3;
        t = (u64 *)(*e & 0xfffffffff000UL & ~((1UL << shift) - 1));
    }
    return &t[index_at(va, level)];
}

static void map(u64 *root, u64 va, u64 pa, int level, u64 attrs) {
    *slot(root, va, level) = pa | attrs | (level == 3 ? 3 : 1);
}

static void tlbi_all(void) {
    __asm__ volatile("dsb ishst\n\ttlbi vmalle1\n\tdsb ish\n\tisb" ::: "memory");
}
static void tlbi_va(u64 va) {
    __asm__ volatile("dsb ishst\n\ttlbi vae1, %0\n\tdsb ish\n\tisb" ::"r"(va >> 12) : "memory");
}

static void identity(u64 *root) {
    if (shift == 12) {
        map(root, RAM_BASE, RAM_BASE, 1, NORMAL);               /* 1G block */
        map(root, 0x09000000, 0x09000000, 2, DEVICE);           /* 2M block */
    } else if (shift == 14) {
        for (u64 a = RAM_BASE; a < RAM_BASE + (128UL << 20); a += 32UL << 20)
            map(root, a, a, 2, NORMAL);                         /* 32M blocks */
        map(root, 0x08000000, 0x08000000, 2, DEVICE);
    } else {
        map(root, RAM_BASE, RAM_BASE, 2, NORMAL);               /* 512M block */
        map(root, 0, 0, 2, DEVICE);
    }
}

static u64 tcr_value(void) {
    u64 tg0 = shift == 12 ? 0 : shift == 14 ? 2 : 1;
    u64 tg1 = shift == 12 ? 2 : shift == 14 ? 1 : 3;
    return 16 | 16UL << 16 | tg0 << 14 | tg1 << 30 | /* T0SZ, T1SZ = 16 */
           1UL << 8 | 1UL << 10 | 3UL << 12 |        /* IRGN0, ORGN0 WB, SH0 inner */
           1UL << 24 | 1UL << 26 | 3UL << 28 |       /* the same for TTBR1 */
           2UL << 32;                                /* IPS: 40 bits */
}

static void mmu_on(u64 *root0, u64 asid, u64 *root1) {
    SYSREG_WRITE(mair_el1, MAIR_VALUE);
    SYSREG_WRITE(tcr_el1, tcr_value());
    SYSREG_WRITE(ttbr0_el1, (u64)root0 | asid << 48);
    SYSREG_WRITE(ttbr1_el1, (u64)root1);
    ISB();
    tlbi_all();
    SYSREG_WRITE(sctlr_el1, SYSREG_READ(sctlr_el1) | 1 | 1 << 2 | 1 << 12);
    ISB();
}

static void mmu_off(void) {
    SYSREG_WRITE(sctlr_el1, SYSREG_READ(sctlr_el1) & ~(u64)(1 | 1 << 2 | 1 << 12));
    ISB();
    tlbi_all();
}

/* Faults: the handler records them and skips the instruction (or, for an
 * instruction abort, returns to the caller). */
static volatile u64 fault_esr, fault_far, faults;

static void on_fault(struct frame *f, u64 index) {
    (void)index;
    fault_esr = f->esr;
    fault_far = f->far;
    faults++;
    u64 ec = f->esr >> 26;
    if (ec == 0x21)
        f->elr = f->x[30];
    else
        f->elr += 4;
}

static u64 read64(u64 va) {
    u64 v;
    __asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(va) : "memory");
    return v;
}
static void write64(u64 va, u64 v) { __asm__ volatile("str %0, [%1]" ::"r"(v), "r"(va) : "memory"); }

static void expect_fault(const char *what, u64 va, int write, u64 dfsc) {
    u64 before = faults;
    if (write)
        write64(va, 0x77);
    else
        (void)read64(va);
    u64 want = 0x25UL << 26 | 1UL << 25 | (write ? 1UL << 6 : 0) | dfsc;
    printf("  fault %s: esr %lx far %lx\n", what, fault_esr, fault_far);
    check(faults == before + 1, what);
    check_eq(fault_esr, want, what);
    check_eq(fault_far, va, what);
}

static u64 at(u64 va, int write) {
    if (write)
        __asm__ volatile("at s1e1w, %0" ::"r"(va));
    else
        __asm__ volatile("at s1e1r, %0" ::"r"(va));
    ISB();
    return SYSREG_READ(par_el1);
}

static void run(unsigned granule_shift) {
    shift = granule_shift;
    pool_used = 0;
    u64 g = 1UL << shift;
    printf("mmu: granule %uK, walk from level %d\n", (unsigned)(g >> 10), start_level());
    for (int i = 0; i < 4; i++)
        for (u64 off = 0; off < sizeof data[i]; off += 8)
            *(u64 *)&data[i][off] = (u64)i << 56 | off;

    u64 *root = new_table(), *other = new_table(), *high = new_table();
    identity(root);
    identity(other);
    /* Pages: RW, RO, (unmapped), no access flag, PXN, and one beyond IPS. */
    map(root, VA_PAGES, (u64)data[0], 3, NORMAL);
    map(root, VA_PAGES + g, (u64)data[1], 3, NORMAL | AP_RO);
    map(root, VA_PAGES + 3 * g, (u64)data[2], 3, NORMAL & ~AF);
    map(root, VA_PAGES + 4 * g, (u64)data[3], 3, NORMAL | PXN);
    map(root, VA_PAGES + 5 * g, 1UL << 44, 3, NORMAL);
    map(root, VA_ASID, (u64)data[0], 3, NORMAL | NG);
    map(other, VA_ASID, (u64)data[1], 3, NORMAL | NG);
    map(high, VA_HIGH + 7 * g, (u64)data[2], 3, NORMAL);
    mmu_on(root, 1, high);

    u64 faults0 = faults;
    u64 rw = read64(VA_PAGES + 8), ro = read64(VA_PAGES + g + 16);
    printf("  page rw %lx ro %lx\n", rw, ro);
    check(rw == 8 && ro == (1UL << 56 | 16) && faults == faults0, "pages through the MMU");
    write64(VA_PAGES + 24, 0x1234);
    check_eq(data[0][24], 0x34, "store through the MMU reaches the page");
    u64 before_high = faults;
    u64 hi = read64(VA_HIGH + 7 * g + 0x40);
    printf("  ttbr1 %lx\n", hi);
    check(faults == before_high && hi == (2UL << 56 | 0x40), "TTBR1 mapping");

    expect_fault("translation, last level", VA_PAGES + 2 * g, 0, 0x07);
    expect_fault("translation, start level", VA_FAR, 0, 0x04 + start_level());
    for (int l = start_level() + 1; l < 3; l++) {
        /* Shares the tables above `l` with VA_PAGES, not the one at `l`. */
        u64 va = VA_PAGES + level_size(l - 1) / 2;
        expect_fault("translation, middle level", va, 1, 0x04 + l);
    }
    expect_fault("access flag", VA_PAGES + 3 * g, 0, 0x0b);
    expect_fault("permission", VA_PAGES + g, 1, 0x0f);
    expect_fault("address size", VA_PAGES + 5 * g, 0, 0x03);
    {
        u64 before = faults, v;
        __asm__ volatile("ldxr %0, [%1]" : "=r"(v) : "r"(VA_PAGES + 4) : "memory");
        printf("  fault alignment (exclusive): esr %lx far %lx\n", fault_esr, fault_far);
        check(faults == before + 1, "alignment fault");
        check_eq(fault_esr, 0x25UL << 26 | 1UL << 25 | 0x21, "alignment esr");
    }
    {
        /* Executing from a PXN page: the handler returns to the caller. */
        *(u32 *)&data[3][0] = 0xd65f03c0; /* ret */
        u64 before = faults;
        void (*fn)(void) = (void (*)(void))(VA_PAGES + 4 * g);
        fn();
        printf("  fault instruction: esr %lx far %lx\n", fault_esr, fault_far);
        check(faults == before + 1, "instruction abort");
        check_eq(fault_esr, 0x21UL << 26 | 1UL << 25 | 0x0f, "instruction abort esr");
        check_eq(fault_far, VA_PAGES + 4 * g, "instruction abort far");
    }

    printf("  at r %lx w-ro %lx unmapped %lx\n", at(VA_PAGES + 0x10, 0), at(VA_PAGES + g, 1),
           at(VA_PAGES + 2 * g, 0));

    /* ASIDs: the same VA in two table sets, switched without a TLBI. */
    u64 a1 = read64(VA_ASID);
    SYSREG_WRITE(ttbr0_el1, (u64)other | 2UL << 48);
    ISB();
    u64 a2 = read64(VA_ASID);
    SYSREG_WRITE(ttbr0_el1, (u64)root | 1UL << 48);
    ISB();
    u64 a3 = read64(VA_ASID);
    printf("  asid 1 %lx asid 2 %lx asid 1 again %lx\n", a1, a2, a3);
    check(a1 == a3 && a1 != a2, "ASID-tagged entries");

    /* TLBI by VA inside a block, at an address of it never accessed. */
    if (shift != 16) {
        int bl = 2;
        u64 bsize = level_size(bl);
        u64 pa_a = shift == 12 ? 0x40400000 : 0x42000000;
        u64 pa_b = shift == 12 ? 0x40600000 : 0x46000000;
        *(volatile u64 *)(pa_a + 0x1238) = 0xaaaa;
        *(volatile u64 *)(pa_b + 0x1238) = 0xbbbb;
        u64 *e = slot(root, VA_BLOCK, bl);
        *e = pa_a | NORMAL | 1;
        tlbi_all();
        u64 before = read64(VA_BLOCK + 0x1238);
        *e = 0;
        tlbi_va(VA_BLOCK + bsize - g);
        *e = pa_b | NORMAL | 1;
        DSB(ish);
        ISB();
        u64 after = read64(VA_BLOCK + 0x1238);
        printf("  block %uK tlbi inside: before %lx after %lx\n", (unsigned)(bsize >> 10), before,
               after);
        check(before == 0xaaaa && after == 0xbbbb, "TLBI VA inside a block");
    }
    /* TLBI by VA inside a guest page, neither sub-page accessed before. */
    {
        u64 *e = slot(root, VA_PAGES, 3);
        u64 x = read64(VA_PAGES + 0x100), y = read64(VA_PAGES + g - 8);
        *e = 0;
        tlbi_va(VA_PAGES + g / 2);
        *e = (u64)data[3] | NORMAL | 3;
        DSB(ish);
        ISB();
        u64 x2 = read64(VA_PAGES + 0x100), y2 = read64(VA_PAGES + g - 8);
        printf("  page tlbi inside: %lx %lx -> %lx %lx\n", x, y, x2, y2);
        check(x2 >> 56 == 3 && y2 >> 56 == 3, "TLBI VA inside a page");
    }
    mmu_off();
}

int main(void) {
    printf("mmu: start\n");
    on_exception = on_fault;
    u64 mmfr0 = SYSREG_READ(id_aa64mmfr0_el1);
    /* What the fields say is supported (values differ between CPU models:
     * 4K with 52-bit output is TGran4 = 1). */
    printf("mmu: 4K %u 16K %u 64K %u\n", ((mmfr0 >> 28) & 0xf) != 0xf,
           ((mmfr0 >> 20) & 0xf) != 0, ((mmfr0 >> 24) & 0xf) != 0xf);
    run(12);
    run(14);
    run(16);
    printf("mmu: done, %u faults taken, %u checks failed\n", (unsigned)faults, failures);
    return failures;
}
