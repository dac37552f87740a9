#!/usr/bin/env bats
# Resource control through real containers (`septa oci`): limits from
# config.json with measured effects, OOM reporting in `events`, pause/resume,
# update, events --stats, refusals naming the field, nothing left behind.
load oci-helpers
bats_require_minimum_version 1.5.0

setup_file() {
    oci_setup_file
    cc -static -O1 "$REPO/tests/integration/cgroup-workload.c" -o "$BATS_FILE_TMPDIR/cgwork"
}

setup() {
    oci_setup
    cp "$BATS_FILE_TMPDIR/cgwork" "$BATS_TEST_TMPDIR/out/cgwork"
    OUT=$BATS_TEST_TMPDIR/out
}

teardown() {
    [ -n "${EVPID:-}" ] && kill "$EVPID" 2>/dev/null
    # A test that failed while paused must not leave a frozen container.
    "$SEPTA" oci resume "$CID" >/dev/null 2>&1
    oci_teardown
}

wait_file() { local i; for i in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }

# The container's cgroup directory for a v1 controller (or the v2 one).
ctr_cg() {
    if [ -d "/sys/fs/cgroup/$1/septa/$CID" ]; then echo "/sys/fs/cgroup/$1/septa/$CID"
    else echo "/sys/fs/cgroup/septa/$CID"; fi
}

@test "oci: 96 MiB under a 32 MiB limit is OOM-killed, shown by events; 8 MiB is not" {
    cfg '.linux.resources.memory = {"limit": 33554432}'
    cfg_sh 'echo ready > /out/ready; while [ ! -e /out/go ]; do sleep 0.1; done
            /out/cgwork hog 8; echo "small=$?" > /out/small
            /out/cgwork hog 96; echo "big=$?" > /out/big; sleep 100'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    wait_file "$OUT/ready"
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
    # The container itself (its init) survived: only the hog was killed.
    [ "$(oci_status "$CID")" = running ]
    septa oci delete --force "$CID"
    # The event stream ends with the container.
    for i in $(seq 50); do kill -0 "$EVPID" 2>/dev/null || break; sleep 0.1; done
    ! kill -0 "$EVPID" 2>/dev/null
    assert_no_trace
}

@test "oci: pause stops a counting loop, state says paused, resume continues it" {
    # rename: a reader never sees a half-written (or, paused mid-write, empty) file
    cfg_sh 'i=0; while :; do i=$((i+1)); echo $i > /out/count.tmp; mv /out/count.tmp /out/count; sleep 0.01; done'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    wait_file "$OUT/count"
    septa oci pause "$CID"
    [ "$(oci_status "$CID")" = paused ]
    sleep 0.2
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
    # A paused container can be deleted with --force: nothing is left.
    septa oci pause "$CID"
    septa oci delete --force "$CID"
    assert_no_trace
}

@test "oci: update changes a running container's limits (measured), bad values refused" {
    cfg '.linux.resources.memory = {"limit": 33554432} | .linux.resources.pids = {"limit": 50}'
    cfg_sh 'echo ready > /out/ready; while [ ! -e /out/go ]; do sleep 0.1; done
            /out/cgwork hog 48; echo "hog=$?" > /out/hog; sleep 100'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    wait_file "$OUT/ready"
    septa oci update --memory 128m --pids-limit 30 --cpu-quota 50000 --cpu-period 100000 "$CID"
    if [ -f "$(ctr_cg memory)/memory.limit_in_bytes" ]; then
        [ "$(cat "$(ctr_cg memory)/memory.limit_in_bytes")" = 134217728 ]
        [ "$(cat "$(ctr_cg cpu)/cpu.cfs_quota_us")" = 50000 ]
    else
        [ "$(cat "$(ctr_cg memory)/memory.max")" = 134217728 ]
        [ "$(cat "$(ctr_cg cpu)/cpu.max")" = "50000 100000" ]
    fi
    [ "$(cat "$(ctr_cg pids)/pids.max")" = 30 ]
    touch "$OUT/go"
    wait_file "$OUT/hog"
    [ "$(cat "$OUT/hog")" = hog=0 ]
    run septa oci update --cpu-period 0 "$CID"
    assert_one_line_error "linux.resources.cpu.period"
    run septa oci update --memory lots "$CID"
    assert_one_line_error "--memory"
    run septa oci update "$CID"
    assert_one_line_error "nothing to change"
    echo '{"pids":{"limit":-5}}' >"$BATS_TEST_TMPDIR/r.json"
    run septa oci update --resources "$BATS_TEST_TMPDIR/r.json" "$CID"
    assert_one_line_error "pids.limit"
    echo '{"pids":{"limit":25}}' | septa oci update -r - "$CID"
    [ "$(cat "$(ctr_cg pids)/pids.max")" = 25 ]
    run septa oci update --pids-limit 5 -r "$BATS_TEST_TMPDIR/r.json" "$CID"
    assert_one_line_error "cannot be combined"
    run septa oci update --memory 64m nosuchcontainer
    assert_one_line_error "does not exist"
    septa oci delete --force "$CID"
    assert_no_trace
}

