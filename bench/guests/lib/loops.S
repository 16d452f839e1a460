// The timed loops of scripts/bench.sh's guests. Each has a fixed number of
// instructions per iteration (in the comment), so a guest's instruction
// count is exact. The integer loop is guests/lib/intloop.S's.
    .text
    .balign 16

// bench_mem_loop(base, accesses, stride, mask): a read-modify-write of one
// word per access at base + offset, offset += stride modulo mask + 1.
// 8 instructions per access.
    .global bench_mem_loop
bench_mem_loop:
    mov     x7, x0
    mov     x0, #0
    mov     x6, #0
1:  ldr     x4, [x7, x6]
    add     x4, x4, x6
    str     x4, [x7, x6]
    add     x0, x0, x4
    add     x6, x6, x2
    and     x6, x6, x3
    subs    x1, x1, #1
    b.ne    1b
    ret

// bench_tlbi_loop(pte_addr, pte, flip, va, iterations): per iteration the
// page table entry at pte_addr flips between two frames (pte ^= flip), is
// invalidated with TLBI VAE1 and the page is read at va.
// 10 instructions per iteration.
    .global bench_tlbi_loop
bench_tlbi_loop:
    mov     x8, x0
    mov     x0, #0
    lsr     x9, x3, #12
1:  eor     x1, x1, x2
    str     x1, [x8]
    dsb     ishst
    tlbi    vae1, x9
    dsb     ish
    isb
    ldr     x5, [x3]
    add     x0, x0, x5
    subs    x4, x4, #1
    b.ne    1b
    ret

// bench_mmio_loop(uart, reads): reads the PL011's flag register (UARTFR).
// 4 instructions per read.
    .global bench_mmio_loop
bench_mmio_loop:
    mov     x2, x0
    mov     x0, #0
1:  ldr     w3, [x2, #0x18]
    add     x0, x0, x3
    subs    x1, x1, #1
    b.ne    1b
    ret

// bench_blocks_loop(rounds): per round, 4096 calls (BL) to 4096 distinct
// three-instruction functions spaced 32 bytes apart: 8192 blocks per
// round (each call site's fall-through and each function).
// 4096 * 4 + 2 instructions per round.
    .global bench_blocks_loop
bench_blocks_loop:
    stp     x29, x30, [sp, #-16]!
    mov     x2, x0
    mov     x0, #1
    mov     x1, #0x9e37
1:
    .set    i, 0
    .rept   4096
    bl      blocks_fns + i * 32
    .set    i, i + 1
    .endr
    subs    x2, x2, #1
    b.ne    1b
    ldp     x29, x30, [sp], #16
    ret

    .balign 32
blocks_fns:
    .rept   4096
    .balign 32
    add     x0, x0, x1
    eor     x1, x1, x0, ror #13
    ret
    .endr
