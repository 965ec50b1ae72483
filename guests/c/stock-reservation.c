/*
 * stock-reservation: reserves stock for one order line through the `inventory` endpoint
 * (ABI 1.1 host calls; guests/ABI.md, "Calling HTTP services").
 *
 * Input:  {"sku":"X-1","quantity":2}
 * Calls:  GET  /stock/<sku>     -> {"available":N,...}
 *         POST /reserve         {"sku":"X-1","quantity":2} -> the reservation (JSON)
 * Output: {"sku":"X-1","quantity":2,"available":N,"reservation":<the service's answer>}
 * Business errors: INVALID_ORDER (bad input), OUT_OF_STOCK (quantity above what is available).
 * A service that fails (an error code, or a status other than 2xx) is a failure (exit 1): the
 * orchestrator retries, and the retry replays what the journal recorded instead of reserving twice.
 */
#include "wasm_worker.h"
#include "wasm_worker_http.h"

/* Inputs, outputs and error codes, for `wasm-worker templates` (guests/ABI.md). */
WW_DESCRIPTION("stock-reservation.description.json");

static void fail_call(const char *what, int rc, int32_t status)
{
    fprintf(stderr, "stock-reservation: %s failed: %s, status %d\n", what, ww_http_error_name(rc),
            (int)status);
    ww_fail("the inventory service did not answer as expected");
}

int main(void)
{
    size_t len;
    char *input = ww_read_input(&len);
    char *sku;
    size_t sku_len, i;
    long long quantity, available;
    char path[256];
    ww_http_response r;
    int rc;

    if (ww_json_get_string(input, len, "sku", &sku, &sku_len) != WW_JSON_OK || sku_len == 0 ||
        sku_len > 64)
        ww_business_error("INVALID_ORDER", "sku must be a string of 1 to 64 characters");
    for (i = 0; i < sku_len; i++) {
        char c = sku[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            ww_business_error("INVALID_ORDER", "sku must be letters, digits, '-' or '_'");
    }
    if (ww_json_get_int(input, len, "quantity", &quantity) != WW_JSON_OK || quantity < 1 ||
        quantity > 1000000)
        ww_business_error("INVALID_ORDER", "quantity must be an integer from 1 to 1000000");

    snprintf(path, sizeof path, "/stock/%s", sku);
    rc = ww_http_call("inventory", "GET", path, "Accept: application/json\n", NULL, 0, &r);
    if (rc != WW_HTTP_OK || r.status != 200)
        fail_call("GET /stock", rc, r.status);
    if (ww_json_get_int(r.body, r.body_len, "available", &available) != WW_JSON_OK)
        ww_fail("the inventory service's stock answer has no integer 'available'");
    ww_http_response_free(&r);
    if (quantity > available) {
        char details[128];
        snprintf(details, sizeof details, "{\"available\":%lld,\"requested\":%lld}", available,
                 quantity);
        ww_business_error_details("OUT_OF_STOCK", "not enough stock for this order line", details);
    }

    {
        char body[160];
        int n = snprintf(body, sizeof body, "{\"sku\":\"%s\",\"quantity\":%lld}", sku, quantity);
        rc = ww_http_call("inventory", "POST", "/reserve", "Content-Type: application/json\n", body,
                          (size_t)n, &r);
    }
    if (rc != WW_HTTP_OK || r.status < 200 || r.status > 299)
        fail_call("POST /reserve", rc, r.status);

    fputs("{\"sku\":", stdout);
    ww_fput_json_string(stdout, sku, sku_len);
    printf(",\"quantity\":%lld,\"available\":%lld,\"reservation\":", quantity, available);
    fwrite(r.body, 1, r.body_len, stdout);
    fputc('}', stdout);
    ww_flush_output();
    ww_http_response_free(&r);
    return 0;
}
