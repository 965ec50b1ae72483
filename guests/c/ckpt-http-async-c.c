/*
 * ckpt-http-async-c: host HTTP calls between mid-call checkpoints (asyncify), for the
 * journal's tests (guests/ABI.md, "What a retry does with a call").
 *
 *   input   {"lines":3}   (1 to 20; default 3)
 *   calls   POST /reserve on the `inventory` endpoint once per line, body {"line":<i>},
 *           and checkpoints (ww_checkpoint) after each call
 *   output  [<the service's answer to line 1>,<line 2>,...]
 *
 * A run restored from checkpoint k goes on with line k+1: lines before it are neither
 * called again nor replayed; the answers it got before live in linear memory (the heap),
 * the line counter in a local three calls below main when it checkpoints. A run that
 * died after a call was recorded but before the next checkpoint replays that call from
 * the journal. Either way the output equals an uninterrupted run's.
 */
#include "wasm_worker_checkpoint.h"
#include "wasm_worker_http.h"

static char *answers;
static size_t answers_len;

static void append(const char *s, size_t n)
{
    char *bigger = (char *)realloc(answers, answers_len + n + 1);
    if (bigger == NULL)
        ww_fail("out of memory");
    answers = bigger;
    memcpy(answers + answers_len, s, n);
    answers_len += n;
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

static void run_lines(long long lines)
{
    long long line;
    for (line = 1; line <= lines; line++) {
        fprintf(stderr, "line %lld\n", line);
        reserve(line);
        if (ww_checkpoint() == WW_CHECKPOINT_RESUMED)
            fprintf(stderr, "resumed after line %lld\n", line);
    }
}

int main(void)
{
    size_t len;
    char *input = ww_read_input(&len);
    long long lines = 3;
    int rc = ww_json_get_int(input, len, "lines", &lines);
    if (rc == WW_JSON_NOT_OBJECT || rc == WW_JSON_WRONG_TYPE || lines < 1 || lines > 20)
        ww_business_error("INVALID_INPUT", "lines must be an integer from 1 to 20");
    run_lines(lines);
    append("]", 1);
    ww_write_output_len(answers, answers_len);
    return 0;
}
