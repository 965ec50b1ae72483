/*
 * greet: the smallest guest that uses every part of the ABI.
 *
 *   input   {"name":"Ada"}
 *   output  {"greeting":"Hello, Ada!","attempt":1}
 *
 * `attempt` comes from the host's WASM_WORKER_TASK_ATTEMPT (1 if unset), so tests can see
 * task metadata reach the guest. A missing, non-string or empty `name` is the business
 * error NAME_MISSING (exit code 3); input that is not a JSON object is INVALID_INPUT.
 */
#include "wasm_worker.h"

int main(void)
{
    size_t len, name_len = 0;
    char *input = ww_read_input(&len);
    char *name = NULL;

    switch (ww_json_get_string(input, len, "name", &name, &name_len)) {
    case WW_JSON_OK:
        break;
    case WW_JSON_NOT_OBJECT:
        ww_business_error("INVALID_INPUT", "input must be a JSON object");
    default: /* WW_JSON_NOT_FOUND, or WW_JSON_WRONG_TYPE: name is not a string */
        ww_business_error("NAME_MISSING", "\"name\" must be a non-empty string");
    }
    if (name_len == 0)
        ww_business_error("NAME_MISSING", "\"name\" must be a non-empty string");

    fputs("{\"greeting\":\"Hello, ", stdout);
    ww_fput_json_chars(stdout, name, name_len);
    printf("!\",\"attempt\":%ld}", ww_task_attempt());
    ww_flush_output();
    return 0;
}
