/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * linux.seccomp: parsed and checked in the parent, compiled to classic BPF in
 * the parent (or loaded from a cache keyed by the profile, the libseccomp
 * version, its API level and the architecture), and loaded in the child as the last step
 * before execve.  Compiling in the parent keeps libseccomp's allocations and
 * failures out of the container's init and lets a second start skip it.
 */
#include "security.h"

#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

/* The kernel's limit on one classic BPF program. */
#define SP_BPF_MAXINSNS 4096

struct sp_sc_arg {
    unsigned index;
    uint64_t value, value_two;
    enum scmp_compare op;
};

struct sp_sc_rule {
    char *path; /* "linux.seccomp.syscalls[3]", for compile errors */
    char **names;
    uint32_t action;
    struct sp_sc_arg *args;
    size_t n_args;
};

struct sp_seccomp {
    uint32_t default_action;
    uint32_t arches[24];
    size_t n_arches;
    unsigned flags; /* SECCOMP_FILTER_FLAG_* */
    struct sp_sc_rule *rules;
    size_t n_rules;
    char *listener_path;
    char *listener_metadata;
    bool uses_notify;   /* some action is SCMP_ACT_NOTIFY */
    int listener_fd;    /* child only: connected before pivot_root, -1 if not */
    char *listener_msg; /* child only: the container process state to send */
    char key[65];
    struct sock_filter *prog; /* after prepare */
    size_t prog_len;
};

/* ------------------------------------------------------------------------ */
/* names                                                                     */
/* ------------------------------------------------------------------------ */

static const struct {
    const char *name;
    uint32_t arch;
} arch_names[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};

static const struct {
    const char *name;
    unsigned flag;
} flag_names[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
};

static const struct {
    const char *name;
    enum scmp_compare op;
} op_names[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

enum act_kind { ACT_PLAIN, ACT_WITH_RET, ACT_NOTIFY };

static const struct {
    const char *name;
    uint32_t action; /* for ACT_WITH_RET: the base, ORed with the return value */
    enum act_kind kind;
} action_names[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL, ACT_PLAIN},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, ACT_PLAIN},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, ACT_PLAIN},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, ACT_PLAIN},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), ACT_WITH_RET},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), ACT_WITH_RET},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, ACT_PLAIN},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, ACT_PLAIN},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, ACT_NOTIFY},
};

/* ------------------------------------------------------------------------ */
/* parse                                                                     */
/* ------------------------------------------------------------------------ */

void sp_seccomp_free(struct sp_seccomp *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_rules; i++) {
        free(s->rules[i].path);
        sp_strv_free(s->rules[i].names);
        free(s->rules[i].args);
    }
    free(s->rules);
    free(s->listener_path);
    free(s->listener_metadata);
    free(s->listener_msg);
    if (s->listener_fd >= 0)
        close(s->listener_fd);
    free(s->prog);
    free(s);
}

static void seccomp_freep(struct sp_seccomp **s)
{
    sp_seccomp_free(*s);
}

/*
 * An action at obj.key with its return value at obj.ret_key.  The return
 * value only means something to ERRNO and TRACE; EPERM is their default,
 * as in runc.
 */
static int parse_action(const sp_jdoc *doc, json_t *obj, const char *path, const char *key,
                        const char *ret_key, bool has_listener, uint32_t *out, sp_error **err)
{
    const char *name = NULL;
    if (sp_json_get_str(doc, obj, path, key, true, &name, err) < 0)
        return -1;
    _cleanup_free_ char *kp = sp_jpath_key(path, key);
    for (size_t i = 0; i < SP_ARRAY_SIZE(action_names); i++) {
        if (strcmp(action_names[i].name, name) != 0)
            continue;
        int64_t ret = EPERM;
        int r = sp_json_get_range(doc, obj, path, ret_key, false, 0, 4095, &ret, err);
        if (r < 0)
            return -1;
        if (r > 0 && action_names[i].kind != ACT_WITH_RET) {
            _cleanup_free_ char *rp = sp_jpath_key(path, ret_key);
            return sp_jerr(doc, err, rp,
                           "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take a "
                           "return value, not %s",
                           name);
        }
        if (action_names[i].kind == ACT_NOTIFY) {
            if (!has_listener)
                return sp_jerr(doc, err, kp,
                               "SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath "
                               "(the socket that receives the notify fd)");
            *out = SCMP_ACT_NOTIFY;
            return 0;
        }
        *out = action_names[i].kind == ACT_WITH_RET
                   ? (action_names[i].action | ((uint32_t)ret & 0xffff))
                   : action_names[i].action;
        return 0;
    }
    return sp_jerr(doc, err, kp, "unknown seccomp action '%s'", name);
}

