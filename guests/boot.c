/* boot: entry state as the virt board defines it: EL1h, MMU off, x0 the
 * device tree, the DTB's header and /chosen; then exit via PSCI. */
#include "guest.h"

static u32 be32(const void *p) {
    const u8 *b = p;
    return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

int main(u64 x0) {
    printf("boot: hello from the guest\n");
    u64 el = SYSREG_READ(CurrentEL) >> 2;
    u64 sctlr = SYSREG_READ(sctlr_el1);
    printf("boot: EL%u SPSel %u MMU %s\n", el, SYSREG_READ(SPSel), (sctlr & 1) ? "on" : "off");
    printf("boot: x0 %lx\n", x0);
    if (x0) {
        const u8 *dtb = (const u8 *)x0;
        printf("boot: dtb magic %x version %u\n", be32(dtb), be32(dtb + 20));
    }
    /* The major version only: QEMU 7.2 says 1.1, Granule 1.0 (the same
     * mandatory functions). */
    printf("boot: psci major version %u\n", (unsigned)(psci(0x84000000, 0, 0, 0) >> 16));
    printf("boot: off\n");
    psci_off();
}
