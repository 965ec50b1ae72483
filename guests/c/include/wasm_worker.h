/*
 * wasm_worker.h - guest-side helpers for the wasm-worker guest ABI v1 (see guests/ABI.md).
 *
 * Single header, C99, no dependencies beyond the C library (wasi-libc when targeting
 * wasm32-wasi). Everything is `static inline` so a guest only pays for what it calls
 * (the compiler drops the rest) and unused helpers raise no warnings.
 *
 * The ABI in one paragraph: the guest is a WASI preview1 command. The whole of stdin is
 * one UTF-8 JSON value (the task input). The guest writes exactly one JSON value to
 * stdout and returns from main() (exit code 0). A *business* error is reported as
 * {"code":"...","message":"...","details":{...}} on stdout plus exit code 3. Anything
 * else (another exit code, a trap) is a failure. stderr is for diagnostics only.
 *
 * Contents:
 *   I/O          ww_read_input, ww_write_output, ww_write_output_len, ww_flush_output,
 *                ww_fail
 *   errors       ww_business_error, ww_business_error_details
 *   environment  ww_env, ww_task_attempt
 *   JSON out     ww_fput_json_chars, ww_fput_json_string
 *   JSON in      ww_json_get_value, ww_json_get_string, ww_json_get_int
 *                (a small scanner for the top-level members of an object; enough for
 *                 guests that read a few fields, not a general-purpose parser)
 */
#ifndef WASM_WORKER_H
#define WASM_WORKER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define WW_NORETURN __attribute__((noreturn))
#else
#define WW_NORETURN
#endif

/* Exit code that marks stdout as a business error object (ABI v1). */
#define WW_EXIT_BUSINESS_ERROR 3
/* Exit code for "the guest itself broke" (I/O failure, out of memory, ...). Any
 * code other than 0 and 3 is a failure to the host; 1 is just the conventional one. */
#define WW_EXIT_FAILURE 1

/* Describes the guest (guests/ABI.md, "Describing a guest"): puts the JSON file at `path` into
 * the module's custom section "wasm-worker.description". Use it once, at file scope:
 *     WW_DESCRIPTION("my-guest.description.json");
 * `path` is relative to the directory clang runs in. The assembler embeds the file's bytes as
 * they are (clang 14 puts a section attribute's data in linear memory instead, so this uses
 * .incbin); wasm-ld keeps the section, even with --strip-all. */
#define WW_DESCRIPTION(path)                                                                       \
    __asm__(".section \".custom_section.wasm-worker.description\",\"\",@\n"                      \
            ".incbin \"" path "\"\n")

/* ------------------------------------------------------------------------------------ */
/* I/O                                                                                  */
/* ------------------------------------------------------------------------------------ */

/* Prints "guest failure: <message>" to stderr and exits with WW_EXIT_FAILURE.
 * For situations that are the guest's fault, not the caller's. */
static inline WW_NORETURN void ww_fail(const char *message)
{
    fprintf(stderr, "guest failure: %s\n", message);
    fflush(stderr);
    exit(WW_EXIT_FAILURE);
}

/* Reads all of stdin into a malloc'd buffer that is NUL-terminated (so it can be used
 * as a C string if the input contains no NUL byte). The byte count, without the NUL,
 * is stored in *len_out when len_out is not NULL. Never returns NULL: on a read or
 * allocation error it calls ww_fail(). The caller owns the buffer (free() it, or not:
 * the instance is thrown away after the call anyway). */
static inline char *ww_read_input(size_t *len_out)
{
    size_t cap = 4096, len = 0;
    char *buf = (char *)malloc(cap);
    if (buf == NULL)
        ww_fail("out of memory reading stdin");
    for (;;) {
        size_t n;
        if (cap - len < 2) { /* keep room for at least one byte plus the NUL */
            char *bigger;
            if (cap > SIZE_MAX / 2)
                ww_fail("input too large");
            bigger = (char *)realloc(buf, cap * 2);
            if (bigger == NULL)
                ww_fail("out of memory reading stdin");
            buf = bigger;
            cap *= 2;
        }
        n = fread(buf + len, 1, cap - len - 1, stdin);
        len += n;
        if (n == 0) {
            if (ferror(stdin))
                ww_fail("error reading stdin");
            break; /* EOF */
        }
    }
    buf[len] = '\0';
    if (len_out != NULL)
        *len_out = len;
    return buf;
}

/* Flushes stdout, failing loudly (ww_fail) if the host stopped taking output. Call it
 * at the end of a guest that wrote its output piecewise with stdio. */
static inline void ww_flush_output(void)
{
    if (fflush(stdout) != 0 || ferror(stdout))
        ww_fail("error writing stdout");
}