static int parse_arches(const sp_jdoc *doc, json_t *obj, const char *path, struct sp_seccomp *s,
                        sp_error **err)
{
    json_t *arr = NULL;
    int r = sp_json_get_arr(doc, obj, path, "architectures", false, &arr, err);
    if (r <= 0)
        return r;
    _cleanup_free_ char *ap = sp_jpath_key(path, "architectures");
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        _cleanup_free_ char *ip = sp_jpath_idx(ap, i);
        if (!json_is_string(v))
            return sp_jerr(doc, err, ip, "expected a string");
        size_t k = 0;
        while (k < SP_ARRAY_SIZE(arch_names) && strcmp(arch_names[k].name, json_string_value(v)))
            k++;
        if (k == SP_ARRAY_SIZE(arch_names))
            return sp_jerr(doc, err, ip, "unknown architecture '%s'", json_string_value(v));
        bool dup = false;
        for (size_t j = 0; j < s->n_arches; j++)
            dup |= s->arches[j] == arch_names[k].arch;
        if (!dup && s->n_arches < SP_ARRAY_SIZE(s->arches))
            s->arches[s->n_arches++] = arch_names[k].arch;
    }
    return 0;
}

static int parse_flags(const sp_jdoc *doc, json_t *obj, const char *path, struct sp_seccomp *s,
                       sp_error **err)
{
    json_t *arr = NULL;
    int r = sp_json_get_arr(doc, obj, path, "flags", false, &arr, err);
    if (r <= 0)
        return r;
    _cleanup_free_ char *fp = sp_jpath_key(path, "flags");
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        _cleanup_free_ char *ip = sp_jpath_idx(fp, i);
        if (!json_is_string(v))
            return sp_jerr(doc, err, ip, "expected a string");
        size_t k = 0;
        while (k < SP_ARRAY_SIZE(flag_names) && strcmp(flag_names[k].name, json_string_value(v)))
            k++;
        if (k == SP_ARRAY_SIZE(flag_names))
            return sp_jerr(doc, err, ip,
                           "unknown seccomp flag '%s' (known: "
                           "SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG, "
                           "SECCOMP_FILTER_FLAG_SPEC_ALLOW)",
                           json_string_value(v));
        s->flags |= flag_names[k].flag;
    }
    return 0;
}

/*
 * A name must be a system call libseccomp knows.  One that exists on none of
 * the filter's architectures (native + listed) is accepted and matches
 * nothing, as runc does: multi-architecture profiles such as podman's default
 * name calls like "recv" or "timerfd" that x86 never had.  A name libseccomp
 * knows on no architecture at all is a mistake and refused.
 */
static bool syscall_known(const char *name)
{
    if (seccomp_syscall_resolve_name_arch(SCMP_ARCH_NATIVE, name) >= 0)
        return true;
    for (size_t i = 0; i < SP_ARRAY_SIZE(arch_names); i++)
        if (seccomp_syscall_resolve_name_arch(arch_names[i].arch, name) >= 0)
            return true;
    return false;
}

static int parse_args(const sp_jdoc *doc, json_t *rule, const char *path, struct sp_sc_rule *r,
                      sp_error **err)
{
    json_t *arr = NULL;
    int x = sp_json_get_arr(doc, rule, path, "args", false, &arr, err);
    if (x <= 0)
        return x;
    _cleanup_free_ char *ap = sp_jpath_key(path, "args");
    r->args = sp_xcalloc(json_array_size(arr) + 1, sizeof(*r->args));
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        _cleanup_free_ char *ip = sp_jpath_idx(ap, i);
        if (!json_is_object(v))
            return sp_jerr(doc, err, ip, "expected an object");
        struct sp_sc_arg *a = &r->args[r->n_args];
        int64_t idx = 0, val = 0, two = 0;
        const char *op = NULL;
        if (sp_json_get_range(doc, v, ip, "index", true, 0, 5, &idx, err) < 0 ||
            sp_json_get_i64(doc, v, ip, "value", true, &val, err) < 0 ||
            sp_json_get_i64(doc, v, ip, "valueTwo", false, &two, err) < 0 ||
            sp_json_get_str(doc, v, ip, "op", true, &op, err) < 0)
            return -1;
        size_t k = 0;
        while (k < SP_ARRAY_SIZE(op_names) && strcmp(op_names[k].name, op) != 0)
            k++;
        if (k == SP_ARRAY_SIZE(op_names)) {
            _cleanup_free_ char *opp = sp_jpath_key(ip, "op");
            return sp_jerr(doc, err, opp, "unknown comparison '%s'", op);
        }
        /* uint64 in the spec; a negative JSON value is its two's complement. */
        *a = (struct sp_sc_arg){.index = (unsigned)idx,
                                .value = (uint64_t)val,
                                .value_two = (uint64_t)two,
                                .op = op_names[k].op};
        r->n_args++;
    }
    return 0;
}

