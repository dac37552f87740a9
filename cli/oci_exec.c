/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa oci exec [OPTIONS] ID [COMMAND ARGS...]`: run a process in a container. */
#include "cli.h"
#include "runtime.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>

int sp_oci_exec(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    enum {
        OPT_PID = 256,
        OPT_CONSOLE,
        OPT_CWD,
        OPT_PRESERVE,
        OPT_NNP,
        OPT_LABEL,
        OPT_AA,
        OPT_CAP,
        OPT_IGNORE_PAUSED
    };
    static const struct option opts[] = {
        {"process", required_argument, NULL, 'p'},
        {"tty", no_argument, NULL, 't'},
        {"detach", no_argument, NULL, 'd'},
        {"pid-file", required_argument, NULL, OPT_PID},
        {"console-socket", required_argument, NULL, OPT_CONSOLE},
        {"cwd", required_argument, NULL, OPT_CWD},
        {"env", required_argument, NULL, 'e'},
        {"user", required_argument, NULL, 'u'},
        {"preserve-fds", required_argument, NULL, OPT_PRESERVE},
        {"no-new-privs", no_argument, NULL, OPT_NNP},
        {"process-label", required_argument, NULL, OPT_LABEL},
        {"apparmor", required_argument, NULL, OPT_AA},
        {"cap", required_argument, NULL, OPT_CAP},
        {"ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    struct sp_exec_opts o = {0};
    _cleanup_free_ char **env = sp_xcalloc((size_t)argc + 1, sizeof(char *));
    _cleanup_free_ char **caps = sp_xcalloc((size_t)argc + 1, sizeof(char *));
    size_t nenv = 0, ncaps = 0;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+p:tde:u:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            o.process_file = optarg;
            break;
        case 't':
            o.tty = true;
            break;
        case 'd':
            o.detach = true;
            break;
        case OPT_PID:
            o.pid_file = optarg;
            break;
        case OPT_CONSOLE:
            o.console_socket = optarg;
            break;
        case OPT_CWD:
            o.cwd = optarg;
            break;
        case 'e':
            env[nenv++] = optarg;
            break;
        case 'u':
            o.user = optarg;
            break;
        case OPT_PRESERVE: {
            int64_t n;
            if (sp_parse_i64(optarg, 0, 1000, &n, err) < 0)
                return sp_err_wrap(err, "exec: --preserve-fds");
            o.preserve_fds = (int)n;
            break;
        }
        case OPT_IGNORE_PAUSED:
            break;
        case OPT_NNP:
            o.no_new_privs = true;
            break;
        case OPT_LABEL:
            o.process_label = optarg;
            break;
        case OPT_AA:
            o.apparmor = optarg;
            break;
        case OPT_CAP:
            caps[ncaps++] = optarg;
            break;
        case 'h':
            printf("Usage: %s exec [OPTIONS] ID [COMMAND [ARG...]]\n\n"
                   "Run a new process in a running container: the container's process settings\n"
                   "(env, capabilities, seccomp, ...) with the overrides below, or exactly the\n"
                   "process object in --process FILE.\n\n"
                   "  -p, --process FILE      process.json (runtime-spec process object)\n"
                   "  -t, --tty               allocate a pty in the container\n"
                   "  -d, --detach            do not wait for the process\n"
                   "      --pid-file FILE     write the process's host pid to FILE\n"
                   "      --console-socket S  send the pty master to the AF_UNIX socket S\n"
                   "      --cwd DIR           working directory inside the container\n"
                   "  -e, --env KEY=VALUE     add an environment variable (repeatable)\n"
                   "  -u, --user UID[:GID]    run as this user\n"
                   "      --preserve-fds N    pass N extra fds (from 3) to the process\n"
                   "      --cap CAP           add a capability (repeatable): bounding, effective,\n"
                   "                          permitted, and ambient if inheritable has it\n"
                   "      --no-new-privs      set no_new_privs for the process\n"
                   "      --apparmor PROFILE  AppArmor profile (refused if AppArmor is off)\n"
                   "      --process-label L   SELinux label (refused if SELinux is off)\n",
                   g->prog);
            return 0;
        default:
            return sp_cli_bad_option(err, "exec", argc, argv, optopt);
        }
    }
    if (optind >= argc)
        return sp_err(err, 0, "exec: missing container ID");
    const char *id = argv[optind];
    o.args = argv + optind + 1;
    if (o.process_file && o.args[0])
        return sp_err(err, 0, "exec: give either --process or a command, not both");
    o.env = env;
    o.caps = caps;
    if (sp_runtime_protect_exe(err) < 0)
        return -1;
    int status = 0;
    if (sp_container_exec(g->root, id, &o, &status, err) < 0)
        return -1;
    return status;
}
