// The integer benchmark's loop, shared by the bench-int guest and the
// kernel (which times the same instructions natively for the slowdown
// figure). x0 = iterations (> 0); returns a checksum in x0. Eight
// instructions per iteration, all base integer, no memory access.
    .text
    .balign 16
    .global granule_bench_int_loop
granule_bench_int_loop:
    mov     x1, #0x9e37
    mov     x2, #1
1:  add     x2, x2, x1
    eor     x1, x1, x2, lsl #3
    mul     x3, x2, x1
    ror     x1, x1, #7
    sub     x2, x2, x3, lsr #11
    madd    x1, x2, x3, x1
    subs    x0, x0, #1
    b.ne    1b
    eor     x0, x1, x2
    ret
