/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: runtime/'s security parsers of config.json (process
 * capabilities, rlimits, noNewPrivileges, oomScoreAdj; linux.seccomp,
 * linux.personality; hooks) and the seccomp compiler.  Built and run by
 * tests/fuzz/run (README.md).
 * Whatever the input: no crash, no leak, a refusal always carries a located
 * message, and a profile that parses also compiles or is refused cleanly.
 * Nothing is applied: the fuzzer never changes its own process.
 */
#include "fuzz.h"
#include "security.h"

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
        fuzz_check(sp_proc_security_parse(doc, proc, "process", &ps, &err), &err);
        sp_proc_security_free(ps);
    }
    struct sp_security *sec = NULL;
    int r = sp_security_parse(doc, doc->root, json_object_get(doc->root, "linux"), &sec, &err);
    fuzz_check(r, &err);
    if (r == 0) {
        /* No cache: the fuzzer must not write files. */
        fuzz_check(sp_security_prepare(sec, "fuzz", "/nonexistent", NULL, &err), &err);
        char *st = sp_security_state_json(sec, "creating", 1);
        if (!st)
            abort();
        free(st);
    }
    sp_security_free(sec);
    sp_jdoc_free(doc);
    return 0;
}
