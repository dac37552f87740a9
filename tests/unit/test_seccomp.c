/*
 * Unit tests: linux.seccomp parsing with located errors, compiling to BPF,
 * the compiled-program cache, and a filter applied in a forked child (works
 * unprivileged thanks to no_new_privs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "security.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* A private directory per test, removed by the teardown even when the test fails. */
static int tmpdir_setup(void **state)
{
    char *dir = sp_xstrdup("/tmp/septa-test-seccomp-XXXXXX");
    if (!mkdtemp(dir)) {
        free(dir);
        return -1;
    }
    *state = dir;
    return 0;
}

static int tmpdir_teardown(void **state)
{
    sp_error *err = NULL;
    int r = sp_rm_rf_at(AT_FDCWD, *state, &err);
    sp_error_free(&err);
    free(*state);
    return r;
}

static sp_jdoc *load(const char *text)
{
    sp_jdoc *doc = NULL;
    sp_error *err = NULL;
    if (sp_jdoc_load_buf(text, strlen(text), "config.json", &doc, &err) < 0)
        fail_msg("bad test JSON: %s", err->msg);
    return doc;
}

/* Parse linux.seccomp of a config text: 0 with *out, or -1 with the message in *msg. */
static int parse(const char *text, struct sp_seccomp **out, char **msg)
{
    _cleanup_jdoc_ sp_jdoc *doc = load(text);
    sp_error *err = NULL;
    json_t *sc = json_object_get(json_object_get(doc->root, "linux"), "seccomp");
    int r = sp_seccomp_parse(doc, sc, "linux.seccomp", out, &err);
    if (r < 0) {
        assert_non_null(err);
        *msg = sp_xstrdup(err->msg);
        sp_error_free(&err);
    }
    return r;
}

/* Every mismatch is printed before the test fails, so one run shows them all. */
static int mismatches;

static void expect_refused(const char *text, const char *want)
{
    struct sp_seccomp *s = NULL;
    _cleanup_free_ char *msg = NULL;
    if (parse(text, &s, &msg) == 0) {
        sp_seccomp_free(s);
        print_error("accepted, want '%s'\n", want);
        mismatches++;
        return;
    }
    if (strcmp(msg, want) != 0) {
        print_error("got  '%s'\nwant '%s'\n", msg, want);
        mismatches++;
    }
}

