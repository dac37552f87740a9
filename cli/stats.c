/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `septa stats [ID...] [--no-stream] [--format text|json]`: CPU %, memory
 * usage/limit, pids and block I/O of containers, read from their cgroups.
 * On a terminal the table refreshes every two seconds until interrupted;
 * otherwise (or with --no-stream) it is printed once.
 */
#include "cli.h"
#include "runtime.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct sample {
    char *id;
    bool ok;
    uint64_t cpu_ns; /* total CPU time used */
    uint64_t mem, mem_limit, pids, rd, wr, ooms;
    const char *status;
};

static uint64_t jget(json_t *o, const char *path)
{
    /* "a.b.c" below o; absent -> 0 */
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    char *save = NULL;
    for (char *t = strtok_r(buf, ".", &save); t && o; t = strtok_r(NULL, ".", &save))
        o = json_object_get(o, t);
    return json_is_integer(o) ? (uint64_t)json_integer_value(o) : 0;
}

static uint64_t host_mem(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
}

static void take(const char *root, struct sample *s)
{
    _cleanup_json_ json_t *d = NULL;
    _cleanup_error_ sp_error *e = NULL;
    s->ok = sp_container_stats(root, s->id, &d, &s->status, &e) == 0;
    if (!s->ok)
        return;
    s->cpu_ns = jget(d, "cpu.usage.total");
    /* Like docker: the page cache the kernel can drop is not "used". */
    uint64_t usage = jget(d, "memory.usage.usage");
    uint64_t inactive =
        jget(d, "memory.raw.total_inactive_file") + jget(d, "memory.raw.inactive_file");
    s->mem = usage > inactive ? usage - inactive : usage;
    s->mem_limit = jget(d, "memory.usage.limit");
    uint64_t hm = host_mem();
    if (s->mem_limit == 0 || (hm && s->mem_limit > hm))
        s->mem_limit = hm; /* unlimited: the machine is the limit */
    s->pids = jget(d, "pids.current");
    s->ooms = jget(d, "memory.oom_kill");
    s->rd = s->wr = 0;
    json_t *arr = json_object_get(json_object_get(d, "blkio"), "ioServiceBytesRecursive");
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
    {
        const char *op = json_string_value(json_object_get(x, "op"));
        uint64_t v = (uint64_t)json_integer_value(json_object_get(x, "value"));
        if (op && strcasecmp(op, "read") == 0)
            s->rd += v;
        else if (op && strcasecmp(op, "write") == 0)
            s->wr += v;
    }
}

static void human(uint64_t b, char *out, size_t n)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)b;
    size_t u = 0;
    while (v >= 1024 && u + 1 < SP_ARRAY_SIZE(units)) {
        v /= 1024;
        u++;
    }
    snprintf(out, n, u ? "%.1f%s" : "%.0f%s", v, units[u]);
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void print(struct sample *a, struct sample *b, size_t n, uint64_t wall_ns, bool json)
{
    if (json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            if (!b[i].ok)
                continue;
            double cpu = a[i].ok && wall_ns
                             ? (double)(b[i].cpu_ns - a[i].cpu_ns) * 100.0 / (double)wall_ns
                             : 0;
            json_t *o = json_pack(
                "{s:s, s:s, s:f, s:I, s:I, s:f, s:I, s:I, s:I, s:I}", "id", b[i].id, "status",
                b[i].status, "cpu_percent", cpu, "memory_usage", (json_int_t)b[i].mem,
                "memory_limit", (json_int_t)b[i].mem_limit, "memory_percent",
                b[i].mem_limit ? (double)b[i].mem * 100.0 / (double)b[i].mem_limit : 0.0, "pids",
                (json_int_t)b[i].pids, "block_read", (json_int_t)b[i].rd, "block_write",
                (json_int_t)b[i].wr, "oom_kills", (json_int_t)b[i].ooms);
            json_array_append_new(arr, o);
        }
        char *s = sp_json_dumps(arr, true);
        printf("%s\n", s);
        free(s);
        json_decref(arr);
        return;
    }
    printf("%-24s %-8s %7s  %-21s %6s  %5s  %-17s %s\n", "ID", "STATUS", "CPU %",
           "MEM USAGE / LIMIT", "MEM %", "PIDS", "BLOCK I/O", "OOM KILLS");
    for (size_t i = 0; i < n; i++) {
        if (!b[i].ok)
            continue;
        double cpu =
            a[i].ok && wall_ns ? (double)(b[i].cpu_ns - a[i].cpu_ns) * 100.0 / (double)wall_ns : 0;
        char mu[16], ml[16], rd[16], wr[16], mem[40], io[40];
        human(b[i].mem, mu, sizeof(mu));
        human(b[i].mem_limit, ml, sizeof(ml));
        human(b[i].rd, rd, sizeof(rd));
        human(b[i].wr, wr, sizeof(wr));
        snprintf(mem, sizeof(mem), "%s / %s", mu, ml);
        snprintf(io, sizeof(io), "%s / %s", rd, wr);
        printf("%-24s %-8s %6.2f%%  %-21s %5.2f%%  %5" PRIu64 "  %-17s %" PRIu64 "\n", b[i].id,
               b[i].status, cpu, mem,
               b[i].mem_limit ? (double)b[i].mem * 100.0 / (double)b[i].mem_limit : 0.0, b[i].pids,
               io, b[i].ooms);
    }
}

