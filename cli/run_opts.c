/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `septa run` options that reach beyond the image: networks (net/),
 * partitions (partition/) and security (runtime/'s seccomp profile, user
 * namespaces).  images/ writes config.json; this file edits it in the bundle
 * before the runtime reads it, so that images/spec.c stays about images.
 *
 * Networking is done the way podman does it: septa makes the container's
 * network namespace itself and pins it with a bind mount on
 * <data_root>/netns/ID, gives it its ports, then names it in
 * linux.namespaces.  The namespace (and so the address) thus exists before
 * the container's init, /etc/hosts can name it, and teardown does not depend
 * on the init still being there.
 */
#include "run_opts.h"

#include "images.h"
#include "net.h"
#include "partition.h"
#include "runtime.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

/* --user-ns=auto: container ids 0..65535 map to a range images/userns.c allocates. */
#define USERNS_SIZE SP_USERNS_SIZE

char *sp_run_netns_path(const char *data_root, const char *id)
{
    char *p = sp_xasprintf("%s/netns/%s", data_root, id);
    struct stat st;
    if (lstat(p, &st) < 0) {
        free(p);
        return NULL;
    }
    return p;
}

/*
 * A new network namespace pinned on `path`: a child unshares and bind-mounts
 * its /proc/self/ns/net there (fork, because septa itself must stay in the
 * host's namespace).
 */
static int netns_make(const char *path, sp_error **err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (fd < 0)
        return sp_err(err, errno, "creating %s", path);
    close(fd);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        unlink(path);
        return sp_err(err, e, "fork");
    }
    if (pid == 0) {
        if (unshare(CLONE_NEWNET) < 0)
            _exit(1);
        /* lo up, as every container expects (ioctl: no netlink needed for one flag). */
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = {0};
        strcpy(ifr.ifr_name, "lo");
        if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
            _exit(3);
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
            _exit(3);
        if (mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0)
            _exit(2);
        _exit(0);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        unlink(path);
        return sp_err(err, 0, "making the network namespace %s: %s failed", path,
                      !WIFEXITED(st)                ? "the child died"
                      : WEXITSTATUS(st) == 1 ? "unshare(CLONE_NEWNET)"
                      : WEXITSTATUS(st) == 3 ? "bringing lo up"
                                             : "bind-mounting it");
    }
    return 0;
}

static void netns_remove(const char *path)
{
    /* MNT_DETACH: a process still inside keeps the namespace, not the file. */
    umount2(path, MNT_DETACH);
    unlink(path);
}

/*
 * Rewrite a bundle's file in place (no rename): it is bind-mounted into a
 * running container, which keeps the old inode.  A missing file is skipped.
 */
static int rewrite_in_place(const char *path, const char *text, bool create, sp_error **err)
{
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
    if (fd < 0)
        return errno == ENOENT && !create ? 0 : sp_err(err, errno, "writing %s", path);
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return sp_err(err, e, "writing %s", path);
        }
        off += (size_t)n;
    }
    close(fd);
    return 0;
}

static char *bundle_file(const char *data_root, const char *id, const char *name)
{
    return sp_xasprintf("%s/storage/containers/%s/%s", data_root, id, name);
}

/* 64 hex digits: a container's id (other owners, e.g. guests' taps, have names). */
static bool is_container_id(const char *s)
{
    size_t n = strspn(s, "0123456789abcdef");
    return n == 64 && s[n] == '\0';
}

/* Every container on a switch learns the names of the others (docker does the same). */
static void refresh_hosts(const char *data_root, const char *except)
{
    _cleanup_json_ json_t *list = NULL;
    _cleanup_error_ sp_error *e = NULL;
    if (sp_net_switch_list(data_root, &list, &e) < 0) {
        sp_warn("updating /etc/hosts of other containers: %s", e->msg);
        return;
    }
    size_t i, j;
    json_t *sw, *port;
    json_array_foreach(list, i, sw)
    {
        json_array_foreach(json_object_get(sw, "ports"), j, port)
        {
            const char *cid = json_string_value(json_object_get(port, "id"));
            if (!cid || (except && strcmp(cid, except) == 0) || !is_container_id(cid))
                continue;
            _cleanup_free_ char *path = bundle_file(data_root, cid, "hosts");
            if (access(path, F_OK) < 0)
                continue;
            _cleanup_free_ char *text = NULL;
            _cleanup_error_ sp_error *e2 = NULL;
            if (sp_net_hosts_file(data_root, cid, &text, &e2) < 0 ||
                rewrite_in_place(path, text, false, &e2) < 0)
                sp_warn("updating /etc/hosts of %.12s: %s", cid, e2->msg);
        }
    }
}