static void test_bad_profiles(void **state)
{
    (void)state;
    expect_refused("{\"linux\": {\"seccomp\": {\n"
                   "  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
                   "  \"syscalls\": [{\"names\": [\"read\", \"no_such_call\"],\n"
                   "                \"action\": \"SCMP_ACT_ERRNO\"}]}}}",
                   "config.json:3:35: linux.seccomp.syscalls[0].names[1]: unknown system call "
                   "'no_such_call'");
    expect_refused("{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_BOGUS\"}}}",
                   "config.json:1:41: linux.seccomp.defaultAction: unknown seccomp action "
                   "'SCMP_ACT_BOGUS'");
    expect_refused("{\"linux\": {\"seccomp\": {}}}",
                   "config.json:1:23: linux.seccomp.defaultAction: required but missing");
    expect_refused("{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_NOTIFY\"}}}",
                   "config.json:1:41: linux.seccomp.defaultAction: SCMP_ACT_NOTIFY needs "
                   "linux.seccomp.listenerPath (the socket that receives the notify fd)");
    expect_refused("{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
                   "  \"architectures\": [\"SCMP_ARCH_VAX\"]}}}",
                   "config.json:2:21: linux.seccomp.architectures[0]: unknown architecture "
                   "'SCMP_ARCH_VAX'");
    expect_refused("{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
                   "  \"flags\": [\"SECCOMP_FILTER_FLAG_NOPE\"]}}}",
                   "config.json:2:13: linux.seccomp.flags[0]: unknown seccomp flag "
                   "'SECCOMP_FILTER_FLAG_NOPE' (known: SECCOMP_FILTER_FLAG_TSYNC, "
                   "SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW)");
    expect_refused("{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
                   "  \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\",\n"
                   "    \"args\": [{\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}}}",
                   "config.json:3:24: linux.seccomp.syscalls[0].args[0].index: 6 is out of range "
                   "[0, 5]");
    expect_refused("{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
                   "  \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\",\n"
                   "    \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_ALMOST\"}]}]}}}",
                   "config.json:3:45: linux.seccomp.syscalls[0].args[0].op: unknown comparison "
                   "'SCMP_CMP_ALMOST'");
    expect_refused("{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
                   "  \"syscalls\": [{\"names\": [], \"action\": \"SCMP_ACT_ERRNO\"}]}}}",
                   "config.json:2:26: linux.seccomp.syscalls[0].names: is empty");
    expect_refused("{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
                   "  \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_KILL\",\n"
                   "                \"errnoRet\": 5}]}}}",
                   "config.json:3:29: linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and "
                   "SCMP_ACT_TRACE take a return value, not SCMP_ACT_KILL");
    expect_refused("{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
                   "  \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}}}",
                   "config.json:2:46: linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY needs "
                   "linux.seccomp.listenerPath (the socket that receives the notify fd)");
    expect_refused("{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_NOTIFY\",\n"
                   "  \"listenerPath\": \"/run/l.sock\"}}}",
                   "config.json:1:41: linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the "
                   "default action (as in runc)");
    expect_refused(
        "{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
        "  \"listenerPath\": \"/run/l.sock\",\n"
        "  \"syscalls\": [{\"names\": [\"mount\", \"sendmsg\"], \"action\": "
        "\"SCMP_ACT_NOTIFY\"}]}}}",
        "config.json:3:36: linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot apply "
        "to sendmsg: septa sends the listener its fd with it");
    expect_refused("{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
                   "  \"listenerPath\": \"run/l.sock\"}}}",
                   "config.json:2:19: linux.seccomp.listenerPath: must be an absolute path, got "
                   "'run/l.sock'");
    expect_refused("{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
                   "  \"syscalls\": [\"read\"]}}}",
                   "config.json:2:16: linux.seccomp.syscalls[0]: expected an object");
    assert_int_equal(mismatches, 0);
}

/*
 * A name that exists only on another listed architecture is accepted, and so
 * is one libseccomp knows only for an architecture the filter does not cover
 * (recv, timerfd: podman's default profile names them).
 */
static void test_other_arch_names(void **state)
{
    (void)state;
    struct sp_seccomp *s = NULL;
    _cleanup_free_ char *msg = NULL;
    const char *x86_only =
        "{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
        "  \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\"],\n"
        "  \"syscalls\": [{\"names\": [\"socketcall\", \"_llseek\", \"recv\", \"timerfd\"],\n"
        "                \"action\": \"SCMP_ACT_ERRNO\"}]}}}";
    if (parse(x86_only, &s, &msg) < 0)
        fail_msg("refused: %s", msg);
    sp_error *err = NULL;
    assert_int_equal(sp_seccomp_prepare(s, NULL, NULL, &err), 0);
    sp_seccomp_free(s);
}

static void test_default_profile(void **state)
{
    (void)state;
    const char *p = sp_seccomp_default_profile_json();
    _cleanup_free_ char *text = sp_xasprintf("{\"linux\": {\"seccomp\": %s}}", p);
    struct sp_seccomp *s = NULL;
    _cleanup_free_ char *msg = NULL;
    if (parse(text, &s, &msg) < 0)
        fail_msg("default profile refused: %s", msg);
    sp_error *err = NULL;
    if (sp_seccomp_prepare(s, NULL, NULL, &err) < 0)
        fail_msg("default profile does not compile: %s", err->msg);
    sp_seccomp_free(s);
}

static const char errno_profile[] =
    "{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
    "  \"syscalls\": [\n"
    "    {\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 42},\n"
    "    {\"names\": [\"getpgid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 43,\n"
    "     \"args\": [{\"index\": 0, \"value\": 77777, \"op\": \"SCMP_CMP_EQ\"}]},\n"
    "    {\"names\": [\"getsid\"], \"action\": \"SCMP_ACT_ERRNO\",\n"
    "     \"args\": [{\"index\": 0, \"value\": 11, \"op\": \"SCMP_CMP_EQ\"},\n"
    "              {\"index\": 0, \"value\": 12, \"op\": \"SCMP_CMP_EQ\"}]}\n"
    "  ]}}}";

