/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa oci ps [--format table|json] ID`: the processes of a container. */
#include "cli.h"
#include "runtime.h"

#include <fcntl.h>
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
    const char *format = "table";
    const struct sp_cli_opt opts[] = {{"format", 'f', NULL, &format}, {0}};
    const struct sp_cli_spec spec = {
        .cmd = "ps",
        .usage = "ps [--format table|json] ID",
        .help = "List the host pids of the container's processes.\n\n"
                "  -f, --format FMT   table (default) or json (an array of pids, as runc)\n",
        .arg = "container ID", .min_args = 1, .max_args = -1, .opts = opts,
    };
    int first = 0;
    int r = sp_cli_parse(&spec, g->prog, argc, argv, &first, err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
        return sp_err(err, 0, "ps: --format: unknown format '%s' (expected table or json)", format);
    if (first + 1 < argc)
        return sp_err(err, 0, "ps: ps(1) arguments are not supported ('%s'); use --format json",
                      argv[first + 1]);
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    if (sp_container_pids(g->root, argv[first], &pids, &n, err) < 0)
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
