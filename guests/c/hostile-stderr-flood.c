/*
 * hostile-stderr-flood: writes to stderr forever, in 64 KiB chunks of text lines.
 * Tests that the host keeps only a bounded tail of stderr. Write errors are ignored
 * on purpose (see hostile-output-flood). stdout stays empty.
 */
#include <stdio.h>
#include <string.h>

#define CHUNK (64 * 1024)

static char chunk[CHUNK];

int main(void)
{
    size_t i;
    /* 64-byte lines: 63 x 'e' and a newline, so a kept tail looks like real log text. */
    memset(chunk, 'e', sizeof chunk);
    for (i = 63; i < sizeof chunk; i += 64)
        chunk[i] = '\n';
    for (;;) {
        fwrite(chunk, 1, sizeof chunk, stderr);
        fflush(stderr);
    }
}
