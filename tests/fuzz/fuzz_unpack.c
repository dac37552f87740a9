/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: safe layer unpacking (storage/unpack.c, sp_unpack_fd) of
 * arbitrary bytes (plain, gzip or zstd tar) into a fresh scratch directory.
 * Layout per iteration:
 *   /tmp/septa-fuzz-XXXXXX/root       the layer's root (rootfd)
 *   /tmp/septa-fuzz-XXXXXX/sentinel   an empty directory next to it
 * Whatever the input: unpacking succeeds or fails with a message, the
 * sentinel stays empty and nothing else appears next to the root (a
 * traversal through "..", an absolute name, a symlink or a hard link would
 * land there); the directory is removed afterwards.  Device nodes are off,
 * as for an unprivileged store; limits are small so bombs stop early.
 */
#include "fuzz.h"
#include "storage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* Entries of dir other than "." / ".." and those named in allowed (NULL-terminated). */
static int extra_entries(const char *dir, const char *const *allowed)
{
    DIR *d = opendir(dir);
    if (!d)
        abort();
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        bool ok = false;
        for (size_t i = 0; allowed && allowed[i]; i++)
            ok |= strcmp(e->d_name, allowed[i]) == 0;
        if (!ok) {
            fprintf(stderr, "fuzz: unexpected entry %s/%s\n", dir, e->d_name);
            n++;
        }
    }
    closedir(d);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *dir = fuzz_mkdtemp();
    char *root = sp_path_join(dir, "root");
    char *sentinel = sp_path_join(dir, "sentinel");
    if (mkdir(root, 0755) < 0 || mkdir(sentinel, 0755) < 0)
        abort();
    int in = memfd_create("layer", MFD_CLOEXEC);
    if (in < 0 || (size && write(in, data, size) != (ssize_t)size) || lseek(in, 0, SEEK_SET) != 0)
        abort();
    int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        abort();

    struct sp_unpack_opts o = {.max_bytes = 1 << 20, .max_entries = 1000, .devices = false};
    struct sp_unpack_stats st;
    memset(&st, 0, sizeof(st));
    sp_error *err = NULL;
    int r = sp_unpack_fd(in, rootfd, &o, &st, &err);
    fuzz_check(r, &err);
    if (r == 0 && (st.entries > o.max_entries || st.bytes > o.max_bytes)) {
        fprintf(stderr, "fuzz: limits exceeded: %llu entries, %llu bytes\n",
                (unsigned long long)st.entries, (unsigned long long)st.bytes);
        abort();
    }
    close(rootfd);
    close(in);

    static const char *const allowed[] = {"root", "sentinel", NULL};
    if (extra_entries(sentinel, NULL) || extra_entries(dir, allowed))
        abort();
    /* The scratch directory's own mode and owner are untouched (a "." entry could chmod it). */
    struct stat sb;
    if (stat(dir, &sb) < 0 || (sb.st_mode & 07777) != 0700 || sb.st_uid != geteuid()) {
        fprintf(stderr, "fuzz: %s changed: mode %o uid %u\n", dir, sb.st_mode & 07777,
                (unsigned)sb.st_uid);
        abort();
    }
    fuzz_rmdir(dir);
    free(sentinel);
    free(root);
    free(dir);
    return 0;
}
