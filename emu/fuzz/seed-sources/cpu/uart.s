    mov x1, #0x09000000
    mov w2, #'A'
    str w2, [x1]
    ldr w3, [x1, #0x18]
    add x4, x1, #0x1000
    str x2, [x4]
    ldr x5, [x4, #8]
    mov x6, #0x09000000
    add x6, x6, #0x2000
    br x6
