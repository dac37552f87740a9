/*
 * libFuzzer target: safe layer unpacking (storage/unpack.c) of arbitrary
 * bytes into a scratch directory.  Build (from the repo root):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Icommon -Istorage \
 *     -Ibuild tests/fuzz/fuzz_unpack.c storage/unpack.c common/*.c \
 *     -larchive -lcrypto -ljansson -o fuzz_unpack
 *   ./fuzz_unpack -max_total_time=60 CORPUS_DIR
 * Whatever the input, unpacking must fail cleanly or stay inside the root.
 */
#include "storage.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char dir[64];
    if (!dir[0]) {
        strcpy(dir, "/tmp/septa-fuzz-XXXXXX");
        if (!mkdtemp(dir))
            abort();
    }
    int in = memfd_create("layer", MFD_CLOEXEC);
    if (in < 0 || write(in, data, size) != (ssize_t)size || lseek(in, 0, SEEK_SET) != 0)
        abort();
    sp_error *err = NULL;
    char *root = sp_path_join(dir, "root");
    mkdir(root, 0755);
    int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct sp_unpack_opts o = {.max_bytes = 1 << 20, .max_entries = 1000, .devices = false};
    struct sp_unpack_stats st;
    sp_unpack_fd(in, rootfd, &o, &st, &err);
    sp_error_free(&err);
    close(rootfd);
    close(in);
    sp_rm_rf_at(AT_FDCWD, root, &err);
    sp_error_free(&err);
    /* Nothing may appear next to the root. */
    char *esc = sp_path_join(dir, "escaped");
    if (access(esc, F_OK) == 0)
        abort();
    free(esc);
    free(root);
    return 0;
}
