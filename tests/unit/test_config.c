/* Unit tests: config.json parser (runtime/config.c), default spec, signal names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bundle_fixture.h"

#include "runtime/config.h" /* runtime/ internal; "config.h" alone is the build config */
#include "runtime.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>


/* A minimal valid config; `extra` is spliced into the top-level object. */
static char *config_text(const char *process_extra, const char *extra)
{
    return sp_xasprintf(
        "{\n"
        "  \"ociVersion\": \"1.2.0\",\n"
        "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
        "  \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"%s},\n"
        "  \"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"pid\"},\n"
        "                            {\"type\": \"uts\"}, {\"type\": \"network\"}]}%s\n"
        "}\n",
        process_extra, extra);
}

static struct sp_config *parse_ok(const char *pextra, const char *extra)
{
    _cleanup_free_ char *t = config_text(pextra, extra);
    struct sp_config *c = NULL;
    sp_error *err = NULL;
    if (sp_config_parse_buf(t, strlen(t), bundle, &c, &err) < 0)
        fail_msg("unexpected error: %s\n%s", err->msg, t);
    return c;
}

static void parse_bad(const char *pextra, const char *extra, const char *needle)
{
    _cleanup_free_ char *t = config_text(pextra, extra);
    struct sp_config *c = NULL;
    sp_error *err = NULL;
    assert_int_equal(sp_config_parse_buf(t, strlen(t), bundle, &c, &err), -1);
    assert_null(c);
    assert_non_null(err);
    if (!strstr(err->msg, needle))
        fail_msg("message '%s' lacks '%s'", err->msg, needle);
    assert_int_equal(sp_error_status(err), SP_EXIT_SEPTA);
    sp_error_free(&err);
}

static void test_minimal(void **state)
{
    struct sp_config *c = parse_ok("", "");
    assert_string_equal(c->process.args[0], "sh");
    assert_string_equal(c->process.cwd, "/");
    assert_true(c->root_readonly);
    assert_true(strstr(c->rootfs, "/rootfs") != NULL);
    assert_true(c->ns[SP_NS_MNT].enabled && c->ns[SP_NS_PID].enabled);
    assert_false(c->ns[SP_NS_USER].enabled);
    assert_int_equal(c->rootfs_propagation, MS_PRIVATE | MS_REC);
    assert_non_null(c->masked_paths);
    assert_null(c->masked_paths[0]);
    sp_config_free(c);
}

static void test_process_fields(void **state)
{
    struct sp_config *c = parse_ok(
        ", \"env\": [\"A=1\", \"B=\"], \"terminal\": true,"
        " \"consoleSize\": {\"height\": 24, \"width\": 80},"
        " \"user\": {\"uid\": 1000, \"gid\": 100, \"umask\": 18, \"additionalGids\": [5, 6]}",
        ", \"hostname\": \"h\"");
    assert_string_equal(c->process.env[1], "B=");
    assert_true(c->process.terminal);
    assert_int_equal(c->process.rows, 24);
    assert_int_equal(c->process.cols, 80);
    assert_int_equal(c->process.uid, 1000);
    assert_int_equal(c->process.gid, 100);
    assert_true(c->process.has_umask);
    assert_int_equal(c->process.umask, 022);
    assert_int_equal(c->process.n_additional_gids, 2);
    assert_int_equal(c->process.additional_gids[1], 6);
    assert_string_equal(c->hostname, "h");
    sp_config_free(c);
}

static void test_mounts(void **state)
{
    struct sp_config *c = parse_ok(
        "", ", \"mounts\": ["
            "{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
            "{\"destination\": \"/dev//shm/\", \"type\": \"tmpfs\", \"options\": [\"nosuid\","
            " \"ro\", \"size=64k\", \"mode=1777\", \"rslave\"]},"
            "{\"destination\": \"/b\", \"type\": \"bind\", \"source\": \"rootfs\","
            " \"options\": [\"rbind\", \"ro\", \"noexec\"]}]");
    assert_int_equal(c->n_mounts, 3);
    assert_string_equal(c->mounts[1].destination, "/dev/shm");
    assert_string_equal(c->mounts[1].type, "tmpfs");
    assert_int_equal(c->mounts[1].flags, MS_NOSUID | MS_RDONLY);
    assert_string_equal(c->mounts[1].data, "size=64k,mode=1777");
    assert_int_equal(c->mounts[1].propagation, MS_SLAVE | MS_REC);
    assert_true(c->mounts[2].bind && c->mounts[2].recursive);
    assert_null(c->mounts[2].type);
    assert_int_equal(c->mounts[2].flags, MS_RDONLY | MS_NOEXEC);
    assert_string_equal(c->mounts[2].source + strlen(c->mounts[2].source) - 7, "/rootfs");
    sp_config_free(c);
}

