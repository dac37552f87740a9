/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa pull REF`: fetch an image from a registry into the store. */
#include "cli.h"
#include "images.h"

#include <getopt.h>
#include <string.h>

enum { OPT_TLS_VERIFY = 256, OPT_AUTHFILE };

int sp_cmd_pull(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"tls-verify", optional_argument, NULL, OPT_TLS_VERIFY},
        {"authfile", required_argument, NULL, OPT_AUTHFILE},
        {"quiet", no_argument, NULL, 'q'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    struct sp_pull_opts o = {.tls_verify = true};
    const char *format = "text";
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+qf:h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_TLS_VERIFY:
            if (!optarg || strcmp(optarg, "true") == 0)
                o.tls_verify = true;
            else if (strcmp(optarg, "false") == 0)
                o.tls_verify = false;
            else
                return sp_err(err, 0,
                              "septa pull: --tls-verify: expected true or false, not "
                              "'%s'",
                              optarg);
            break;
        case OPT_AUTHFILE:
            o.authfile = optarg;
            break;
        case 'q':
            o.quiet = true;
            break;
        case 'f':
            format = optarg;
            break;
        case 'h':
            printf("Usage: septa pull [--tls-verify=false] [--authfile FILE] [-q] "
                   "[--format text|json] REF\n\n"
                   "Pull [HOST/]REPO[:TAG][@DIGEST] (docker.io when no host) into the store.\n"
                   "Blobs download three at a time; a dropped transfer resumes where it stopped,\n"
                   "and so does the next pull after an interrupted one (kept in partial/);\n"
                   "on a terminal each blob's progress is shown on stderr.\n\n"
                   "  --tls-verify=false  skip certificate checks; plain http if no TLS\n"
                   "  --authfile FILE     credentials ({\"auths\": {HOST: {\"auth\": ...}}})\n"
                   "  -q, --quiet         no progress, even on a terminal: only the result line\n");
            return 0;
        default:
            return sp_cli_bad_option(err, "septa pull", argc, argv, optopt);
        }
    }
    if (sp_cli_check_format("septa pull", format, err) < 0)
        return -1;
    if (argc - optind != 1)
        return sp_err(err, 0, "septa pull: expected one image reference");
    _cleanup_json_ json_t *loaded = NULL;
    if (sp_image_pull(g->data_root, argv[optind], &o, &loaded, err) < 0)
        return sp_err_wrap(err, "septa pull");
    if (strcmp(format, "json") == 0) {
        _cleanup_free_ char *s = sp_json_dumps(loaded, true);
        printf("%s\n", s);
        return 0;
    }
    json_t *v = json_array_get(loaded, 0);
    printf("%s %s\n", json_string_value(json_object_get(v, "name")),
           json_string_value(json_object_get(v, "digest")));
    return 0;
}
