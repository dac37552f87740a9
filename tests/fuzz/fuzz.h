/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the libFuzzer targets: the contract every parser keeps whatever
 * its input (a refusal carries a one-line message, a success none), and
 * scratch directories that each iteration makes and removes, so no target
 * carries state from one input to the next.
 */
#ifndef SEPTA_FUZZ_H
#define SEPTA_FUZZ_H

#include "common.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * r < 0 must come with a non-empty message, r >= 0 with none: septa's CLI
 * prints exactly that message, so a missing one is a bug.
 */
static inline void fuzz_check(int r, sp_error **err)
{
    if (r < 0 && (!*err || !(*err)->msg || !*(*err)->msg)) {
        fprintf(stderr, "fuzz: failure without a message\n");
        abort();
    }
    /* SEPTA_FUZZ_VERBOSE=1 shows every refusal: to check what a seed reaches. */
    if (r < 0 && getenv("SEPTA_FUZZ_VERBOSE"))
        fprintf(stderr, "fuzz: refused: %s\n", (*err)->msg);
    if (r >= 0 && *err) {
        fprintf(stderr, "fuzz: success with an error set: %s\n", (*err)->msg);
        abort();
    }
    sp_error_free(err);
}

/* The input as a NUL-terminated string (parsers of C strings stop at a NUL anyway). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A fresh scratch directory (free the result after fuzz_rmdir). */
static inline char *fuzz_mkdtemp(void)
{
    char *d = strdup("/tmp/septa-fuzz-XXXXXX");
    if (!d || !mkdtemp(d))
        abort();
    return d;
}

static inline void fuzz_rmdir(const char *dir)
{
    sp_error *err = NULL;
    if (sp_rm_rf_at(AT_FDCWD, dir, &err) < 0) {
        fprintf(stderr, "fuzz: cannot remove %s: %s\n", dir, err->msg);
        abort();
    }
}

/* Write buf to PATH (created); aborts on failure, which is the harness's own. */
static inline void fuzz_write(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "we");
    if (!f || (len && fwrite(buf, 1, len, f) != len) || fclose(f) != 0)
        abort();
}

/*
 * Split the input at lines "----" into at most n parts (the rest go to the
 * last part).  Lets one input carry several documents (index, manifest,
 * config...) in a form that a seed file can be written by hand.
 */
static inline size_t fuzz_split(const uint8_t *data, size_t size, const uint8_t **part,
                                size_t *len, size_t n)
{
    static const char sep[] = "\n----\n";
    size_t k = 0;
    const uint8_t *p = data, *end = data + size;
    while (k + 1 < n) {
        const uint8_t *s = memmem(p, (size_t)(end - p), sep, sizeof(sep) - 1);
        if (!s)
            break;
        part[k] = p;
        len[k++] = (size_t)(s - p);
        p = s + sizeof(sep) - 1;
    }
    part[k] = p;
    len[k++] = (size_t)(end - p);
    for (size_t i = k; i < n; i++) {
        part[i] = end;
        len[i] = 0;
    }
    return k;
}

#endif