static struct sp_seccomp *errno_filter_spaced(bool respaced)
{
    struct sp_seccomp *s = NULL;
    _cleanup_free_ char *msg = NULL;
    _cleanup_free_ char *text = sp_xstrdup(errno_profile);
    for (char *c = text; respaced && *c; c++)
        if (*c == '\n')
            *c = '\t';
    if (parse(text, &s, &msg) < 0)
        fail_msg("refused: %s", msg);
    return s;
}

static struct sp_seccomp *errno_filter(void)
{
    return errno_filter_spaced(false);
}

static long file_mtime_ns(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (long)st.st_mtim.tv_sec * 1000000000L + st.st_mtim.tv_nsec;
}

static void test_cache(void **state)
{
    const char *dir = *state;
    _cleanup_free_ char *cache = sp_path_join(dir, "cache");
    sp_error *err = NULL;

    struct sp_seccomp *a = errno_filter();
    bool hit = true;
    if (sp_seccomp_prepare(a, cache, &hit, &err) < 0)
        fail_msg("%s", err->msg);
    assert_false(hit);
    char key[65];
    sp_seccomp_cache_key(a, key);
    _cleanup_free_ char *name = sp_xasprintf("%s/%s.bpf", cache, key);
    long mtime = file_mtime_ns(name);
    struct stat st;
    assert_int_equal(stat(cache, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);

    /* Same profile written differently (spacing): same key, served from the cache. */
    struct sp_seccomp *b = errno_filter_spaced(true);
    char key2[65];
    sp_seccomp_cache_key(b, key2);
    assert_string_equal(key, key2);
    if (sp_seccomp_prepare(b, cache, &hit, &err) < 0)
        fail_msg("%s", err->msg);
    assert_true(hit);
    assert_int_equal(file_mtime_ns(name), mtime);

    /* A damaged cache entry is not loaded: compiled again and replaced. */
    {
        int fd = open(name, O_WRONLY | O_TRUNC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "junk!", 5), 5);
        close(fd);
        struct sp_seccomp *d = errno_filter();
        assert_int_equal(sp_seccomp_prepare(d, cache, &hit, &err), 0);
        assert_false(hit);
        struct stat dst;
        assert_int_equal(stat(name, &dst), 0);
        assert_true(dst.st_size > 5 && dst.st_size % 8 == 0);
        sp_seccomp_free(d);
    }

    /* A different profile gets a different key. */
    struct sp_seccomp *c = NULL;
    _cleanup_free_ char *msg = NULL;
    assert_int_equal(
        parse("{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_LOG\"}}}", &c, &msg), 0);
    char key3[65];
    sp_seccomp_cache_key(c, key3);
    assert_string_not_equal(key, key3);

    /* A cache others can write to is not trusted. */
    assert_int_equal(chmod(cache, 0777), 0);
    assert_int_equal(sp_seccomp_prepare(c, cache, &hit, &err), -1);
    assert_non_null(strstr(err->msg, "writable by others"));
    sp_error_free(&err);

    sp_seccomp_free(a);
    sp_seccomp_free(b);
    sp_seccomp_free(c);
}

