/*
 * Unit tests: process.capabilities parsing (located errors, names as the spec
 * spells them) and, as root, the whole drop + uid switch in a forked child,
 * checked from /proc/self/status.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
/* runtime/config.h, not the build's config.h of the same name. */
#include "../../runtime/config.h"
#include "security.h"

#include <grp.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int mismatches;

static int parse(const char *text, struct sp_caps **out, char **msg)
{
    sp_jdoc *doc = NULL;
    sp_error *err = NULL;
    if (sp_jdoc_load_buf(text, strlen(text), "config.json", &doc, &err) < 0)
        fail_msg("bad test JSON: %s", err->msg);
    json_t *c = json_object_get(json_object_get(doc->root, "process"), "capabilities");
    int r = sp_caps_parse(doc, c, "process.capabilities", out, &err);
    if (r < 0) {
        *msg = sp_xstrdup(err->msg);
        sp_error_free(&err);
    }
    sp_jdoc_free(doc);
    return r;
}

static void expect_refused(const char *text, const char *want)
{
    struct sp_caps *c = NULL;
    _cleanup_free_ char *msg = NULL;
    if (parse(text, &c, &msg) == 0) {
        sp_caps_free(c);
        print_error("accepted, want '%s'\n", want);
        mismatches++;
    } else if (strcmp(msg, want) != 0) {
        print_error("got  '%s'\nwant '%s'\n", msg, want);
        mismatches++;
    }
}

#define BIT(c) (UINT64_C(1) << (c))

static void test_names(void **state)
{
    (void)state;
    assert_int_equal(sp_cap_from_name("CAP_NET_ADMIN"), CAP_NET_ADMIN);
    assert_int_equal(sp_cap_from_name("CAP_CHOWN"), CAP_CHOWN);
    assert_int_equal(sp_cap_from_name("CAP_SYS_ADMIN"), CAP_SYS_ADMIN);
    /* libcap would take these; the spec's spelling is "CAP_" + upper case. */
    assert_int_equal(sp_cap_from_name("cap_net_admin"), -1);
    assert_int_equal(sp_cap_from_name("NET_ADMIN"), -1);
    assert_int_equal(sp_cap_from_name("12"), -1);
    assert_int_equal(sp_cap_from_name("CAP_"), -1);
    assert_int_equal(sp_cap_from_name("CAP_FOO"), -1);
    assert_true(sp_cap_last_cap() >= CAP_AUDIT_READ);
}

static void test_parse_good(void **state)
{
    (void)state;
    struct sp_caps *c = NULL;
    _cleanup_free_ char *msg = NULL;
    const char *text = "{\"process\": {\"capabilities\": {\n"
                       "  \"bounding\": [\"CAP_CHOWN\", \"CAP_NET_BIND_SERVICE\", \"CAP_KILL\"],\n"
                       "  \"effective\": [\"CAP_CHOWN\", \"CAP_NET_BIND_SERVICE\"],\n"
                       "  \"permitted\": [\"CAP_CHOWN\", \"CAP_NET_BIND_SERVICE\"],\n"
                       "  \"inheritable\": [\"CAP_NET_BIND_SERVICE\"],\n"
                       "  \"ambient\": [\"CAP_NET_BIND_SERVICE\"]}}}";
    if (parse(text, &c, &msg) < 0)
        fail_msg("%s", msg);
    assert_int_equal(c->sets[SP_CAP_BOUNDING],
                     BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL));
    assert_int_equal(c->sets[SP_CAP_EFFECTIVE], BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE));
    assert_int_equal(c->sets[SP_CAP_AMBIENT], BIT(CAP_NET_BIND_SERVICE));
    sp_caps_free(c);
    /* Absent means empty: no capability at all. */
    c = NULL;
    assert_int_equal(parse("{\"process\": {}}", &c, &msg), 0);
    for (int s = 0; s < SP_CAP_NSETS; s++)
        assert_int_equal(c->sets[s], 0);
    sp_caps_free(c);
}

