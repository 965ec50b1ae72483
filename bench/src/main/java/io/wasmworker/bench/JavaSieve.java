package io.wasmworker.bench;

/**
 * The primes guests' algorithm in plain Java, step for step as in guests/c/primes.c: a
 * byte-per-number sieve of Eratosthenes (outer loop while i*i <= n, inner loop marks i*i,
 * i*i+i, ... as composite), then one counting pass. No wheel, no bit packing, no segmenting.
 */
final class JavaSieve {
    /** Same bound as the guests: keeps every index and i*i below 2^31, so int cannot overflow. */
    static final int MAX_N = 1_000_000_000;

    private JavaSieve() {}

    static int countPrimes(int n) {
        if (n < 0 || n > MAX_N) {
            throw new IllegalArgumentException("n must be between 0 and " + MAX_N + ", got " + n);
        }
        byte[] composite = new byte[n + 1]; // zeroed, like calloc
        for (int i = 2; i * i <= n; i++) {
            if (composite[i] == 0) {
                for (int j = i * i; j <= n; j += i) {
                    composite[j] = 1;
                }
            }
        }
        int count = 0;
        for (int i = 2; i <= n; i++) {
            if (composite[i] == 0) {
                count++;
            }
        }
        return count;
    }
}