/* Writes `len` bytes to stdout and flushes. Everything written to stdout over the whole
 * run must form exactly one JSON value (the helpers never add a trailing newline). */
static inline void ww_write_output_len(const char *data, size_t len)
{
    if (len > 0 && fwrite(data, 1, len, stdout) != len)
        ww_fail("error writing stdout");
    ww_flush_output();
}

/* Writes the NUL-terminated string `json` to stdout and flushes (see
 * ww_write_output_len, which also takes output containing NUL bytes). */
static inline void ww_write_output(const char *json)
{
    ww_write_output_len(json, strlen(json));
}

/* ------------------------------------------------------------------------------------ */
/* JSON output                                                                          */
/* ------------------------------------------------------------------------------------ */

/* Writes s[0..len) JSON-escaped but without the surrounding quotes, so callers can
 * build a string from pieces ("Hello, " + name + "!"). Quote, backslash and control
 * characters are escaped; other bytes (including UTF-8 sequences) pass through. */
static inline void ww_fput_json_chars(FILE *f, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':  fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        case '\b': fputs("\\b", f); break;
        case '\f': fputs("\\f", f); break;
        default:
            if (c < 0x20) {
                fputs("\\u00", f);
                fputc(hex[c >> 4], f);
                fputc(hex[c & 0xf], f);
            } else {
                fputc(c, f);
            }
        }
    }
}

/* Writes s[0..len) as a quoted JSON string. */
static inline void ww_fput_json_string(FILE *f, const char *s, size_t len)
{
    fputc('"', f);
    ww_fput_json_chars(f, s, len);
    fputc('"', f);
}

/* ------------------------------------------------------------------------------------ */
/* Business errors                                                                      */
/* ------------------------------------------------------------------------------------ */

/* Reports a business error and exits with code 3:
 *   {"code":<code>,"message":<message>,"details":<details_json>}
 * `details_json` is raw JSON text (normally an object) written as is, or NULL to omit
 * the field. Must be called before anything else was written to stdout. */
static inline WW_NORETURN void ww_business_error_details(const char *code, const char *message,
                                                         const char *details_json)
{
    fputs("{\"code\":", stdout);
    ww_fput_json_string(stdout, code, strlen(code));
    fputs(",\"message\":", stdout);
    ww_fput_json_string(stdout, message, strlen(message));
    if (details_json != NULL) {
        fputs(",\"details\":", stdout);
        fputs(details_json, stdout);
    }
    fputc('}', stdout);
    ww_flush_output();
    exit(WW_EXIT_BUSINESS_ERROR);
}

/* Reports a business error without details and exits with code 3. */
static inline WW_NORETURN void ww_business_error(const char *code, const char *message)
{
    ww_business_error_details(code, message, NULL);
}

/* ------------------------------------------------------------------------------------ */
/* Environment                                                                          */
/* ------------------------------------------------------------------------------------ */

/* getenv() with a fallback: returns the variable's value, or `fallback` when it is not
 * set. Host-provided names: WASM_WORKER_ABI, WASM_WORKER_IMPORTS, WASM_WORKER_TASK_ID,
 * WASM_WORKER_TASK_ATTEMPT, WASM_WORKER_TASK_SOURCE. */
static inline const char *ww_env(const char *name, const char *fallback)
{
    const char *value = getenv(name);
    return value != NULL ? value : fallback;
}

/* The task's attempt number (WASM_WORKER_TASK_ATTEMPT), or 1 when it is unset or not a
 * positive decimal integer. */
static inline long ww_task_attempt(void)
{
    const char *s = ww_env("WASM_WORKER_TASK_ATTEMPT", "");
    long value = 0;
    if (*s == '\0')
        return 1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || value > 100000000L)
            return 1;
        value = value * 10 + (*s - '0');
    }
    return value >= 1 ? value : 1;
}

/* ------------------------------------------------------------------------------------ */
/* JSON input: top-level members of an object                                           */
/* ------------------------------------------------------------------------------------ */

/* Result codes of the ww_json_get_* functions. */
#define WW_JSON_OK 0
#define WW_JSON_NOT_FOUND 1  /* the text is an object but has no such member */
#define WW_JSON_WRONG_TYPE 2 /* the member exists but is not of the requested type/range */
#define WW_JSON_NOT_OBJECT -1 /* the text is not a well-formed JSON object */

/* Nesting limit of the scanner. The scanner recurses, so without a limit a hostile
 * input like [[[[... could exhaust the stack; deeper input counts as malformed. */
#define WW_JSON_MAX_DEPTH 128