static void default_switch_release(const char *data_root);
static void userns_unshare_bundle(const char *id);

int sp_run_net_teardown(const char *data_root, const char *id, sp_error **err)
{
    int r = sp_net_detach_all(data_root, id, err);
    _cleanup_free_ char *path = sp_run_netns_path(data_root, id);
    if (path)
        netns_remove(path);
    userns_unshare_bundle(id);
    /* Its --user-ns=auto range goes back to the pool with the container. */
    _cleanup_error_ sp_error *eu = NULL;
    if (sp_userns_release(data_root, id, &eu) < 0)
        sp_warn("releasing the user namespace range of %.12s: %s", id, eu->msg);
    _cleanup_free_ char *lock = sp_xasprintf("%s/netns/%s.lock", data_root, id);
    unlink(lock);
    if (r == 0) {
        refresh_hosts(data_root, id);
        default_switch_release(data_root);
    }
    return r;
}

/*
 * The default switch: SP_NET_DEFAULT_SWITCH for the system store.  Bridge
 * names are global, so any other store (tests, a second septa) gets its own,
 * "sp0-HASH", made on first use and removed again with its last port: a
 * scratch store must not take the system's septa0 nor leave bridges behind.
 */
static bool default_switch(const char *data_root, char out[16])
{
    char real[PATH_MAX];
    if (!realpath(data_root, real) || strcmp(real, "/var/lib/septa") == 0) {
        snprintf(out, 16, "%s", SP_NET_DEFAULT_SWITCH);
        return true;
    }
    char hex[65];
    sp_sha256_hex(real, strlen(real), hex);
    snprintf(out, 16, "sp0-%.8s", hex);
    return false;
}

/*
 * A 10.x.0.0/16 no host interface has an address in (net's own choice only
 * knows this store's switches, and bridges of other stores or engines live
 * on the same host).  NULL when there is none.
 */
static char *free_subnet(const char *seed)
{
    struct ifaddrs *ifa = NULL;
    if (getifaddrs(&ifa) < 0)
        return NULL;
    unsigned start = (unsigned)strtoul((char[]){seed[0], seed[1], '\0'}, NULL, 16);
    char *out = NULL;
    for (unsigned k = 0; k < 256 && !out; k++) {
        unsigned x = (start + k) % 256;
        bool used = false;
        for (struct ifaddrs *i = ifa; i && !used; i = i->ifa_next) {
            if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
                continue;
            const uint8_t *a = (const uint8_t *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr;
            used = a[0] == 10 && a[1] == x;
        }
        if (!used)
            out = sp_xasprintf("10.%u.0.0/16", x);
    }
    freeifaddrs(ifa);
    return out;
}

static int default_switch_ensure(const char *data_root, const char *name, sp_error **err)
{
    _cleanup_json_ json_t *j = NULL;
    _cleanup_error_ sp_error *e = NULL;
    if (sp_net_switch_inspect(data_root, name, &j, &e) == 0)
        return 0;
    _cleanup_free_ char *subnet = free_subnet(name + strlen(name) - 2);
    struct sp_switch_opts so = {.isolate = true, .subnet = subnet};
    _cleanup_error_ sp_error *e2 = NULL;
    if (sp_net_switch_create(data_root, name, &so, &e2) < 0) {
        /* Another septa of this store made it meanwhile: fine. */
        if (sp_net_switch_inspect(data_root, name, &j, &e) == 0)
            return 0;
        *err = sp_steal_ptr(&e2);
        return sp_err_wrap(err, "creating the default switch %s", name);
    }
    return 0;
}

static void default_switch_release(const char *data_root)
{
    char name[16];
    if (default_switch(data_root, name))
        return; /* the system's septa0 stays */
    _cleanup_json_ json_t *j = NULL;
    _cleanup_error_ sp_error *e = NULL;
    if (sp_net_switch_inspect(data_root, name, &j, &e) < 0)
        return;
    json_t *sw = json_is_array(j) ? json_array_get(j, 0) : j;
    if (json_array_size(json_object_get(sw, "ports")) == 0)
        sp_net_switch_rm(data_root, name, false, &e); /* refused if a port came meanwhile */
}

static void add_bind(json_t *mounts, const char *src, const char *dst)
{
    json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:[s, s]}", "destination", dst,
                                            "type", "bind", "source", src, "options", "rbind",
                                            "rw"));
}

static json_t *namespace_entry(json_t *linux_, const char *type, size_t *index)
{
    size_t i;
    json_t *ns;
    json_array_foreach(json_object_get(linux_, "namespaces"), i, ns)
    {
        const char *t = json_string_value(json_object_get(ns, "type"));
        if (t && strcmp(t, type) == 0) {
            if (index)
                *index = i;
            return ns;
        }
    }
    return NULL;
}

static int apply_network(const char *data_root, const char *bundle, const char *id,
                         const char *name, const struct sp_run_extra *x, json_t *spec,
                         bool *attached, sp_error **err)
{
    json_t *linux_ = json_object_get(spec, "linux");
    const char *net = x->network;
    bool special = net && (strcmp(net, "none") == 0 || strcmp(net, "host") == 0);
    if (special && (x->publish || x->ip || x->dns))
        return sp_err(err, 0, "--network %s: -p, --ip and --dns need a switch", net);
    if (net && strcmp(net, "host") == 0) {
        size_t idx;
        if (namespace_entry(linux_, "network", &idx))
            json_array_remove(json_object_get(linux_, "namespaces"), idx);
        return 0;
    }
    /* Unprivileged ICMP sockets for group 0, so ping works without
     * CAP_NET_RAW (which containers do not get): podman's containers.conf
     * default_sysctls "net.ipv4.ping_group_range=0 0"; per network namespace,
     * so never with --network host. */
    json_t *sysctl = json_object_get(linux_, "sysctl");
    if (!json_is_object(sysctl)) {
        sysctl = json_object();
        json_object_set_new(linux_, "sysctl", sysctl);
    }
    /* Not in a user namespace: its root does not own the network namespace. */
    if (!namespace_entry(linux_, "user", NULL) &&
        !json_object_get(sysctl, "net.ipv4.ping_group_range"))
        json_object_set_new(sysctl, "net.ipv4.ping_group_range", json_string("0 0"));
    bool none = net && strcmp(net, "none") == 0;
    char defname[16];
    const char *sw = net;
    if (!sw) {
        default_switch(data_root, defname);
        sw = defname;
    }
    if (!none && sp_net_check_name("switch", sw, err) < 0)
        return -1;
    for (char **p = x->publish; p && *p; p++) {
        struct sp_publish pub;
        if (sp_publish_parse(*p, &pub, err) < 0)
            return sp_err_wrap(err, "-p");
    }
    _cleanup_free_ char *dir = sp_xasprintf("%s/netns", data_root);
    if (sp_mkdir_p(dir, 0700, err) < 0)
        return -1;
    _cleanup_free_ char *path = sp_xasprintf("%s/%s", dir, id);
    /* Held (never closed) while this septa lives: gc leaves the namespace of
     * a container still being set up or waited for alone. */
    _cleanup_free_ char *lock = sp_xasprintf("%s.lock", path);
    int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lfd < 0 || flock(lfd, LOCK_EX) < 0)
        return sp_err(err, errno, "locking %s", lock);
    if (netns_make(path, err) < 0)
        return -1;
    json_t *ns = namespace_entry(linux_, "network", NULL);
    if (!ns) {
        ns = json_object();
        json_array_append_new(json_object_get(linux_, "namespaces"), ns);
        json_object_set_new(ns, "type", json_string("network"));
    }
    json_object_set_new(ns, "path", json_string(path));
    *attached = true; /* from here a failure must take the namespace down */
    if (none)
        return 0; /* lo only */
    if (!net && default_switch_ensure(data_root, sw, err) < 0)
        return -1;
    struct sp_port_opts po = {.ip = x->ip, .publish = (const char *const *)x->publish};
    _cleanup_port_ struct sp_port *port = NULL;
    if (sp_net_attach(data_root, sw, id, name, path, &po, &port, err) < 0)
        return -1;
    _cleanup_free_ char *hosts = NULL, *resolv = NULL;
    if (sp_net_hosts_file(data_root, id, &hosts, err) < 0 ||
        sp_net_resolv_conf((const char *const *)x->dns, NULL, &resolv, err) < 0)
        return -1;
    const char *hn = json_string_value(json_object_get(spec, "hostname"));
    _cleanup_free_ char *hostname = sp_xasprintf("%s\n", hn ? hn : name);
    _cleanup_free_ char *fh = sp_xasprintf("%s/hosts", bundle),
                        *fr = sp_xasprintf("%s/resolv.conf", bundle),
                        *fn = sp_xasprintf("%s/hostname", bundle);
    if (rewrite_in_place(fh, hosts, true, err) < 0 || rewrite_in_place(fr, resolv, true, err) < 0 ||
        rewrite_in_place(fn, hostname, true, err) < 0)
        return -1;
    json_t *mounts = json_object_get(spec, "mounts");
    add_bind(mounts, fh, "/etc/hosts");
    add_bind(mounts, fr, "/etc/resolv.conf");
    add_bind(mounts, fn, "/etc/hostname");
    refresh_hosts(data_root, id);
    return 0;
}

/* Is `s` one of the strings of `arr`? */
static bool str_in(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return true;
    }
    return false;
}

/* "MAJOR.MINOR[...]" -> MAJOR * 1000 + MINOR; -1 when it is not that. */
static long kernel_version(const char *v)
{
    char *end;
    errno = 0;
    long major = strtol(v, &end, 10);
    if (errno || end == v || *end != '.' || major < 0)
        return -1;
    const char *m = end + 1;
    long minor = strtol(m, &end, 10);
    if (errno || end == m || minor < 0 || minor > 999)
        return -1;
    return major * 1000 + minor;
}

/*
 * Docker's conditions on one rule of a profile, judged against the
 * container's final (bounding) capabilities, the host's architecture and
 * running kernel, as docker and podman do: includes.caps / arches need every
 * capability and one of the architectures, includes.minKernel a kernel at
 * least that new; excludes.caps / arches drop the rule when the container
 * has any of those capabilities or runs on one of those architectures.
 * *applies gets the verdict; a condition septa does not know is an error
 * (ignoring it could allow a call the profile meant to deny).
 */
static int seccomp_rule_applies(const char *file, size_t idx, json_t *rule, json_t *caps,
                                long kernel, bool *applies, sp_error **err)
{
    *applies = true;
    static const char *const parts[] = {"includes", "excludes"};
    for (size_t k = 0; k < SP_ARRAY_SIZE(parts); k++) {
        json_t *c = json_object_get(rule, parts[k]);
        if (!c || json_is_null(c))
            continue;
        if (!json_is_object(c))
            return sp_err(err, EINVAL, "%s: syscalls[%zu].%s: expected an object", file, idx,
                          parts[k]);
        bool inc = k == 0;
        const char *key;
        json_t *v;
        json_object_foreach(c, key, v)
        {
            bool is_caps = strcmp(key, "caps") == 0, is_arches = strcmp(key, "arches") == 0;
            if (is_caps || is_arches) {
                if (!json_is_array(v))
                    return sp_err(err, EINVAL, "%s: syscalls[%zu].%s.%s: expected an array", file,
                                  idx, parts[k], key);
                size_t i;
                json_t *e;
                bool any = false, all = true;
                json_array_foreach(v, i, e)
                {
                    if (!json_is_string(e))
                        return sp_err(err, EINVAL,
                                      "%s: syscalls[%zu].%s.%s[%zu]: expected a string", file, idx,
                                      parts[k], key, i);
                    bool has = is_caps ? str_in(caps, json_string_value(e))
                                       : strcmp(json_string_value(e), sp_image_host_arch()) == 0;
                    any |= has;
                    all &= has;
                }
                if (json_array_size(v) == 0)
                    continue;
                if (inc && !(is_caps ? all : any))
                    *applies = false;
                if (!inc && any)
                    *applies = false;
            } else if (inc && strcmp(key, "minKernel") == 0) {
                long want = json_is_string(v) ? kernel_version(json_string_value(v)) : -1;
                if (want < 0)
                    return sp_err(err, EINVAL,
                                  "%s: syscalls[%zu].includes.minKernel: expected \"MAJOR.MINOR\"",
                                  file, idx);
                if (kernel < want)
                    *applies = false;
            } else {
                return sp_err(err, EINVAL, "%s: syscalls[%zu].%s.%s: unknown condition", file, idx,
                              parts[k], key);
            }
        }
    }
    return 0;
}

/* libseccomp's name of this host's architecture (OCI name -> SCMP_ARCH_*). */
static const char *native_scmp_arch(void)
{
    static const char *const map[][2] = {
        {"amd64", "SCMP_ARCH_X86_64"},  {"arm64", "SCMP_ARCH_AARCH64"},
        {"386", "SCMP_ARCH_X86"},       {"arm", "SCMP_ARCH_ARM"},
        {"ppc64le", "SCMP_ARCH_PPC64LE"}, {"s390x", "SCMP_ARCH_S390X"},
        {"riscv64", "SCMP_ARCH_RISCV64"}, {"mips64le", "SCMP_ARCH_MIPSEL64"},
        {"loong64", "SCMP_ARCH_LOONGARCH64"},
    };
    const char *host = sp_image_host_arch();
    for (size_t i = 0; i < SP_ARRAY_SIZE(map); i++)
        if (strcmp(map[i][0], host) == 0)
            return map[i][1];
    return NULL;
}

/* A docker/podman profile (archMap, includes/excludes) -> OCI linux.seccomp
 * for a container with the bounding capabilities `caps`. */
static json_t *seccomp_from_file(const char *file, json_t *caps, sp_error **err)
{
    _cleanup_jdoc_ sp_jdoc *doc = NULL;
    if (sp_jdoc_load_file(file, file, &doc, err) < 0)
        return NULL;
    json_t *root = doc->root;
    if (!json_is_object(root) || !json_is_string(json_object_get(root, "defaultAction"))) {
        sp_err(err, EINVAL, "%s: not a seccomp profile (no \"defaultAction\")", file);
        return NULL;
    }
    json_t *out = json_deep_copy(root);
    json_t *archmap = json_object_get(out, "archMap");
    if (archmap) {
        json_t *arches = json_array();
        size_t i, j;
        json_t *a, *s;
        /* As docker: the host's entry and its sub-architectures (x86 and
         * x32 on x86_64), not every architecture the profile knows, which
         * libseccomp refuses to add to a filter for this host. */
        const char *native = native_scmp_arch();
        json_array_foreach(archmap, i, a)
        {
            const char *name = json_string_value(json_object_get(a, "architecture"));
            if (!name || !native || strcmp(name, native) != 0)
                continue;
            json_array_append(arches, json_object_get(a, "architecture"));
            json_array_foreach(json_object_get(a, "subArchitectures"), j, s)
                json_array_append(arches, s);
        }
        json_object_del(out, "archMap");
        if (!json_object_get(out, "architectures"))
            json_object_set_new(out, "architectures", arches);
        else
            json_decref(arches);
    }
    struct utsname u;
    long kernel = uname(&u) == 0 ? kernel_version(u.release) : -1;
    /* Docker's conditional rules: kept or dropped for this container. */
    json_t *calls = json_object_get(out, "syscalls");
    for (size_t i = json_array_size(calls); i-- > 0;) {
        json_t *r = json_array_get(calls, i);
        bool applies = true;
        if (seccomp_rule_applies(file, i, r, caps, kernel, &applies, err) < 0) {
            json_decref(out);
            return NULL;
        }
        if (!applies) {
            json_array_remove(calls, i);
            continue;
        }
        json_object_del(r, "includes");
        json_object_del(r, "excludes");
        json_object_del(r, "comment");
        if (!json_object_get(r, "names") && json_is_string(json_object_get(r, "name"))) {
            json_object_set_new(r, "names", json_pack("[O]", json_object_get(r, "name")));
            json_object_del(r, "name");
        }
    }
    /* docker ignores defaultErrnoRet unless the default action takes one */
    const char *da = json_string_value(json_object_get(out, "defaultAction"));
    if (strcmp(da, "SCMP_ACT_ERRNO") != 0 && strcmp(da, "SCMP_ACT_TRACE") != 0)
        json_object_del(out, "defaultErrnoRet");
    return out;
}

static int apply_seccomp(const struct sp_run_extra *x, json_t *spec, sp_error **err)
{
    json_t *linux_ = json_object_get(spec, "linux");
    if (x->seccomp_unconfined) {
        json_object_del(linux_, "seccomp");
        return 0;
    }
    json_t *prof = NULL;
    if (x->seccomp_file) {
        /* images/spec.c applied --cap-add/--cap-drop: these are the final ones. */
        json_t *caps = json_object_get(
            json_object_get(json_object_get(spec, "process"), "capabilities"), "bounding");
        prof = seccomp_from_file(x->seccomp_file, caps, err);
        if (!prof)
            return sp_err_wrap(err, "--security-opt seccomp");
    } else {
        json_error_t je;
        prof = json_loads(sp_runtime_seccomp_default_json(), 0, &je);
        if (!prof)
            return sp_err(err, EINVAL, "the built-in seccomp profile: %s", je.text);
    }
    json_object_set_new(linux_, "seccomp", prof);
    return 0;
}

/* nftw has no user pointer: the shift of the walk in progress. */
static uid_t shift_uid;
static gid_t shift_gid;

static int shift_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)type;
    (void)f;
    if (st->st_uid >= USERNS_SIZE || st->st_gid >= USERNS_SIZE)
        return 0; /* already shifted, or out of the mapped range: leave it */
    if (lchown(path, st->st_uid + shift_uid, st->st_gid + shift_gid) < 0)
        return errno;
    /* chown clears set-id bits; give them back (not for symlinks). */
    if (!S_ISLNK(st->st_mode) && (st->st_mode & (S_ISUID | S_ISGID)))
        chmod(path, st->st_mode & 07777);
    return 0;
}

