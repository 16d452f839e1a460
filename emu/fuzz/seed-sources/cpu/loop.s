    adr x1, buf
    mov x2, #64
1:  ldr x3, [x1]
    add x3, x3, #1
    str x3, [x1], #8
    stp x3, x3, [x1, #16]
    ldrb w4, [x1, #-1]
    subs x2, x2, #1
    b.ne 1b
    mov x0, #0x84000000
    movk x0, #8
    hvc #0
buf: .quad 0
