/*
 * hostile-output-flood: writes to stdout forever, in 64 KiB chunks:
 *   {"x":"aaaaaaaa....   (never closed)
 * Tests the host's stdout size cap: it must stop the guest (or discard output beyond
 * the cap) instead of buffering without bound. Write errors are ignored on purpose,
 * so a host that merely fails the writes still has to stop the loop itself.
 */
#include <stdio.h>
#include <string.h>

#define CHUNK (64 * 1024)

static char chunk[CHUNK];

int main(void)
{
    memset(chunk, 'a', sizeof chunk);
    fputs("{\"x\":\"", stdout);
    for (;;) {
        fwrite(chunk, 1, sizeof chunk, stdout);
        fflush(stdout);
    }
}