static void test_parse_bad(void **state)
{
    (void)state;
    expect_refused("{\"process\": {\"capabilities\": {\n"
                   "  \"bounding\": [\"CAP_CHOWN\", \"CAP_KILL\", \"CAP_FOO\"]}}}",
                   "config.json:2:41: process.capabilities.bounding[2]: unknown capability "
                   "'CAP_FOO'");
    expect_refused("{\"process\": {\"capabilities\": {\"effective\": [\"cap_chown\"]}}}",
                   "config.json:1:45: process.capabilities.effective[0]: unknown capability "
                   "'cap_chown'");
    expect_refused("{\"process\": {\"capabilities\": {\"permitted\": [12]}}}",
                   "config.json:1:45: process.capabilities.permitted[0]: expected a string");
    expect_refused("{\"process\": {\"capabilities\": {\"ambient\": \"CAP_CHOWN\"}}}",
                   "config.json:1:42: process.capabilities.ambient: expected an array, got a "
                   "string");
    expect_refused("{\"process\": {\"capabilities\": [\"CAP_CHOWN\"]}}",
                   "config.json:1:30: process.capabilities: expected an object");
    expect_refused("{\"process\": {\"capabilities\": {\n"
                   "  \"effective\": [\"CAP_CHOWN\", \"CAP_KILL\"],\n"
                   "  \"permitted\": [\"CAP_CHOWN\"]}}}",
                   "config.json:2:16: process.capabilities.effective: CAP_KILL is not in the "
                   "permitted set (the kernel requires it)");
    expect_refused("{\"process\": {\"capabilities\": {\n"
                   "  \"permitted\": [\"CAP_KILL\"],\n"
                   "  \"ambient\": [\"CAP_KILL\"]}}}",
                   "config.json:3:14: process.capabilities.ambient: CAP_KILL is not in the "
                   "inheritable set (the kernel requires it)");
    assert_int_equal(mismatches, 0);
}

/* On an older kernel, names libcap knows but the kernel lacks are skipped, not refused. */
static void test_parse_older_kernel(void **state)
{
    (void)state;
    const char *text = "{\"process\": {\"capabilities\": {\"bounding\": [\n"
                       "  \"CAP_CHOWN\", \"CAP_BPF\", \"CAP_CHECKPOINT_RESTORE\"]}}}";
    sp_jdoc *doc = NULL;
    sp_error *err = NULL;
    assert_int_equal(sp_jdoc_load_buf(text, strlen(text), "config.json", &doc, &err), 0);
    json_t *c = json_object_get(json_object_get(doc->root, "process"), "capabilities");
    struct sp_caps *caps = NULL;
    /* 5.8 added CAP_PERFMON (38), CAP_BPF (39), CAP_CHECKPOINT_RESTORE (40): pretend 37. */
    assert_int_equal(sp_caps_parse_for_kernel(doc, c, "process.capabilities", 37, &caps, &err), 0);
    assert_int_equal(caps->sets[SP_CAP_BOUNDING], BIT(CAP_CHOWN));
    sp_caps_free(caps);
    caps = NULL;
    assert_int_equal(sp_caps_parse_for_kernel(doc, c, "process.capabilities", 40, &caps, &err), 0);
    assert_int_equal(caps->sets[SP_CAP_BOUNDING], BIT(CAP_CHOWN) | BIT(39) | BIT(40));
    sp_caps_free(caps);
    sp_jdoc_free(doc);
}

/* A "Name:\t<hex>" line of /proc/self/status. */
static uint64_t status_hex(const char *name)
{
    _cleanup_file_ FILE *f = fopen("/proc/self/status", "re");
    char line[512];
    size_t n = strlen(name);
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, name, n) == 0 && line[n] == ':')
            return strtoull(line + n + 1, NULL, 16);
    return UINT64_MAX;
}

static bool status_line_is(const char *name, const char *want)
{
    _cleanup_file_ FILE *f = fopen("/proc/self/status", "re");
    char line[512];
    size_t n = strlen(name);
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, name, n) == 0 && line[n] == ':') {
            char *v = line + n + 1;
            v += strspn(v, "\t ");
            v[strcspn(v, "\n")] = '\0';
            /* The kernel ends the Groups list with a space. */
            for (size_t k = strlen(v); k > 0 && v[k - 1] == ' '; k--)
                v[k - 1] = '\0';
            return strcmp(v, want) == 0;
        }
    return false;
}

static void test_apply_as_root(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    struct sp_caps *c = NULL;
    _cleanup_free_ char *msg = NULL;
    const char *text = "{\"process\": {\"capabilities\": {\n"
                       "  \"bounding\": [\"CAP_CHOWN\", \"CAP_NET_BIND_SERVICE\", \"CAP_KILL\"],\n"
                       "  \"effective\": [\"CAP_CHOWN\", \"CAP_NET_BIND_SERVICE\"],\n"
                       "  \"permitted\": [\"CAP_CHOWN\", \"CAP_NET_BIND_SERVICE\"],\n"
                       "  \"inheritable\": [\"CAP_NET_BIND_SERVICE\"],\n"
                       "  \"ambient\": [\"CAP_NET_BIND_SERVICE\"]}}}";
    if (parse(text, &c, &msg) < 0)
        fail_msg("%s", msg);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sp_error *err = NULL;
        gid_t groups[] = {4242, 4343};
        struct sp_user u = {.uid = 1234,
                            .gid = 5678,
                            .additional_gids = groups,
                            .n_additional_gids = 2,
                            .has_umask = true,
                            .umask = 027};
        if (sp_caps_apply(c, &u, &err) < 0) {
            fprintf(stderr, "%s\n", err->msg);
            _exit(1);
        }
        if (status_hex("CapBnd") != (BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL)))
            _exit(2);
        if (status_hex("CapEff") != (BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE)))
            _exit(3);
        if (status_hex("CapPrm") != (BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE)))
            _exit(4);
        if (status_hex("CapInh") != BIT(CAP_NET_BIND_SERVICE))
            _exit(5);
        if (status_hex("CapAmb") != BIT(CAP_NET_BIND_SERVICE))
            _exit(6);
        if (!status_line_is("Uid", "1234\t1234\t1234\t1234"))
            _exit(7);
        if (!status_line_is("Gid", "5678\t5678\t5678\t5678"))
            _exit(8);
        if (!status_line_is("Groups", "4242 4343"))
            _exit(9);
        mode_t old = umask(0);
        _exit(old == 027 ? 0 : 10);
    }
    int ws = 0;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    assert_true(WIFEXITED(ws));
    assert_int_equal(WEXITSTATUS(ws), 0);
    sp_caps_free(c);
}

/* No capabilities at all (caps NULL), staying root: everything empty. */
static void test_apply_none(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sp_error *err = NULL;
        if (sp_caps_apply(NULL, NULL, &err) < 0)
            _exit(1);
        if (status_hex("CapBnd") != 0 || status_hex("CapEff") != 0 || status_hex("CapPrm") != 0)
            _exit(2);
        _exit(status_line_is("Uid", "0\t0\t0\t0") ? 0 : 3);
    }
    int ws = 0;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    assert_true(WIFEXITED(ws));
    assert_int_equal(WEXITSTATUS(ws), 0);
}

/*
 * The whole child sequence (security.h C2 then C4) from a config: every
 * effect checked from the process itself.  With noNewPrivileges false and no
 * CAP_SYS_ADMIN left, the filter can only load before the capability drop:
 * both variants must end with the filter on.
 */
static const char full_config[] =
    "{\"process\": {\"user\": {\"uid\": 1000, \"gid\": 1000},\n"
    "  \"noNewPrivileges\": %s, \"oomScoreAdj\": 500,\n"
    "  \"capabilities\": {\"bounding\": [\"CAP_KILL\"], \"effective\": [\"CAP_KILL\"],\n"
    "                   \"permitted\": [\"CAP_KILL\"]},\n"
    "  \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 100, \"hard\": 200}]},\n"
    " \"linux\": {\"personality\": {\"domain\": \"LINUX\"},\n"
    "  \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
    "   {\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 42}]}}}";

static void run_full(bool nnp)
{
    _cleanup_free_ char *text = sp_xasprintf(full_config, nnp ? "true" : "false");
    sp_jdoc *doc = NULL;
    sp_error *err = NULL;
    assert_int_equal(sp_jdoc_load_buf(text, strlen(text), "config.json", &doc, &err), 0);
    struct sp_process p = {.uid = 1000, .gid = 1000};
    struct sp_security *sec = NULL;
    json_t *proc = json_object_get(doc->root, "process");
    if (sp_proc_security_parse(doc, proc, "process", &p.sec, &err) < 0 ||
        sp_security_parse(doc, doc->root, json_object_get(doc->root, "linux"), &sec, &err) < 0 ||
        sp_security_prepare(sec, "c1", "/bundle", NULL, &err) < 0)
        fail_msg("%s", err->msg);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (sp_security_apply(sec, &p, &err) < 0 || sp_security_apply_last(sec, &p, &err) < 0) {
            fprintf(stderr, "%s\n", err->msg);
            _exit(1);
        }
        if (status_hex("NoNewPrivs") != (nnp ? 1 : 0) || status_hex("Seccomp") != 2)
            _exit(2);
        if (status_hex("CapEff") != BIT(CAP_KILL) || status_hex("CapBnd") != BIT(CAP_KILL))
            _exit(3);
        if (!status_line_is("Uid", "1000\t1000\t1000\t1000"))
            _exit(4);
        struct rlimit l;
        if (getrlimit(RLIMIT_NOFILE, &l) < 0 || l.rlim_cur != 100 || l.rlim_max != 200)
            _exit(5);
        _cleanup_file_ FILE *f = fopen("/proc/self/oom_score_adj", "re");
        int adj = 0;
        if (!f || fscanf(f, "%d", &adj) != 1 || adj != 500)
            _exit(6);
        errno = 0;
        if (syscall(SYS_getppid) != -1 || errno != 42)
            _exit(7);
        _exit(0);
    }
    int ws = 0;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    assert_true(WIFEXITED(ws));
    assert_int_equal(WEXITSTATUS(ws), 0);
    sp_proc_security_free(p.sec);
    sp_security_free(sec);
    sp_jdoc_free(doc);
}

static void test_security_apply_nnp(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    run_full(true);
}

static void test_security_apply_early_seccomp(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    run_full(false);
}

static void test_security_parse_errors(void **state)
{
    (void)state;
    const char *text = "{\"process\": {\"oomScoreAdj\": 5000},\n"
                       " \"linux\": {\"personality\": {\"domain\": \"PDP11\"}}}";
    sp_jdoc *doc = NULL;
    sp_error *err = NULL;
    assert_int_equal(sp_jdoc_load_buf(text, strlen(text), "config.json", &doc, &err), 0);
    struct sp_proc_security *ps = NULL;
    struct sp_security *sec = NULL;
    assert_int_equal(
        sp_proc_security_parse(doc, json_object_get(doc->root, "process"), "process", &ps, &err),
        -1);
    assert_string_equal(err->msg, "config.json:1:29: process.oomScoreAdj: 5000 is out of range "
                                  "[-1000, 1000]");
    sp_error_free(&err);
    assert_int_equal(
        sp_security_parse(doc, doc->root, json_object_get(doc->root, "linux"), &sec, &err), -1);
    assert_string_equal(err->msg, "config.json:2:38: linux.personality.domain: unknown domain "
                                  "'PDP11' (expected LINUX or LINUX32)");
    sp_error_free(&err);
    sp_jdoc_free(doc);

    /* Flags septa cannot honour are refused, not dropped. */
    text = "{\"linux\": {\"personality\": {\"domain\": \"LINUX32\", \"flags\": "
           "[\"ADDR_NO_RANDOMIZE\"]}}}";
    assert_int_equal(sp_jdoc_load_buf(text, strlen(text), "config.json", &doc, &err), 0);
    assert_int_equal(
        sp_security_parse(doc, doc->root, json_object_get(doc->root, "linux"), &sec, &err), -1);
    assert_string_equal(err->msg, "config.json:1:59: linux.personality.flags[0]: personality flags "
                                  "are not supported");
    sp_error_free(&err);
    sp_jdoc_free(doc);
}

