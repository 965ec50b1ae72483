/*
 * wasm_worker_http.h - HTTP calls through the host for wasm-worker guests (ABI 1.1, see
 * guests/ABI.md, "Calling HTTP services").
 *
 * Kept out of wasm_worker.h on purpose: including this header and calling ww_http_call()
 * is the opt-in. Such a guest imports wasm_worker.http_request and http_response, which
 * only a host of ABI 1.1 or later provides.
 *
 * A guest reaches only the endpoints its artifact is configured with, by name. The host
 * records every call in the task's journal before the guest sees its result, so a retried
 * task replays it instead of calling again, and sends a stable Idempotency-Key with it.
 * A guest that calls services must therefore make the same requests on every run: no
 * clock or random numbers in them (outside deterministic mode).
 *
 *     ww_http_response r;
 *     int rc = ww_http_call("inventory", "GET", "/stock/X", NULL, NULL, 0, &r);
 *     if (rc != WW_HTTP_OK) ...              (an error code below: the call did not succeed)
 *     if (r.status == 200) ... r.body, r.body_len ...
 *     ww_http_response_free(&r);
 */
#ifndef WASM_WORKER_HTTP_H
#define WASM_WORKER_HTTP_H

#include "wasm_worker.h"

/* What http_request and http_response return (guests/ABI.md lists what each means). */
#define WW_HTTP_OK 0
#define WW_HTTP_UNKNOWN_ENDPOINT 1
#define WW_HTTP_NOT_ALLOWED 2
#define WW_HTTP_BAD_REQUEST 3
#define WW_HTTP_REQUEST_TOO_LARGE 4
#define WW_HTTP_RESPONSE_TOO_LARGE 5
#define WW_HTTP_TIMEOUT 6
#define WW_HTTP_UNAVAILABLE 7
#define WW_HTTP_MEMORY_LIMIT 8
#define WW_HTTP_NO_RESPONSE 9
#define WW_HTTP_BUFFER_TOO_SMALL 10
#define WW_HTTP_FAULT 11
/* Not the host's: ww_http_call could not allocate the response buffers. */
#define WW_HTTP_OUT_OF_MEMORY 100

/* A response. headers is "name: value\n" lines (names in lower case, sorted); both
 * buffers are malloc'd and NUL-terminated (the body may itself contain NUL bytes). */
typedef struct {
    int32_t status;
    char *headers;
    size_t headers_len;
    char *body;
    size_t body_len;
} ww_http_response;

#if defined(__wasm__)
int32_t ww__http_request(const char *endpoint, int32_t endpoint_len, const char *method,
                         int32_t method_len, const char *path, int32_t path_len,
                         const char *headers, int32_t headers_len, const void *body,
                         int32_t body_len, int32_t *result)
    __attribute__((import_module("wasm_worker"), import_name("http_request")));
int32_t ww__http_response(char *headers, int32_t headers_cap, char *body, int32_t body_cap)
    __attribute__((import_module("wasm_worker"), import_name("http_response")));
#else
/* Native builds (editors, unit tests): no host, so no endpoint is known. */
static inline int32_t ww__http_request(const char *endpoint, int32_t endpoint_len,
                                       const char *method, int32_t method_len, const char *path,
                                       int32_t path_len, const char *headers, int32_t headers_len,
                                       const void *body, int32_t body_len, int32_t *result)
{
    (void)endpoint; (void)endpoint_len; (void)method; (void)method_len; (void)path;
    (void)path_len; (void)headers; (void)headers_len; (void)body; (void)body_len; (void)result;
    return WW_HTTP_UNKNOWN_ENDPOINT;
}
static inline int32_t ww__http_response(char *headers, int32_t headers_cap, char *body,
                                        int32_t body_cap)
{
    (void)headers; (void)headers_cap; (void)body; (void)body_cap;
    return WW_HTTP_NO_RESPONSE;
}
#endif

/* Frees a response's buffers (safe on a zeroed or already freed response). */
static inline void ww_http_response_free(ww_http_response *r)
{
    free(r->headers);
    free(r->body);
    r->headers = r->body = NULL;
    r->headers_len = r->body_len = 0;
}

/* Calls `endpoint` with a method, a path (starting with '/'), request headers as
 * "Name: value\n" lines (or NULL) and a body (or NULL/0). On WW_HTTP_OK, *out holds the
 * status, headers and body (free with ww_http_response_free). Otherwise *out is zeroed
 * and the code says why; for WW_HTTP_RESPONSE_TOO_LARGE, out->status still has the
 * status. HTTP error statuses (404, 500, ...) are responses: WW_HTTP_OK with that status. */
static inline int ww_http_call(const char *endpoint, const char *method, const char *path,
                               const char *headers, const void *body, size_t body_len,
                               ww_http_response *out)
{
    int32_t result[3] = {0, 0, 0}; /* status, headers length, body length */
    int32_t rc;
    memset(out, 0, sizeof *out);
    rc = ww__http_request(endpoint, (int32_t)strlen(endpoint), method, (int32_t)strlen(method),
                          path, (int32_t)strlen(path), headers == NULL ? "" : headers,
                          headers == NULL ? 0 : (int32_t)strlen(headers), body,
                          (int32_t)body_len, result);
    out->status = result[0];
    if (rc != WW_HTTP_OK)
        return rc;
    out->headers_len = (size_t)result[1];
    out->body_len = (size_t)result[2];
    out->headers = (char *)malloc(out->headers_len + 1);
    out->body = (char *)malloc(out->body_len + 1);
    if (out->headers == NULL || out->body == NULL) {
        /* the response stays pending in the host; a retry of this call is made afresh */
        ww_http_response_free(out);
        return WW_HTTP_OUT_OF_MEMORY;
    }
    rc = ww__http_response(out->headers, (int32_t)out->headers_len, out->body,
                           (int32_t)out->body_len);
    if (rc != WW_HTTP_OK) {
        ww_http_response_free(out);
        return rc;
    }
    out->headers[out->headers_len] = '\0';
    out->body[out->body_len] = '\0';
    return WW_HTTP_OK;
}

/* A short name for a code, for messages: "timeout", "not_allowed", ... */
static inline const char *ww_http_error_name(int rc)
{
    switch (rc) {
    case WW_HTTP_OK: return "ok";
    case WW_HTTP_UNKNOWN_ENDPOINT: return "unknown_endpoint";
    case WW_HTTP_NOT_ALLOWED: return "not_allowed";
    case WW_HTTP_BAD_REQUEST: return "bad_request";
    case WW_HTTP_REQUEST_TOO_LARGE: return "request_too_large";
    case WW_HTTP_RESPONSE_TOO_LARGE: return "response_too_large";
    case WW_HTTP_TIMEOUT: return "timeout";
    case WW_HTTP_UNAVAILABLE: return "unavailable";
    case WW_HTTP_MEMORY_LIMIT: return "memory_limit";
    case WW_HTTP_NO_RESPONSE: return "no_response";
    case WW_HTTP_BUFFER_TOO_SMALL: return "buffer_too_small";
    case WW_HTTP_FAULT: return "fault";
    case WW_HTTP_OUT_OF_MEMORY: return "out_of_memory";
    default: return "unknown";
    }
}

#endif /* WASM_WORKER_HTTP_H */