static int parse_rule(const sp_jdoc *doc, json_t *v, const char *ip, struct sp_seccomp *s,
                      struct sp_sc_rule *r, sp_error **err)
{
    if (!json_is_object(v))
        return sp_jerr(doc, err, ip, "expected an object");
    r->path = sp_xstrdup(ip);
    if (sp_json_get_strv(doc, v, ip, "names", true, &r->names, err) < 0)
        return -1;
    _cleanup_free_ char *np = sp_jpath_key(ip, "names");
    if (!r->names[0])
        return sp_jerr(doc, err, np, "is empty");
    for (size_t k = 0; r->names[k]; k++)
        if (!syscall_known(r->names[k])) {
            _cleanup_free_ char *kp = sp_jpath_idx(np, k);
            return sp_jerr(doc, err, kp, "unknown system call '%s'", r->names[k]);
        }
    if (parse_action(doc, v, ip, "action", "errnoRet", s->listener_path, &r->action, err) < 0)
        return -1;
    for (size_t k = 0; r->action == SCMP_ACT_NOTIFY && r->names[k]; k++)
        if (strcmp(r->names[k], "sendmsg") == 0) {
            /* septa sends the notify fd with sendmsg once the filter is on. */
            _cleanup_free_ char *kp = sp_jpath_idx(np, k);
            return sp_jerr(doc, err, kp,
                           "SCMP_ACT_NOTIFY cannot apply to sendmsg: septa sends "
                           "the listener its fd with it");
        }
    return parse_args(doc, v, ip, r, err);
}

static void set_key(struct sp_seccomp *s, json_t *obj)
{
    /* Sorted keys make the same profile hash the same however it was written. */
    _cleanup_free_ char *canon = json_dumps(obj, JSON_SORT_KEYS | JSON_COMPACT);
    const struct scmp_version *v = seccomp_version();
    /* The API level is what libseccomp found the kernel supports: it shapes the program. */
    _cleanup_free_ char *material =
        sp_xasprintf("%s\nlibseccomp %u.%u.%u api %u\narch %u\n", canon ? canon : "", v->major,
                     v->minor, v->micro, seccomp_api_get(), seccomp_arch_native());
    sp_sha256_hex(material, strlen(material), s->key);
}

int sp_seccomp_parse(const sp_jdoc *doc, json_t *obj, const char *path, struct sp_seccomp **out,
                     sp_error **err)
{
    if (!json_is_object(obj))
        return sp_jerr(doc, err, path, "expected an object");
    __attribute__((cleanup(seccomp_freep))) struct sp_seccomp *s = sp_xcalloc(1, sizeof(*s));
    s->listener_fd = -1;
    const char *listener = NULL;
    if (sp_json_get_str(doc, obj, path, "listenerPath", false, &listener, err) < 0)
        return -1;
    if (listener && *listener) {
        if (listener[0] != '/') {
            _cleanup_free_ char *lp = sp_jpath_key(path, "listenerPath");
            return sp_jerr(doc, err, lp, "must be an absolute path, got '%s'", listener);
        }
        if (strlen(listener) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
            _cleanup_free_ char *lp = sp_jpath_key(path, "listenerPath");
            return sp_jerr(doc, err, lp, "longer than a UNIX socket path can be");
        }
        s->listener_path = sp_xstrdup(listener);
    }
    const char *meta = NULL;
    if (sp_json_get_str(doc, obj, path, "listenerMetadata", false, &meta, err) < 0)
        return -1;
    if (meta)
        s->listener_metadata = sp_xstrdup(meta);
    if (parse_action(doc, obj, path, "defaultAction", "defaultErrnoRet", s->listener_path,
                     &s->default_action, err) < 0)
        return -1;
    if (s->default_action == SCMP_ACT_NOTIFY) {
        /* The init's own sendmsg of the notify fd would wait for a listener without it. */
        _cleanup_free_ char *dp = sp_jpath_key(path, "defaultAction");
        return sp_jerr(doc, err, dp, "SCMP_ACT_NOTIFY cannot be the default action (as in runc)");
    }
    if (parse_arches(doc, obj, path, s, err) < 0 || parse_flags(doc, obj, path, s, err) < 0)
        return -1;
    json_t *arr = NULL;
    if (sp_json_get_arr(doc, obj, path, "syscalls", false, &arr, err) < 0)
        return -1;
    _cleanup_free_ char *sp = sp_jpath_key(path, "syscalls");
    s->rules = sp_xcalloc(json_array_size(arr) + 1, sizeof(*s->rules));
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        _cleanup_free_ char *ip = sp_jpath_idx(sp, i);
        /* Counted first so a half-parsed rule is still freed. */
        s->n_rules++;
        if (parse_rule(doc, v, ip, s, &s->rules[i], err) < 0)
            return -1;
    }
    s->uses_notify = s->default_action == SCMP_ACT_NOTIFY;
    for (size_t k = 0; k < s->n_rules; k++)
        s->uses_notify |= s->rules[k].action == SCMP_ACT_NOTIFY;
    /* The kernel refuses TSYNC with a listener unless told to fail with ESRCH instead. */
    if (s->uses_notify && (s->flags & SECCOMP_FILTER_FLAG_TSYNC))
        s->flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
    set_key(s, obj);
    *out = sp_steal_ptr(&s);
    return 0;
}