/* Fork, set no_new_privs, load the (cached) program, report what the calls return. */
static void test_apply_in_child(void **state)
{
    const char *dir = *state;
    sp_error *err = NULL;
    struct sp_seccomp *warm = errno_filter();
    assert_int_equal(sp_seccomp_prepare(warm, dir, NULL, &err), 0);
    struct sp_seccomp *s = errno_filter();
    bool hit = false;
    assert_int_equal(sp_seccomp_prepare(s, dir, &hit, &err), 0);
    assert_true(hit);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || sp_seccomp_apply(s, &err) < 0)
            _exit(100);
        /* Exit codes encode what each check saw. */
        errno = 0;
        /* Through syscall(): glibc's getppid() never sets errno. */
        if (syscall(SYS_getppid) != -1 || errno != 42)
            _exit(1);
        errno = 0;
        if (syscall(SYS_getpgid, 77777) != -1 || errno != 43)
            _exit(2);
        if (getpgid(0) < 0) /* other argument: allowed */
            _exit(3);
        errno = 0;
        if (syscall(SYS_getsid, 12) != -1 || errno != EPERM) /* second of two conditions */
            _exit(4);
        errno = 0;
        if (syscall(SYS_getsid, 11) != -1 || errno != EPERM)
            _exit(5);
        if (getsid(0) < 0)
            _exit(6);
        _exit(0);
    }
    int ws = 0;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    assert_true(WIFEXITED(ws));
    assert_int_equal(WEXITSTATUS(ws), 0);
    sp_seccomp_free(warm);
    sp_seccomp_free(s);
}

/* Without no_new_privs and without CAP_SYS_ADMIN the load is refused, clearly. */
static void test_apply_needs_nnp(void **state)
{
    (void)state;
    struct sp_seccomp *s = errno_filter();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sp_error *err = NULL;
        /* As root, leaving uid 0 without KEEPCAPS drops CAP_SYS_ADMIN. */
        if (geteuid() == 0 && setresuid(65534, 65534, 65534) < 0)
            _exit(3);
        if (sp_seccomp_apply(s, &err) == 0)
            _exit(1);
        _exit(strstr(err->msg, "needs noNewPrivileges or CAP_SYS_ADMIN") ? 0 : 2);
    }
    int ws = 0;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    assert_true(WIFEXITED(ws));
    assert_int_equal(WEXITSTATUS(ws), 0);
    sp_seccomp_free(s);
}

/*
 * SCMP_ACT_NOTIFY: the child connects to the listener, loads the filter, and
 * sends the notify fd with the container process state; this process, as the
 * listener, answers the notified call with an errno the child then sees.
 */
static void test_notify_listener(void **state)
{
    const char *dir = *state;
    _cleanup_free_ char *sock = sp_path_join(dir, "listener.sock");
    _cleanup_free_ char *text = sp_xasprintf(
        "{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
        "  \"listenerPath\": \"%s\", \"listenerMetadata\": \"meta=1\",\n"
        "  \"syscalls\": [{\"names\": [\"getpgid\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}}}",
        sock);
    struct sp_seccomp *s = NULL;
    _cleanup_free_ char *msg = NULL;
    if (parse(text, &s, &msg) < 0)
        fail_msg("refused: %s", msg);
    sp_error *err = NULL;
    assert_int_equal(sp_seccomp_prepare(s, NULL, NULL, &err), 0);

    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(lfd, 1), 0);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(lfd);
        if (sp_seccomp_listener_connect(s, "{\"id\": \"c1\", \"status\": \"creating\"}", getpid(),
                                        &err) < 0 ||
            prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || sp_seccomp_apply(s, &err) < 0) {
            fprintf(stderr, "%s\n", err ? err->msg : "prctl");
            _exit(100);
        }
        errno = 0;
        if (syscall(SYS_getpgid, 4242) != -1 || errno != 55)
            _exit(1);
        _exit(0);
    }
    int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    assert_true(conn >= 0);
    char buf[4096] = {0};
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf) - 1};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    assert_true(recvmsg(conn, &mh, 0) > 0);
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    if (!cm || cm->cmsg_type != SCM_RIGHTS) {
        fail_msg("no fd came with the listener message");
        return;
    }
    int nfd;
    memcpy(&nfd, CMSG_DATA(cm), sizeof(int));
    json_t *j = json_loads(buf, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "fds"), 0)),
                        "seccompFd");
    assert_int_equal(json_integer_value(json_object_get(j, "pid")), pid);
    assert_string_equal(json_string_value(json_object_get(j, "metadata")), "meta=1");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "state"), "id")),
                        "c1");
    json_decref(j);

    /* Answer the notified call: getpgid(4242) fails with errno 55. */
    struct seccomp_notif req = {0};
    assert_int_equal(ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, &req), 0);
    assert_int_equal(req.pid, pid);
    assert_int_equal(req.data.nr, SYS_getpgid);
    assert_int_equal(req.data.args[0], 4242);
    struct seccomp_notif_resp resp = {.id = req.id, .error = -55};
    assert_int_equal(ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, &resp), 0);

    int ws = 0;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    assert_true(WIFEXITED(ws));
    assert_int_equal(WEXITSTATUS(ws), 0);
    close(nfd);
    close(conn);
    close(lfd);
    sp_seccomp_free(s);
}