int sp_cmd_stats(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"no-stream", no_argument, NULL, 'n'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    bool no_stream = false, json = false;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            no_stream = true;
            break;
        case 'f':
            if (strcmp(optarg, "json") == 0)
                json = true;
            else if (strcmp(optarg, "text") != 0)
                return sp_err(err, 0, "stats: --format '%s': expected text or json", optarg);
            break;
        case 'h':
            printf("Usage: %s stats [--no-stream] [--format text|json] [ID...]\n\n"
                   "Resource usage of containers (all running ones without IDs): CPU %% of one\n"
                   "CPU, memory in use / limit, pids, block I/O read / written, OOM kills.\n"
                   "On a terminal the table refreshes every 2 s; --no-stream prints it once.\n",
                   g->prog);
            return 0;
        default:
            return sp_cli_bad_option(err, "stats", argc, argv, optopt);
        }
    }
    size_t n = 0;
    _cleanup_json_ json_t *list = NULL;
    char **ids = NULL;
    if (optind < argc) {
        n = (size_t)(argc - optind);
        ids = argv + optind;
    } else {
        if (sp_container_list(g->root, &list, err) < 0)
            return sp_err_wrap(err, "stats");
        n = json_array_size(list);
    }
    struct sample *a = sp_xcalloc(n ? n : 1, sizeof(*a)), *b = sp_xcalloc(n ? n : 1, sizeof(*b));
    for (size_t i = 0; i < n; i++)
        a[i].id = b[i].id =
            (char *)(ids ? ids[i]
                         : json_string_value(json_object_get(json_array_get(list, i), "id")));
    /* A named container that does not exist is an error, said once. */
    for (size_t i = 0; ids && i < n; i++) {
        json_t *st = NULL;
        if (sp_container_state(g->root, ids[i], &st, err) < 0) {
            free(a);
            free(b);
            return sp_err_wrap(err, "stats");
        }
        json_decref(st);
    }
    bool stream = !no_stream && !json && isatty(STDOUT_FILENO);
    for (;;) {
        uint64_t t0 = mono_ns();
        for (size_t i = 0; i < n; i++)
            take(g->root, &a[i]);
        /* CPU % needs two samples: one second apart for a single print. */
        usleep(stream ? 2000000 : 1000000);
        uint64_t t1 = mono_ns();
        for (size_t i = 0; i < n; i++)
            take(g->root, &b[i]);
        /* Without IDs only running (or paused) containers are shown. */
        for (size_t i = 0; !ids && i < n; i++)
            if (b[i].ok && strcmp(b[i].status, "running") != 0 &&
                strcmp(b[i].status, "paused") != 0)
                b[i].ok = false;
        if (stream)
            printf("\033[H\033[2J");
        print(a, b, n, t1 - t0, json);
        fflush(stdout);
        if (!stream)
            break;
    }
    free(a);
    free(b);
    return 0;
}