const char *sp_seccomp_listener_path(const struct sp_seccomp *s)
{
    return s ? s->listener_path : NULL;
}

void sp_seccomp_cache_key(const struct sp_seccomp *s, char out[65])
{
    memcpy(out, s->key, 65);
}

/* ------------------------------------------------------------------------ */
/* compile                                                                   */
/* ------------------------------------------------------------------------ */

static void ctx_releasep(scmp_filter_ctx *c)
{
    if (*c)
        seccomp_release(*c);
}

static int add_rule(scmp_filter_ctx ctx, const struct sp_seccomp *s, const struct sp_sc_rule *r,
                    const char *name, sp_error **err)
{
    /* Same action as the default: libseccomp refuses it and it changes nothing. */
    if (r->action == s->default_action)
        return 0;
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) {
        /* Checked at parse: a call of an architecture this filter does not cover. */
        sp_debug("%s: '%s' is not a system call here, skipped", r->path, name);
        return 0;
    }
    struct scmp_arg_cmp cmp[6];
    bool same_index = false;
    for (size_t i = 0; i < r->n_args; i++)
        for (size_t j = i + 1; j < r->n_args; j++)
            same_index |= r->args[i].index == r->args[j].index;
    int rc = 0;
    if (same_index || r->n_args > 6) {
        /*
         * libseccomp takes one condition per argument in a rule; several on one
         * argument mean "any of them" (as runc reads them): one rule each.
         */
        for (size_t i = 0; i < r->n_args && rc == 0; i++) {
            cmp[0] = (struct scmp_arg_cmp){r->args[i].index, r->args[i].op, r->args[i].value,
                                           r->args[i].value_two};
            rc = seccomp_rule_add_array(ctx, r->action, nr, 1, cmp);
        }
    } else {
        for (size_t i = 0; i < r->n_args; i++)
            cmp[i] = (struct scmp_arg_cmp){r->args[i].index, r->args[i].op, r->args[i].value,
                                           r->args[i].value_two};
        rc = seccomp_rule_add_array(ctx, r->action, nr, (unsigned)r->n_args, cmp);
    }
    if (rc < 0)
        return sp_err(err, -rc, "%s: adding the rule for '%s'", r->path, name);
    return 0;
}

static int compile(const struct sp_seccomp *s, struct sock_filter **prog, size_t *len,
                   sp_error **err)
{
    __attribute__((cleanup(ctx_releasep))) scmp_filter_ctx ctx = seccomp_init(s->default_action);
    if (!ctx)
        return sp_err(err, 0, "linux.seccomp: libseccomp could not start a filter");
    /* septa sets no_new_privs itself, as the config says; the export ignores it. */
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    for (size_t i = 0; i < s->n_arches; i++) {
        int rc = seccomp_arch_add(ctx, s->arches[i]);
        if (rc < 0 && rc != -EEXIST)
            return sp_err(err, -rc, "linux.seccomp.architectures: adding architecture %#x",
                          s->arches[i]);
    }
    for (size_t i = 0; i < s->n_rules; i++)
        for (size_t k = 0; s->rules[i].names[k]; k++)
            if (add_rule(ctx, s, &s->rules[i], s->rules[i].names[k], err) < 0)
                return -1;
    /* libseccomp 2.5 exports to an fd only: a memfd keeps it off the disk. */
    _cleanup_close_ int fd = memfd_create("septa-seccomp", MFD_CLOEXEC);
    if (fd < 0)
        return sp_err(err, errno, "linux.seccomp: memfd_create");
    int rc = seccomp_export_bpf(ctx, fd);
    if (rc < 0)
        return sp_err(err, -rc, "linux.seccomp: exporting the BPF program");
    off_t size = lseek(fd, 0, SEEK_END);
    if (size <= 0 || size % (off_t)sizeof(struct sock_filter) ||
        size / (off_t)sizeof(struct sock_filter) > SP_BPF_MAXINSNS)
        return sp_err(err, 0,
                      "linux.seccomp: the compiled program has %lld bytes (more than "
                      "the kernel's %d instructions?)",
                      (long long)size, SP_BPF_MAXINSNS);
    struct sock_filter *p = sp_xmalloc((size_t)size);
    if (pread(fd, p, (size_t)size, 0) != size) {
        int e = errno;
        free(p);
        return sp_err(err, e, "linux.seccomp: reading the BPF program back");
    }
    *prog = p;
    *len = (size_t)size / sizeof(struct sock_filter);
    return 0;
}

