/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * common/: the one public header of septa's base module.
 *
 * Errors, cleanup attributes, logging, JSON with located errors, atomic state
 * files and locks, confined path resolution, and parsers for the values people
 * type (sizes, CPU counts and lists, durations).  Nothing here depends on any
 * other septa module.
 */
#ifndef SEPTA_COMMON_H
#define SEPTA_COMMON_H

#include <dirent.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * One error type for the whole program.  The message is built where the
 * failure happens (with errno), callers add context as it travels up, and only
 * the CLI prints it: "creating cgroup /septa/abc: writing memory.max: Device
 * or resource busy".
 */
typedef struct sp_error {
    int errnum;  /* errno of the root cause, 0 if none */
    int status;  /* exit status the CLI should use (125 unless set) */
    char *msg;   /* full message, context first */
} sp_error;

#define SP_EXIT_SEPTA 125   /* septa's own errors, like podman */
#define SP_EXIT_NOEXEC 126  /* command found but cannot be executed */
#define SP_EXIT_NOTFOUND 127 /* command not found */

/*
 * Record a failure: formats the message, appends strerror(errnum) when errnum
 * is non-zero and returns -1 so callers can `return sp_err(err, errno, ...)`.
 * If *err is already set it is replaced (the new failure is the one reported).
 */
