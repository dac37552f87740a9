/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The documents septa generates rather than reads: the default config.json
 * (`septa oci spec`, like `runc spec`) and the `features` document that tells
 * engines what this runtime accepts.
 */
#include "runtime.h"

#include <string.h>

static const char *const default_caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
                                           NULL};

static json_t *strv_json(const char *const *v)
{
    json_t *a = json_array();
    for (; *v; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

static json_t *mount_json(const char *dest, const char *type, const char *src,
                          const char *const *opts)
{
    json_t *m = json_pack("{s:s, s:s, s:s}", "destination", dest, "type", type, "source", src);
    if (opts)
        json_object_set_new(m, "options", strv_json(opts));
    return m;
}

json_t *sp_spec_default(bool rootless)
{
    json_t *caps = json_object();
    const char *sets[] = {"bounding", "effective", "permitted"};
    for (size_t i = 0; i < SP_ARRAY_SIZE(sets); i++)
        json_object_set_new(caps, sets[i], strv_json(default_caps));

    json_t *process =
        json_pack("{s:b, s:{s:i, s:i}, s:[s], s:[s, s], s:s, s:o, s:[{s:s, s:i, s:i}], s:b}",
                  "terminal", 1, "user", "uid", 0, "gid", 0, "args", "sh", "env",
                  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
                  "cwd", "/", "capabilities", caps, "rlimits", "type", "RLIMIT_NOFILE", "hard",
                  1024, "soft", 1024, "noNewPrivileges", 1);

    static const char *const nosuid_strict[] = {"nosuid", "strictatime", "mode=755", "size=65536k",
                                                NULL};
    static const char *const pts[] = {"nosuid",    "noexec", "newinstance", "ptmxmode=0666",
                                      "mode=0620", "gid=5",  NULL};
    static const char *const pts_rootless[] = {"nosuid",        "noexec",    "newinstance",
                                               "ptmxmode=0666", "mode=0620", NULL};
    static const char *const shm[] = {"nosuid",    "noexec",      "nodev",
                                      "mode=1777", "size=65536k", NULL};
    static const char *const mq[] = {"nosuid", "noexec", "nodev", NULL};
    static const char *const sys[] = {"nosuid", "noexec", "nodev", "ro", NULL};
    static const char *const sys_rootless[] = {"rbind", "nosuid", "noexec", "nodev", "ro", NULL};
    static const char *const cg[] = {"nosuid", "noexec", "nodev", "relatime", "ro", NULL};
    json_t *mounts = json_array();
    json_array_append_new(mounts, mount_json("/proc", "proc", "proc", NULL));
    json_array_append_new(mounts, mount_json("/dev", "tmpfs", "tmpfs", nosuid_strict));
    json_array_append_new(
        mounts, mount_json("/dev/pts", "devpts", "devpts", rootless ? pts_rootless : pts));
    json_array_append_new(mounts, mount_json("/dev/shm", "tmpfs", "shm", shm));
    json_array_append_new(mounts, mount_json("/dev/mqueue", "mqueue", "mqueue", mq));
    if (rootless)
        json_array_append_new(mounts, mount_json("/sys", "none", "/sys", sys_rootless));
    else
        json_array_append_new(mounts, mount_json("/sys", "sysfs", "sysfs", sys));
    if (!rootless)
        json_array_append_new(mounts, mount_json("/sys/fs/cgroup", "cgroup", "cgroup", cg));

    static const char *const masked[] = {"/proc/acpi",
                                         "/proc/asound",
                                         "/proc/kcore",
                                         "/proc/keys",
                                         "/proc/latency_stats",
                                         "/proc/timer_list",
                                         "/proc/timer_stats",
                                         "/proc/sched_debug",
                                         "/sys/firmware",
                                         "/proc/scsi",
                                         NULL};
    static const char *const readonly[] = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};
    json_t *ns = json_array();
    const char *kinds[] = {"pid", "network", "ipc", "uts", "mount", "cgroup"};
    for (size_t i = 0; i < SP_ARRAY_SIZE(kinds); i++)
        json_array_append_new(ns, json_pack("{s:s}", "type", kinds[i]));
    if (rootless)
        json_array_append_new(ns, json_pack("{s:s}", "type", "user"));

    json_t *lx = json_pack("{s:o, s:o, s:o}", "namespaces", ns, "maskedPaths", strv_json(masked),
                           "readonlyPaths", strv_json(readonly));
    if (rootless) {
        json_object_set_new(
            lx, "uidMappings",
            json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID", 1000, "size", 1));
        json_object_set_new(
            lx, "gidMappings",
            json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID", 1000, "size", 1));
    } else {
        json_object_set_new(lx, "resources",
                            json_pack("{s:[{s:b, s:s}]}", "devices", "allow", 0, "access", "rwm"));
    }
    return json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion", SP_OCI_VERSION,
                     "process", process, "root", "path", "rootfs", "readonly", 1, "hostname",
                     "septa", "mounts", mounts, "linux", lx);
}

json_t *sp_runtime_features(void)
{
    static const char *const mount_options[] = {
        "async",      "atime",         "bind",    "defaults", "dev",         "diratime", "dirsync",
        "exec",       "mand",          "noatime", "nodev",    "nodiratime",  "noexec",   "nomand",
        "norelatime", "nostrictatime", "nosuid",  "private",  "rbind",       "relatime", "remount",
        "ro",         "rprivate",      "rshared", "rslave",   "runbindable", "rw",       "shared",
        "slave",      "strictatime",   "suid",    "sync",     "unbindable",
        /* mount_setattr(AT_RECURSIVE) and id-mapped mounts (config.c, linux.c) */
        "idmap",      "ridmap",        "rro",     "rrw",      "rnosuid",     "rsuid",    "rnodev",
        "rdev",       "rnoexec",       "rexec",   "rnoatime", "ratime",      "rrelatime",
        "rnorelatime", "rstrictatime", "rnodiratime", "rdiratime", "rnosymfollow", "rsymfollow",
        NULL};
    static const char *const ns[] = {"cgroup", "ipc",  "mount", "network", "pid",
                                     "time",   "user", "uts",   NULL};
    static const char *const hooks[] = {
        "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
        NULL};
    json_t *lx = json_pack("{s:o, s:{s:b, s:b}, s:{s:b}}", "namespaces", strv_json(ns), "cgroup",
                           "v1", 1, "v2", 1, "apparmor", "enabled", 0);
    json_object_set_new(lx, "mountExtensions", json_pack("{s:{s:b}}", "idmap", "enabled", 1));
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:{s:s}}", "ociVersionMin", "1.0.0",
                     "ociVersionMax", SP_OCI_VERSION, "hooks", strv_json(hooks), "mountOptions",
                     strv_json(mount_options), "linux", lx, "annotations",
                     "org.opencontainers.runc.checkpoint.enabled", "false");
}
