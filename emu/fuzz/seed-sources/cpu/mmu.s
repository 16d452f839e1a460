    adr x1, tbl
    msr ttbr0_el1, x1
    msr ttbr1_el1, x1
    ldr x2, =0x00000005b5103510
    msr tcr_el1, x2
    mov x3, #0xff
    msr mair_el1, x3
    isb
    mrs x4, sctlr_el1
    orr x4, x4, #1
    msr sctlr_el1, x4
    isb
    ldr x5, [x1]
    str x5, [x1, #8]
    b .
    .ltorg
tbl: .quad 0xdeadbeefcafe0703, 0x4000000000000701, 0x123, 0xffffffffffffffff
