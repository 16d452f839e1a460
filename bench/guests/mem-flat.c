/* The memory-heavy loop with the MMU off, for the peers without a guest
 * MMU (flat memory): the same loop and addresses as mem.c. */
#define BENCH_FLAT
#define BENCH_NAME "mem-flat"
#include "mem.c"
