/*
 * A wasm-worker guest in C: copy this directory to guests/tasks/<name> (the include
 * path below counts on that depth), edit, then
 *   ./wasm-worker artifacts build guests/tasks/<name> --name <name>
 * Every .c file of the directory is compiled (clang --target=wasm32-wasi). A guest that
 * calls ww_checkpoint() is run through wasm-opt --asyncify by the build; one that
 * exports ww_step is built as a step guest (guests/README.md).
 */
#include "../../c/include/wasm_worker.h"

int main(void)
{
    size_t len, name_len;
    char *input = ww_read_input(&len);
    char *name;
    if (ww_json_get_string(input, len, "name", &name, &name_len) != WW_JSON_OK)
        ww_business_error("NAME_MISSING", "name is required"); /* exit code 3 */
    fputs("{\"greeting\":\"Hello, \",\"name\":", stdout);
    ww_fput_json_string(stdout, name, name_len);
    printf(",\"attempt\":%ld}", ww_task_attempt());
    ww_flush_output();
    return 0;
}