@test "oci: a config with bad resources is refused at create, field named, nothing left" {
    cfg '.linux.resources.cpu = {"quota": -5}'
    run septa oci create --bundle "$BUNDLE" "$CID"
    assert_one_line_error "linux.resources.cpu.quota"
    assert_no_trace
    cfg '.linux.resources.cpu = {"period": 0}'
    run septa oci create --bundle "$BUNDLE" "$CID"
    assert_one_line_error "linux.resources.cpu.period"
    cfg '.linux.resources.cpu = {"cpus": "4000"}'
    run septa oci create --bundle "$BUNDLE" "$CID"
    assert_one_line_error "not present on this host"
    if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
        cfg '.linux.resources.cpu = {} | .linux.resources.unified = {"memory.high": "1000000"}'
        run septa oci create --bundle "$BUNDLE" "$CID"
        assert_one_line_error "cgroup v1 host"
    fi
    assert_no_trace
}

@test "oci: events --stats has runc's shape; pids and CPU are counted" {
    cfg '.linux.resources.pids = {"limit": 64}'
    cfg_sh 'sleep 100 & sleep 100 & i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo ready > /out/ready; wait'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    wait_file "$OUT/ready"
    run septa oci events --stats "$CID"
    [ "$status" -eq 0 ]
    echo "$output" | jq -e --arg id "$CID" '.type == "stats" and .id == $id'
    echo "$output" | jq -e '.data.pids.current == 3 and .data.pids.limit == 64'
    echo "$output" | jq -e '.data.cpu.usage.total > 0'
    echo "$output" | jq -e '.data.memory.usage.usage > 0'
    run septa oci events --interval 0 "$CID"
    assert_one_line_error "--interval"
    run septa oci events
    assert_one_line_error "missing container ID"
    for v in pause resume update events; do
        run septa oci "$v" --help
        [ "$status" -eq 0 ] && [[ $output == *"Usage:"* ]]
    done
    septa oci delete --force "$CID"
    assert_no_trace
}

@test "oci: a container cannot mknod-and-open a device it was not granted" {
    # CAP_MKNOD so that only the device controller (v1) or BPF program (v2) stands in the way.
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

@test "septa stats and septa update: usage of a busy container, limits changed" {
    cfg '.linux.resources.memory = {"limit": 67108864} | .linux.resources.cpu = {"quota": 50000, "period": 100000}'
    cfg_sh '/out/cgwork hog 16 1000 & /out/cgwork spin & echo ready > /out/ready; wait'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    wait_file "$OUT/ready"
    sleep 1
    run septa stats --format json "$CID"
    [ "$status" -eq 0 ]
    echo "$output"
    # The spinner is held at (at most) 50% of a CPU by its quota; a loaded
    # host may give it less, never more.
    echo "$output" | jq -e '.[0].cpu_percent > 3 and .[0].cpu_percent < 55'
    echo "$output" | jq -e '.[0].memory_usage >= 16777216 and .[0].memory_limit == 67108864'
    echo "$output" | jq -e '.[0].pids == 3 and .[0].oom_kills == 0 and .[0].status == "running"'
    run septa stats --no-stream
    [ "$status" -eq 0 ]
    [[ $output == *"CPU %"*"$CID"*"/ 64.0MiB"* ]]
    run septa stats --no-stream nosuchcontainer
    assert_one_line_error "nosuchcontainer"
    run septa stats --format yaml
    assert_one_line_error "--format"
    septa update --cpu-quota 20000 "$CID"
    sleep 0.5
    run septa stats --format json "$CID"
    echo "$output" | jq -e '.[0].cpu_percent > 3 and .[0].cpu_percent < 23'
    septa oci delete --force "$CID"
    assert_no_trace
}