/*
 * A cached program is loaded into every container started from it, so the
 * cache directory must be writable only by us: otherwise it is not used.
 */
static int open_cache_dir(const char *dir, sp_error **err)
{
    if (sp_mkdir_p(dir, 0700, err) < 0)
        return -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return sp_err(err, errno, "opening the seccomp cache %s", dir);
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022)) {
        close(fd);
        return sp_err(err, EPERM, "seccomp cache %s: not owned by us or writable by others", dir);
    }
    return fd;
}

static bool cache_load(int dirfd, const char *name, struct sock_filter **prog, size_t *len)
{
    _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) ||
        st.st_size / (off_t)sizeof(struct sock_filter) > SP_BPF_MAXINSNS)
        return false;
    struct sock_filter *p = sp_xmalloc((size_t)st.st_size);
    if (pread(fd, p, (size_t)st.st_size, 0) != st.st_size) {
        free(p);
        return false;
    }
    *prog = p;
    *len = (size_t)st.st_size / sizeof(struct sock_filter);
    return true;
}

int sp_seccomp_prepare(struct sp_seccomp *s, const char *cache_dir, bool *cache_hit, sp_error **err)
{
    if (cache_hit)
        *cache_hit = false;
    if (s->prog)
        return 0;
    _cleanup_close_ int dirfd = -1;
    _cleanup_free_ char *name = sp_xasprintf("%s.bpf", s->key);
    if (cache_dir) {
        dirfd = open_cache_dir(cache_dir, err);
        if (dirfd < 0)
            return -1;
        if (cache_load(dirfd, name, &s->prog, &s->prog_len)) {
            if (cache_hit)
                *cache_hit = true;
            return 0;
        }
    }
    if (compile(s, &s->prog, &s->prog_len, err) < 0)
        return -1;
    if (dirfd >= 0) {
        /* The compiled program is good whether or not the cache takes it. */
        sp_error *e = NULL;
        if (sp_atomic_write(dirfd, name, s->prog, s->prog_len * sizeof(*s->prog), 0600, &e) < 0)
            sp_warn("seccomp cache %s: %s", cache_dir, e->msg);
        sp_error_free(&e);
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* apply                                                                     */
/* ------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------ */
/* user notification (SCMP_ACT_NOTIFY)                                       */
/* ------------------------------------------------------------------------ */

int sp_seccomp_listener_connect(struct sp_seccomp *s, const char *state_json, pid_t pid,
                                sp_error **err)
{
    if (!s || !s->uses_notify)
        return 0;
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->listener_path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return sp_err(err, errno, "linux.seccomp.listenerPath: connecting to %s", s->listener_path);
    /* The runtime-spec's "container process state", sent with the notify fd. */
    _cleanup_json_ json_t *state = json_loads(state_json ? state_json : "{}", 0, NULL);
    _cleanup_json_ json_t *msg = json_pack(
        "{s:s, s:[s], s:i, s:s, s:O}", "ociVersion", SP_OCI_VERSION, "fds", "seccompFd", "pid",
        (json_int_t)pid, "metadata", s->listener_metadata ? s->listener_metadata : "", "state",
        state ? state : json_object());
    if (!msg)
        return sp_err(err, 0, "linux.seccomp: building the listener message");
    free(s->listener_msg);
    s->listener_msg = json_dumps(msg, JSON_COMPACT);
    if (s->listener_fd >= 0)
        close(s->listener_fd);
    s->listener_fd = sp_steal_fd(&fd);
    return 0;
}

/* Hand the notify fd to the listener; from here it answers the notified calls. */
static int send_listener(int nfd, const struct sp_seccomp *s, sp_error **err)
{
    _cleanup_close_ int own = nfd;
    char cbuf[CMSG_SPACE(sizeof(int))] = {0};
    struct iovec iov = {.iov_base = s->listener_msg, .iov_len = strlen(s->listener_msg)};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &nfd, sizeof(int));
    ssize_t n;
    do
        n = sendmsg(s->listener_fd, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)iov.iov_len)
        return sp_err(err, n < 0 ? errno : EIO,
                      "linux.seccomp.listenerPath: sending the notify fd to %s", s->listener_path);
    close(s->listener_fd);
    return 0;
}

