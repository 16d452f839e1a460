// The equivalence and bench workloads (kernel/src/workloads/mod.rs):
// position-independent AArch64 leaf functions, run natively and under
// emu's CPU from the same inputs. Convention: x0 = the data buffer,
// x1 = a length or count; the result in x0; only x0-x15 are used, no
// stack, no absolute address is ever stored in the buffer. Each function
// NAME runs from wl_NAME to wl_NAME_end (its bytes are copied into guest
// RAM as they are). Base ARMv8.0 integer instructions only.
    .text

// Insertion sort of x1 unsigned words; returns the number of moves.
    .balign 16
    .global wl_sort
wl_sort:
    mov     x2, #1
    mov     x7, #0
    cmp     x1, #1
    b.ls    .Lsort_done
.Lsort_outer:
    ldr     w3, [x0, x2, lsl #2]
    mov     x4, x2
.Lsort_inner:
    cbz     x4, .Lsort_place
    sub     x5, x4, #1
    ldr     w6, [x0, x5, lsl #2]
    cmp     w6, w3
    b.ls    .Lsort_place
    str     w6, [x0, x4, lsl #2]
    mov     x4, x5
    add     x7, x7, #1
    b       .Lsort_inner
.Lsort_place:
    str     w3, [x0, x4, lsl #2]
    add     x2, x2, #1
    cmp     x2, x1
    b.lo    .Lsort_outer
.Lsort_done:
    mov     x0, x7
    ret
    .global wl_sort_end
wl_sort_end:

// CRC-32 (reflected, polynomial 0xEDB88320, bit by bit) of x1 bytes.
    .balign 16
    .global wl_crc32
wl_crc32:
    mov     w2, #-1
    movz    w5, #0x8320
    movk    w5, #0xedb8, lsl #16
    cbz     x1, .Lcrc_done
.Lcrc_byte:
    ldrb    w3, [x0], #1
    eor     w2, w2, w3
    mov     w4, #8
.Lcrc_bit:
    and     w6, w2, #1
    neg     w6, w6
    and     w6, w6, w5
    eor     w2, w6, w2, lsr #1
    subs    w4, w4, #1
    b.ne    .Lcrc_bit
    subs    x1, x1, #1
    b.ne    .Lcrc_byte
.Lcrc_done:
    mvn     w0, w2
    ret
    .global wl_crc32_end
wl_crc32_end:

// Multiply-rotate hash of x1 doublewords.
    .balign 16
    .global wl_mulrot
wl_mulrot:
    movz    x2, #0x7c15
    movk    x2, #0x7f4a, lsl #16
    movk    x2, #0x79b9, lsl #32
    movk    x2, #0x9e37, lsl #48
    movz    x3, #0xeb4f
    movk    x3, #0x27d4, lsl #16
    movk    x3, #0xae3d, lsl #32
    movk    x3, #0xc2b2, lsl #48
    cbz     x1, .Lmr_done
.Lmr_loop:
    ldr     x4, [x0], #8
    eor     x3, x3, x4
    mul     x3, x3, x2
    ror     x3, x3, #29
    umulh   x5, x3, x2
    eor     x3, x3, x5
    subs    x1, x1, #1
    b.ne    .Lmr_loop
.Lmr_done:
    mov     x0, x3
    ret
    .global wl_mulrot_end
wl_mulrot_end:

// A bytecode interpreter: the buffer holds 128 (op, imm) byte pairs, then
// 32 doubleword slots; x1 = the count the LOOP op runs down (> 0). Ops
// (op & 7): 0 add imm, 1 xor imm*0x9e37, 2 mul (imm|1), 3 ror imm,
// 4 store to slot imm, 5 add slot imm, 6 loop to pair imm while the
// count lasts, 7 halt. Dispatch through a table of offsets.
    .balign 16
    .global wl_bytecode
wl_bytecode:
    mov     x2, #0
    mov     x3, x1
    mov     x4, #0
    add     x12, x0, #256
    adr     x9, .Lbc_table
    movz    x13, #0x9e37
.Lbc_next:
    and     x4, x4, #0xfe
    add     x11, x0, x4
    ldrb    w10, [x11]
    ldrb    w14, [x11, #1]
    add     x4, x4, #2
    and     w10, w10, #7
    ldrsw   x11, [x9, w10, uxtw #2]
    add     x11, x9, x11
    br      x11
.Lbc_add:
    add     x2, x2, x14
    b       .Lbc_next
.Lbc_xor:
    mul     x15, x14, x13
    eor     x2, x2, x15
    b       .Lbc_next
.Lbc_mul:
    orr     x15, x14, #1
    mul     x2, x2, x15
    b       .Lbc_next
.Lbc_ror:
    ror     x2, x2, x14
    b       .Lbc_next
.Lbc_st:
    and     x15, x14, #31
    str     x2, [x12, x15, lsl #3]
    b       .Lbc_next
.Lbc_ld:
    and     x15, x14, #31
    ldr     x15, [x12, x15, lsl #3]
    add     x2, x2, x15
    b       .Lbc_next
.Lbc_loop:
    subs    x3, x3, #1
    b.eq    .Lbc_next
    lsl     x4, x14, #1
    b       .Lbc_next
.Lbc_halt:
    mov     x0, x2
    ret
    .balign 4
.Lbc_table:
    .word   .Lbc_add - .Lbc_table
    .word   .Lbc_xor - .Lbc_table
    .word   .Lbc_mul - .Lbc_table
    .word   .Lbc_ror - .Lbc_table
    .word   .Lbc_st - .Lbc_table
    .word   .Lbc_ld - .Lbc_table
    .word   .Lbc_loop - .Lbc_table
    .word   .Lbc_halt - .Lbc_table
    .global wl_bytecode_end
wl_bytecode_end:

// Copies the first x1 bytes (a multiple of 16) of the buffer to the next
// x1; returns a mix of every doubleword copied.
    .balign 16
    .global wl_copy
wl_copy:
    add     x2, x0, x1
    mov     x5, #0
    cbz     x1, .Lcopy_done
.Lcopy_loop:
    ldp     x3, x4, [x0], #16
    stp     x3, x4, [x2], #16
    eor     x5, x3, x5, ror #1
    add     x5, x5, x4
    subs    x1, x1, #16
    b.hi    .Lcopy_loop
.Lcopy_done:
    mov     x0, x5
    ret
    .global wl_copy_end
wl_copy_end:

// Scans x1 bytes (a multiple of 16): a sum of the doublewords, and how
// many have 0x5a as their low byte.
    .balign 16
    .global wl_scan
wl_scan:
    mov     x5, #0
    mov     x6, #0
    cbz     x1, .Lscan_done
.Lscan_loop:
    ldp     x3, x4, [x0], #16
    add     x5, x5, x3
    eor     x5, x5, x4, lsl #1
    and     x7, x3, #0xff
    cmp     x7, #0x5a
    cinc    x6, x6, eq
    subs    x1, x1, #16
    b.hi    .Lscan_loop
.Lscan_done:
    eor     x0, x5, x6, lsl #40
    ret
    .global wl_scan_end
wl_scan_end:

// Pointer chasing: 16384 nodes of 16 bytes (u32 index of the next node,
// u32 unused, u64 value), x1 steps from node 0; each step folds the value
// into the result and writes the running result back into the node.
    .balign 16
    .global wl_chase
wl_chase:
    mov     x2, #0
    mov     x3, #0
    cbz     x1, .Lchase_done
.Lchase_loop:
    add     x4, x0, x2, lsl #4
    ldr     w2, [x4]
    ldr     x5, [x4, #8]
    eor     x3, x5, x3, ror #7
    str     x3, [x4, #8]
    and     x2, x2, #0x3fff
    subs    x1, x1, #1
    b.ne    .Lchase_loop
.Lchase_done:
    mov     x0, x3
    ret
    .global wl_chase_end
wl_chase_end:

// A branchy state machine: tokenises x1 bytes of text into numbers,
// words (a letter, then letters or digits) and punctuation runs; returns
// the sum of the numbers ^ words << 32 ^ punctuation runs << 48.
// States: x2 = 0 between tokens, 1 number, 2 word, 3 punctuation.
    .balign 16
    .global wl_fsm
wl_fsm:
    mov     x2, #0
    mov     x3, #0
    mov     x4, #0
    mov     x5, #0
    mov     x6, #0
    cbz     x1, .Lfsm_done
.Lfsm_byte:
    ldrb    w7, [x0], #1
    sub     w8, w7, #0x30
    cmp     w8, #9
    b.ls    .Lfsm_digit
    orr     w9, w7, #0x20
    sub     w9, w9, #0x61
    cmp     w9, #25
    b.ls    .Lfsm_letter
    cmp     w7, #0x20
    b.eq    .Lfsm_space
    cmp     w7, #0x0a
    b.eq    .Lfsm_space
    cmp     x2, #3
    b.eq    .Lfsm_next
    cmp     x2, #1
    b.ne    .Lfsm_punct
    add     x4, x4, x3
.Lfsm_punct:
    add     x6, x6, #1
    mov     x2, #3
    b       .Lfsm_next
.Lfsm_digit:
    cmp     x2, #1
    b.eq    .Lfsm_more
    cmp     x2, #2
    b.eq    .Lfsm_next
    mov     x3, #0
    mov     x2, #1
.Lfsm_more:
    add     x3, x3, x3, lsl #2
    add     x3, x8, x3, lsl #1
    b       .Lfsm_next
.Lfsm_letter:
    cmp     x2, #2
    b.eq    .Lfsm_next
    cmp     x2, #1
    b.ne    .Lfsm_word
    add     x4, x4, x3
.Lfsm_word:
    add     x5, x5, #1
    mov     x2, #2
    b       .Lfsm_next
.Lfsm_space:
    cmp     x2, #1
    b.ne    .Lfsm_gap
    add     x4, x4, x3
.Lfsm_gap:
    mov     x2, #0
.Lfsm_next:
    subs    x1, x1, #1
    b.ne    .Lfsm_byte
    cmp     x2, #1
    b.ne    .Lfsm_done
    add     x4, x4, x3
.Lfsm_done:
    eor     x0, x4, x5, lsl #32
    eor     x0, x0, x6, lsl #48
    ret
    .global wl_fsm_end
wl_fsm_end:
