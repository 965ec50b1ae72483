/*
 * hostile-recursion: recurses until the engine's call stack is exhausted (a trap).
 * Tests that the host turns a stack overflow inside the guest into a failed call
 * instead of crashing, or a StackOverflowError escaping the worker.
 *
 * The optimizer must not turn the recursion into a loop, so:
 *  - the result of the recursive call is used after it returns (no tail call), and
 *  - the stop condition reads a volatile global, so the compiler cannot prove the
 *    recursion infinite and cannot fold or drop it.
 * The function has no address-taken locals, so all of its state lives in wasm locals
 * on the engine's own stack; the shadow stack in linear memory is not involved.
 */
#include <stdio.h>

static volatile int stop = 0;  /* never set: the recursion is unbounded */
static volatile unsigned sink;

__attribute__((noinline)) static unsigned recurse(unsigned depth)
{
    sink = depth;
    if (stop)
        return depth;
    return recurse(depth + 1) * 3 + sink;
}

int main(void)
{
    printf("{\"result\":%u}", recurse(0));
    return 0;
}
