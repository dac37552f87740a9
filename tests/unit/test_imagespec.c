/* Unit tests: image config + run options -> OCI config (images/spec.c), references. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "images.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void put(const char *name, const char *content)
{
    sp_error *err = NULL;
    char *p = sp_path_join(dir, name);
    assert_int_equal(sp_atomic_write(AT_FDCWD, p, content, strlen(content), 0644, &err), 0);
    free(p);
}

static int setup(void **state)
{
    strcpy(dir, "/tmp/septa-spec-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char *etc = sp_path_join(dir, "etc");
    mkdir(etc, 0755);
    free(etc);
    put("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                      "www:x:33:33:www:/var/www:/bin/false\n"
                      "bob:x:1000:1000::/home/bob:/bin/sh\n");
    put("etc/group", "root:x:0:\nwww:x:33:\nbob:x:1000:\nwheel:x:10:bob,alice\naudio:x:29:bob\n");
    return 0;
}

static int teardown(void **state)
{
    sp_error *err = NULL;
    return sp_rm_rf_at(AT_FDCWD, dir, &err);
}

static json_t *image(const char *cfg)
{
    json_error_t je;
    json_t *j = json_loads(cfg, 0, &je);
    assert_non_null(j);
    return j;
}

static const char *str_at(json_t *root, const char *a, const char *b, size_t i)
{
    json_t *v = json_object_get(json_object_get(root, a), b);
    return json_string_value(json_array_get(v, i));
}

static void test_refs(void **state)
{
    char *s = sp_image_ref_normalize("busybox");
    assert_string_equal(s, "busybox:latest");
    free(s);
    s = sp_image_ref_normalize("localhost:5000/x/busybox");
    assert_string_equal(s, "localhost:5000/x/busybox:latest");
    free(s);
    s = sp_image_ref_normalize("example.org/bb:1.0");
    assert_string_equal(s, "example.org/bb:1.0");
    free(s);
}

static void test_args_env_defaults(void **state)
{
    sp_error *err = NULL;
    json_t *img = image("{\"config\":{\"Entrypoint\":[\"/bin/ep\"],\"Cmd\":[\"--flag\"],"
                        "\"Env\":[\"PATH=/bin\",\"A=1\"],\"WorkingDir\":\"/srv\","
                        "\"StopSignal\":\"SIGQUIT\"}}");
    struct sp_run_opts o = {0};
    json_t *out = NULL;
    assert_int_equal(sp_image_runtime_config(img, dir, &o, &out, &err), 0);
    json_t *p = json_object_get(out, "process");
    assert_string_equal(json_string_value(json_array_get(json_object_get(p, "args"), 0)),
                        "/bin/ep");
    assert_string_equal(json_string_value(json_array_get(json_object_get(p, "args"), 1)), "--flag");
    assert_string_equal(json_string_value(json_object_get(p, "cwd")), "/srv");
    assert_string_equal(str_at(out, "process", "env", 0), "PATH=/bin");
    assert_string_equal(json_string_value(json_object_get(json_object_get(out, "annotations"),
                                                          "org.opencontainers.image.stopSignal")),
                        "SIGQUIT");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "user"), "uid")), 0);
    /* podman's default capability set: no SYS_ADMIN, has CHOWN */
    json_t *caps = json_object_get(json_object_get(p, "capabilities"), "bounding");
    assert_int_equal(json_array_size(caps), 11);
    char *cs = json_dumps(caps, 0);
    assert_non_null(strstr(cs, "CAP_CHOWN"));
    assert_null(strstr(cs, "CAP_SYS_ADMIN"));
    free(cs);
    /* masked /proc paths, seccomp refusing kexec_load */
    json_t *lx = json_object_get(out, "linux");
    char *mp = json_dumps(json_object_get(lx, "maskedPaths"), 0);
    char *sc = json_dumps(json_object_get(lx, "seccomp"), 0);
    assert_non_null(strstr(mp, "/proc/kcore"));
    assert_non_null(strstr(sc, "kexec_load"));
    free(mp);
    free(sc);
    assert_false(json_is_true(json_object_get(json_object_get(out, "root"), "readonly")));
    json_decref(out);

    /* CMD replaces Cmd, keeps Entrypoint; -e overrides; --entrypoint clears Cmd */
    char *cmd[] = {"x", "y", NULL};
    char *env[] = {"A=2", "B=3", NULL};
    o.cmd = cmd;
    o.env = env;
    assert_int_equal(sp_image_runtime_config(img, dir, &o, &out, &err), 0);
    assert_string_equal(str_at(out, "process", "args", 0), "/bin/ep");
    assert_string_equal(str_at(out, "process", "args", 1), "x");
    assert_string_equal(str_at(out, "process", "env", 1), "A=2");
    assert_string_equal(str_at(out, "process", "env", 2), "B=3");
    json_decref(out);
    o.cmd = NULL;
    o.entrypoint = "/bin/other";
    assert_int_equal(sp_image_runtime_config(img, dir, &o, &out, &err), 0);
    assert_int_equal(json_array_size(json_object_get(json_object_get(out, "process"), "args")), 1);
    json_decref(out);
    json_decref(img);

    json_t *empty = image("{\"config\":{}}");
    struct sp_run_opts none = {0};
    assert_int_equal(sp_image_runtime_config(empty, dir, &none, &out, &err), -1);
    assert_non_null(strstr(err->msg, "no command"));
    sp_error_free(&err);
    json_decref(empty);
}

