/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Subcommand dispatch shared by every command group. */
#include "cli.h"

#include <getopt.h>
#include <string.h>

void sp_cli_print_commands(FILE *out, const struct sp_command *table, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %-12s %s\n", table[i].name, table[i].summary);
}

int sp_cli_dispatch(struct sp_globals *g, const char *group, const struct sp_command *table,
                    size_t n, int argc, char **argv, sp_error **err)
{
    const char *name = argv[0];
    for (size_t i = 0; i < n; i++) {
        if (strcmp(table[i].name, name) == 0) {
            /* getopt keeps state between calls; each command parses afresh. */
            extern int optind;
            optind = 0;
            return table[i].fn(g, argc, argv, err);
        }
    }
    return sp_err(err, 0, "%s: unknown command '%s' (see '%s --help')", group, name, group);
}

int sp_cli_bad_option(sp_error **err, const char *cmd, int argc, char **argv, int optopt_c)
{
    extern int optind;
    const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
    if (optopt_c && optopt_c < 256 && arg[0] == '-' && arg[1] != '-')
        return sp_err(err, 0, "%s: unknown option or missing value for '-%c' (see '%s --help')",
                      cmd, optopt_c, cmd);
    return sp_err(err, 0, "%s: unknown option or missing value for '%s' (see '%s --help')", cmd,
                  arg, cmd);
}

int sp_cli_check_format(const char *cmd, const char *format, sp_error **err)
{
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
        return sp_err(err, 0, "%s: --format: unknown format '%s' (expected text or json)", cmd,
                      format);
    return 0;
}

int sp_cli_parse(const struct sp_cli_spec *s, const char *prog, int argc, char **argv, int *first,
                 sp_error **err)
{
    size_t n = 0;
    while (s->opts && s->opts[n].name)
        n++;
    /* getopt's tables from ours: index i+1 stands for opts[i], 'h' for --help. */
    _cleanup_free_ struct option *lo = sp_xcalloc(n + 2, sizeof(*lo));
    _cleanup_free_ char *so = sp_xcalloc(3 * n + 4, 1);
    size_t k = 0;
    so[k++] = s->permute ? '-' : '+';
    for (size_t i = 0; i < n; i++) {
        const struct sp_cli_opt *o = &s->opts[i];
        lo[i] = (struct option){o->name, o->value ? required_argument : no_argument, NULL,
                                o->short_name ? o->short_name : (int)(256 + i)};
        if (o->short_name) {
            so[k++] = o->short_name;
            if (o->value)
                so[k++] = ':';
        }
    }
    lo[n] = (struct option){"help", no_argument, NULL, 'h'};
    so[k++] = 'h';
    /* With '-' getopt hands positionals back in order as option 1. */
    _cleanup_free_ char **pos = sp_xcalloc((size_t)argc + 1, sizeof(char *));
    int npos = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
        if (c == 1) {
            pos[npos++] = optarg;
            continue;
        }
        if (c == 'h') {
            printf("Usage: %s %s\n\n%s", prog, s->usage, s->help);
            return 1;
        }
        const struct sp_cli_opt *o = NULL;
        for (size_t i = 0; i < n && !o; i++)
            if (c == (s->opts[i].short_name ? s->opts[i].short_name : (int)(256 + i)))
                o = &s->opts[i];
        if (!o)
            return sp_cli_bad_option(err, s->cmd, argc, argv, optopt);
        if (o->value)
            *o->value = optarg;
        else
            *o->flag = true;
    }
    /* Positionals after "--" or (without permute) from the first one on. */
    for (int i = optind; i < argc; i++)
        pos[npos++] = argv[i];
    if (npos < s->min_args)
        return sp_err(err, 0, "%s: missing %s", s->cmd, s->arg);
    if (s->max_args >= 0 && npos > s->max_args)
        return sp_err(err, 0, "%s: unexpected argument '%s'", s->cmd, pos[s->max_args]);
    /* The command reads its positionals from argv[*first...], in order. */
    for (int i = 0; i < npos; i++)
        argv[argc - npos + i] = pos[i];
    *first = argc - npos;
    return 0;
}

int sp_cli_parse_format(const char *cmd, const char *help, int argc, char **argv,
                        const char **format, sp_error **err)
{
    _cleanup_free_ char *name = sp_xasprintf("septa %s", cmd);
    _cleanup_free_ char *usage = sp_xasprintf("%s [--format text|json]", cmd);
    *format = "text";
    const struct sp_cli_opt opts[] = {{"format", 'f', NULL, format}, {0}};
    const struct sp_cli_spec spec = {
        .cmd = name, .usage = usage, .help = help, .max_args = 0, .opts = opts,
    };
    int first = 0;
    int r = sp_cli_parse(&spec, "septa", argc, argv, &first, err);
    if (r != 0)
        return r;
    return sp_cli_check_format(name, *format, err);
}
