/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa exec ... CONTAINER CMD...`: another process in a running container. */
#include "cli.h"
#include "images.h"
#include "runtime.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

int sp_cmd_exec(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"tty", no_argument, NULL, 't'},
        {"interactive", no_argument, NULL, 'i'},
        {"env", required_argument, NULL, 'e'},
        {"workdir", required_argument, NULL, 'w'},
        {"user", required_argument, NULL, 'u'},
        {"cap", required_argument, NULL, 256},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    struct sp_exec_opts o = {0};
    _cleanup_strv_ char **env = NULL;
    _cleanup_strv_ char **caps = NULL;
    size_t nenv = 0, ncaps = 0;
    int c;
    opterr = 0;
    /* "+": options end at CONTAINER; what follows is the command. */
    while ((c = getopt_long(argc, argv, "+tie:w:u:h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            o.tty = true;
            break;
        case 'i':
            break; /* stdin is passed through in the foreground anyway */
        case 'e':
            env = sp_xrealloc(env, (nenv + 2) * sizeof(char *));
            env[nenv++] = sp_xstrdup(optarg);
            env[nenv] = NULL;
            break;
        case 'w':
            o.cwd = optarg;
            break;
        case 'u':
            o.user = optarg;
            break;
        case 256: /* --cap */
            caps = sp_xrealloc(caps, (ncaps + 2) * sizeof(char *));
            caps[ncaps++] = sp_xstrdup(optarg);
            caps[ncaps] = NULL;
            break;
        case 'h':
            printf("Usage: septa exec [-t] [-e K=V] [-w DIR] [-u USER[:GROUP]] [--cap CAP]...\n"
                   "                  CONTAINER CMD...\n\n"
                   "Run CMD in a running container made by 'septa run' (by name, id or unique\n"
                   "id prefix); the exit status is CMD's.  --cap adds a capability (such as\n"
                   "NET_ADMIN) to those the container's process has.\n");
            return 0;
        default:
            return sp_cli_bad_option(err, "septa exec", argc, argv, optopt);
        }
    }
    if (argc - optind < 2)
        return sp_err(err, 0, "septa exec: expected CONTAINER and CMD");
    _cleanup_free_ char *id = NULL;
    if (sp_image_container_find(g->data_root, argv[optind], &id, err) < 0)
        return sp_err_wrap(err, "septa exec");
    if (sp_runtime_protect_exe(err) < 0)
        return sp_err_wrap(err, "septa exec");
    _cleanup_free_ char *uidgid = NULL;
    if (o.user) {
        /* Names are the image's, as with septa run: resolve them in its root. */
        _cleanup_free_ char *rootfs =
            sp_xasprintf("%s/storage/containers/%s/merged", g->data_root, id);
        uid_t uid;
        gid_t gid;
        _cleanup_json_ json_t *extra = NULL;
        if (sp_image_resolve_user(rootfs, o.user, &uid, &gid, &extra, err) < 0)
            return sp_err_wrap(err, "septa exec: -u");
        uidgid = sp_xasprintf("%u:%u", uid, gid);
        o.user = uidgid;
    }
    o.args = argv + optind + 1;
    o.env = env;
    o.caps = caps;
    int status = 0;
    if (sp_container_exec(g->root, id, &o, &status, err) < 0)
        return sp_err_wrap(err, "septa exec %s", argv[optind]);
    return status;
}