/* A profile for an LSM the host does not enable is accepted and dropped (as runc). */
static void test_lsm_without_lsm(void **state)
{
    (void)state;
    struct stat st;
    if (stat("/sys/fs/selinux/enforce", &st) == 0 ||
        stat("/sys/module/apparmor/parameters/enabled", &st) == 0)
        skip();
    const char *text = "{\"process\": {\"apparmorProfile\": \"septa-default\",\n"
                       "  \"selinuxLabel\": \"system_u:system_r:container_t:s0\"}}";
    sp_jdoc *doc = NULL;
    sp_error *err = NULL;
    assert_int_equal(sp_jdoc_load_buf(text, strlen(text), "config.json", &doc, &err), 0);
    struct sp_proc_security *ps = NULL;
    assert_int_equal(
        sp_proc_security_parse(doc, json_object_get(doc->root, "process"), "process", &ps, &err),
        0);
    assert_null(ps->apparmor_profile);
    assert_null(ps->selinux_label);
    assert_false(ps->no_new_privileges);
    assert_false(ps->has_oom_score_adj);
    assert_non_null(ps->caps);
    sp_proc_security_free(ps);
    sp_jdoc_free(doc);
}

/*
 * The host side sets the score of another process, as P3 does for the init.
 * (Positive: this machine gives root no CAP_SYS_RESOURCE, needed to lower it.)
 */
static void test_oom_score_adj_pid(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char c;
        close(p[1]);
        /* Wait until the parent set the score, then report it. */
        if (read(p[0], &c, 1) != 1)
            _exit(1);
        _cleanup_file_ FILE *f = fopen("/proc/self/oom_score_adj", "re");
        int adj = 0;
        _exit(f && fscanf(f, "%d", &adj) == 1 && adj == 321 ? 0 : 2);
    }
    close(p[0]);
    sp_error *err = NULL;
    assert_int_equal(sp_oom_score_adj_apply_pid(pid, 321, &err), 0);
    assert_int_equal(write(p[1], "x", 1), 1);
    close(p[1]);
    int ws = 0;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    assert_true(WIFEXITED(ws));
    assert_int_equal(WEXITSTATUS(ws), 0);
    assert_int_equal(sp_oom_score_adj_apply_pid(999999999, 5, &err), -1);
    assert_non_null(strstr(err->msg, "process.oomScoreAdj: setting 5 for pid 999999999"));
    sp_error_free(&err);
}

static void test_state_json(void **state)
{
    (void)state;
    const char *text = "{\"annotations\": {\"a\": \"b\"}}";
    sp_jdoc *doc = NULL;
    sp_error *err = NULL;
    assert_int_equal(sp_jdoc_load_buf(text, strlen(text), "config.json", &doc, &err), 0);
    struct sp_security *sec = NULL;
    assert_int_equal(sp_security_parse(doc, doc->root, NULL, &sec, &err), 0);
    assert_int_equal(sp_security_prepare(sec, "c1", "/b", NULL, &err), 0);
    _cleanup_free_ char *s = sp_security_state_json(sec, "creating", 42);
    assert_string_equal(s, "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"status\":\"creating\","
                           "\"pid\":42,\"bundle\":\"/b\",\"annotations\":{\"a\":\"b\"}}");
    sp_security_free(sec);
    sp_jdoc_free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_parse_older_kernel),
        cmocka_unit_test(test_apply_as_root),
        cmocka_unit_test(test_apply_none),
        cmocka_unit_test(test_security_apply_nnp),
        cmocka_unit_test(test_security_apply_early_seccomp),
        cmocka_unit_test(test_security_parse_errors),
        cmocka_unit_test(test_state_json),
        cmocka_unit_test(test_oom_score_adj_pid),
        cmocka_unit_test(test_lsm_without_lsm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
