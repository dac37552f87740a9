/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Image config + the options people type -> an OCI runtime config.  The
 * defaults follow podman's: its default capability set, masked and read-only
 * /proc paths, a seccomp filter refusing the syscalls containers have no
 * business making, private namespaces.
 */
#include "images.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static const char *const default_caps[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE",     "CAP_FOWNER",     "CAP_FSETID",
    "CAP_KILL",    "CAP_NET_BIND_SERVICE", "CAP_SETFCAP",    "CAP_SETGID",
    "CAP_SETPCAP", "CAP_SETUID",           "CAP_SYS_CHROOT",
};

static const char *const all_caps[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

/*
 * Refused with EPERM: kernel modules, kexec, raw I/O ports, clocks, swap,
 * accounting, keyrings, bpf, perf, handle-based opens (the shocker escape),
 * userfaultfd, and new mount API / namespace calls a dropped CAP_SYS_ADMIN
 * would refuse anyway (kept here for defence in depth).
 */
static const char *const denied_syscalls[] = {
    "acct",
    "add_key",
    "bpf",
    "clock_adjtime",
    "clock_settime",
    "create_module",
    "delete_module",
    "finit_module",
    "fsconfig",
    "fsmount",
    "fsopen",
    "fspick",
    "get_kernel_syms",
    "init_module",
    "ioperm",
    "iopl",
    "kcmp",
    "kexec_file_load",
    "kexec_load",
    "keyctl",
    "lookup_dcookie",
    "move_mount",
    "nfsservctl",
    "open_by_handle_at",
    "open_tree",
    "perf_event_open",
    "personality",
    "pivot_root",
    "process_vm_readv",
    "process_vm_writev",
    "query_module",
    "quotactl",
    "reboot",
    "request_key",
    "setns",
    "settimeofday",
    "stime",
    "swapoff",
    "swapon",
    "syslog",
    "umount",
    "umount2",
    "unshare",
    "uselib",
    "userfaultfd",
    "ustat",
    "vm86",
    "vm86old",
};

static const char *const masked_paths[] = {
    "/proc/acpi",        "/proc/kcore",
    "/proc/keys",        "/proc/latency_stats",
    "/proc/timer_list",  "/proc/timer_stats",
    "/proc/sched_debug", "/proc/scsi",
    "/sys/firmware",     "/sys/devices/virtual/powercap",
};

static const char *const readonly_paths[] = {
    "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static json_t *strv_json(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

/* "net_admin", "CAP_NET_ADMIN", "Net_Admin" -> "CAP_NET_ADMIN"; "ALL" stays. */
static int cap_normalize(const char *in, char **out, sp_error **err)
{
    if (strcasecmp(in, "all") == 0) {
        *out = sp_xstrdup("ALL");
        return 0;
    }
    const char *base = strncasecmp(in, "cap_", 4) == 0 ? in + 4 : in;
    char *c = sp_xasprintf("CAP_%s", base);
    for (char *p = c; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    for (size_t i = 0; i < SP_ARRAY_SIZE(all_caps); i++) {
        if (strcmp(all_caps[i], c) == 0) {
            *out = c;
            return 0;
        }
    }
    free(c);
    return sp_err(err, EINVAL, "unknown capability '%s'", in);
}

static int caps_compute(const struct sp_run_opts *o, json_t **out, sp_error **err)
{
    bool set[SP_ARRAY_SIZE(all_caps)] = {false};
    for (size_t i = 0; i < SP_ARRAY_SIZE(all_caps); i++)
        for (size_t k = 0; k < SP_ARRAY_SIZE(default_caps); k++)
            if (strcmp(all_caps[i], default_caps[k]) == 0)
                set[i] = true;
    /* Drops first, then adds: "--cap-drop ALL --cap-add NET_BIND_SERVICE" works. */
    for (int pass = 0; pass < 2; pass++) {
        char **list = pass == 0 ? o->cap_drop : o->cap_add;
        for (size_t k = 0; list && list[k]; k++) {
            _cleanup_free_ char *c = NULL;
            if (cap_normalize(list[k], &c, err) < 0)
                return sp_err_wrap(err, pass == 0 ? "--cap-drop" : "--cap-add");
            for (size_t i = 0; i < SP_ARRAY_SIZE(all_caps); i++)
                if (strcmp(c, "ALL") == 0 || strcmp(c, all_caps[i]) == 0)
                    set[i] = pass == 1;
        }
    }
    json_t *a = json_array();
    for (size_t i = 0; i < SP_ARRAY_SIZE(all_caps); i++)
        if (set[i])
            json_array_append_new(a, json_string(all_caps[i]));
    *out = a;
    return 0;
}

/* ---- users ---------------------------------------------------------------- */

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Read an /etc file of the image, confined to its root; absent is empty. */
static char *read_image_file(const char *rootfs, const char *path)
{
    _cleanup_error_ sp_error *e = NULL;
    _cleanup_close_ int root = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return sp_xstrdup("");
    _cleanup_close_ int fd = sp_open_in_root(root, path, O_RDONLY | O_CLOEXEC, 0, &e);
    if (fd < 0)
        return sp_xstrdup("");
    /* The fd was opened confined; reading it through /proc/self/fd does not
     * resolve the path again. */
    char *text = NULL;
    size_t len = 0;
    _cleanup_free_ char *p = sp_xasprintf("/proc/self/fd/%d", fd);
    if (sp_read_file(AT_FDCWD, p, 4u << 20, &text, &len, &e) < 0)
        return sp_xstrdup("");
    return text;
}

/* Find a line whose field 0 (name) or field 2 (id) matches; fields split on ':'. */
static bool find_entry(const char *text, const char *key, bool by_id, char fields[][256],
                       size_t nfields)
{
    const char *line = text;
    while (line && *line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        size_t f = 0, start = 0;
        for (size_t i = 0; i <= len && f < nfields; i++) {
            if (i == len || line[i] == ':') {
                size_t n = i - start < 255 ? i - start : 255;
                memcpy(fields[f], line + start, n);
                fields[f][n] = '\0';
                f++;
                start = i + 1;
            }
        }
        for (; f < nfields; f++)
            fields[f][0] = '\0';
        if (strcmp(by_id ? fields[2] : fields[0], key) == 0)
            return true;
        line = end ? end + 1 : NULL;
    }
    return false;
}

int sp_image_resolve_user(const char *rootfs, const char *spec, uid_t *uid, gid_t *gid,
                          json_t **additional_gids, sp_error **err)
{
    _cleanup_free_ char *user = sp_xstrdup(spec && *spec ? spec : "0");
    char *group = strchr(user, ':');
    if (group)
        *group++ = '\0';
    _cleanup_free_ char *passwd = read_image_file(rootfs, "/etc/passwd");
    _cleanup_free_ char *groups = read_image_file(rootfs, "/etc/group");
    char f[7][256];
    const char *uname = NULL;
    if (all_digits(user)) {
        int64_t v = 0;
        if (sp_parse_i64(user, 0, UINT32_MAX - 1, &v, err) < 0)
            return sp_err_wrap(err, "user '%s'", spec);
        *uid = (uid_t)v;
        *gid = 0;
        if (find_entry(passwd, user, true, f, 7)) {
            *gid = (gid_t)strtoul(f[3], NULL, 10);
            uname = NULL;
        }
    } else {
        if (!find_entry(passwd, user, false, f, 7))
            return sp_err(err, ENOENT, "user '%s': not found in the image's /etc/passwd", user);
        if (!all_digits(f[2]) || !all_digits(f[3]))
            return sp_err(err, EINVAL, "user '%s': bad entry in the image's /etc/passwd", user);
        *uid = (uid_t)strtoul(f[2], NULL, 10);
        *gid = (gid_t)strtoul(f[3], NULL, 10);
        uname = user;
    }
    if (group && *group) {
        if (all_digits(group)) {
            int64_t v = 0;
            if (sp_parse_i64(group, 0, UINT32_MAX - 1, &v, err) < 0)
                return sp_err_wrap(err, "group '%s'", group);
            *gid = (gid_t)v;
        } else {
            char g[4][256];
            if (!find_entry(groups, group, false, g, 4) || !all_digits(g[2]))
                return sp_err(err, ENOENT, "group '%s': not found in the image's /etc/group",
                              group);
            *gid = (gid_t)strtoul(g[2], NULL, 10);
        }
    }
    /* Supplementary groups: every group listing the user by name. */
    json_t *extra = json_array();
    if (uname) {
        const char *line = groups;
        while (line && *line) {
            const char *end = strchr(line, '\n');
            _cleanup_free_ char *l = end ? strndup(line, (size_t)(end - line)) : sp_xstrdup(line);
            char *fields[4] = {0};
            char *p = l;
            for (int i = 0; i < 4 && p; i++) {
                fields[i] = p;
                p = strchr(p, ':');
                if (p)
                    *p++ = '\0';
            }
            if (fields[3] && fields[2] && all_digits(fields[2])) {
                char *save = NULL;
                for (char *m = strtok_r(fields[3], ",", &save); m; m = strtok_r(NULL, ",", &save)) {
                    gid_t g = (gid_t)strtoul(fields[2], NULL, 10);
                    if (strcmp(m, uname) == 0 && g != *gid)
                        json_array_append_new(extra, json_integer(g));
                }
            }
            line = end ? end + 1 : NULL;
        }
    }
    *additional_gids = extra;
    return 0;
}

/* ---- the config ----------------------------------------------------------- */

static json_t *mount_obj(const char *dest, const char *type, const char *source,
                         const char *const *opts, size_t nopts)
{
    return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source", source,
                     "options", strv_json(opts, nopts));
}

static void env_set(json_t *env, const char *kv)
{
    const char *eq = strchr(kv, '=');
    size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);
    size_t i;
    json_t *v;
    json_array_foreach(env, i, v)
    {
        const char *s = json_string_value(v);
        if (s && strncmp(s, kv, klen) == 0 && (s[klen] == '=' || s[klen] == '\0')) {
            json_array_set_new(env, i, json_string(kv));
            return;
        }
    }
    json_array_append_new(env, json_string(kv));
}

static bool env_has(json_t *env, const char *key)
{
    size_t klen = strlen(key), i;
    json_t *v;
    json_array_foreach(env, i, v)
    {
        const char *s = json_string_value(v);
        if (s && strncmp(s, key, klen) == 0 && s[klen] == '=')
            return true;
    }
    return false;
}

static int add_volume(json_t *mounts, const char *spec, sp_error **err)
{
    _cleanup_free_ char *s = sp_xstrdup(spec);
    char *dst = strchr(s, ':');
    if (!dst)
        return sp_err(err, EINVAL, "-v '%s': expected HOST:CONTAINER[:ro|rw]", spec);
    *dst++ = '\0';
    char *mode = strchr(dst, ':');
    if (mode)
        *mode++ = '\0';
    if (s[0] != '/')
        return sp_err(err, EINVAL, "-v '%s': the host path must be absolute", spec);
    if (dst[0] != '/')
        return sp_err(err, EINVAL, "-v '%s': the container path must be absolute", spec);
    bool ro = false;
    if (mode && strcmp(mode, "ro") == 0)
        ro = true;
    else if (mode && strcmp(mode, "rw") != 0 && *mode)
        return sp_err(err, EINVAL, "-v '%s': unknown mode '%s' (ro or rw)", spec, mode);
    if (access(s, F_OK) < 0)
        return sp_err(err, errno, "-v '%s': %s", spec, s);
    const char *opts[] = {"rbind", ro ? "ro" : "rw", "rprivate"};
    _cleanup_free_ char *clean = sp_path_clean(dst);
    json_array_append_new(mounts, mount_obj(clean, "bind", s, opts, 3));
    return 0;
}

static int add_tmpfs(json_t *mounts, const char *spec, sp_error **err)
{
    _cleanup_free_ char *s = sp_xstrdup(spec);
    char *opts = strchr(s, ':');
    if (opts)
        *opts++ = '\0';
    if (s[0] != '/')
        return sp_err(err, EINVAL, "--tmpfs '%s': the path must be absolute", spec);
    json_t *o = json_array();
    json_array_append_new(o, json_string("nosuid"));
    json_array_append_new(o, json_string("nodev"));
    if (opts && *opts) {
        char *save = NULL;
        for (char *t = strtok_r(opts, ",", &save); t; t = strtok_r(NULL, ",", &save))
            json_array_append_new(o, json_string(t));
    }
    _cleanup_free_ char *clean = sp_path_clean(s);
    json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:o}", "destination", clean, "type",
                                            "tmpfs", "source", "tmpfs", "options", o));
    return 0;
}

