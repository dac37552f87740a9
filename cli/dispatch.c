/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Subcommand dispatch shared by every command group. */
#include "cli.h"

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
