/*
 * hostile-spin: never terminates. Tests the host's wall-clock / fuel limits.
 *
 * The loop condition is a volatile global, so the compiler must re-load it on every
 * iteration and cannot prove the loop infinite (an infinite loop without side effects
 * is undefined behaviour in C and could be deleted). The compiled loop is a wasm
 * `loop` whose back edge is a `br_if` on that load, i.e. a plain backward branch with
 * no calls in it: exactly what an interrupt/fuel check in the host must catch.
 */
static volatile int keep_spinning = 1;

int main(void)
{
    while (keep_spinning) {
    }
    return 0;
}
