/*
 * hostile-trap: reads its input, then executes the wasm `unreachable` instruction.
 * Tests that a trap after normal I/O is reported as a failure (and that nothing the
 * guest might have buffered is taken as output).
 */
#include "wasm_worker.h"

int main(void)
{
    size_t len;
    free(ww_read_input(&len));
    fprintf(stderr, "read %lu bytes of input, now trapping\n", (unsigned long)len);
    fflush(stderr);
    __builtin_trap();
}
