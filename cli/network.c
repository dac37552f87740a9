/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa network SUBCOMMAND`: virtual switches and their ports (net/). */
#include "cli.h"
#include "images.h"
#include "net.h"
#include "run_opts.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int parse_bool(const char *opt, const char *v, bool *out, sp_error **err)
{
    if (!v || strcmp(v, "true") == 0) {
        *out = true;
        return 0;
    }
    if (strcmp(v, "false") == 0) {
        *out = false;
        return 0;
    }
    return sp_err(err, 0, "%s: expected true or false, not '%s'", opt, v);
}

static int parse_mtu(const char *v, int *out, sp_error **err)
{
    int64_t m;
    if (sp_parse_i64(v, 68, 65535, &m, err) < 0)
        return sp_err_wrap(err, "--mtu");
    *out = (int)m;
    return 0;
}

static int net_create(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"subnet", required_argument, NULL, 's'},
        {"gateway", required_argument, NULL, 'g'},
        {"internal", no_argument, NULL, 'i'},
        {"mtu", required_argument, NULL, 'm'},
        {"isolate", optional_argument, NULL, 'I'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    struct sp_switch_opts so = {.isolate = true};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            so.subnet = optarg;
            break;
        case 'g':
            so.gateway = optarg;
            break;
        case 'i':
            so.internal = true;
            break;
        case 'm':
            if (parse_mtu(optarg, &so.mtu, err) < 0)
                return -1;
            break;
        case 'I':
            if (parse_bool("--isolate", optarg, &so.isolate, err) < 0)
                return -1;
            break;
        case 'h':
            printf("Usage: septa network create NAME [--subnet CIDR] [--gateway IP] [--internal]\n"
                   "                            [--mtu N] [--isolate=true|false]\n\n"
                   "Create a virtual switch: a Linux bridge NAME with the gateway address.\n"
                   "Without --subnet a free 10.x.0.0/16 is chosen.\n");
            return 0;
        default:
            return sp_cli_bad_option(err, "septa network create", argc, argv, optopt);
        }
    }
    if (optind + 1 != argc)
        return sp_err(err, 0, "septa network create: expected one switch name");
    if (sp_net_switch_create(g->data_root, argv[optind], &so, err) < 0)
        return -1;
    printf("%s\n", argv[optind]);
    return 0;
}

static int net_ls(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    const char *format = "text";
    bool quiet = false;
    const struct sp_cli_opt opts[] = {
        {"format", 'f', NULL, &format},
        {"quiet", 'q', &quiet, NULL},
        {0},
    };
    const struct sp_cli_spec spec = {
        .cmd = "septa network ls", .usage = "network ls [--format text|json] [-q]",
        .help = "List switches.\n", .max_args = 0, .permute = true, .opts = opts,
    };
    int first = 0;
    int r = sp_cli_parse(&spec, "septa", argc, argv, &first, err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    if (sp_cli_check_format("septa network ls", format, err) < 0)
        return -1;
    _cleanup_json_ json_t *all = NULL;
    if (sp_net_switch_list(g->data_root, &all, err) < 0)
        return -1;
    if (strcmp(format, "json") == 0) {
        _cleanup_free_ char *s = sp_json_dumps(all, true);
        printf("%s\n", s);
        return 0;
    }
    if (!quiet)
        printf("%-16s %-20s %-16s %-9s %-8s %s\n", "NAME", "SUBNET", "GATEWAY", "INTERNAL",
               "ISOLATE", "PORTS");
    size_t i;
    json_t *sw;
    json_array_foreach(all, i, sw) {
        const char *name = json_string_value(json_object_get(sw, "name"));
        if (quiet) {
            printf("%s\n", name);
            continue;
        }
        printf("%-16s %-20s %-16s %-9s %-8s %zu\n", name,
               json_string_value(json_object_get(sw, "subnet")),
               json_string_value(json_object_get(sw, "gateway")),
               json_is_true(json_object_get(sw, "internal")) ? "yes" : "no",
               json_is_true(json_object_get(sw, "isolate")) ? "yes" : "no",
               json_array_size(json_object_get(sw, "ports")));
    }
    return 0;
}

static int net_inspect(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: septa network inspect NAME...\n\nShow switches and their ports as a "
               "JSON array.\n");
        return 0;
    }
    if (argc < 2)
        return sp_err(err, 0, "septa network inspect: expected at least one switch name");
    _cleanup_json_ json_t *arr = json_array();
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-')
            return sp_err(err, 0, "septa network inspect: unknown option '%s'", argv[i]);
        json_t *one = NULL;
        if (sp_net_switch_inspect(g->data_root, argv[i], &one, err) < 0)
            return -1;
        json_array_append_new(arr, one);
    }
    _cleanup_free_ char *s = sp_json_dumps(arr, true);
    printf("%s\n", s);
    return 0;
}

static int net_rm(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    bool force = false;
    const struct sp_cli_opt opts[] = {{"force", 'f', &force, NULL}, {0}};
    const struct sp_cli_spec spec = {
        .cmd = "septa network rm", .usage = "network rm [-f|--force] NAME...",
        .help = "Remove switches; refused while a port is attached unless --force,\n"
                "which removes the ports first.\n",
        .arg = "switch name", .min_args = 1, .max_args = -1, .permute = true, .opts = opts,
    };
    int first = 0;
    int r = sp_cli_parse(&spec, "septa", argc, argv, &first, err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    for (int i = first; i < argc; i++) {
        if (sp_net_switch_rm(g->data_root, argv[i], force, err) < 0)
            return -1;
        printf("%s\n", argv[i]);
    }
    return 0;
}

static int net_update(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    const char *iso = NULL;
    const struct sp_cli_opt opts[] = {{"isolate", 0, NULL, &iso}, {0}};
    const struct sp_cli_spec spec = {
        .cmd = "septa network update", .usage = "network update NAME --isolate=true|false",
        .help = "Change whether a switch routes to other non-isolated switches.\n",
        .arg = "switch name", .min_args = 1, .max_args = 1, .permute = true, .opts = opts,
    };
    int first = 0;
    int r = sp_cli_parse(&spec, "septa", argc, argv, &first, err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    if (!iso)
        return sp_err(err, 0, "septa network update: nothing to change (give --isolate)");
    bool isolate;
    if (parse_bool("--isolate", iso, &isolate, err) < 0)
        return -1;
    return sp_net_switch_set_isolate(g->data_root, argv[first], isolate, err);
}

/*
 * The owner id of a namespace path: its last component (/run/netns/NAME), or
 * for /proc/PID/ns/net, whose last component says nothing, "netns-INODE".
 */
static int path_id(const char *path, char **id, sp_error **err)
{
    _cleanup_free_ char *copy = sp_xstrdup(path);
    const char *base = basename(copy);
    if (strcmp(base, "net") != 0) {
        *id = sp_xstrdup(base);
        return 0;
    }
    struct stat sb;
    if (stat(path, &sb) < 0)
        return sp_err(err, errno, "%s", path);
    *id = sp_xasprintf("netns-%llu", (unsigned long long)sb.st_ino);
    return 0;
}

/*
 * A port owner on the command line: a namespace path, or a name under
 * /run/netns as `ip netns` makes them.
 */
static int resolve_target(const char *arg, char **path, char **id, sp_error **err)
{
    if (strchr(arg, '/')) {
        *path = sp_xstrdup(arg);
        return path_id(arg, id, err);
    }
    _cleanup_free_ char *p = sp_xasprintf("/run/netns/%s", arg);
    if (access(p, F_OK) < 0)
        return sp_err(err, errno, "%s: not a network namespace path and no %s", arg, p);
    *path = sp_steal_ptr(&p);
    *id = sp_xstrdup(arg);
    return 0;
}

static int net_connect(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"ip", required_argument, NULL, 'a'},     {"publish", required_argument, NULL, 'p'},
        {"mtu", required_argument, NULL, 'm'},    {"ifname", required_argument, NULL, 'n'},
        {"id", required_argument, NULL, 'i'},     {"name", required_argument, NULL, 'N'},
        {"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'},
        {"tap", required_argument, NULL, 't'},    {0},
    };
    struct sp_port_opts po = {0};
    const char *tap = NULL;
    _cleanup_free_ const char **pub = sp_xcalloc((size_t)argc + 1, sizeof(char *));
    size_t npub = 0;
    const char *id = NULL, *name = NULL, *format = "text";
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "p:f:h", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            po.ip = optarg;
            break;
        case 'p':
            pub[npub++] = optarg;
            break;
        case 'm':
            if (parse_mtu(optarg, &po.mtu, err) < 0)
                return -1;
            break;
        case 'n':
            po.ifname = optarg;
            break;
        case 'i':
            id = optarg;
            break;
        case 'N':
            name = optarg;
            break;
        case 'f':
            format = optarg;
            break;
        case 't':
            tap = optarg;
            break;
        case 'h':
            printf("Usage: septa network connect SWITCH NETNS [--ip IP] [-p [HOSTIP:]HOSTPORT:"
                   "CTRPORT[/tcp|udp]]...\n"
                   "                             [--mtu N] [--ifname NAME] [--id ID] [--name "
                   "NAME] [--format text|json]\n\n"
                   "Give a network namespace (a path such as /run/netns/X or /proc/PID/ns/net,\n"
                   "or a name made by `ip netns add`) a port on SWITCH.  The owner id defaults\n"
                   "to the path's last component (netns-INODE for /proc/PID/ns/net).  A container\n"
                   "of `septa run` (name, id or id prefix) joins under its id and name.\n\n"
                   "       septa network connect SWITCH --tap OWNER [--ip IP] [--mtu N]\n\n"
                   "Make a persistent tap device for a guest OWNER on SWITCH.\n");
            return 0;
        default:
            return sp_cli_bad_option(err, "septa network connect", argc, argv, optopt);
        }
    }
    if (optind + (tap ? 1 : 2) != argc)
        return sp_err(err, 0,
                      tap ? "septa network connect: --tap takes SWITCH only"
                          : "septa network connect: expected SWITCH and NETNS");
    if (sp_cli_check_format("septa network connect", format, err) < 0)
        return -1;
    po.publish = pub;
    _cleanup_port_ struct sp_port *port = NULL;
    _cleanup_free_ char *path = NULL, *defid = NULL;
    if (tap) {
        if (sp_net_tap_create(g->data_root, argv[optind], tap, name ? name : tap, &po, &port, err) <
            0)
            return -1;
    } else {
        /* A container of `septa run` by name or id (run-options), else a netns. */
        _cleanup_free_ char *cname = NULL;
        int found = strchr(argv[optind + 1], '/')
                        ? 0
                        : sp_run_container_netns(g->data_root, argv[optind + 1], &defid, &cname,
                                                 &path, err);
        if (found < 0)
            return sp_err_wrap(err, "septa network connect");
        if (!found && resolve_target(argv[optind + 1], &path, &defid, err) < 0)
            return -1;
        if (!id)
            id = defid;
        if (!name)
            name = cname ? cname : id;
        if (sp_net_attach(g->data_root, argv[optind], id, name, path, &po, &port, err) < 0)
            return -1;
        if (found)
            sp_run_hosts_refresh(g->data_root);
    }
    if (strcmp(format, "json") == 0) {
        _cleanup_json_ json_t *j =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s}", "switch", port->switch_name, "id",
                      port->container_id, "host_if", port->host_ifname, "ifname",
                      port->ifname ? port->ifname : "", "address", port->address, "prefix",
                      port->prefix, "gateway", port->gateway, "mac", port->mac);
        _cleanup_free_ char *s = sp_json_dumps(j, true);
        printf("%s\n", s);
    } else {
        printf("%s/%d %s %s\n", port->address, port->prefix, port->mac, port->host_ifname);
    }
    return 0;
}

static int net_disconnect(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: septa network disconnect SWITCH NETNS-OR-ID-OR-CONTAINER\n\nRemove a port: its "
               "link, address lease and published ports.\n");
        return 0;
    }
    if (argc != 3)
        return sp_err(err, 0, "septa network disconnect: expected SWITCH and NETNS-OR-ID");
    _cleanup_free_ char *id = NULL;
    if (!strchr(argv[2], '/')) {
        /* a container's name or id prefix (run-options), else an owner id */
        _cleanup_error_ sp_error *e = NULL;
        if (sp_image_container_find(g->data_root, argv[2], &id, &e) < 0)
            id = sp_xstrdup(argv[2]);
    } else if (path_id(argv[2], &id, err) < 0) {
        return sp_err_wrap(err, "septa network disconnect");
    }
    if (sp_net_detach(g->data_root, argv[1], id, err) < 0)
        return -1;
    sp_run_hosts_refresh(g->data_root);
    return 0;
}

static int net_gc(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: septa network gc\n\nRemove ports whose namespace is gone and attaches "
               "a killed septa left half done.\n");
        return 0;
    }
    if (argc != 1)
        return sp_err(err, 0, "septa network gc: unexpected argument '%s'", argv[1]);
    int removed = 0;
    if (sp_net_gc(g->data_root, NULL, NULL, &removed, err) < 0)
        return -1;
    printf("%d\n", removed);
    return 0;
}

static const struct sp_command subcommands[] = {
    {"create", "Create a switch", net_create},
    {"ls", "List switches", net_ls},
    {"inspect", "Show switches and their ports", net_inspect},
    {"rm", "Remove switches", net_rm},
    {"update", "Change a switch's isolation", net_update},
    {"connect", "Attach a network namespace to a switch", net_connect},
    {"disconnect", "Detach a port from a switch", net_disconnect},
    {"gc", "Remove ports whose owner is gone", net_gc},
};

int sp_cmd_network(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        FILE *out = argc < 2 ? stderr : stdout;
        fprintf(out, "Usage: septa network COMMAND\n\nCommands:\n");
        sp_cli_print_commands(out, subcommands, SP_ARRAY_SIZE(subcommands));
        if (argc < 2)
            return sp_err(err, 0, "septa network: no command given");
        return 0;
    }
    return sp_cli_dispatch(g, "septa network", subcommands, SP_ARRAY_SIZE(subcommands), argc - 1,
                           argv + 1, err);
}
