// The smallest guest that makes QEMU 10.0 abort on AT S12E1R: entered at
// EL2 (virt,virtualization=on), EL1's stage 1 off, a stage 2 with one
// level 1 block. AT S12E1R of an address inside the block prints PAR_EL1
// on the PL011 and exits through semihosting.
//
// Built by scripts/repro-qemu10-at.sh with BLOCK_ATTRS set to the block
// descriptor's attribute bits:
//   S2AP=00 (no access), AF=1: the stage 2 permission fault that aborts 10;
//   S2AP=11 (read/write), AF=0: the access flag fault 10 reports.

    .equ UART_DR, 0x09000000
    .equ VTCR, (32 << 0) | (1 << 6) | (1 << 8) | (1 << 10) | (3 << 12) | (2 << 16) | (1 << 31)
    .equ HCR_VM, 1 << 0
    .equ HCR_RW, 1 << 31

    .text
    .global _start
_start:
    adr     x0, s2_level1
    msr     vttbr_el2, x0                // VMID 0, the level 1 table
    ldr     x0, =VTCR                    // T0SZ 32, SL0 level 1, 4K, WB inner shareable walks, PS 40 bits
    msr     vtcr_el2, x0
    ldr     x0, =(HCR_VM | HCR_RW)       // stage 2 on, EL1 AArch64
    msr     hcr_el2, x0
    msr     sctlr_el1, xzr               // EL1 stage 1 off: IPA = VA
    isb
    tlbi    alle1
    dsb     sy
    ldr     x0, =0x40001000              // inside the block at IPA 0x40000000
    at      s12e1r, x0
    isb
    mrs     x19, par_el1

    adr     x1, message
    bl      puts
    mov     x2, #60                      // PAR_EL1 in hex, 16 digits
1:  lsr     x3, x19, x2
    and     x3, x3, #0xf
    cmp     x3, #10
    add     x4, x3, #'0'
    add     x5, x3, #('a' - 10)
    csel    x3, x4, x5, lo
    ldr     x6, =UART_DR
    strb    w3, [x6]
    subs    x2, x2, #4
    b.ge    1b
    mov     w3, #'\n'
    strb    w3, [x6]

    mov     x0, #0x18                    // semihosting SYS_EXIT
    adr     x1, exit_block
    hlt     #0xf000
    b       .

puts:                                    // x1: NUL-terminated string
    ldr     x6, =UART_DR
2:  ldrb    w3, [x1], #1
    cbz     w3, 3f
    strb    w3, [x6]
    b       2b
3:  ret

    .data
    .balign 8
exit_block:
    .quad   0x20026, 0                   // ADP_Stopped_ApplicationExit, status 0
message:
    .asciz  "PAR_EL1 after AT S12E1R: 0x"

    .balign 4096
s2_level1:                               // level 1: 1 GiB per entry
    .quad   0
    .quad   0x40000000 | BLOCK_ATTRS | 0b01    // IPA 1-2 GiB -> PA 1-2 GiB, block
    .fill   510, 8, 0
