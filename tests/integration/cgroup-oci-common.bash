# Shared by tests/integration/cgroup-oci.bats (the cgroup v1 host) and
# tests/vm/cgroup-oci-v2.bats (pure cgroup v2 in the test VM): resource
# control through real containers (`septa oci`), with measured effects.  The
# bodies here run on either cgroup version; each tier file adds what only its
# version shows (v2 files, v1 refusals).
# By path, so that tests/vm files can load this too.
source "$(dirname "${BASH_SOURCE[0]}")/oci-helpers.bash"

cgoci_setup_file() {
    oci_setup_file
    cc -static -O1 "$REPO/tests/integration/cgroup-workload.c" -o "$BATS_FILE_TMPDIR/cgwork"
}

cgoci_setup() {
    oci_setup
    OUT=$BATS_TEST_TMPDIR/out
    cp "$BATS_FILE_TMPDIR/cgwork" "$OUT/cgwork"
}

cgoci_teardown() {
    [ -n "${EVPID:-}" ] && kill "$EVPID" 2>/dev/null
    # A test that failed while paused must not leave a frozen container.
    "$SEPTA" oci resume "$CID" >/dev/null 2>&1
    oci_teardown
}

# refused_at_create JQ-FILTER NEEDLE: with the config edited by the filter,
# create fails with one line containing NEEDLE and leaves nothing behind.
refused_at_create() {
    cfg "$1"
    run septa oci create --bundle "$BUNDLE" "$CID"
    assert_one_line_error "$2"
    assert_no_trace
}

cg_is_v2() { [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; }

wait_file() { local i; for i in $(seq 150); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }

# The container's cgroup directory for a v1 controller (the v2 one on v2).
ctr_cg() {
    if [ -d "/sys/fs/cgroup/$1/septa/$CID" ]; then echo "/sys/fs/cgroup/$1/septa/$CID"
    else echo "/sys/fs/cgroup/septa/$CID"; fi
}

# The memory limit and the OCI memory+swap total in force, in bytes
# ("max" for none), from v1 memory/memsw or v2 memory.max + swap.max.
ctr_mem_limit() {
    if cg_is_v2; then cat "$(ctr_cg)/memory.max"
    else cat "$(ctr_cg memory)/memory.limit_in_bytes"; fi
}
ctr_swap_total() {
    if cg_is_v2; then
        local m s
        m=$(cat "$(ctr_cg)/memory.max") s=$(cat "$(ctr_cg)/memory.swap.max")
        if [ "$s" = max ]; then echo max; else echo $((m + s)); fi
    else
        local t
        t=$(cat "$(ctr_cg memory)/memory.memsw.limit_in_bytes")
        # v1 spells "no limit" as the largest page-aligned counter.
        if [ "$t" -ge 4611686018427387904 ]; then echo max; else echo "$t"; fi
    fi
}

# 8 MiB and 96 MiB allocations under the 32 MiB limit the caller configured:
# the big one is OOM-killed, counted by events --stats and streamed by events
# as exactly one "oom" event; the container (its init) keeps running.
# $1 (optional): a function run once the container is up (tier checks).
cgoci_oom_events() {
    cfg_sh 'cat /proc/self/cgroup > /out/cgroup; echo ready > /out/ready
            while [ ! -e /out/go ]; do sleep 0.1; done
            /out/cgwork hog 8; echo "small=$?" > /out/small
            /out/cgwork hog 96; echo "big=$?" > /out/big; sleep 100'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    wait_file "$OUT/ready"
    if [ -n "${1:-}" ]; then "$1"; fi
    "$SEPTA" oci events --interval 1s "$CID" >"$BATS_TEST_TMPDIR/events" 2>&1 &
    EVPID=$!
    sleep 0.5
    touch "$OUT/go"
    wait_file "$OUT/big"
    [ "$(cat "$OUT/small")" = small=0 ]
    [ "$(cat "$OUT/big")" = big=137 ]
    run septa oci events --stats "$CID"
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq -r .type)" = stats ]
    [ "$(echo "$output" | jq .data.memory.oom_kill)" -eq 1 ]
    [ "$(echo "$output" | jq .data.memory.usage.limit)" -eq 33554432 ]
    sleep 1.5
    grep -q '{"type":"oom","id":"'"$CID"'"}' "$BATS_TEST_TMPDIR/events"
    [ "$(grep -c '"type":"oom"' "$BATS_TEST_TMPDIR/events")" -eq 1 ]
    grep -q '"type":"stats"' "$BATS_TEST_TMPDIR/events"
    [ "$(oci_status "$CID")" = running ]
    septa oci delete --force "$CID"
    # The event stream ends with the container.
    for i in $(seq 50); do kill -0 "$EVPID" 2>/dev/null || break; sleep 0.1; done
    ! kill -0 "$EVPID" 2>/dev/null
    assert_no_trace
}

# pause stops a counting loop (freezer.state / cgroup.freeze), resume
# continues it, both refuse the wrong state, a paused container deletes.
cgoci_pause_resume() {
    # rename: a reader never sees a half-written (or, paused mid-write, empty) file
    cfg_sh 'i=0; while :; do i=$((i+1)); echo $i > /out/count.tmp; mv /out/count.tmp /out/count; sleep 0.01; done'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    wait_file "$OUT/count"
    septa oci pause "$CID"
    [ "$(oci_status "$CID")" = paused ]
    if cg_is_v2; then [ "$(cat "$(ctr_cg)/cgroup.freeze")" = 1 ]
    else [ "$(cat "$(ctr_cg freezer)/freezer.state")" = FROZEN ]; fi
    sleep 0.3
    a=$(cat "$OUT/count")
    sleep 1
    [ "$(cat "$OUT/count")" = "$a" ]
    run septa oci pause "$CID"
    assert_one_line_error "is paused, not running"
    septa oci resume "$CID"
    [ "$(oci_status "$CID")" = running ]
    sleep 1
    [ "$(cat "$OUT/count")" -gt "$a" ]
    run septa oci resume "$CID"
    assert_one_line_error "not paused"
    septa oci pause "$CID"
    septa oci delete --force "$CID"
    assert_no_trace
}

# With CAP_MKNOD only the device controller (v1) or BPF program (v2) stands
# between a container and a device node it makes itself.
cgoci_devices() {
    cfg '.process.capabilities |= with_entries(.value += ["CAP_MKNOD"])
         | .linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}]'
    # kmsg: granted write-only (reading it would also need CAP_SYSLOG, so only
    # the write side tells the device rule apart).
    cfg_sh 'mknod /dev/sda-t b 8 0 && echo mknod-ok
            head -c1 /dev/sda-t 2>&1; echo "sda=$?"
            mknod /dev/mem-t c 1 1 && head -c1 /dev/mem-t 2>&1; echo "mem=$?"
            echo x > /dev/null && echo null-ok
            mknod /dev/kmsg-t c 1 11 && echo "septa cgroup test: device rule" > /dev/kmsg-t && echo kmsg-write-ok
            mknod /dev/sdb-t b 8 16 && echo x 2>&1 > /dev/sdb-t; echo "sdbw=$?"'
    run septa oci run --bundle "$BUNDLE" "$CID"
    echo "$output"
    [[ $output == *"mknod-ok"* ]]
    [[ $output == *"Operation not permitted"*"sda=1"* ]]
    [[ $output == *"mem=1"* ]]
    [[ $output == *"null-ok"* ]]
    [[ $output == *"kmsg-write-ok"* ]]
    [[ $output == *"sdbw=1"* ]]
    assert_no_trace
}

# update --memory-swap without --memory (runc): the limit in force stays, the
# memory+swap total changes (v1 memsw = N, v2 swap.max = N - limit); a total
# below the limit, or one without any limit, is refused naming the field.
cgoci_update_swap() {
    cfg '.linux.resources.memory = {"limit": 33554432, "swap": 67108864}'
    cfg_sh 'echo ready > /out/ready; sleep 100'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    wait_file "$OUT/ready"
    [ "$(ctr_mem_limit)" = 33554432 ]
    [ "$(ctr_swap_total)" = 67108864 ]
    septa oci update --memory-swap 96m "$CID"
    [ "$(ctr_mem_limit)" = 33554432 ]
    [ "$(ctr_swap_total)" = 100663296 ]
    if cg_is_v2; then [ "$(cat "$(ctr_cg)/memory.swap.max")" = 67108864 ]; fi
    # The people CLI's update is the same command.
    septa update --memory-swap 48m "$CID"
    [ "$(ctr_mem_limit)" = 33554432 ]
    [ "$(ctr_swap_total)" = 50331648 ]
    run septa oci update --memory-swap 16m "$CID"
    assert_one_line_error "linux.resources.memory.swap: 16777216 is below the memory limit in force (33554432)"
    [ "$(ctr_swap_total)" = 50331648 ]
    septa oci update --memory-swap -1 "$CID"
    [ "$(ctr_mem_limit)" = 33554432 ]
    [ "$(ctr_swap_total)" = max ]
    # Raising the limit past the old total is fine once the total is unlimited.
    septa oci update --memory 64m "$CID"
    [ "$(ctr_mem_limit)" = 67108864 ]
    septa oci update --memory -1 "$CID"
    run septa oci update --memory-swap 64m "$CID"
    assert_one_line_error "the container has no memory limit"
    septa oci delete --force "$CID"
    assert_no_trace
}