static inline const char *ww__json_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static inline int ww__json_hex4(const char *p, const char *end, unsigned *out)
{
    unsigned v = 0;
    int i;
    if (end - p < 4)
        return 0;
    for (i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

/* p points at the opening quote. Returns the position after the closing quote, or
 * NULL if the string is malformed. */
static inline const char *ww__json_skip_string(const char *p, const char *end)
{
    unsigned ignored;
    p++; /* opening quote */
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            return p + 1;
        if (c < 0x20)
            return NULL; /* raw control characters are not allowed in JSON strings */
        if (c == '\\') {
            if (end - p < 2)
                return NULL;
            switch (p[1]) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                p += 2;
                break;
            case 'u':
                if (!ww__json_hex4(p + 2, end, &ignored))
                    return NULL;
                p += 6;
                break;
            default:
                return NULL;
            }
        } else {
            p++;
        }
    }
    return NULL;
}

/* JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static inline const char *ww__json_skip_number(const char *p, const char *end)
{
    if (p < end && *p == '-')
        p++;
    if (p < end && *p == '0') {
        p++;
    } else if (p < end && *p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9') p++;
    } else {
        return NULL;
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9') return NULL;
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || *p < '0' || *p > '9') return NULL;
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    return p;
}

static inline const char *ww__json_skip_literal(const char *p, const char *end, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(end - p) < n || memcmp(p, word, n) != 0)
        return NULL;
    return p + n;
}

/* p points at the first byte of a value (no leading whitespace). Returns the position
 * after the value, or NULL if it is malformed. */
static inline const char *ww__json_skip_value(const char *p, const char *end, int depth)
{
    if (p >= end || depth > WW_JSON_MAX_DEPTH)
        return NULL;
    switch (*p) {
    case '"':
        return ww__json_skip_string(p, end);
    case 't':
        return ww__json_skip_literal(p, end, "true");
    case 'f':
        return ww__json_skip_literal(p, end, "false");
    case 'n':
        return ww__json_skip_literal(p, end, "null");
    case '{':
    case '[': {
        char close = *p == '{' ? '}' : ']';
        int is_object = *p == '{';
        p = ww__json_ws(p + 1, end);
        if (p < end && *p == close)
            return p + 1;
        for (;;) {
            if (is_object) {
                if (p >= end || *p != '"' || (p = ww__json_skip_string(p, end)) == NULL)
                    return NULL;
                p = ww__json_ws(p, end);
                if (p >= end || *p != ':')
                    return NULL;
                p = ww__json_ws(p + 1, end);
            }
            if ((p = ww__json_skip_value(p, end, depth + 1)) == NULL)
                return NULL;
            p = ww__json_ws(p, end);
            if (p < end && *p == ',') {
                p = ww__json_ws(p + 1, end);
                continue;
            }
            if (p < end && *p == close)
                return p + 1;
            return NULL;
        }
    }
    default:
        return ww__json_skip_number(p, end);
    }
}

/* Appends code point cp to out as UTF-8; returns the number of bytes written. */
static inline size_t ww__utf8_put(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes the already-validated JSON string starting at the quote `p` into `out`, which
 * must have room for (raw length + 1) bytes: decoding never makes a string longer.
 * Lone surrogates become U+FFFD. Returns the decoded length; out is NUL-terminated. */
static inline size_t ww__json_decode_string(const char *p, char *out)
{
    size_t n = 0;
    p++; /* opening quote */
    while (*p != '"') {
        if (*p != '\\') {
            out[n++] = *p++;
            continue;
        }
        switch (p[1]) {
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            unsigned cp, low;
            ww__json_hex4(p + 2, p + 6, &cp);
            p += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF && p[0] == '\\' && p[1] == 'u' &&
                ww__json_hex4(p + 2, p + 6, &low) && low >= 0xDC00 && low <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                p += 6;
            } else if (cp >= 0xD800 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            n += ww__utf8_put(out + n, cp);
            continue; /* p already advanced */
        }
        default: out[n++] = p[1]; break; /* \" \\ \/ */
        }
        p += 2;
    }
    out[n] = '\0';
    return n;
}

/* Is the JSON string at p (quote included, already validated) equal to key? */
static inline int ww__json_key_equals(const char *p, const char *after, const char *key)
{
    size_t raw_len = (size_t)(after - p) - 2, key_len = strlen(key);
    int equal;
    char *decoded;
    if (memchr(p + 1, '\\', raw_len) == NULL) /* common case: no escapes */
        return raw_len == key_len && memcmp(p + 1, key, key_len) == 0;
    if ((decoded = (char *)malloc(raw_len + 1)) == NULL)
        ww_fail("out of memory scanning JSON");
    equal = ww__json_decode_string(p, decoded) == key_len && memcmp(decoded, key, key_len) == 0;
    free(decoded);
    return equal;
}