int sp_err(sp_error **err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Like sp_err but sets the exit status the CLI will use. */
int sp_err_status(sp_error **err, int status, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Prefix context to an existing error ("ctx: old message"); returns -1. */
int sp_err_wrap(sp_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sp_error_free(sp_error **err);
/* The exit status an error maps to (125 when unset or NULL). */
int sp_error_status(const sp_error *err);

/* ------------------------------------------------------------------------ */
/* Cleanup attributes                                                        */
/* ------------------------------------------------------------------------ */

void sp_freep(void *p);
void sp_closep(int *fd);
void sp_closedirp(DIR **d);
void sp_fclosep(FILE **f);
void sp_json_decrefp(json_t **j);
void sp_errorp(sp_error **e);
/* A child pid owned by the scope: SIGKILLed and reaped on exit if still > 0. */
void sp_killpidp(pid_t *pid);
void sp_strvfreep(char ***v);

/* unused: a variable that lives for its cleanup only (a lock fd) is not
 * unused; gcc knows that, clang warns without it. */
#define _cleanup_(f) __attribute__((cleanup(f), unused))
#define _cleanup_free_ _cleanup_(sp_freep)
#define _cleanup_close_ _cleanup_(sp_closep)
#define _cleanup_dir_ _cleanup_(sp_closedirp)
#define _cleanup_file_ _cleanup_(sp_fclosep)
#define _cleanup_json_ _cleanup_(sp_json_decrefp)
#define _cleanup_error_ _cleanup_(sp_errorp)
#define _cleanup_pid_ _cleanup_(sp_killpidp)
#define _cleanup_strv_ _cleanup_(sp_strvfreep)

/* Move ownership out of a cleanup variable. */
#define sp_steal_ptr(pp)                                                                           \
    ({                                                                                             \
        __typeof__(*(pp)) _sp_tmp = *(pp);                                                         \
        *(pp) = NULL;                                                                              \
        _sp_tmp;                                                                                   \
    })
#define sp_steal_fd(pfd)                                                                           \
    ({                                                                                             \
        int _sp_fd = *(pfd);                                                                       \
        *(pfd) = -1;                                                                               \
        _sp_fd;                                                                                    \
    })

#define SP_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation that aborts on OOM: septa has no sensible way to go on. */
void *sp_xmalloc(size_t n);
void *sp_xcalloc(size_t n, size_t m);
void *sp_xrealloc(void *p, size_t n);
char *sp_xstrdup(const char *s);
char *sp_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sp_strv_free(char **v);
size_t sp_strv_len(char *const *v);

/* ------------------------------------------------------------------------ */
/* Logging                                                                   */
/* ------------------------------------------------------------------------ */

enum sp_log_level { SP_LOG_ERROR = 0, SP_LOG_WARN, SP_LOG_INFO, SP_LOG_DEBUG };
enum sp_log_format { SP_LOG_TEXT = 0, SP_LOG_JSON };

/*
 * Configure logging once, from the parsed command line.  path NULL means
 * stderr.  JSON lines follow runc's --log-format json ({"level","msg","time"})
 * because engines parse them.
 */
int sp_log_init(const char *path, enum sp_log_format format, enum sp_log_level level,
                sp_error **err);
int sp_log_parse_format(const char *s, enum sp_log_format *out, sp_error **err);
void sp_log(enum sp_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool sp_log_enabled(enum sp_log_level level);
/* The log fd (-1 for stderr); children keep it open to report failures. */
int sp_log_fd(void);
void sp_log_close(void);

#define sp_debug(...) sp_log(SP_LOG_DEBUG, __VA_ARGS__)
#define sp_info(...) sp_log(SP_LOG_INFO, __VA_ARGS__)
#define sp_warn(...) sp_log(SP_LOG_WARN, __VA_ARGS__)

/* ------------------------------------------------------------------------ */
/* JSON with located errors                                                  */
/* ------------------------------------------------------------------------ */

/*
 * A parsed document keeps its source text so that a type or value error found
 * after parsing can still name the line and column of the offending value:
 * "config.json:12:5: process.args: expected array".
 */
typedef struct sp_jdoc {
    char *name;  /* shown in messages, e.g. "config.json" */
    char *text;  /* NUL-terminated source */
    size_t len;
    json_t *root;
} sp_jdoc;

/* Upper bound on the size of a JSON document septa will read. */
#define SP_JSON_MAX_SIZE (64u << 20)

int sp_jdoc_load_file(const char *path, const char *name, sp_jdoc **out, sp_error **err);
int sp_jdoc_load_fd(int fd, const char *name, sp_jdoc **out, sp_error **err);
int sp_jdoc_load_buf(const char *buf, size_t len, const char *name, sp_jdoc **out,
                     sp_error **err);
void sp_jdoc_free(sp_jdoc *doc);
void sp_jdoc_freep(sp_jdoc **doc);
#define _cleanup_jdoc_ _cleanup_(sp_jdoc_freep)

/*
 * Locate a JSON path ("process.args[0]", "" for the root) in source text.
 * Returns 0 and 1-based line/column of the value, or -1 if not found.
 */
int sp_json_locate(const char *text, size_t len, const char *path, int *line, int *col);

/*
 * Report a problem with the value at `path`: "NAME:LINE:COL: PATH: REASON".
 * Falls back to the nearest located ancestor (or to NAME alone) when the path
 * is absent from the text.  Returns -1.
 */
int sp_jerr(const sp_jdoc *doc, sp_error **err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Build "parent.key" / "parent[i]" paths; the result must be freed. */
char *sp_jpath_key(const char *parent, const char *key);
char *sp_jpath_idx(const char *parent, size_t idx);

/*
 * Typed getters.  `obj` must be an object; `path` is the path of obj itself.
 * Return 1 when found, 0 when absent and !required, -1 on error (wrong type,
 * missing required key).  An explicit JSON null counts as absent.
 */
int sp_json_get_obj(const sp_jdoc *doc, json_t *obj, const char *path, const char *key,
                    bool required, json_t **out, sp_error **err);
int sp_json_get_arr(const sp_jdoc *doc, json_t *obj, const char *path, const char *key,
                    bool required, json_t **out, sp_error **err);
int sp_json_get_str(const sp_jdoc *doc, json_t *obj, const char *path, const char *key,
                    bool required, const char **out, sp_error **err);
int sp_json_get_bool(const sp_jdoc *doc, json_t *obj, const char *path, const char *key,
                     bool required, bool *out, sp_error **err);
int sp_json_get_i64(const sp_jdoc *doc, json_t *obj, const char *path, const char *key,
                    bool required, int64_t *out, sp_error **err);
/* Integer in [min, max]; out of range is an error naming the range. */
int sp_json_get_range(const sp_jdoc *doc, json_t *obj, const char *path, const char *key,
                      bool required, int64_t min, int64_t max, int64_t *out, sp_error **err);
/* Array of strings -> NULL-terminated vector (free with sp_strv_free). */
int sp_json_get_strv(const sp_jdoc *doc, json_t *obj, const char *path, const char *key,
                     bool required, char ***out, sp_error **err);
/*
 * Refuse keys that the caller does not understand: `known` is a NULL-terminated
 * list.  Keys starting with a prefix in `ignore_prefixes` are allowed.
 */
int sp_json_check_keys(const sp_jdoc *doc, json_t *obj, const char *path,
                       const char *const *known, sp_error **err);

/* Serialise compactly (or indented) and write atomically. */
int sp_json_write_file(int dirfd, const char *name, json_t *j, bool pretty, sp_error **err);
char *sp_json_dumps(json_t *j, bool pretty);

/* ------------------------------------------------------------------------ */
/* Atomic state files and locks                                              */
/* ------------------------------------------------------------------------ */

/*
 * Write `data` to dirfd/name so that a crash leaves the old or the new file,
 * never half of one: temp file in the same directory, fsync, rename, fsync
 * the directory.  dirfd may be AT_FDCWD.
 */
int sp_atomic_write(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                    sp_error **err);
/*
 * The same without the two fsyncs, for state that does not outlive the host
 * (the OCI runtime's state under /run, pid files): the rename still means a
 * crashed septa leaves the old or the new file, and a power loss takes the
 * containers with it anyway.  runc and crun do not fsync their state either;
 * on a disk-backed /run each fsync costs milliseconds per container start.
 */
int sp_atomic_replace(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                      sp_error **err);
/* Read a whole small file (at most `max` bytes) into a NUL-terminated buffer. */
int sp_read_file(int dirfd, const char *name, size_t max, char **out, size_t *len,
                 sp_error **err);
/* Write a short string to an existing file (cgroupfs, procfs, sysfs). */
int sp_write_file(int dirfd, const char *name, const char *s, sp_error **err);

/*
 * flock() a lock file (created if needed), blocking or not.  Returns the fd
 * that holds the lock; closing it releases the lock.
 */
int sp_lock_file(int dirfd, const char *name, bool exclusive, bool wait, sp_error **err);
/* Lock a directory itself (an fd on the directory, flock'ed). */
int sp_lock_dir(const char *path, bool exclusive, bool wait, sp_error **err);

/* mkdir -p with mode for every created component. */
int sp_mkdir_p(const char *path, mode_t mode, sp_error **err);
/* rm -rf below dirfd/name without crossing mount points or following links. */
int sp_rm_rf_at(int dirfd, const char *name, sp_error **err);

/* ------------------------------------------------------------------------ */
/* Paths confined to a root                                                  */
/* ------------------------------------------------------------------------ */

/*
 * Open `path` as if `rootfd` were "/": absolute paths, ".." and symlinks
 * (absolute or relative) are resolved inside the root and never escape it.
 * Uses openat2(RESOLVE_IN_ROOT) when the kernel has it; otherwise walks the
 * path one component at a time with O_NOFOLLOW and resolves links itself,
 * with the same result.  `flags` are open(2) flags; O_CREAT creates only the
 * last component.
 */
int sp_open_in_root(int rootfd, const char *path, int flags, mode_t mode, sp_error **err);
/* The userspace walk, exposed for tests (never uses openat2). */
int sp_open_in_root_walk(int rootfd, const char *path, int flags, mode_t mode, sp_error **err);
/*
 * Resolve `path` inside the root directory `root` and return the host path of
 * the result (symlinks resolved inside the root).  Missing trailing components
 * are appended lexically, as securejoin does, so the caller may create them.
 */
int sp_path_resolve_in_root(const char *root, const char *path, char **out, sp_error **err);
/* Lexically clean a path: collapse //, /./ and /../ (never above "/"). */
char *sp_path_clean(const char *path);
/* Join two paths with exactly one slash between them. */
char *sp_path_join(const char *a, const char *b);
/* The path of an fd (via /proc/self/fd), for messages. */
char *sp_fd_path(int fd);

/* ------------------------------------------------------------------------ */
/* Value parsers                                                             */
/* ------------------------------------------------------------------------ */

/*
 * "256M", "1g", "512KiB", "1.5G", "4096": bytes, binary units (k=1024), as
 * docker/podman accept.  Rejects negative, empty, overflow, unknown suffixes.
 */
int sp_parse_size(const char *s, uint64_t *out, sp_error **err);
/* "1.5" CPUs -> millicpus (1500).  Up to three decimals, > 0. */
int sp_parse_cpus(const char *s, uint64_t *millicpus, sp_error **err);
/*
 * "0-3,8" -> bitmap.  Set bits are stored in `bits` (caller sized, nbits);
 * a CPU >= nbits is an error.  *count receives the number of set bits.
 */
int sp_parse_cpulist(const char *s, uint64_t *bits, size_t nbits, size_t *count, sp_error **err);
/* Format a bitmap back into the kernel's list form ("0-3,8"). */
char *sp_format_cpulist(const uint64_t *bits, size_t nbits);
/* "10s", "1m30s", "250ms", "2h", "1.5s" -> nanoseconds.  A bare number is seconds. */
int sp_parse_duration(const char *s, uint64_t *ns, sp_error **err);
/* Strict integer parse, whole string, in [min, max]. */
int sp_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out, sp_error **err);

#define SP_BIT_TEST(bits, i) (((bits)[(i) / 64] >> ((i) % 64)) & 1u)
#define SP_BIT_SET(bits, i) ((bits)[(i) / 64] |= (UINT64_C(1) << ((i) % 64)))
#define SP_BIT_CLEAR(bits, i) ((bits)[(i) / 64] &= ~(UINT64_C(1) << ((i) % 64)))

/* ------------------------------------------------------------------------ */
/* Processes                                                                 */
/* ------------------------------------------------------------------------ */

/*
 * Start time of a process (field 22 of /proc/PID/stat, clock ticks since
 * boot), or 0 if it is gone or a zombie.  A pid plus its start time names one
 * process for good: records keep both so a reused pid is never signalled.
 */
uint64_t sp_proc_start_time(pid_t pid);

/* ------------------------------------------------------------------------ */
/* Hashing                                                                   */
/* ------------------------------------------------------------------------ */

/* sha256 of a buffer as 64 lowercase hex digits plus NUL. */
void sp_sha256_hex(const void *data, size_t len, char out[65]);
/* sha256 of a file's contents; returns -1 with err on I/O failure. */
int sp_sha256_file(int dirfd, const char *name, char out[65], uint64_t *size, sp_error **err);

#endif