/* Does the runtime say it can make id-mapped mounts (its features document)? */
static bool runtime_has_idmap(void)
{
    json_t *f = sp_runtime_features();
    json_t *lx = json_object_get(f, "linux");
    bool on = json_is_true(json_object_get(
        json_object_get(json_object_get(lx, "mountExtensions"), "idmap"), "enabled"));
    json_decref(f);
    return on;
}

/*
 * Volumes (-v, bind mounts images/ wrote) hold host-owned files that the
 * mapped root would see as nobody: give each the container's mapping as an
 * id-mapped mount (runtime-spec 1.1: uidMappings/gidMappings on the mount,
 * option "idmap"), so host uid 0 is container root there and what the
 * container writes lands on the host as the host ids it had.
 */
static void userns_idmap_volumes(json_t *spec, json_t *umap, json_t *gmap)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(spec, "mounts"), i, m)
    {
        const char *t = json_string_value(json_object_get(m, "type"));
        json_t *opts = json_object_get(m, "options");
        if (!t || strcmp(t, "bind") != 0 || !json_is_array(opts))
            continue;
        json_array_append_new(opts, json_string("idmap"));
        json_object_set(m, "uidMappings", umap);
        json_object_set(m, "gidMappings", gmap);
    }
}

static int apply_userns(const char *data_root, const char *id, json_t *spec, sp_error **err)
{
    json_t *linux_ = json_object_get(spec, "linux");
    struct sp_userns_pool pool;
    uint64_t ubase = 0, gbase = 0;
    if (sp_userns_pool(&pool, err) < 0 ||
        sp_userns_alloc(data_root, id, &pool, &ubase, &gbase, err) < 0)
        return -1;
    _cleanup_json_ json_t *umap = json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
                                            (json_int_t)ubase, "size", (int)USERNS_SIZE);
    _cleanup_json_ json_t *gmap = json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
                                            (json_int_t)gbase, "size", (int)USERNS_SIZE);
    json_object_set(linux_, "uidMappings", umap);
    json_object_set(linux_, "gidMappings", gmap);
    /* Only the volumes images/ wrote: the bundle's own files (hosts,
     * resolv.conf) are added after this and stay plain binds. */
    if (runtime_has_idmap())
        userns_idmap_volumes(spec, umap, gmap);
    if (!namespace_entry(linux_, "user", NULL))
        json_array_append_new(json_object_get(linux_, "namespaces"),
                              json_pack("{s:s}", "type", "user"));
    /* The root filesystem must belong to the mapped ids: shift the
     * container's own (overlay) view, which copies up only metadata. */
    const char *rootfs = json_string_value(json_object_get(json_object_get(spec, "root"), "path"));
    int r = 0;
    if (!rootfs) {
        r = sp_err(err, EINVAL, "--user-ns: the config has no root.path");
    } else {
        shift_uid = (uid_t)ubase;
        shift_gid = (gid_t)gbase;
        int w = nftw(rootfs, shift_one, 32, FTW_PHYS | FTW_MOUNT);
        if (w != 0)
            r = sp_err(err, w > 0 ? w : errno, "--user-ns: shifting the owners of %s", rootfs);
    }
    if (r < 0) {
        _cleanup_error_ sp_error *e = NULL;
        sp_userns_release(data_root, id, &e);
    }
    return r;
}

/*
 * The runtime reaches root.path and bind sources from inside the user
 * namespace, where the store's 0700 directories (and a test's private
 * temporary directory) cannot be traversed.  So the bundle is bind-mounted
 * (with its rootfs) on a path anyone may traverse, and the config names it
 * there; podman does the same under its run directory.
 */
#define USERNS_RUN_DIR "/run/septa-userns"

static char *userns_bundle_path(const char *id)
{
    return sp_xasprintf("%s/%s", USERNS_RUN_DIR, id);
}

static void userns_unshare_bundle(const char *id)
{
    _cleanup_free_ char *p = userns_bundle_path(id);
    if (access(p, F_OK) < 0)
        return;
    umount2(p, MNT_DETACH);
    rmdir(p);
    rmdir(USERNS_RUN_DIR); /* the last one out; fails while others use it */
}

