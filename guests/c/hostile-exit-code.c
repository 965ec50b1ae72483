/*
 * hostile-exit-code: writes "giving up" to stderr and exits with code 7.
 * Tests that an exit code other than 0 (success) and 3 (business error) is a failure,
 * and that the stderr tail is captured for the diagnosis.
 */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    fputs("giving up\n", stderr);
    exit(7);
}