int sp_seccomp_apply(const struct sp_seccomp *s, sp_error **err)
{
    if (!s)
        return 0;
    _cleanup_free_ struct sock_filter *own = NULL;
    const struct sock_filter *prog = s->prog;
    size_t len = s->prog_len;
    if (!prog) {
        if (compile(s, &own, &len, err) < 0)
            return -1;
        prog = own;
    }
    if (s->uses_notify && s->listener_fd < 0)
        return sp_err(err, 0,
                      "linux.seccomp: SCMP_ACT_NOTIFY: not connected to listenerPath %s "
                      "(only the container's init can reach it)",
                      s->listener_path);
    struct sock_fprog fprog = {.len = (unsigned short)len, .filter = (struct sock_filter *)prog};
    unsigned flags = s->flags | (s->uses_notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
    long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
    if (r >= 0)
        return s->uses_notify ? send_listener((int)r, s, err) : 0;
    int e = errno;
    if (e == ENOSYS && flags == 0 && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) == 0)
        return 0;
    if (e == EACCES)
        return sp_err(err, e,
                      "linux.seccomp: loading the filter (needs noNewPrivileges or "
                      "CAP_SYS_ADMIN)");
    return sp_err(err, e, "linux.seccomp: loading the filter");
}

/* ------------------------------------------------------------------------ */
/* features                                                                  */
/* ------------------------------------------------------------------------ */

/* A flag the kernel knows fails with EFAULT on a NULL program, an unknown one with EINVAL. */
static bool kernel_has_flag(unsigned flag)
{
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL) < 0 && errno == EFAULT;
}

json_t *sp_seccomp_features(void)
{
    json_t *actions = json_array(), *ops = json_array(), *archs = json_array();
    json_t *known = json_array(), *supported = json_array();
    for (size_t i = 0; i < SP_ARRAY_SIZE(action_names); i++)
        json_array_append_new(actions, json_string(action_names[i].name));
    for (size_t i = 0; i < SP_ARRAY_SIZE(op_names); i++)
        json_array_append_new(ops, json_string(op_names[i].name));
    for (size_t i = 0; i < SP_ARRAY_SIZE(arch_names); i++)
        json_array_append_new(archs, json_string(arch_names[i].name));
    for (size_t i = 0; i < SP_ARRAY_SIZE(flag_names); i++) {
        json_array_append_new(known, json_string(flag_names[i].name));
        if (kernel_has_flag(flag_names[i].flag))
            json_array_append_new(supported, json_string(flag_names[i].name));
    }
    return json_pack("{s:b, s:o, s:o, s:o, s:o, s:o}", "enabled", 1, "actions", actions,
                     "operators", ops, "archs", archs, "knownFlags", known, "supportedFlags",
                     supported);
}

/* ------------------------------------------------------------------------ */
/* the built-in default profile                                              */
/* ------------------------------------------------------------------------ */

/*
 * An allow-list for ordinary workloads.  Unlisted system calls fail with
 * ENOSYS rather than EPERM so that libc falls back from new calls it does not
 * find (clone3, for one) instead of failing.  What is denied outright with
 * EPERM changes the host (mounts, modules, kexec, clocks, keyrings, swap),
 * escapes the container's namespaces (unshare, setns, namespace flags to
 * clone) or reads other processes' memory (ptrace, process_vm_*).  The NUMA
 * memory policy calls are allowed on purpose: partitions bind memory to
 * nodes.  personality is limited to the domains `setarch` uses.
 */