static void replace_prefix(json_t *obj, const char *key, const char *from, const char *to)
{
    const char *v = json_string_value(json_object_get(obj, key));
    size_t n = strlen(from);
    if (v && strncmp(v, from, n) == 0 && (v[n] == '/' || v[n] == '\0'))
    {
        char *nv = sp_xasprintf("%s%s", to, v + n); /* before v is freed by the set */
        json_object_set_new(obj, key, json_string(nv));
        free(nv);
    }
}

static int userns_share_bundle(const char *bundle, const char *id, json_t *spec, sp_error **err)
{
    _cleanup_free_ char *p = userns_bundle_path(id);
    int r = -1;
    /* retried: another septa's teardown may remove the empty parent meanwhile */
    for (int tries = 0; tries < 5 && r < 0; tries++) {
        if (mkdir(USERNS_RUN_DIR, 0711) < 0 && errno != EEXIST)
            return sp_err(err, errno, "creating %s", USERNS_RUN_DIR);
        r = mkdir(p, 0711);
        if (r < 0 && errno != ENOENT)
            break;
    }
    if (r < 0)
        return sp_err(err, errno, "creating %s", p);
    /* traversal only: the records in the bundle stay unreadable to it */
    if (chmod(bundle, 0711) < 0 || mount(bundle, p, NULL, MS_BIND | MS_REC, NULL) < 0) {
        int e = errno;
        rmdir(p);
        return sp_err(err, e, "bind-mounting %s on %s", bundle, p);
    }
    replace_prefix(json_object_get(spec, "root"), "path", bundle, p);
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(spec, "mounts"), i, m)
    {
        replace_prefix(m, "source", bundle, p);
        /* sysfs needs the network namespace's owner, and the container's
         * network namespace belongs to the host's user namespace: bind the
         * host's /sys read-only instead, as runc and podman do. */
        const char *t = json_string_value(json_object_get(m, "type"));
        if (t && strcmp(t, "sysfs") == 0) {
            json_object_set_new(m, "type", json_string("bind"));
            json_object_set_new(m, "source", json_string("/sys"));
            json_object_set_new(m, "options",
                                json_pack("[s, s, s, s, s]", "rbind", "nosuid", "noexec", "nodev",
                                          "ro"));
        }
    }
    return 0;
}

int sp_run_extra_apply(const char *data_root, const char *bundle, const char *id,
                       const char *name, const struct sp_run_extra *x, sp_error **err)
{
    _cleanup_free_ char *cfg = sp_xasprintf("%s/config.json", bundle);
    json_error_t je;
    _cleanup_json_ json_t *spec = json_load_file(cfg, 0, &je);
    if (!spec)
        return sp_err(err, EINVAL, "%s: %s", cfg, je.text);
    if (!json_is_object(json_object_get(spec, "linux")))
        return sp_err(err, EINVAL, "%s: no linux object", cfg);
    /* What a person expects of the limits they gave (memory.oom.group on v2). */
    sp_runtime_people_resources(json_object_get(json_object_get(spec, "linux"), "resources"));
    if (!json_is_array(json_object_get(spec, "mounts")))
        json_object_set_new(spec, "mounts", json_array());
    if (!json_is_array(json_object_get(json_object_get(spec, "linux"), "namespaces")))
        json_object_set_new(json_object_get(spec, "linux"), "namespaces", json_array());
    if (apply_seccomp(x, spec, err) < 0)
        return -1;
    if (x->partition) {
        _cleanup_free_ char *what = sp_xasprintf("--partition %s", x->partition);
        if (sp_partition_place(data_root, x->partition, spec, what, "--cpuset-cpus/--cpuset-mems",
                               err) < 0)
            return -1;
    }
    if (x->userns && strcmp(x->userns, "host") != 0) {
        if (strcmp(x->userns, "auto") != 0)
            return sp_err(err, EINVAL, "--user-ns '%s': expected auto or host", x->userns);
        if (apply_userns(data_root, id, spec, err) < 0)
            return -1;
    }
    bool attached = false;
    int r = apply_network(data_root, bundle, id, name, x, spec, &attached, err);
    bool userns = namespace_entry(json_object_get(spec, "linux"), "user", NULL) != NULL;
    if (r == 0 && userns)
        r = userns_share_bundle(bundle, id, spec, err);
    if (r == 0) {
        _cleanup_close_ int dfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
            r = sp_err(err, errno, "opening %s", bundle);
        else if (!x->volatile_records)
            r = sp_json_write_file(dfd, "config.json", spec, true, err);
        else {
            /* --rm: the bundle goes with the container; see sp_run_extra. */
            _cleanup_free_ char *text = sp_json_dumps(spec, true);
            r = sp_atomic_replace(dfd, "config.json", text, strlen(text), 0600, err);
        }
    }
    if (r < 0 && (attached || userns)) {
        /* detach_all of a container with no port yet is a no-op. */
        _cleanup_error_ sp_error *e = NULL;
        sp_run_net_teardown(data_root, id, &e);
    }
    return r;
}

