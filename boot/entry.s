// Granule's first instructions: an arm64 Image header, then the climb down
// from whatever exception level the loader chose (EL3, EL2 or EL1) to EL1,
// leaving a small stub at EL2 when there is one. Nothing here touches memory
// until BSS is cleared except the stub's vector base.

.macro adr_l reg, sym
    adrp    \reg, \sym
    add     \reg, \reg, :lo12:\sym
.endm

.section .text.head, "ax"
.global _start
_start:
    // The arm64 Image header (Linux Documentation/arch/arm64/booting.rst):
    // QEMU's loader and the Raspberry Pi firmware both read text_offset and
    // image_size from it, and x0 then holds the device tree.
    b       primary_entry
    .word   0
    .quad   __text_offset           // where in RAM the image wants to be
    .quad   __image_size            // including BSS, so loaders keep off it
    .quad   0x2                     // little-endian, 4K page size declared
    .quad   0
    .quad   0
    .quad   0
    .ascii  "ARM\x64"
    .word   0

primary_entry:
    mov     x19, x0                 // device tree (or junk) from the loader
    mrs     x20, cntpct_el0         // boot timestamp, for the boot-time figure
    mrs     x21, CurrentEL
    lsr     x21, x21, #2

    // Only core 0 runs Granule; any other core that gets here parks.
    mrs     x1, mpidr_el1
    and     x1, x1, #0xffffff
    cbz     x1, 1f
0:  wfe
    b       0b
1:
    cmp     x21, #3
    b.ne    2f
    // EL3: make EL2 AArch64 and non-secure, then continue there.
    mov     x1, #(1 << 10) | (1 << 8) | (1 << 0)  // RW | HCE | NS
    msr     scr_el3, x1
    mov     x1, #0x3c9                            // EL2h, DAIF masked
    msr     spsr_el3, x1
    adr     x1, 2f
    msr     elr_el3, x1
    eret
2:
    mrs     x1, CurrentEL
    lsr     x1, x1, #2
    cmp     x1, #2
    b.ne    3f
    // EL2: keep the stub, give EL1 the timer and FP, then drop to EL1.
    adr     x1, el2_vectors
    msr     vbar_el2, x1
    mov     x1, #(1 << 31)                        // HCR_EL2.RW: EL1 is AArch64
    msr     hcr_el2, x1
    mov     x1, #0x33ff                           // CPTR_EL2: no FP/SIMD trap
    msr     cptr_el2, x1
    mov     x1, #3                                // CNTHCTL_EL2: EL1PCTEN|EL1PCEN
    msr     cnthctl_el2, x1
    msr     cntvoff_el2, xzr
    msr     vttbr_el2, xzr
    msr     hstr_el2, xzr
    mrs     x1, midr_el1
    msr     vpidr_el2, x1
    mrs     x1, mpidr_el1
    msr     vmpidr_el2, x1
    ldr     x1, ={SCTLR_EL1_RES1}                 // SCTLR_EL1 RES1 bits, MMU off
    msr     sctlr_el1, x1
    mov     x1, #0x3c5                            // EL1h, DAIF masked
    msr     spsr_el2, x1
    adr     x1, 3f
    msr     elr_el2, x1
    eret
3:
    // EL1 from here on.
    mov     x1, #(3 << 20)                        // CPACR_EL1.FPEN: no FP trap
    msr     cpacr_el1, x1
    isb
    adr_l   x1, __stack_top
    mov     sp, x1
    adr_l   x1, __bss_start
    adr_l   x2, __bss_end
4:  cmp     x1, x2
    b.hs    5f
    stp     xzr, xzr, [x1], #16
    b       4b
5:
    adr_l   x1, el1_vectors
    msr     vbar_el1, x1
    isb
    mov     x0, x19
    mov     x1, x21
    mov     x2, x20
    bl      kernel_entry
6:  wfe
    b       6b
