/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa oci spec [--bundle DIR] [--rootless]`: write a default config.json. */
#include "cli.h"
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>

int sp_oci_spec(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    enum { OPT_ROOTLESS = 256 };
    static const struct option opts[] = {
        {"bundle", required_argument, NULL, 'b'},
        {"rootless", no_argument, NULL, OPT_ROOTLESS},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *bundle = ".";
    bool rootless = false;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+b:h", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            bundle = optarg;
            break;
        case OPT_ROOTLESS:
            rootless = true;
            break;
        case 'h':
            printf("Usage: %s spec [--bundle DIR] [--rootless]\n\n"
                   "Write a default config.json (like runc spec) into the bundle directory;\n"
                   "an existing config.json is never overwritten.\n\n"
                   "  -b, --bundle DIR   bundle directory (default: current directory)\n"
                   "      --rootless     a config with a user namespace\n",
                   g->prog);
            return 0;
        default:
            return sp_cli_bad_option(err, "spec", argc, argv, optopt);
        }
    }
    if (optind < argc)
        return sp_err(err, 0, "spec: unexpected argument '%s'", argv[optind]);
    _cleanup_close_ int dfd = open(bundle, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (dfd < 0)
        return sp_err(err, errno, "spec: bundle %s", bundle);
    struct stat st;
    if (fstatat(dfd, "config.json", &st, AT_SYMLINK_NOFOLLOW) == 0)
        return sp_err(err, EEXIST, "spec: %s/config.json already exists", bundle);
    _cleanup_json_ json_t *spec = sp_spec_default(rootless);
    _cleanup_free_ char *s = sp_json_dumps(spec, true);
    size_t len = strlen(s);
    s = sp_xrealloc(s, len + 2);
    s[len] = '\n';
    s[len + 1] = 0;
    if (sp_atomic_write(dfd, "config.json", s, len + 1, 0644, err) < 0)
        return sp_err_wrap(err, "spec");
    return 0;
}
