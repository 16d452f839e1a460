// Entry and exception vectors shared by Granule's built-in guests.
// Entered at EL1h with the MMU off, x0 = the device tree (or 0), as on
// QEMU's virt board. Sets up the stack and VBAR_EL1, clears .bss, calls
// main(x0) and exits through semihosting with main's return value.

    .section .text.start, "ax"
    .global _start
_start:
    ldr     x1, =__stack_top
    mov     sp, x1
    ldr     x1, =vectors
    msr     vbar_el1, x1
    isb
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:  bl      main
    bl      exit_guest
3:  b       3b

// One vector entry: save x0-x30, ELR, SPSR, ESR, FAR into a frame on the
// stack and call exception(frame, index); the handler may change the
// frame (ELR to skip, registers to return values).
.macro entry index
    .balign 0x80
    sub     sp, sp, #(36 * 8)
    stp     x0, x1, [sp, #0]
    mov     x0, #\index
    b       save_and_handle
.endm

    .section .text.vectors, "ax"
    .balign 0x800
    .global vectors
vectors:
    entry 0
    entry 1
    entry 2
    entry 3
    entry 4
    entry 5
    entry 6
    entry 7
    entry 8
    entry 9
    entry 10
    entry 11
    entry 12
    entry 13
    entry 14
    entry 15

save_and_handle:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    mrs     x1, elr_el1
    stp     x30, x1, [sp, #240]
    mrs     x1, spsr_el1
    mrs     x2, esr_el1
    stp     x1, x2, [sp, #256]
    mrs     x1, far_el1
    str     x1, [sp, #272]
    mov     x1, x0
    mov     x0, sp
    bl      exception
    ldp     x30, x1, [sp, #240]
    msr     elr_el1, x1
    ldr     x1, [sp, #256]
    msr     spsr_el1, x1
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    add     sp, sp, #(36 * 8)
    eret
