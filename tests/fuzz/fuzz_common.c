/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: common/'s parsers of values people and files give septa:
 * sp_parse_size / cpus / cpulist / duration / i64 on the input as a string,
 * and the JSON document loader with its locator (sp_jdoc, sp_json_locate,
 * sp_jerr, the typed getters) on the input as JSON text: every value of a
 * document that parses is located by its own path and reported on.
 * Also: the locator on an arbitrary path (first line) over arbitrary text.
 */
#include "fuzz.h"

#define NBITS 1024

static void walk(const sp_jdoc *doc, json_t *v, const char *path, int depth)
{
    int line = 0, col = 0;
    /*
     * Not every path is found (keys with '.', '[' or escapes are ambiguous
     * or spelled differently in the text; sp_jerr then names an ancestor),
     * but a found one is inside the text.
     */
    if (sp_json_locate(doc->text, doc->len, path, &line, &col) == 0 &&
        (line < 1 || col < 1 || (size_t)line > doc->len + 1 || (size_t)col > doc->len + 1)) {
        fprintf(stderr, "fuzz: path '%s' located at %d:%d, outside the text\n", path, line, col);
        abort();
    }
    sp_error *err = NULL;
    sp_jerr(doc, &err, path, "fuzz");
    fuzz_check(-1, &err);
    if (depth > 32)
        return;
    if (json_is_object(v)) {
        const char *key;
        json_t *c;
        json_object_foreach(v, key, c)
        {
            char *p = sp_jpath_key(path, key);
            walk(doc, c, p, depth + 1);
            free(p);
            const char *s;
            bool b;
            int64_t i;
            json_t *o;
            char **strv = NULL;
            fuzz_check(sp_json_get_obj(doc, v, path, key, true, &o, &err), &err);
            fuzz_check(sp_json_get_arr(doc, v, path, key, true, &o, &err), &err);
            fuzz_check(sp_json_get_str(doc, v, path, key, true, &s, &err), &err);
            fuzz_check(sp_json_get_bool(doc, v, path, key, true, &b, &err), &err);
            fuzz_check(sp_json_get_i64(doc, v, path, key, true, &i, &err), &err);
            fuzz_check(sp_json_get_range(doc, v, path, key, true, -5, 5, &i, &err), &err);
            fuzz_check(sp_json_get_strv(doc, v, path, key, true, &strv, &err), &err);
            sp_strv_free(strv);
        }
        static const char *const known[] = {"a", "b", NULL};
        fuzz_check(sp_json_check_keys(doc, v, path, known, &err), &err);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c)
        {
            char *p = sp_jpath_idx(path, i);
            walk(doc, c, p, depth + 1);
            free(p);
        }
    }
}

static void values(const char *s)
{
    sp_error *err = NULL;
    uint64_t u;
    int64_t i;
    fuzz_check(sp_parse_size(s, &u, &err), &err);
    fuzz_check(sp_parse_cpus(s, &u, &err), &err);
    fuzz_check(sp_parse_duration(s, &u, &err), &err);
    fuzz_check(sp_parse_i64(s, INT64_MIN, INT64_MAX, &i, &err), &err);
    fuzz_check(sp_parse_i64(s, -10, 10, &i, &err), &err);
    if (sp_parse_i64(s, -10, 10, &i, &err) == 0 && (i < -10 || i > 10))
        abort();
    sp_error_free(&err);

    uint64_t bits[NBITS / 64] = {0};
    size_t count = 0;
    int r = sp_parse_cpulist(s, bits, NBITS, &count, &err);
    fuzz_check(r, &err);
    if (r == 0) {
        /* What parses formats back to a list that parses to the same set. */
        char *again = sp_format_cpulist(bits, NBITS);
        uint64_t bits2[NBITS / 64] = {0};
        size_t count2 = 0;
        if (!again || sp_parse_cpulist(again, bits2, NBITS, &count2, &err) < 0 ||
            count2 != count || memcmp(bits, bits2, sizeof(bits)) != 0) {
            fprintf(stderr, "fuzz: cpulist '%s' -> '%s' does not round-trip\n", s,
                    again ? again : "(null)");
            abort();
        }
        free(again);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_str(data, size);
    values(s);

    sp_jdoc *doc = NULL;
    sp_error *err = NULL;
    int r = sp_jdoc_load_buf((const char *)data, size, "fuzz.json", &doc, &err);
    fuzz_check(r, &err);
    if (r == 0) {
        walk(doc, doc->root, "", 0);
        sp_jdoc_free(doc);
    }

    /* An arbitrary path over arbitrary text: no crash, no read past len. */
    char *nl = strchr(s, '\n');
    if (nl) {
        *nl = '\0';
        size_t rest = size - (size_t)(nl + 1 - s);
        char *text = malloc(rest + 1);
        memcpy(text, nl + 1, rest);
        text[rest] = '\0';
        int line, col;
        sp_json_locate(text, rest, s, &line, &col);
        free(text);
    }
    free(s);
    return 0;
}
