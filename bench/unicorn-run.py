#!/usr/bin/python3
"""Runs one of scripts/bench.sh's guests (a raw image linked at
0x4008_0000) on Unicorn, without a machine: flat RAM at 0x4000_0000, the
PL011's registers as an MMIO page (UARTDR writes go to stdout, UARTFR
reads as QEMU's idle value), and semihosting's HLT #0xF000 answered here
(SYS_EXIT_EXTENDED, SYS_EXIT, SYS_WRITEC, SYS_WRITE0). The guest times
itself with CNTVCT_EL0 as the CPU model gives it.

Usage: unicorn-run.py IMAGE"""
import sys
import time

from unicorn import Uc, UcError, UC_ARCH_ARM64, UC_MODE_ARM, UC_HOOK_INTR, UC_TLB_CPU
from unicorn.arm64_const import (UC_ARM64_REG_PC, UC_ARM64_REG_X0, UC_ARM64_REG_X1,
                                  UC_ARM64_REG_ESR_EL1, UC_ARM64_REG_FAR_EL1, UC_ARM64_REG_PSTATE, UC_CPU_ARM64_MAX,
                                  UC_ARM64_REG_CP_REG)

RAM, RAM_SIZE, LOAD = 0x4000_0000, 128 << 20, 0x4008_0000
# Exits jump here: emu_start stops when the PC reaches it (emu_stop from
# an interrupt hook is not always honoured).
STOP = RAM
UART = 0x0900_0000
HLT_SEMIHOST = 0xD45E0000
EXIT_APP = 0x20026


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    image = open(sys.argv[1], "rb").read()
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    uc.ctl_set_cpu_model(UC_CPU_ARM64_MAX)
    # The guest's own MMU translates (not Unicorn's virtual TLB mode).
    uc.ctl_set_tlb_mode(UC_TLB_CPU)
    # Unicorn's EL1 sits under an EL2 whose HCR_EL2.RW is 0, so its
    # translation regime would be AArch32's: set RW (EL1 is AArch64).
    uc.reg_write(UC_ARM64_REG_CP_REG, (1, 1, 3, 4, 0, 1 << 31))
    uc.mem_map(RAM, RAM_SIZE)
    uc.mem_write(LOAD, image)
    out = sys.stdout.buffer

    def uart_read(uc, offset, size, data):
        return 0x90 if offset == 0x18 else 0  # UARTFR: TXFE | RXFE

    def uart_write(uc, offset, size, value, data):
        if offset == 0:
            out.write(bytes([value & 0xFF]))

    uc.mmio_map(UART, 0x1000, uart_read, None, uart_write, None)
    status = [None]

    def interrupt(uc, intno, data):
        pc = uc.reg_read(UC_ARM64_REG_PC)
        # The exception's return address: the HLT itself or the next word.
        for at in (pc, pc - 4):
            if int.from_bytes(uc.mem_read(at, 4), "little") == HLT_SEMIHOST:
                break
        else:
            esr = uc.reg_read(UC_ARM64_REG_ESR_EL1)
            far = uc.reg_read(UC_ARM64_REG_FAR_EL1)
            pstate = uc.reg_read(UC_ARM64_REG_PSTATE)
            status[0] = (f"unexpected exception {intno} at pc {pc:#x} "
                         f"(ESR_EL1 {esr:#x} FAR_EL1 {far:#x} PSTATE {pstate:#x})")
            uc.reg_write(UC_ARM64_REG_PC, STOP)
            return
        op = uc.reg_read(UC_ARM64_REG_X0)
        arg = uc.reg_read(UC_ARM64_REG_X1)
        if op == 0x20:  # SYS_EXIT_EXTENDED: [reason, status]
            reason = int.from_bytes(uc.mem_read(arg, 8), "little")
            code = int.from_bytes(uc.mem_read(arg + 8, 8), "little")
            status[0] = code & 0xFF if reason == EXIT_APP else f"exit reason {reason:#x}"
        elif op == 0x18:  # SYS_EXIT
            status[0] = 0 if arg == EXIT_APP else 1
        elif op == 0x03:  # SYS_WRITEC
            sys.stderr.buffer.write(bytes(uc.mem_read(arg, 1)))
        elif op == 0x04:  # SYS_WRITE0
            s = b""
            while (c := bytes(uc.mem_read(arg + len(s), 1))) != b"\0":
                s += c
            sys.stderr.buffer.write(s)
        else:
            uc.reg_write(UC_ARM64_REG_X0, (1 << 64) - 1)
        uc.reg_write(UC_ARM64_REG_PC, STOP if status[0] is not None else at + 4)

    uc.hook_add(UC_HOOK_INTR, interrupt)
    start = time.monotonic()
    try:
        uc.emu_start(LOAD, STOP)
    except UcError as e:
        status[0] = status[0] or f"unicorn: {e} at pc {uc.reg_read(UC_ARM64_REG_PC):#x}"
    out.flush()
    print(f"unicorn-run: wall {time.monotonic() - start:.6f} s", file=sys.stderr)
    if isinstance(status[0], int):
        sys.exit(status[0])
    sys.exit(f"unicorn-run: {status[0] or 'the guest stopped without exiting'}")


main()
