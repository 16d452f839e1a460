// The EL2 stub: what stays at EL2 after Granule drops to EL1. EL1 reaches it
// with `HVC #0`, x0 naming the service. It exists for checks that need EL2,
// such as a stage 1 + stage 2 address translation (AT S12E1*).

.equ HVC_PING,      {HVC_PING}  // -> x0 = 0: an EL2 stub is present
.equ HVC_AT_S12,    {HVC_AT_S12}  // x1 = address, x2 = AT operation, x3 = VTTBR_EL2,
                            // x4 = VTCR_EL2 -> x0 = PAR_EL1
.equ HCR_VM,        {HCR_VM}
.equ EC_HVC64,      {EC_HVC64}
.equ UNKNOWN_CALL,  -1

.macro el2_ventry label
    .balign 0x80
    b       \label
.endm

.section .text.el2, "ax"
.balign 0x800
.global el2_vectors
el2_vectors:
    el2_ventry  el2_hang            // current EL, SP_EL0
    el2_ventry  el2_hang
    el2_ventry  el2_hang
    el2_ventry  el2_hang
    el2_ventry  el2_hang            // current EL, SP_ELx
    el2_ventry  el2_hang
    el2_ventry  el2_hang
    el2_ventry  el2_hang
    el2_ventry  el2_from_el1        // lower EL, AArch64: synchronous
    el2_ventry  el2_hang
    el2_ventry  el2_hang
    el2_ventry  el2_hang
    el2_ventry  el2_hang            // lower EL, AArch32
    el2_ventry  el2_hang
    el2_ventry  el2_hang
    el2_ventry  el2_hang

el2_hang:
    wfe
    b       el2_hang

el2_from_el1:
    mrs     x9, esr_el2
    lsr     x9, x9, #26
    cmp     x9, #EC_HVC64
    b.ne    el2_skip_trapped
    cmp     x0, #HVC_PING
    b.eq    el2_ping
    cmp     x0, #HVC_AT_S12
    b.eq    el2_at_s12
    mov     x0, #UNKNOWN_CALL
    eret

el2_ping:
    mov     x0, #0
    eret

// Anything else that trapped to EL2 is skipped, with x0 = UNKNOWN_CALL, so a
// stray trap cannot wedge the kernel.
el2_skip_trapped:
    mrs     x9, elr_el2
    add     x9, x9, #4
    msr     elr_el2, x9
    mov     x0, #UNKNOWN_CALL
    eret

// Stage 2 is switched on only for the duration of the AT instruction: the
// kernel itself always runs with stage 2 off. TLB entries made while it was
// on are dropped on both sides, since they share VMID 0 with the kernel's.
el2_at_s12:
    msr     vtcr_el2, x4
    msr     vttbr_el2, x3
    mrs     x9, hcr_el2
    orr     x10, x9, #HCR_VM
    msr     hcr_el2, x10
    isb
    tlbi    vmalls12e1
    dsb     nsh
    isb
    cmp     x2, #1
    b.eq    1f
    cmp     x2, #2
    b.eq    2f
    cmp     x2, #3
    b.eq    3f
    at      s12e1r, x1
    b       4f
1:  at      s12e1w, x1
    b       4f
2:  at      s12e0r, x1
    b       4f
3:  at      s12e0w, x1
4:  isb
    mrs     x0, par_el1
    msr     hcr_el2, x9
    isb
    tlbi    vmalls12e1
    dsb     nsh
    isb
    eret