static json_t *default_mounts(void)
{
    json_t *m = json_array();
    static const char *const proc[] = {"nosuid", "noexec", "nodev"};
    static const char *const dev[] = {"nosuid", "strictatime", "mode=755", "size=65536k"};
    static const char *const pts[] = {"nosuid",        "noexec",    "newinstance",
                                      "ptmxmode=0666", "mode=0620", "gid=5"};
    static const char *const shm[] = {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"};
    static const char *const mq[] = {"nosuid", "noexec", "nodev"};
    static const char *const sys[] = {"nosuid", "noexec", "nodev", "ro"};
    static const char *const cg[] = {"nosuid", "noexec", "nodev", "relatime", "ro"};
    json_array_append_new(m, mount_obj("/proc", "proc", "proc", proc, 3));
    json_array_append_new(m, mount_obj("/dev", "tmpfs", "tmpfs", dev, 4));
    json_array_append_new(m, mount_obj("/dev/pts", "devpts", "devpts", pts, 6));
    json_array_append_new(m, mount_obj("/dev/shm", "tmpfs", "shm", shm, 5));
    json_array_append_new(m, mount_obj("/dev/mqueue", "mqueue", "mqueue", mq, 3));
    json_array_append_new(m, mount_obj("/sys", "sysfs", "sysfs", sys, 4));
    json_array_append_new(m, mount_obj("/sys/fs/cgroup", "cgroup", "cgroup", cg, 5));
    return m;
}

static json_t *seccomp_profile(void)
{
    json_t *names = strv_json(denied_syscalls, SP_ARRAY_SIZE(denied_syscalls));
    return json_pack("{s:s, s:[s, s, s], s:[{s:o, s:s, s:i}]}", "defaultAction", "SCMP_ACT_ALLOW",
                     "architectures", "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
                     "syscalls", "names", names, "action", "SCMP_ACT_ERRNO", "errnoRet", EPERM);
}

static int resources(const struct sp_run_opts *o, json_t **out, sp_error **err)
{
    json_t *r = json_object();
    if (o->memory || o->memory_swap) {
        if (o->memory_swap && o->memory && o->memory_swap < o->memory) {
            json_decref(r);
            return sp_err(err, EINVAL, "--memory-swap must be at least --memory");
        }
        json_t *m = json_object();
        if (o->memory)
            json_object_set_new(m, "limit", json_integer((json_int_t)o->memory));
        if (o->memory_swap)
            json_object_set_new(m, "swap", json_integer((json_int_t)o->memory_swap));
        json_object_set_new(r, "memory", m);
    }
    if (o->pids_limit)
        json_object_set_new(r, "pids", json_pack("{s:I}", "limit", (json_int_t)o->pids_limit));
    if (o->cpus_milli || o->cpu_weight || o->cpuset_cpus || o->cpuset_mems) {
        json_t *c = json_object();
        if (o->cpus_milli) {
            json_object_set_new(c, "period", json_integer(100000));
            json_object_set_new(c, "quota", json_integer((json_int_t)o->cpus_milli * 100));
        }
        if (o->cpu_weight) {
            if (o->cpu_weight > 10000) {
                json_decref(c);
                json_decref(r);
                return sp_err(err, EINVAL, "--cpu-weight must be in 1..10000");
            }
            /* The inverse of the runtime's shares -> weight conversion (crun's). */
            uint64_t shares = 2 + ((o->cpu_weight - 1) * 262142) / 9999;
            json_object_set_new(c, "shares", json_integer((json_int_t)shares));
        }
        if (o->cpuset_cpus)
            json_object_set_new(c, "cpus", json_string(o->cpuset_cpus));
        if (o->cpuset_mems)
            json_object_set_new(c, "mems", json_string(o->cpuset_mems));
        json_object_set_new(r, "cpu", c);
    }
    *out = r;
    return 0;
}

int sp_image_runtime_config(json_t *image_config, const char *rootfs, const struct sp_run_opts *o,
                            json_t **out, sp_error **err)
{
    json_t *ic = json_object_get(image_config, "config");
    if (ic && !json_is_object(ic))
        return sp_err(err, EINVAL, "image config: config: expected an object");

    /* args: Entrypoint + Cmd, as docker: --entrypoint clears the image's Cmd. */
    _cleanup_json_ json_t *args = json_array();
    json_t *ep = json_object_get(ic, "Entrypoint"), *cmd = json_object_get(ic, "Cmd");
    if (o->entrypoint) {
        if (*o->entrypoint)
            json_array_append_new(args, json_string(o->entrypoint));
        cmd = NULL;
    } else if (json_is_array(ep)) {
        json_array_extend(args, ep);
    }
    if (o->cmd && o->cmd[0]) {
        for (size_t i = 0; o->cmd[i]; i++)
            json_array_append_new(args, json_string(o->cmd[i]));
    } else if (json_is_array(cmd)) {
        json_array_extend(args, cmd);
    }
    size_t i;
    json_t *v;
    json_array_foreach(args, i, v)
    {
        if (!json_is_string(v))
            return sp_err(err, EINVAL, "image config: Entrypoint/Cmd: expected strings");
    }
    if (json_array_size(args) == 0)
        return sp_err_status(err, SP_EXIT_SEPTA, 0,
                             "no command: the image has no Entrypoint "
                             "or Cmd and none was given");

    _cleanup_json_ json_t *env = json_array();
    json_array_foreach(json_object_get(ic, "Env"), i, v)
    {
        if (json_is_string(v))
            env_set(env, json_string_value(v));
    }
    for (size_t k = 0; o->env && o->env[k]; k++) {
        const char *kv = o->env[k];
        if (!*kv || kv[0] == '=')
            return sp_err(err, EINVAL, "-e '%s': expected KEY=VALUE", kv);
        if (!strchr(kv, '=')) {
            /* "-e KEY" passes septa's own value, as docker does; unset drops it. */
            const char *val = getenv(kv);
            if (!val)
                continue;
            _cleanup_free_ char *full = sp_xasprintf("%s=%s", kv, val);
            env_set(env, full);
            continue;
        }
        env_set(env, kv);
    }
    if (!env_has(env, "PATH"))
        env_set(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    if (o->tty && !env_has(env, "TERM"))
        env_set(env, "TERM=xterm");
    const char *hostname = o->hostname ? o->hostname : "septa";
    if (!env_has(env, "HOSTNAME")) {
        _cleanup_free_ char *h = sp_xasprintf("HOSTNAME=%s", hostname);
        env_set(env, h);
    }

    const char *cwd =
        o->workdir ? o->workdir : json_string_value(json_object_get(ic, "WorkingDir"));
    if (!cwd || !*cwd)
        cwd = "/";
    if (cwd[0] != '/')
        return sp_err(err, EINVAL, "working directory '%s' must be absolute", cwd);

    const char *uspec = o->user ? o->user : json_string_value(json_object_get(ic, "User"));
    uid_t uid = 0;
    gid_t gid = 0;
    json_t *gids = NULL;
    if (sp_image_resolve_user(rootfs, uspec, &uid, &gid, &gids, err) < 0)
        return sp_err_wrap(err, o->user ? "-u" : "image config: User");
    _cleanup_json_ json_t *gidsg = gids;

    json_t *caps = NULL;
    if (caps_compute(o, &caps, err) < 0)
        return -1;
    _cleanup_json_ json_t *capsg = caps;

    _cleanup_json_ json_t *mounts = default_mounts();
    if (o->read_only) {
        static const char *const dirs[] = {"/tmp", "/var/tmp", "/run"};
        for (size_t k = 0; k < SP_ARRAY_SIZE(dirs); k++)
            if (add_tmpfs(mounts, dirs[k], err) < 0)
                return -1;
    }
    for (size_t k = 0; o->volumes && o->volumes[k]; k++)
        if (add_volume(mounts, o->volumes[k], err) < 0)
            return -1;
    for (size_t k = 0; o->tmpfs && o->tmpfs[k]; k++)
        if (add_tmpfs(mounts, o->tmpfs[k], err) < 0)
            return -1;

    json_t *res = NULL;
    if (resources(o, &res, err) < 0)
        return -1;
    _cleanup_json_ json_t *resg = res;

    /* podman's 1048576 open files, capped by septa's own hard limit: raising
     * a hard limit fails on hosts that forbid it even for root. */
    struct rlimit rl = {.rlim_max = 1048576};
    json_int_t nofile = 1048576;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
        rl.rlim_max < (rlim_t)nofile)
        nofile = (json_int_t)rl.rlim_max;
    const char *stop = json_string_value(json_object_get(ic, "StopSignal"));
    json_t *process = json_pack(
        "{s:b, s:{s:I, s:I, s:O}, s:O, s:O, s:s, s:{s:O, s:O, s:O}, s:[{s:s, s:I, s:I}], s:b}",
        "terminal", o->tty, "user", "uid", (json_int_t)uid, "gid", (json_int_t)gid,
        "additionalGids", gids, "args", args, "env", env, "cwd", cwd, "capabilities", "bounding",
        caps, "effective", caps, "permitted", caps, "rlimits", "type", "RLIMIT_NOFILE", "hard",
        nofile, "soft", nofile, "noNewPrivileges", false);
    /* No ambient set: a non-root user loses its capabilities at exec, as with
     * docker and podman, unless the binary carries file capabilities. */

    json_t *linux_ = json_pack(
        "{s:[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}, {s:s}], s:o, s:o, s:o, s:O}", "namespaces", "type",
        "pid", "type", "network", "type", "ipc", "type", "uts", "type", "mount", "type", "cgroup",
        "maskedPaths", strv_json(masked_paths, SP_ARRAY_SIZE(masked_paths)), "readonlyPaths",
        strv_json(readonly_paths, SP_ARRAY_SIZE(readonly_paths)), "seccomp",
        o->seccomp_unconfined ? json_null() : seccomp_profile(), "resources", res);
    if (o->seccomp_unconfined)
        json_object_del(linux_, "seccomp");

    *out = json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:O, s:o, s:{s:s}}", "ociVersion", "1.2.0",
                     "process", process, "root", "path", rootfs, "readonly", o->read_only,
                     "hostname", hostname, "mounts", mounts, "linux", linux_, "annotations",
                     "org.opencontainers.image.stopSignal", stop && *stop ? stop : "SIGTERM");
    return 0;
}
