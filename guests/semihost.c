/* semihost: Arm semihosting through HLT #0xF000 (console output, the
 * clocks, the command line, the heap, errors) and PSCI through HVC
 * (VERSION, FEATURES, CPU_ON refused, AFFINITY_INFO, MIGRATE_INFO_TYPE,
 * SYSTEM_RESET: the guest comes back, finds its mark and exits). */
#include "guest.h"

#define SYS_OPEN 0x01
#define SYS_CLOSE 0x02
#define SYS_WRITEC 0x03
#define SYS_WRITE0 0x04
#define SYS_WRITE 0x05
#define SYS_ISERROR 0x08
#define SYS_ISTTY 0x09
#define SYS_CLOCK 0x10
#define SYS_TIME 0x11
#define SYS_ERRNO 0x13
#define SYS_GET_CMDLINE 0x15
#define SYS_HEAPINFO 0x16
#define SYS_ELAPSED 0x30
#define SYS_TICKFREQ 0x31

/* Survives a reset: far above the image, below the device tree. */
#define RESET_MARK ((volatile u64 *)(RAM_BASE + 0x3000000))
#define MARK 0x7265736574UL

static i64 s(u64 op, u64 param) { return (i64)semihost(op, param); }

static void semihosting(void) {
    char c = 's';
    s(SYS_WRITEC, (u64)&c);
    s(SYS_WRITE0, (u64)"emihost: SYS_WRITEC and SYS_WRITE0\n");
    u64 open_tt[3] = {(u64)":tt", 4, 3};
    i64 out = s(SYS_OPEN, (u64)open_tt);
    const char msg[] = "semihost: SYS_WRITE to :tt\n";
    u64 wr[3] = {(u64)out, (u64)msg, sizeof msg - 1};
    i64 left = s(SYS_WRITE, (u64)wr);
    u64 tty[1] = {(u64)out};
    /* ISTTY's answer depends on where the host's stdout goes: not printed. */
    i64 istty = s(SYS_ISTTY, (u64)tty);
    printf("semihost: open :tt ok %u, write left %d, istty answers %u\n", out >= 0, left,
           istty == 0 || istty == 1);
    s(SYS_CLOSE, (u64)tty);
    u64 open_file[3] = {(u64)"/nonexistent/granule", 0, 20};
    i64 bad = s(SYS_OPEN, (u64)open_file);
    i64 err = s(SYS_ERRNO, 0);
    u64 st[1] = {(u64)bad};
    printf("semihost: open of a missing file %d, errno set %u, iserror %d\n", bad, err != 0,
           s(SYS_ISERROR, (u64)st));
    i64 clock = s(SYS_CLOCK, 0);
    printf("semihost: clock sane %u\n", clock >= 0 && clock < 100 * 60);
    u64 t0 = 0, t1 = 0;
    s(SYS_ELAPSED, (u64)&t0);
    for (volatile int i = 0; i < 10000; i++)
        ;
    s(SYS_ELAPSED, (u64)&t1);
    printf("semihost: elapsed increases %u, tickfreq %d\n", t1 > t0, s(SYS_TICKFREQ, 0));
    /* A board without a real-time clock has no answer: a "time:" line,
     * which transcript comparisons leave out. */
    printf("time: semihost: SYS_TIME after 2020 %u\n", s(SYS_TIME, 0) > 1577836800);
    char line[256];
    u64 cmd[2] = {(u64)line, sizeof line};
    i64 r = s(SYS_GET_CMDLINE, (u64)cmd);
    const char *args = line;
    while (*args && *args != ' ')
        args++;
    u64 len = 0;
    while (line[len])
        len++;
    printf("semihost: cmdline %d, length matches %u, arguments '%s'\n", r, cmd[1] == len,
           *args ? args + 1 : "");
    u64 heap[4], block[1] = {(u64)heap};
    s(SYS_HEAPINFO, (u64)block);
    printf("semihost: heap %lx-%lx stack %lx-%lx\n", heap[0], heap[1], heap[3], heap[2]);
    u64 small[2] = {(u64)line, 1};
    printf("semihost: cmdline into 1 byte %d\n", s(SYS_GET_CMDLINE, (u64)small));
}

static void psci_calls(void) {
    u64 v = psci(0x84000000, 0, 0, 0);
    printf("psci: version at least 1.0 %u\n", (v >> 16) >= 1);
    const u32 fns[] = {0x84000000, 0x84000008, 0x84000009, 0x8400000a, 0xc4000003, 0x84000002,
                       0x840000ff};
    for (unsigned i = 0; i < sizeof fns / sizeof fns[0]; i++)
        printf("psci: features %x -> %d\n", fns[i], (i64)psci(0x8400000a, fns[i], 0, 0));
    printf("psci: cpu_on self %d, cpu_on 1 %d\n", (i64)psci(0xc4000003, 0, 0x40080000, 0),
           (i64)psci(0xc4000003, 1, 0x40080000, 0));
    printf("psci: affinity_info 0 %d, migrate_info_type %d, unknown %d\n",
           (i64)psci(0xc4000004, 0, 0, 0), (i64)psci(0x84000006, 0, 0, 0),
           (i64)psci(0x8400001f, 0, 0, 0));
}

int main(void) {
    if (*RESET_MARK == MARK) {
        *RESET_MARK = 0;
        printf("semihost: back after SYSTEM_RESET\n");
        return failures;
    }
    printf("semihost: start\n");
    semihosting();
    psci_calls();
    printf("semihost: SYSTEM_RESET\n");
    *RESET_MARK = MARK;
    psci(0x84000009, 0, 0, 0);
    printf("FAIL: SYSTEM_RESET returned\n");
    return 1;
}
