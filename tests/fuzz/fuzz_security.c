/*
 * libFuzzer target: runtime/'s security parsers of config.json (process
 * capabilities, rlimits, noNewPrivileges, oomScoreAdj; linux.seccomp,
 * linux.personality; hooks) and the seccomp compiler.  Build (from the repo
 * root):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Icommon -Iruntime \
 *     -Ibuild tests/fuzz/fuzz_security.c runtime/caps.c runtime/rlimits.c \
 *     runtime/seccomp.c runtime/hooks.c runtime/personality.c runtime/security.c \
 *     common/{error,log,json,fileio,path,parse,hash}.c -lcap -lseccomp -lcrypto -ljansson \
 *     -o fuzz_security
 *   ./fuzz_security -max_total_time=60
 * Whatever the input: no crash, no leak, a refusal always carries a located
 * message, and a profile that parses also compiles or is refused cleanly.
 * Nothing is applied: the fuzzer never changes its own process.
 */
#include "common.h"
#include "security.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int r, sp_error **err)
{
    if (r < 0 && (!*err || !(*err)->msg || !*(*err)->msg))
        abort();
    if (r == 0 && *err)
        abort();
    sp_error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sp_jdoc *doc = NULL;
    sp_error *err = NULL;
    if (sp_jdoc_load_buf((const char *)data, size, "config.json", &doc, &err) < 0) {
        sp_error_free(&err);
        return 0;
    }
    if (!json_is_object(doc->root)) {
        sp_jdoc_free(doc);
        return 0;
    }
    json_t *proc = json_object_get(doc->root, "process");
    if (json_is_object(proc)) {
        struct sp_proc_security *ps = NULL;
        check(sp_proc_security_parse(doc, proc, "process", &ps, &err), &err);
        sp_proc_security_free(ps);
    }
    struct sp_security *sec = NULL;
    int r = sp_security_parse(doc, doc->root, json_object_get(doc->root, "linux"), &sec, &err);
    check(r, &err);
    if (r == 0) {
        /* No cache: the fuzzer must not write files. */
        check(sp_security_prepare(sec, "fuzz", "/nonexistent", NULL, &err), &err);
        char *st = sp_security_state_json(sec, "creating", 1);
        if (!st)
            abort();
        free(st);
    }
    sp_security_free(sec);
    sp_jdoc_free(doc);
    return 0;
}