static const char default_profile[] =
    "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38,\n"
    " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\",\n"
    "                   \"SCMP_ARCH_AARCH64\", \"SCMP_ARCH_ARM\"],\n"
    " \"syscalls\": [\n"
    "  {\"action\": \"SCMP_ACT_ALLOW\", \"names\": [\n"
    "   \"accept\", \"accept4\", \"access\", \"alarm\", \"arch_prctl\", \"bind\", \"brk\", "
    "\"capget\",\n"
    "   \"capset\", \"chdir\", \"chmod\", \"chown\", \"chown32\", \"chroot\", \"clock_getres\",\n"
    "   \"clock_getres_time64\", \"clock_gettime\", \"clock_gettime64\", \"clock_nanosleep\",\n"
    "   \"clock_nanosleep_time64\", \"close\", \"close_range\", \"connect\", \"copy_file_range\",\n"
    "   \"creat\", \"dup\", \"dup2\", \"dup3\", \"epoll_create\", \"epoll_create1\", "
    "\"epoll_ctl\",\n"
    "   \"epoll_pwait\", \"epoll_pwait2\", \"epoll_wait\", \"eventfd\", \"eventfd2\", \"execve\",\n"
    "   \"execveat\", \"exit\", \"exit_group\", \"faccessat\", \"faccessat2\", \"fadvise64\",\n"
    "   \"fadvise64_64\", \"fallocate\", \"fchdir\", \"fchmod\", \"fchmodat\", \"fchown\", "
    "\"fchown32\",\n"
    "   \"fchownat\", \"fcntl\", \"fcntl64\", \"fdatasync\", \"fgetxattr\", \"flistxattr\", "
    "\"flock\",\n"
    "   \"fork\", \"fremovexattr\", \"fsetxattr\", \"fstat\", \"fstat64\", \"fstatat64\", "
    "\"fstatfs\",\n"
    "   \"fstatfs64\", \"fsync\", \"ftruncate\", \"ftruncate64\", \"futex\", \"futex_time64\",\n"
    "   \"futex_waitv\", \"futimesat\", \"get_mempolicy\", \"get_robust_list\", \"getcpu\", "
    "\"getcwd\",\n"
    "   \"getdents\", \"getdents64\", \"getegid\", \"getegid32\", \"geteuid\", \"geteuid32\", "
    "\"getgid\",\n"
    "   \"getgid32\", \"getgroups\", \"getgroups32\", \"getitimer\", \"getpeername\", "
    "\"getpgid\",\n"
    "   \"getpgrp\", \"getpid\", \"getppid\", \"getpriority\", \"getrandom\", \"getresgid\",\n"
    "   \"getresgid32\", \"getresuid\", \"getresuid32\", \"getrlimit\", \"getrusage\", "
    "\"getsid\",\n"
    "   \"getsockname\", \"getsockopt\", \"gettid\", \"gettimeofday\", \"getuid\", \"getuid32\",\n"
    "   \"getxattr\", \"inotify_add_watch\", \"inotify_init\", \"inotify_init1\",\n"
    "   \"inotify_rm_watch\", \"io_cancel\", \"io_destroy\", \"io_getevents\", \"io_pgetevents\",\n"
    "   \"io_setup\", \"io_submit\", \"ioctl\", \"ioprio_get\", \"ioprio_set\", \"ipc\", "
    "\"kill\",\n"
    "   \"landlock_add_rule\", \"landlock_create_ruleset\", \"landlock_restrict_self\", "
    "\"lchown\",\n"
    "   \"lchown32\", \"lgetxattr\", \"link\", \"linkat\", \"listen\", \"listxattr\", "
    "\"llistxattr\",\n"
    "   \"_llseek\", \"lremovexattr\", \"lseek\", \"lsetxattr\", \"lstat\", \"lstat64\", "
    "\"madvise\",\n"
    "   \"mbind\", \"membarrier\", \"memfd_create\", \"mincore\", \"mkdir\", \"mkdirat\", "
    "\"mknod\",\n"
    "   \"mknodat\", \"mlock\", \"mlock2\", \"mlockall\", \"mmap\", \"mmap2\", \"mprotect\",\n"
    "   \"mq_getsetattr\", \"mq_notify\", \"mq_open\", \"mq_timedreceive\", \"mq_timedsend\",\n"
    "   \"mq_unlink\", \"mremap\", \"msgctl\", \"msgget\", \"msgrcv\", \"msgsnd\", \"msync\", "
    "\"munlock\",\n"
    "   \"munlockall\", \"munmap\", \"nanosleep\", \"newfstatat\", \"_newselect\", \"open\", "
    "\"openat\",\n"
    "   \"openat2\", \"pause\", \"pidfd_open\", \"pidfd_send_signal\", \"pipe\", \"pipe2\", "
    "\"poll\",\n"
    "   \"ppoll\", \"ppoll_time64\", \"prctl\", \"pread64\", \"preadv\", \"preadv2\", "
    "\"prlimit64\",\n"
    "   \"pselect6\", \"pselect6_time64\", \"pwrite64\", \"pwritev\", \"pwritev2\", \"read\",\n"
    "   \"readahead\", \"readlink\", \"readlinkat\", \"readv\", \"recv\", \"recvfrom\", "
    "\"recvmmsg\",\n"
    "   \"recvmmsg_time64\", \"recvmsg\", \"remap_file_pages\", \"removexattr\", \"rename\",\n"
    "   \"renameat\", \"renameat2\", \"restart_syscall\", \"rmdir\", \"rseq\", \"rt_sigaction\",\n"
    "   \"rt_sigpending\", \"rt_sigprocmask\", \"rt_sigqueueinfo\", \"rt_sigreturn\",\n"
    "   \"rt_sigsuspend\", \"rt_sigtimedwait\", \"rt_sigtimedwait_time64\", "
    "\"rt_tgsigqueueinfo\",\n"
    "   \"sched_get_priority_max\", \"sched_get_priority_min\", \"sched_getaffinity\",\n"
    "   \"sched_getattr\", \"sched_getparam\", \"sched_getscheduler\", \"sched_rr_get_interval\",\n"
    "   \"sched_setaffinity\", \"sched_setattr\", \"sched_setparam\", \"sched_setscheduler\",\n"
    "   \"sched_yield\", \"select\", \"semctl\", \"semget\", \"semop\", \"semtimedop\", \"send\",\n"
    "   \"sendfile\", \"sendfile64\", \"sendmmsg\", \"sendmsg\", \"sendto\", \"set_mempolicy\",\n"
    "   \"set_robust_list\", \"set_thread_area\", \"set_tid_address\", \"setfsgid\", "
    "\"setfsgid32\",\n"
    "   \"setfsuid\", \"setfsuid32\", \"setgid\", \"setgid32\", \"setgroups\", \"setgroups32\",\n"
    "   \"setitimer\", \"setpgid\", \"setpriority\", \"setregid\", \"setregid32\", \"setresgid\",\n"
    "   \"setresgid32\", \"setresuid\", \"setresuid32\", \"setreuid\", \"setreuid32\", "
    "\"setrlimit\",\n"
    "   \"setsid\", \"setsockopt\", \"setuid\", \"setuid32\", \"setxattr\", \"shmat\", "
    "\"shmctl\",\n"
    "   \"shmdt\", \"shmget\", \"shutdown\", \"sigaltstack\", \"signalfd\", \"signalfd4\",\n"
    "   \"sigprocmask\", \"sigreturn\", \"socket\", \"socketcall\", \"socketpair\", \"splice\", "
    "\"stat\",\n"
    "   \"stat64\", \"statfs\", \"statfs64\", \"statx\", \"symlink\", \"symlinkat\", \"sync\",\n"
    "   \"sync_file_range\", \"syncfs\", \"sysinfo\", \"tee\", \"tgkill\", \"time\", "
    "\"timer_create\",\n"
    "   \"timer_delete\", \"timer_getoverrun\", \"timer_gettime\", \"timer_gettime64\",\n"
    "   \"timer_settime\", \"timer_settime64\", \"timerfd_create\", \"timerfd_gettime\",\n"
    "   \"timerfd_gettime64\", \"timerfd_settime\", \"timerfd_settime64\", \"times\", \"tkill\",\n"
    "   \"truncate\", \"truncate64\", \"ugetrlimit\", \"umask\", \"uname\", \"unlink\", "
    "\"unlinkat\",\n"
    "   \"utime\", \"utimensat\", \"utimensat_time64\", \"utimes\", \"vfork\", \"wait4\", "
    "\"waitid\",\n"
    "   \"waitpid\", \"write\", \"writev\"\n"
    "  ]},\n"
    "  {\"action\": \"SCMP_ACT_ALLOW\", \"names\": [\"clone\"],\n"
    "   \"args\": [{\"index\": 0, \"value\": 2114060288, \"valueTwo\": 0, \"op\": "
    "\"SCMP_CMP_MASKED_EQ\"}]},\n"
    "  {\"action\": \"SCMP_ACT_ALLOW\", \"names\": [\"personality\"],\n"
    "   \"args\": [{\"index\": 0, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"},\n"
    "            {\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"},\n"
    "            {\"index\": 0, \"value\": 131072, \"op\": \"SCMP_CMP_EQ\"},\n"
    "            {\"index\": 0, \"value\": 131080, \"op\": \"SCMP_CMP_EQ\"},\n"
    "            {\"index\": 0, \"value\": 4294967295, \"op\": \"SCMP_CMP_EQ\"}]},\n"
    "  {\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1, \"names\": [\n"
    "   \"mount\", \"umount2\", \"pivot_root\", \"unshare\", \"setns\", \"kexec_load\",\n"
    "   \"kexec_file_load\", \"init_module\", \"finit_module\", \"delete_module\", \"reboot\",\n"
    "   \"swapon\", \"swapoff\", \"bpf\", \"perf_event_open\", \"userfaultfd\", "
    "\"open_by_handle_at\",\n"
    "   \"name_to_handle_at\", \"keyctl\", \"add_key\", \"request_key\", \"acct\", \"quotactl\",\n"
    "   \"settimeofday\", \"clock_settime\", \"clock_adjtime\", \"adjtimex\", \"ptrace\",\n"
    "   \"process_vm_readv\", \"process_vm_writev\", \"iopl\", \"ioperm\"\n"
    "  ]}\n"
    " ]}\n";

const char *sp_seccomp_default_profile_json(void)
{
    return default_profile;
}
