/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: `septa run --security-opt seccomp=FILE`'s conversion of
 * a docker/podman profile (archMap, includes/excludes, minKernel, name) to
 * OCI linux.seccomp (cli/run_opts.c, seccomp_from_file), and then what the
 * runtime does with the result: sp_security_parse and the seccomp compiler
 * (sp_security_prepare, no cache, nothing loaded into this process).
 *
 * seccomp_from_file is static to the CLI, so its file is compiled into this
 * target (nothing else of it is called; --gc-sections drops the rest, whose
 * network code needs net/nft.c).  The profile goes through a memfd named by
 * /proc/self/fd/N, the path the CLI would be given.
 */
#include "../../cli/run_opts.c"

#include "fuzz.h"
#include "security.h"

#include <sys/mman.h>

/* native_scmp_arch() comes with cli/run_opts.c (NULL on an unknown host). */

/*
 * Docker's meaning of archMap: only the entry of the native architecture
 * counts (it and its subArchitectures); the others describe other hosts,
 * and libseccomp refuses to add, e.g., a big-endian MIPS to an x86_64
 * filter.  So when the profile has an archMap and no "architectures", every
 * architecture of the result must come from the native entry.
 */
static void check_archmap(const uint8_t *data, size_t size, json_t *prof)
{
    json_t *in = json_loadb((const char *)data, size, 0, NULL);
    json_t *am = json_object_get(in, "archMap");
    if (json_is_array(am) && !json_object_get(in, "architectures")) {
        json_t *want = json_array();
        size_t i, j;
        json_t *a, *sub;
        json_array_foreach(am, i, a)
        {
            json_t *n = json_object_get(a, "architecture");
            if (!json_is_string(n) || strcmp(json_string_value(n), native_scmp_arch() ? native_scmp_arch() : "") != 0)
                continue;
            json_array_append(want, n);
            json_array_foreach(json_object_get(a, "subArchitectures"), j, sub)
                json_array_append(want, sub);
        }
        json_array_foreach(json_object_get(prof, "architectures"), i, a)
        {
            bool ok = false;
            json_array_foreach(want, j, sub)
                ok |= json_equal(a, sub);
            if (!ok) {
                char *t = json_dumps(a, JSON_ENCODE_ANY);
                fprintf(stderr, "fuzz: archMap entry %s of another host kept in architectures\n",
                        t ? t : "?");
                abort();
            }
        }
        json_decref(want);
    }
    json_decref(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("profile", MFD_CLOEXEC);
    if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
        abort();
    char file[64];
    snprintf(file, sizeof(file), "/proc/self/fd/%d", fd);
    /* podman's default capabilities, so that includes.caps rules go both ways */
    json_t *caps = json_pack("[sssssssssss]", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER",
                             "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETFCAP",
                             "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT");
    sp_error *err = NULL;
    json_t *prof = seccomp_from_file(file, caps, &err);
    fuzz_check(prof ? 0 : -1, &err);
    close(fd);
    json_decref(caps);
    if (!prof)
        return 0;
    /* Known finding (README.md); SEPTA_FUZZ_SKIP_KNOWN=1 goes on past it until fixed. */
    if (!getenv("SEPTA_FUZZ_SKIP_KNOWN"))
        check_archmap(data, size, prof);

    /* The runtime gets it as linux.seccomp of a config.json. */
    json_t *cfg = json_pack("{s:{s:o}}", "linux", "seccomp", prof);
    char *text = json_dumps(cfg, JSON_INDENT(1));
    json_decref(cfg);
    if (!text)
        return 0; /* jansson refuses to dump some values it parsed (NaN-free, but deep) */
    sp_jdoc *doc = NULL;
    if (sp_jdoc_load_buf(text, strlen(text), "config.json", &doc, &err) < 0) {
        /* What jansson wrote, jansson reads back. */
        fprintf(stderr, "fuzz: converted profile does not parse again: %s\n", err->msg);
        abort();
    }
    free(text);
    struct sp_security *sec = NULL;
    int r = sp_security_parse(doc, doc->root, json_object_get(doc->root, "linux"), &sec, &err);
    fuzz_check(r, &err);
    if (r == 0)
        fuzz_check(sp_security_prepare(sec, "fuzz", "/nonexistent", NULL, &err), &err);
    sp_security_free(sec);
    sp_jdoc_free(doc);
    return 0;
}