static void test_linux_fields(void **state)
{
    struct sp_config *c = parse_ok("", ", \"hostname\": \"x\"");
    sp_config_free(c);
    _cleanup_free_ char *t =
        sp_xasprintf("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"%s/rootfs\"},"
                     " \"process\": {\"args\": [\"true\"], \"cwd\": \"/\"},"
                     " \"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"user\"},"
                     "   {\"type\": \"time\"}, {\"type\": \"ipc\"}],"
                     "  \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 10}],"
                     "  \"gidMappings\": [{\"containerID\": 0, \"hostID\": 2000, \"size\": 1}],"
                     "  \"timeOffsets\": {\"monotonic\": {\"secs\": 5, \"nanosecs\": 7}},"
                     "  \"devices\": [{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, "
                     "\"minor\": 229}],"
                     "  \"sysctl\": {\"kernel.shmmax\": \"1000\"},"
                     "  \"maskedPaths\": [\"/proc/kcore\"], \"readonlyPaths\": [\"/proc/sys\"],"
                     "  \"rootfsPropagation\": \"rshared\", \"cgroupsPath\": \"/a/b\"}}",
                     bundle);
    sp_error *err = NULL;
    c = NULL;
    if (sp_config_parse_buf(t, strlen(t), bundle, &c, &err) < 0)
        fail_msg("%s", err->msg);
    assert_int_equal(c->n_uid_maps, 1);
    assert_int_equal(c->uid_maps[0].host_id, 1000);
    assert_int_equal(c->uid_maps[0].size, 10);
    assert_int_equal(c->gid_maps[0].host_id, 2000);
    assert_true(c->has_time_offsets);
    assert_int_equal(c->time_offset_mono[0], 5);
    assert_int_equal(c->time_offset_mono[1], 7);
    assert_int_equal(c->n_devices, 1);
    assert_int_equal(c->devices[0].major, 10);
    assert_int_equal(c->devices[0].mode, 0666);
    assert_string_equal(c->sysctls[0].key, "kernel.shmmax");
    assert_string_equal(c->masked_paths[0], "/proc/kcore");
    assert_int_equal(c->rootfs_propagation, MS_SHARED | MS_REC);
    assert_string_equal(c->cgroups_path, "/a/b");
    sp_config_free(c);
}

static void test_bad_configs(void **state)
{
    /* The located error names line and column of the offending value. */
    parse_bad(", \"cwd\": 3", "", "config.json:4:");
    parse_bad("", ", \"hostname\": 5", "hostname: expected");
    parse_bad(", \"env\": [\"X\"]", "", "process.env[0]: expected KEY=VALUE");
    parse_bad(", \"terminal\": 1", "", "process.terminal");
    parse_bad(", \"user\": {\"uid\": -5}", "", "process.user.uid");
    parse_bad("", ", \"mounts\": [{\"destination\": \"x\", \"type\": \"proc\"}]",
              "mounts[0].destination: must be an absolute path");
    parse_bad("",
              ", \"mounts\": [{\"destination\": \"/x\", \"type\": \"tmpfs\","
              " \"options\": [\"bogus\"]}]",
              "mounts[0].options[0]: unknown mount option 'bogus'");
    parse_bad("",
              ", \"mounts\": [{\"destination\": \"/x\", \"type\": \"tmpfs\","
              " \"options\": [\"size=1,mode=2\"]}]",
              "one option per array element");
    parse_bad("", ", \"mounts\": [{\"destination\": \"/x\", \"type\": \"zfs\"}]",
              "mounts[0].type: unsupported mount type 'zfs'");
    parse_bad("", ", \"mounts\": [{\"destination\": \"/x\", \"options\": [\"ro\"]}]",
              "give a filesystem type or a bind option");
    parse_bad("",
              ", \"mounts\": [{\"destination\": \"/x\", \"type\": \"bind\", \"source\": \"rootfs\","
              " \"options\": [\"size=1\"]}]",
              "no meaning for a bind mount");
    parse_bad("", ", \"annotations\": []", "annotations: expected");
}

