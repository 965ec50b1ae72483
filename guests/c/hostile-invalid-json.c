/*
 * hostile-invalid-json: exits 0 but its stdout is not JSON.
 * Tests that the host validates the output instead of trusting a clean exit.
 */
#include <stdio.h>

int main(void)
{
    fputs("this is not json", stdout);
    return 0;
}
