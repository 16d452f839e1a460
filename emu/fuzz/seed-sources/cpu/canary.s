    mov x1, #0x8000000000
    str x1, [x1, #8]
    b .
