/*
 * hostile-memory-bomb: allocates 1 MiB chunks until malloc fails, then traps.
 * Tests the host's linear-memory limit (memory.grow must start failing at the cap).
 *
 * Every chunk is touched (one write per 4 KiB) and linked into a list whose head is a
 * global, so the allocations escape and the optimizer cannot drop them. When malloc
 * returns NULL it reports "out of memory after N MiB" on stderr and calls abort(),
 * which in wasi-libc is the wasm `unreachable` instruction: a trap, not an exit code.
 */
#include <stdio.h>
#include <stdlib.h>

#define CHUNK (1024 * 1024)

static void *volatile chunks; /* head of the list of all chunks */

int main(void)
{
    unsigned long mib = 0;
    for (;;) {
        char *chunk = (char *)malloc(CHUNK);
        size_t i;
        if (chunk == NULL)
            break;
        for (i = 0; i < CHUNK; i += 4096)
            ((volatile char *)chunk)[i] = (char)i;
        *(void **)chunk = chunks;
        chunks = chunk;
        mib++;
    }
    fprintf(stderr, "out of memory after %lu MiB\n", mib);
    fflush(stderr);
    abort();
}