/* A notify profile applied where the listener was never connected (exec): refused. */
static void test_notify_unconnected(void **state)
{
    (void)state;
    struct sp_seccomp *s = NULL;
    _cleanup_free_ char *msg = NULL;
    assert_int_equal(
        parse("{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
              "  \"listenerPath\": \"/run/nowhere.sock\",\n"
              "  \"syscalls\": [{\"names\": [\"getpgid\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}}}",
              &s, &msg),
        0);
    sp_error *err = NULL;
    assert_int_equal(sp_seccomp_apply(s, &err), -1);
    assert_string_equal(err->msg, "linux.seccomp: SCMP_ACT_NOTIFY: not connected to listenerPath "
                                  "/run/nowhere.sock (only the container's init can reach it)");
    sp_error_free(&err);
    assert_int_equal(sp_seccomp_listener_connect(s, "{}", 1, &err), -1);
    assert_string_equal(err->msg, "linux.seccomp.listenerPath: connecting to /run/nowhere.sock: No "
                                  "such file or directory");
    sp_error_free(&err);
    sp_seccomp_free(s);
}

static bool has(json_t *arr, const char *s)
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

static void test_features(void **state)
{
    (void)state;
    json_t *f = sp_security_features();
    json_t *sc = json_object_get(f, "seccomp");
    assert_true(json_is_true(json_object_get(sc, "enabled")));
    assert_true(has(json_object_get(sc, "actions"), "SCMP_ACT_NOTIFY"));
    assert_true(has(json_object_get(sc, "operators"), "SCMP_CMP_MASKED_EQ"));
    assert_true(has(json_object_get(sc, "archs"), "SCMP_ARCH_X86_64"));
    assert_true(has(json_object_get(sc, "knownFlags"), "SECCOMP_FILTER_FLAG_SPEC_ALLOW"));
    /* Every kernel septa supports (>= 5.3 for pidfds) has TSYNC and LOG. */
    assert_true(has(json_object_get(sc, "supportedFlags"), "SECCOMP_FILTER_FLAG_TSYNC"));
    assert_true(has(json_object_get(sc, "supportedFlags"), "SECCOMP_FILTER_FLAG_LOG"));
    json_t *caps = json_object_get(f, "capabilities");
    assert_true(has(caps, "CAP_CHOWN"));
    assert_true(has(caps, "CAP_SYS_ADMIN"));
    assert_int_equal(json_array_size(caps), (size_t)sp_cap_last_cap() + 1);
    assert_true(json_is_boolean(json_object_get(json_object_get(f, "apparmor"), "enabled")));
    assert_true(json_is_boolean(json_object_get(json_object_get(f, "selinux"), "enabled")));
    json_decref(f);
}

int main(int argc, char **argv)
{
    /* security.bats runs containers under the default profile printed here. */
    if (argc == 2 && strcmp(argv[1], "--print-default") == 0) {
        fputs(sp_seccomp_default_profile_json(), stdout);
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_profiles),
        cmocka_unit_test(test_other_arch_names),
        cmocka_unit_test(test_default_profile),
        cmocka_unit_test_setup_teardown(test_cache, tmpdir_setup, tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_apply_in_child, tmpdir_setup, tmpdir_teardown),
        cmocka_unit_test(test_apply_needs_nnp),
        cmocka_unit_test_setup_teardown(test_notify_listener, tmpdir_setup, tmpdir_teardown),
        cmocka_unit_test(test_features),
        cmocka_unit_test(test_notify_unconnected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
