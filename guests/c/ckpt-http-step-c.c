/*
 * ckpt-http-step-c: host HTTP calls in a step guest, one per step and a checkpoint after
 * each, for the journal's tests (guests/ABI.md, "What a retry does with a call"). The step
 * twin of ckpt-http-async-c: same input, calls and output.
 *
 *   input   {"lines":3}   (1 to 20; default 3)
 *   calls   POST /reserve on the `inventory` endpoint once per line, body {"line":<i>}
 *   output  [<the service's answer to line 1>,<line 2>,...]
 *
 * A reactor (no _start; exports memory, _initialize and ww_step) that the host calls until
 * ww_step returns 1. With L = lines:
 *
 *   call i<=L    writes "line <i>" to stderr, makes line i's call, appends the answer,
 *                asks for a checkpoint after this call (ww_checkpoint_after_step), returns 0
 *   call L+1     writes the output, returns 1
 *
 * Between calls the wasm stack is empty and all state is in `run` (a global) and the heap
 * (the answers), so a run restored from the checkpoint after call k goes on with line k+1:
 * lines before it are neither called again nor replayed. A run that died after line k+1's
 * call was recorded but before that checkpoint replays the call from the journal. Either
 * way the output equals an uninterrupted run's.
 *
 * Built with clang -mexec-model=reactor (see build.sh).
 */
#include "wasm_worker_checkpoint.h"
#include "wasm_worker_http.h"

#define WW_STEP_MORE 0
#define WW_STEP_DONE 1

static struct {
    int started;       /* the input has been read */
    int done;          /* the output has been written */
    long long lines;
    long long next;    /* the line the next call reserves, 1-based */
    char *answers;     /* heap: "[" and the answers so far, comma-separated */
    size_t answers_len;
} run;

static void append(const char *s, size_t n)
{
    char *bigger = (char *)realloc(run.answers, run.answers_len + n + 1);
    if (bigger == NULL)
        ww_fail("out of memory");
    run.answers = bigger;
    memcpy(run.answers + run.answers_len, s, n);
    run.answers_len += n;
}

static void reserve(long long line)
{
    char body[64];
    ww_http_response r;
    int n = snprintf(body, sizeof body, "{\"line\":%lld}", line);
    int rc = ww_http_call("inventory", "POST", "/reserve", "Content-Type: application/json\n", body,
                          (size_t)n, &r);
    if (rc != WW_HTTP_OK || r.status < 200 || r.status > 299) {
        fprintf(stderr, "line %lld: %s, status %d\n", line, ww_http_error_name(rc), (int)r.status);
        ww_fail("the inventory service did not answer as expected");
    }
    append(line == 1 ? "[" : ",", 1);
    append(r.body, r.body_len);
    ww_http_response_free(&r);
}

static void start(void)
{
    size_t len;
    char *input = ww_read_input(&len);
    long long lines = 3;
    int rc = ww_json_get_int(input, len, "lines", &lines);
    if (rc == WW_JSON_NOT_OBJECT || rc == WW_JSON_WRONG_TYPE || lines < 1 || lines > 20)
        ww_business_error("INVALID_INPUT", "lines must be an integer from 1 to 20");
    free(input);
    run.lines = lines;
    run.next = 1;
    run.started = 1;
}

__attribute__((export_name("ww_step"))) int ww_step(void)
{
    if (run.done)
        return WW_STEP_DONE;
    if (!run.started)
        start();
    if (run.next <= run.lines) {
        long long line = run.next;
        fprintf(stderr, "line %lld\n", line);
        reserve(line);
        run.next = line + 1;
        ww_checkpoint_after_step();
        return WW_STEP_MORE;
    }
    append("]", 1);
    ww_write_output_len(run.answers, run.answers_len);
    run.done = 1;
    return WW_STEP_DONE;
}