/* Is the container behind a pinned namespace gone (its ports stale)? */
static bool netns_stale(const char *data_root, const char *root, const char *dir, const char *id)
{
    _cleanup_free_ char *rec = sp_xasprintf("%s/storage/containers/%s", data_root, id);
    if (access(rec, F_OK) < 0)
        return true;
    /* A detached container (run -d records its "restart" policy) keeps its
     * network while it exists, between restarts too: rm takes it down. */
    _cleanup_free_ char *cj = sp_xasprintf("%s/container.json", rec);
    json_error_t je;
    _cleanup_json_ json_t *r = json_load_file(cj, 0, &je);
    if (r && json_object_get(r, "restart"))
        return false;
    _cleanup_free_ char *lock = sp_xasprintf("%s/%s.lock", dir, id);
    _cleanup_close_ int fd = open(lock, O_RDWR | O_CLOEXEC);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
        return false; /* its septa run is still there */
    _cleanup_json_ json_t *st = NULL;
    _cleanup_error_ sp_error *e = NULL;
    if (sp_container_state(root, id, &st, &e) < 0)
        return true;
    const char *s = json_string_value(json_object_get(st, "status"));
    return s && strcmp(s, "stopped") == 0;
}

/* How many ports container id has on all switches. */
static int count_ports(const char *data_root, const char *id)
{
    _cleanup_json_ json_t *list = NULL;
    _cleanup_error_ sp_error *e = NULL;
    if (sp_net_switch_list(data_root, &list, &e) < 0)
        return 0;
    int n = 0;
    size_t i, j;
    json_t *sw, *port;
    json_array_foreach(list, i, sw)
    {
        json_array_foreach(json_object_get(sw, "ports"), j, port)
        {
            const char *pid = json_string_value(json_object_get(port, "id"));
            n += pid && strcmp(pid, id) == 0;
        }
    }
    return n;
}

int sp_run_net_gc(const char *data_root, const char *root, int *removed, sp_error **err)
{
    int mine = 0;
    /* A pinned namespace keeps its ports "alive" for sp_net_gc: unpin those
     * whose container is gone first. */
    _cleanup_free_ char *dir = sp_xasprintf("%s/netns", data_root);
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            if (!is_container_id(de->d_name) || !netns_stale(data_root, root, dir, de->d_name))
                continue;
            _cleanup_error_ sp_error *e = NULL;
            int n = count_ports(data_root, de->d_name);
            if (sp_run_net_teardown(data_root, de->d_name, &e) < 0)
                sp_warn("%s", e->msg);
            else
                mine += n;
        }
        closedir(d);
    }
    int theirs = 0;
    if (sp_net_gc(data_root, NULL, NULL, &theirs, err) < 0)
        return -1;
    if (removed)
        *removed = mine + theirs;
    return 0;
}

int sp_run_container_netns(const char *data_root, const char *ref, char **id, char **name,
                           char **path, sp_error **err)
{
    _cleanup_free_ char *cid = NULL;
    _cleanup_error_ sp_error *e = NULL;
    if (sp_image_container_find(data_root, ref, &cid, &e) < 0)
        return 0; /* not a container: the caller tries its other forms */
    _cleanup_free_ char *ns = sp_run_netns_path(data_root, cid);
    if (!ns)
        return sp_err(err, ENOENT,
                      "container %s has no network namespace of its own (not running, or "
                      "--network host)",
                      ref);
    _cleanup_json_ json_t *list = NULL;
    char *nm = NULL;
    if (sp_image_container_list(data_root, &list, &e) == 0) {
        size_t i;
        json_t *c;
        json_array_foreach(list, i, c)
        {
            if (strcmp(json_string_value(json_object_get(c, "id")), cid) == 0 &&
                json_is_string(json_object_get(c, "name")))
                nm = sp_xstrdup(json_string_value(json_object_get(c, "name")));
        }
    }
    if (!nm || strcmp(nm, cid) == 0) {
        free(nm);
        nm = sp_xasprintf("%.12s", cid);
    }
    *name = nm;
    *id = sp_steal_ptr(&cid);
    *path = sp_steal_ptr(&ns);
    return 1;
}

void sp_run_hosts_refresh(const char *data_root)
{
    refresh_hosts(data_root, NULL);
}
