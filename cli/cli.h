/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal to cli/: the command table and the parsed global options. */
#ifndef SEPTA_CLI_H
#define SEPTA_CLI_H

#include "common.h"

/* The parsed command line: septa's only program-wide state. */
struct sp_globals {
    const char *root;       /* runtime state (--root, SEPTA_ROOT, /run/septa) */
    const char *data_root;  /* images, switches, partitions (--data-root, SEPTA_DATA_ROOT) */
    const char *log_path;
    enum sp_log_format log_format;
    bool debug;
    bool systemd_cgroup;
    const char *prog;       /* "septa" or "septa oci" etc., for messages */
};

/* A command returns its exit status; on failure it fills *err and returns -1. */
typedef int (*sp_cmd_fn)(struct sp_globals *g, int argc, char **argv, sp_error **err);

struct sp_command {
    const char *name;
    const char *summary;
    sp_cmd_fn fn;
};

/* Run the subcommand named argv[0] from `table`; prints usage on --help. */
int sp_cli_dispatch(struct sp_globals *g, const char *group, const struct sp_command *table,
                    size_t n, int argc, char **argv, sp_error **err);
void sp_cli_print_commands(FILE *out, const struct sp_command *table, size_t n);

/* --format must be text or json; the error names the command. */
int sp_cli_check_format(const char *cmd, const char *format, sp_error **err);

/*
 * A command whose options are flags and single values: the option table,
 * --help and the count of positional arguments in one place.
 */
struct sp_cli_opt {
    const char *name;    /* long name, without "--" */
    char short_name;     /* 0 for none */
    bool *flag;          /* a flag: set to true when given */
    const char **value;  /* or an option with a value: the last one given */
};

struct sp_cli_spec {
    const char *cmd;     /* in messages: "delete", "septa network rm" */
    const char *usage;   /* after "Usage: PROG ": "delete [--force] ID" */
    const char *help;    /* the rest of --help, after a blank line */
    const char *arg;     /* a positional, for "missing ARG": "container ID" */
    int min_args;
    int max_args;        /* -1: no limit */
    bool permute;        /* options may follow positionals (else they end at the first) */
    const struct sp_cli_opt *opts; /* ends with {0}; NULL for none */
};

/*
 * Parse argv by `s`: 1 when --help was printed (the command then returns 0),
 * 0 with *first the index of the first positional, -1 with *err set.
 */
int sp_cli_parse(const struct sp_cli_spec *s, const char *prog, int argc, char **argv, int *first,
                 sp_error **err);

/*
 * The commonest simple command: `septa CMD [--format text|json]`, no
 * arguments.  cmd is "gc", "system df"...; help follows the usage line.
 * Returns as sp_cli_parse, with *format checked.
 */
int sp_cli_parse_format(const char *cmd, const char *help, int argc, char **argv,
                        const char **format, sp_error **err);

/* getopt error helper: one line naming the option. */
int sp_cli_bad_option(sp_error **err, const char *cmd, int argc, char **argv, int optopt_c);

/* Commands (one file each). */
int sp_cmd_oci(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_oci_create(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_oci_start(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_oci_state(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_oci_kill(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_oci_delete(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_oci_run(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_oci_exec(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_oci_list(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_oci_ps(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_oci_features(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_oci_spec(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_oci_pause(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_oci_resume(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_oci_update(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_oci_events(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_stats(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_image(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_load(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_save(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_images(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_rmi(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_tag(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_gc(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_system(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_volume(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_disk(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_pull(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_run(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_monitor(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_monitor_spawn(struct sp_globals *g, const char *id, sp_error **err);
int sp_cmd_logs(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_start(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_wait(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_ps(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_rm(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_inspect(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_kill(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_stop(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_exec(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_network(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_version(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_topology(struct sp_globals *g, int argc, char **argv, sp_error **err);
int sp_cmd_partition(struct sp_globals *g, int argc, char **argv, sp_error **err);

#endif
