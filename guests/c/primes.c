/*
 * primes: CPU-heavy benchmark guest. Counts the primes <= n.
 *
 *   input   {"n":1000000}
 *   output  {"n":1000000,"primes":78498}
 *
 * The algorithm is kept deliberately plain, because the benchmark compares it with the
 * very same code in primes-rust and in plain Java: a byte-per-number sieve of
 * Eratosthenes (outer loop while i*i <= n, inner loop marks j = i*i, i*i+i, ... as
 * composite), then one counting pass. No wheel, no bit packing, no segmenting.
 *
 * Business errors: INVALID_INPUT (n missing, not an integer, or negative) and
 * N_TOO_LARGE (n > MAX_N, or the sieve does not fit in the memory the host allows).
 */
#include "wasm_worker.h"

/* Keeps every index and i*i below 2^31, so 32-bit arithmetic cannot overflow and the
 * Java version can use int. The sieve takes n+1 bytes of linear memory (~1 GB at most). */
#define MAX_N 1000000000LL

int main(void)
{
    size_t len;
    char *input = ww_read_input(&len);
    long long requested;
    uint32_t n, i, j, count = 0;
    unsigned char *composite;

    switch (ww_json_get_int(input, len, "n", &requested)) {
    case WW_JSON_OK:
        break;
    case WW_JSON_NOT_OBJECT:
        ww_business_error("INVALID_INPUT", "input must be a JSON object");
    default:
        ww_business_error("INVALID_INPUT", "\"n\" must be a non-negative integer");
    }
    if (requested < 0)
        ww_business_error("INVALID_INPUT", "\"n\" must be a non-negative integer");
    if (requested > MAX_N)
        ww_business_error("N_TOO_LARGE", "\"n\" must be at most 1000000000");
    n = (uint32_t)requested;

    composite = (unsigned char *)calloc((size_t)n + 1, 1);
    if (composite == NULL)
        ww_business_error("N_TOO_LARGE", "not enough memory for a sieve of this size");

    for (i = 2; i * i <= n; i++) {
        if (!composite[i]) {
            for (j = i * i; j <= n; j += i)
                composite[j] = 1;
        }
    }
    for (i = 2; i <= n; i++) {
        if (!composite[i])
            count++;
    }

    printf("{\"n\":%lu,\"primes\":%lu}", (unsigned long)n, (unsigned long)count);
    ww_flush_output();
    return 0;
}