# A septa killed half-way through create (here: while a createRuntime hook
# runs, after the cgroup exists) leaves a state record that names the
# cgroup, so delete --force removes both.  The runner is a subreaper that
# reaps the orphaned init and hook, as PID 1 here does not promptly.
cgoci_crash_then_delete() {
    HOOK=$BATS_TEST_TMPDIR/hook.sh
    printf '#!/bin/sh\necho $$ > %s/hook.pid\nexec sleep 60\n' "$OUT" >"$HOOK"
    chmod +x "$HOOK"
    HOOK=$HOOK cfg '.hooks.createRuntime = [{"path": $ENV.HOOK}]'
    python3 -c '
import ctypes, os, sys
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
open(sys.argv[1], "w").write(str(pid))
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
' "$OUT/septa.pid" "$SEPTA" oci create --bundle "$BUNDLE" "$CID" >>"$BATS_TEST_TMPDIR/ctr.log" 2>&1 3>&- &
    local reaper=$!
    wait_file "$OUT/hook.pid"
    kill -9 "$(cat "$OUT/septa.pid")"
    kill "$(cat "$OUT/hook.pid")"
    wait "$reaper"
    # The crash left the record and the cgroup behind.
    [ -f "$SEPTA_ROOT/$CID/state.json" ]
    local dirs d
    dirs=$(jq -r '.septa.cgroup.dirs[]' "$SEPTA_ROOT/$CID/state.json")
    [ -n "$dirs" ]
    for d in $dirs; do [ -d "$d" ] && [[ $d == */septa/"$CID" ]]; done
    run septa oci state "$CID"
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq -r .status)" = stopped ]
    septa oci delete --force "$CID"
    for d in $dirs; do [ ! -d "$d" ]; done
    assert_no_trace
}

# The exact window: septa killed right after the mkdir of the container's
# cgroup (strace holds it in that syscall), before any later state write.
# The record written before the cgroup existed names it, so delete --force
# removes it.
cgoci_crash_at_mkdir() {
    command -v strace >/dev/null || skip "strace is not installed"
    local leaf i
    if cg_is_v2; then leaf=/sys/fs/cgroup/septa/$CID; else leaf=/sys/fs/cgroup/cpu/septa/$CID; fi
    strace -qq -o "$BATS_TEST_TMPDIR/strace.log" -P "$leaf" -e trace=mkdir \
        -e inject=mkdir:delay_exit=30s sh -c 'echo $$ > "$0"; exec "$@"' "$OUT/septa.pid" \
        "$SEPTA" oci create --bundle "$BUNDLE" "$CID" >>"$BATS_TEST_TMPDIR/ctr.log" 2>&1 3>&- &
    local tracer=$!
    for i in $(seq 100); do [ -d "$leaf" ] && break; sleep 0.1; done
    [ -d "$leaf" ]
    kill -9 "$(cat "$OUT/septa.pid")"
    wait "$tracer" || true
    [ -d "$leaf" ]
    jq -e --arg d "$leaf" '[.septa.cgroup.dirs[]] | index($d) != null' "$SEPTA_ROOT/$CID/state.json"
    septa oci delete --force "$CID"
    [ ! -d "$leaf" ]
    assert_no_trace
}

# `septa run` in the foreground (people CLI), killed at its memory limit:
# the workload's 137 stays the exit status and the message says OOM, read
# from the cgroup before the runtime removed it.  A plain 137 says nothing.
cgoci_people_oom() {
    run septa run --rm --network none --memory 16m --memory-swap 16m --name oomfg busybox \
        sh -c 'x=$(head -c 64000000 /dev/zero | tr "\0" a); echo survived'
    [ "$status" -eq 137 ]
    [ "$output" = "septa: container oomfg was killed by the OOM killer (memory limit 16 MiB)" ]
    run septa run --rm --network none --memory 16m busybox sh -c 'exit 137'
    [ "$status" -eq 137 ]
    [ -z "$output" ]
    [ -z "$(ls -A "$SEPTA_ROOT" 2>/dev/null | grep -v '\.lock$')" ]
    ! grep -q "$SEPTA_DATA_ROOT" /proc/self/mountinfo
}
