/* console: reads a line from the PL011's receive FIFO (polling UARTFR.RXFE)
 * and echoes it; gives up after two seconds of the guest's own counter
 * without input, so a run without a console ends too. */
#include "guest.h"

#define UARTFR_RXFE (1u << 4)

int main(void) {
    printf("console: type a line\n");
    volatile u32 *dr = (volatile u32 *)UART_BASE, *fr = (volatile u32 *)(UART_BASE + 0x18);
    u64 freq = SYSREG_READ(cntfrq_el0), start = SYSREG_READ(cntvct_el0);
    char line[80];
    unsigned n = 0;
    while (n < sizeof line - 1) {
        if (*fr & UARTFR_RXFE) {
            if (SYSREG_READ(cntvct_el0) - start > 2 * freq)
                break;
            continue;
        }
        char c = (char)(*dr & 0xff);
        if (c == '\n' || c == '\r')
            break;
        line[n++] = c;
    }
    line[n] = 0;
    if (n)
        printf("console: read '%s' (%u bytes)\n", line, n);
    else
        printf("console: no input\n");
    return 0;
}