static void test_bad_root(void **state)
{
    sp_error *err = NULL;
    struct sp_config *c = NULL;
    const char *t = "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"/no/such\"},"
                    " \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"},"
                    " \"linux\": {\"namespaces\": [{\"type\": \"mount\"}]}}";
    assert_int_equal(sp_config_parse_buf(t, strlen(t), bundle, &c, &err), -1);
    assert_non_null(strstr(err->msg, "root.path: '/no/such'"));
    sp_error_free(&err);
    t = "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\"}, \"domainname\": \"d\","
        " \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"},"
        " \"linux\": {\"namespaces\": [{\"type\": \"mount\"}]}}";
    assert_int_equal(sp_config_parse_buf(t, strlen(t), bundle, &c, &err), -1);
    assert_non_null(strstr(err->msg, "domainname: setting it needs a uts namespace"));
    sp_error_free(&err);
    t = "[1, 2]";
    assert_int_equal(sp_config_parse_buf(t, strlen(t), bundle, &c, &err), -1);
    assert_non_null(strstr(err->msg, "expected a JSON object"));
    sp_error_free(&err);
    t = "{\"ociVersion\": \"1.2.0\", ";
    assert_int_equal(sp_config_parse_buf(t, strlen(t), bundle, &c, &err), -1);
    assert_non_null(strstr(err->msg, "config.json"));
    sp_error_free(&err);
}

static void test_default_spec_parses(void **state)
{
    /* What `septa oci spec` writes must be accepted by create. */
    for (int rootless = 0; rootless < 2; rootless++) {
        json_t *j = sp_spec_default(rootless);
        json_object_set_new(json_object_get(j, "root"), "path", json_string("rootfs"));
        _cleanup_free_ char *t = sp_json_dumps(j, true);
        json_decref(j);
        struct sp_config *c = NULL;
        sp_error *err = NULL;
        if (sp_config_parse_buf(t, strlen(t), bundle, &c, &err) < 0)
            fail_msg("rootless=%d: %s", rootless, err->msg);
        assert_true(c->ns[SP_NS_NET].enabled);
        assert_int_equal(c->ns[SP_NS_USER].enabled, rootless);
        assert_true(c->n_mounts >= 6);
        assert_non_null(c->masked_paths[0]);
        sp_config_free(c);
    }
    json_t *f = sp_runtime_features();
    assert_non_null(json_object_get(f, "linux"));
    assert_string_equal(json_string_value(json_object_get(f, "ociVersionMax")), SP_OCI_VERSION);
    json_decref(f);
}

static void test_signals(void **state)
{
    int s = 0;
    sp_error *err = NULL;
    assert_int_equal(sp_signal_parse("KILL", &s, &err), 0);
    assert_int_equal(s, SIGKILL);
    assert_int_equal(sp_signal_parse("sigterm", &s, &err), 0);
    assert_int_equal(s, SIGTERM);
    assert_int_equal(sp_signal_parse("10", &s, &err), 0);
    assert_int_equal(s, 10);
    assert_int_equal(sp_signal_parse("RTMIN+2", &s, &err), 0);
    assert_int_equal(s, SIGRTMIN + 2);
    assert_int_equal(sp_signal_parse("FROB", &s, &err), -1);
    assert_non_null(strstr(err->msg, "FROB"));
    sp_error_free(&err);
    assert_int_equal(sp_signal_parse("0", &s, &err), -1);
    sp_error_free(&err);
    assert_int_equal(sp_signal_parse("65", &s, &err), -1);
    sp_error_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal),
        cmocka_unit_test(test_process_fields),
        cmocka_unit_test(test_mounts),
        cmocka_unit_test(test_linux_fields),
        cmocka_unit_test(test_bad_configs),
        cmocka_unit_test(test_bad_root),
        cmocka_unit_test(test_default_spec_parses),
        cmocka_unit_test(test_signals),
    };
    return cmocka_run_group_tests(tests, make_bundle, drop_bundle);
}
