    adr x1, vec
    msr vbar_el1, x1
    mov x2, #0x3fff0000
    str x2, [x2]
    ldr x3, [x2, #0x1000]
    .word 0x00000000
    svc #1
    brk #2
    hlt #0xf000
    b .
    .balign 2048
vec: .skip 0x200
    mrs x9, esr_el1
    mrs x10, elr_el1
    add x10, x10, #4
    msr elr_el1, x10
    eret
