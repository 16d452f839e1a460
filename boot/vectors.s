// EL1 exception vectors: every entry saves the interrupted context as an
// `ExceptionFrame` (kernel/src/arch/aarch64/exception.rs) and hands it to
// `el1_exception`, which may edit it (to resume a probe) before it returns.

.equ FRAME_SIZE, {FRAME_SIZE}   // size_of::<ExceptionFrame>()

.macro el1_ventry kind
    .balign 0x80
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0 * 8]
    mov     x1, #\kind
    b       el1_save_and_handle
.endm

.section .text.vectors, "ax"
.balign 0x800
.global el1_vectors
el1_vectors:
    el1_ventry  0       // current EL with SP_EL0: synchronous
    el1_ventry  1       //   IRQ
    el1_ventry  2       //   FIQ
    el1_ventry  3       //   SError
    el1_ventry  4       // current EL with SP_ELx: synchronous
    el1_ventry  5
    el1_ventry  6
    el1_ventry  7
    el1_ventry  8       // lower EL, AArch64
    el1_ventry  9
    el1_ventry  10
    el1_ventry  11
    el1_ventry  12      // lower EL, AArch32
    el1_ventry  13
    el1_ventry  14
    el1_ventry  15

el1_save_and_handle:
    stp     x2, x3, [sp, #2 * 8]
    stp     x4, x5, [sp, #4 * 8]
    stp     x6, x7, [sp, #6 * 8]
    stp     x8, x9, [sp, #8 * 8]
    stp     x10, x11, [sp, #10 * 8]
    stp     x12, x13, [sp, #12 * 8]
    stp     x14, x15, [sp, #14 * 8]
    stp     x16, x17, [sp, #16 * 8]
    stp     x18, x19, [sp, #18 * 8]
    stp     x20, x21, [sp, #20 * 8]
    stp     x22, x23, [sp, #22 * 8]
    stp     x24, x25, [sp, #24 * 8]
    stp     x26, x27, [sp, #26 * 8]
    stp     x28, x29, [sp, #28 * 8]
    mrs     x9, elr_el1
    stp     x30, x9, [sp, #30 * 8]
    mrs     x10, spsr_el1
    mrs     x11, esr_el1
    stp     x10, x11, [sp, #32 * 8]
    mrs     x12, far_el1
    str     x12, [sp, #34 * 8]
    mov     x0, sp
    bl      el1_exception
    ldp     x30, x9, [sp, #30 * 8]
    msr     elr_el1, x9
    ldr     x10, [sp, #32 * 8]
    msr     spsr_el1, x10
    ldp     x0, x1, [sp, #0 * 8]
    ldp     x2, x3, [sp, #2 * 8]
    ldp     x4, x5, [sp, #4 * 8]
    ldp     x6, x7, [sp, #6 * 8]
    ldp     x8, x9, [sp, #8 * 8]
    ldp     x10, x11, [sp, #10 * 8]
    ldp     x12, x13, [sp, #12 * 8]
    ldp     x14, x15, [sp, #14 * 8]
    ldp     x16, x17, [sp, #16 * 8]
    ldp     x18, x19, [sp, #18 * 8]
    ldp     x20, x21, [sp, #20 * 8]
    ldp     x22, x23, [sp, #22 * 8]
    ldp     x24, x25, [sp, #24 * 8]
    ldp     x26, x27, [sp, #26 * 8]
    ldp     x28, x29, [sp, #28 * 8]
    add     sp, sp, #FRAME_SIZE
    eret