/* Finds the top-level member `key` of the JSON object in json[0..len). The whole text is
 * checked to be one well-formed JSON value (surrounding whitespace allowed). If the key
 * occurs more than once, the last one wins (as in JavaScript and Jackson).
 * On WW_JSON_OK, *value points at the member's value and *value_len is its length. */
static inline int ww_json_get_value(const char *json, size_t len, const char *key,
                                    const char **value, size_t *value_len)
{
    const char *end = json + len, *p = ww__json_ws(json, end), *found = NULL, *found_end = NULL;
    if (p >= end || *p != '{')
        return WW_JSON_NOT_OBJECT;
    p = ww__json_ws(p + 1, end);
    if (p < end && *p == '}') {
        p++;
    } else {
        for (;;) {
            const char *key_start = p, *v;
            if (p >= end || *p != '"' || (p = ww__json_skip_string(p, end)) == NULL)
                return WW_JSON_NOT_OBJECT;
            {
                const char *key_end = p;
                p = ww__json_ws(p, end);
                if (p >= end || *p != ':')
                    return WW_JSON_NOT_OBJECT;
                v = ww__json_ws(p + 1, end);
                if ((p = ww__json_skip_value(v, end, 1)) == NULL)
                    return WW_JSON_NOT_OBJECT;
                if (ww__json_key_equals(key_start, key_end, key)) {
                    found = v;
                    found_end = p;
                }
            }
            p = ww__json_ws(p, end);
            if (p < end && *p == ',') {
                p = ww__json_ws(p + 1, end);
                continue;
            }
            if (p < end && *p == '}') {
                p++;
                break;
            }
            return WW_JSON_NOT_OBJECT;
        }
    }
    if (ww__json_ws(p, end) != end)
        return WW_JSON_NOT_OBJECT; /* trailing garbage */
    if (found == NULL)
        return WW_JSON_NOT_FOUND;
    *value = found;
    *value_len = (size_t)(found_end - found);
    return WW_JSON_OK;
}

/* Gets the top-level string member `key`, decoded (escapes resolved, UTF-8), into a
 * malloc'd NUL-terminated buffer *out of *out_len bytes (the string may itself contain
 * NUL bytes if the JSON had \u0000, hence the length). WW_JSON_WRONG_TYPE if the member
 * is not a string. */
static inline int ww_json_get_string(const char *json, size_t len, const char *key,
                                     char **out, size_t *out_len)
{
    const char *value;
    size_t value_len;
    int rc = ww_json_get_value(json, len, key, &value, &value_len);
    if (rc != WW_JSON_OK)
        return rc;
    if (*value != '"')
        return WW_JSON_WRONG_TYPE;
    if ((*out = (char *)malloc(value_len)) == NULL) /* raw length incl. quotes >= decoded + 1 */
        ww_fail("out of memory scanning JSON");
    *out_len = ww__json_decode_string(value, *out);
    return WW_JSON_OK;
}

/* Gets the top-level member `key` as an integer. Only plain JSON integers (no fraction,
 * no exponent) in the range of long long are accepted; anything else is
 * WW_JSON_WRONG_TYPE. */
static inline int ww_json_get_int(const char *json, size_t len, const char *key, long long *out)
{
    const char *value;
    size_t value_len, i;
    int negative;
    unsigned long long magnitude = 0, limit;
    int rc = ww_json_get_value(json, len, key, &value, &value_len);
    if (rc != WW_JSON_OK)
        return rc;
    negative = value[0] == '-';
    i = negative ? 1 : 0;
    if (i >= value_len)
        return WW_JSON_WRONG_TYPE;
    /* LLONG_MAX, or its negation's magnitude (LLONG_MAX + 1) for negative numbers. */
    limit = negative ? (unsigned long long)9223372036854775807LL + 1u : 9223372036854775807ULL;
    for (; i < value_len; i++) {
        unsigned digit;
        if (value[i] < '0' || value[i] > '9')
            return WW_JSON_WRONG_TYPE; /* '.', 'e', or not a number at all */
        digit = (unsigned)(value[i] - '0');
        if (magnitude > (limit - digit) / 10)
            return WW_JSON_WRONG_TYPE; /* out of range */
        magnitude = magnitude * 10 + digit;
    }
    if (negative)
        *out = magnitude == limit ? (-9223372036854775807LL - 1) : -(long long)magnitude;
    else
        *out = (long long)magnitude;
    return WW_JSON_OK;
}

#endif /* WASM_WORKER_H */