static void test_users(void **state)
{
    sp_error *err = NULL;
    uid_t u;
    gid_t g;
    json_t *extra = NULL;
    assert_int_equal(sp_image_resolve_user(dir, "www", &u, &g, &extra, &err), 0);
    assert_int_equal(u, 33);
    assert_int_equal(g, 33);
    json_decref(extra);
    assert_int_equal(sp_image_resolve_user(dir, "bob", &u, &g, &extra, &err), 0);
    assert_int_equal(u, 1000);
    assert_int_equal(json_array_size(extra), 2); /* wheel, audio */
    json_decref(extra);
    assert_int_equal(sp_image_resolve_user(dir, "bob:www", &u, &g, &extra, &err), 0);
    assert_int_equal(g, 33);
    json_decref(extra);
    assert_int_equal(sp_image_resolve_user(dir, "4242:77", &u, &g, &extra, &err), 0);
    assert_int_equal(u, 4242);
    assert_int_equal(g, 77);
    json_decref(extra);
    assert_int_equal(sp_image_resolve_user(dir, "nobody", &u, &g, &extra, &err), -1);
    assert_non_null(strstr(err->msg, "user 'nobody': not found in the image's /etc/passwd"));
    sp_error_free(&err);
    assert_int_equal(sp_image_resolve_user(dir, "bob:nogroup", &u, &g, &extra, &err), -1);
    assert_non_null(strstr(err->msg, "group 'nogroup'"));
    sp_error_free(&err);
}

static void test_options(void **state)
{
    sp_error *err = NULL;
    json_t *img = image("{\"config\":{\"Cmd\":[\"sh\"]}}");
    char *drop[] = {"ALL", NULL};
    char *add[] = {"net_bind_service", NULL};
    char *vols[] = {"/tmp:/data:ro", NULL};
    char *tmpfs[] = {"/scratch:size=1m", NULL};
    struct sp_run_opts o = {.cap_drop = drop,
                            .cap_add = add,
                            .volumes = vols,
                            .tmpfs = tmpfs,
                            .read_only = true,
                            .memory = 64 << 20,
                            .pids_limit = 50,
                            .cpus_milli = 1500,
                            .cpu_weight = 100,
                            .cpuset_cpus = "0",
                            .user = "www",
                            .hostname = "box",
                            .seccomp_unconfined = true};
    json_t *out = NULL;
    assert_int_equal(sp_image_runtime_config(img, dir, &o, &out, &err), 0);
    json_t *caps = json_object_get(json_object_get(json_object_get(out, "process"), "capabilities"),
                                   "bounding");
    assert_int_equal(json_array_size(caps), 1);
    assert_string_equal(json_string_value(json_array_get(caps, 0)), "CAP_NET_BIND_SERVICE");
    assert_true(json_is_true(json_object_get(json_object_get(out, "root"), "readonly")));
    char *mounts = json_dumps(json_object_get(out, "mounts"), 0);
    assert_non_null(strstr(mounts, "\"destination\": \"/data\""));
    assert_non_null(strstr(mounts, "\"destination\": \"/scratch\""));
    assert_non_null(strstr(mounts, "\"destination\": \"/run\""));
    assert_non_null(strstr(mounts, "size=1m"));
    free(mounts);
    json_t *res = json_object_get(json_object_get(out, "linux"), "resources");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "memory"), "limit")),
                     64 << 20);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "cpu"), "quota")),
                     150000);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "pids"), "limit")),
                     50);
    assert_null(json_object_get(json_object_get(out, "linux"), "seccomp"));
    assert_string_equal(json_string_value(json_object_get(out, "hostname")), "box");
    json_decref(out);

    char *badcap[] = {"CAP_FLY", NULL};
    struct sp_run_opts b1 = {.cap_add = badcap};
    assert_int_equal(sp_image_runtime_config(img, dir, &b1, &out, &err), -1);
    assert_non_null(strstr(err->msg, "--cap-add: unknown capability 'CAP_FLY'"));
    sp_error_free(&err);
    char *badvol[] = {"relative:/x", NULL};
    struct sp_run_opts b2 = {.volumes = badvol};
    assert_int_equal(sp_image_runtime_config(img, dir, &b2, &out, &err), -1);
    assert_non_null(strstr(err->msg, "-v 'relative:/x': the host path must be absolute"));
    sp_error_free(&err);
    struct sp_run_opts b3 = {.workdir = "rel"};
    assert_int_equal(sp_image_runtime_config(img, dir, &b3, &out, &err), -1);
    assert_non_null(strstr(err->msg, "working directory 'rel' must be absolute"));
    sp_error_free(&err);
    json_decref(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refs),
        cmocka_unit_test(test_args_env_defaults),
        cmocka_unit_test(test_users),
        cmocka_unit_test(test_options),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
