/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa oci ps [--format table|json] ID`: the processes of a container. */
#include "cli.h"
#include "runtime.h"

#include <fcntl.h>
#include <getopt.h>
#include <string.h>

/* The command name of a pid, from /proc (empty if it just exited). */
static void proc_comm(pid_t pid, char *buf, size_t len)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/comm", pid);
    _cleanup_free_ char *s = NULL;
    size_t n = 0;
    buf[0] = 0;
    if (sp_read_file(AT_FDCWD, path, 256, &s, &n, NULL) == 0) {
        if (n && s[n - 1] == '\n')
            s[n - 1] = 0;
        snprintf(buf, len, "%s", s);
    }
}

int sp_oci_ps(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *format = "table";
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            format = optarg;
            break;
        case 'h':
            printf("Usage: %s ps [--format table|json] ID\n\n"
                   "List the host pids of the container's processes.\n\n"
                   "  -f, --format FMT   table (default) or json (an array of pids, as runc)\n",
                   g->prog);
            return 0;
        default:
            return sp_cli_bad_option(err, "ps", argc, argv, optopt);
        }
    }
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
        return sp_err(err, 0, "ps: --format: unknown format '%s' (expected table or json)", format);
    if (optind >= argc)
        return sp_err(err, 0, "ps: missing container ID");
    if (optind + 1 < argc)
        return sp_err(err, 0, "ps: ps(1) arguments are not supported ('%s'); use --format json",
                      argv[optind + 1]);
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    if (sp_container_pids(g->root, argv[optind], &pids, &n, err) < 0)
        return -1;
    if (strcmp(format, "json") == 0) {
        _cleanup_json_ json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, json_integer(pids[i]));
        _cleanup_free_ char *s = sp_json_dumps(arr, false);
        printf("%s\n", s);
        return 0;
    }
    printf("%-8s %s\n", "PID", "CMD");
    for (size_t i = 0; i < n; i++) {
        char comm[64];
        proc_comm(pids[i], comm, sizeof(comm));
        printf("%-8d %s\n", pids[i], comm);
    }
    return 0;
}
