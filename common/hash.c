/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sha256 of files through libcrypto's EVP interface (short strings: sha256.c). */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <unistd.h>

static void to_hex(const unsigned char *md, unsigned len, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < len && i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

int sp_sha256_file(int dirfd, const char *name, char out[65], uint64_t *size, sp_error **err)
{
    _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return sp_err(err, errno, "opening %s", name);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
        abort();
    uint64_t total = 0;
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            EVP_MD_CTX_free(ctx);
            return sp_err(err, e, "reading %s", name);
        }
        if (n == 0)
            break;
        EVP_DigestUpdate(ctx, buf, (size_t)n);
        total += (uint64_t)n;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    to_hex(md, mdlen, out);
    if (size)
        *size = total;
    return 0;
}
