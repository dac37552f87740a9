#!/usr/bin/env bats
# vm: nodes=1 cpus-per-node=2 mem-per-node=1G timeout=900
#
# Resource control through real containers on pure cgroup v2: the container
# is born in its cgroup, OOM is reported from memory.events, pause uses
# cgroup.freeze (and a paused container can be deleted), the BPF device
# program stops mknod-and-open, update and stats work.

load ../integration/helpers
load ../integration/oci-helpers
bats_require_minimum_version 1.5.0

setup_file() {
    oci_setup_file
    cc -static -O1 "$REPO/tests/integration/cgroup-workload.c" -o "$BATS_FILE_TMPDIR/cgwork"
}

setup() {
    [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || skip "not a cgroup v2 host"
    oci_setup
    cp "$BATS_FILE_TMPDIR/cgwork" "$BATS_TEST_TMPDIR/out/cgwork"
    OUT=$BATS_TEST_TMPDIR/out
}

teardown() {
    [ -n "${EVPID:-}" ] && kill "$EVPID" 2>/dev/null
    "$SEPTA" oci resume "$CID" >/dev/null 2>&1
    oci_teardown
}

wait_file() { local i; for i in $(seq 150); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }

@test "oci v2: limits in the v2 files, OOM at 32 MiB reported by events, 8 MiB fine" {
    cfg '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}
         | .linux.resources.cpu = {"shares": 1024, "quota": 50000, "period": 100000}
         | .linux.resources.pids = {"limit": 40}'
    cfg_sh 'cat /proc/self/cgroup > /out/cgroup; echo ready > /out/ready
            while [ ! -e /out/go ]; do sleep 0.1; done
            /out/cgwork hog 8; echo "small=$?" > /out/small
            /out/cgwork hog 96; echo "big=$?" > /out/big; sleep 100'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    wait_file "$OUT/ready"
    d=/sys/fs/cgroup/septa/$CID
    [ "$(cat $d/memory.max)" = 33554432 ]
    [ "$(cat $d/memory.swap.max)" = 0 ]
    [ "$(cat $d/cpu.weight)" = 39 ]
    [ "$(cat $d/cpu.max)" = "50000 100000" ]
    [ "$(cat $d/pids.max)" = 40 ]
    "$SEPTA" oci events --interval 1s "$CID" >"$BATS_TEST_TMPDIR/events" 2>&1 &
    EVPID=$!
    sleep 0.5
    touch "$OUT/go"
    wait_file "$OUT/big"
    [ "$(cat "$OUT/small")" = small=0 ]
    [ "$(cat "$OUT/big")" = big=137 ]
    [ "$(awk '/^oom_kill / {print $2}' $d/memory.events)" -eq 1 ]
    run septa oci events --stats "$CID"
    [ "$(echo "$output" | jq .data.memory.oom_kill)" -eq 1 ]
    sleep 1.5
    grep -q '"type":"oom"' "$BATS_TEST_TMPDIR/events"
    septa oci delete --force "$CID"
    assert_no_trace
    # The last container took the /septa parent with it.
    [ ! -d /sys/fs/cgroup/septa ]
}

@test "oci v2: pause freezes (cgroup.freeze), resume continues, a paused container deletes" {
    cfg_sh 'i=0; while :; do i=$((i+1)); echo $i > /out/count.tmp; mv /out/count.tmp /out/count; sleep 0.01; done'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    wait_file "$OUT/count"
    septa oci pause "$CID"
    [ "$(oci_status "$CID")" = paused ]
    [ "$(cat /sys/fs/cgroup/septa/$CID/cgroup.freeze)" = 1 ]
    sleep 0.3
    a=$(cat "$OUT/count")
    sleep 1
    [ "$(cat "$OUT/count")" = "$a" ]
    septa oci resume "$CID"
    sleep 1
    [ "$(cat "$OUT/count")" -gt "$a" ]
    septa oci pause "$CID"
    septa oci delete --force "$CID"
    assert_no_trace
}

@test "oci v2: the BPF device program stops mknod-and-open of ungranted devices" {
    cfg '.process.capabilities |= with_entries(.value += ["CAP_MKNOD"])
         | .linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}]'
    cfg_sh 'mknod /dev/sda-t b 8 0 && echo mknod-ok
            head -c1 /dev/sda-t 2>&1; echo "sda=$?"
            mknod /dev/mem-t c 1 1 && head -c1 /dev/mem-t 2>&1; echo "mem=$?"
            echo x > /dev/null && echo null-ok
            mknod /dev/kmsg-t c 1 11 && echo "septa cgroup test" > /dev/kmsg-t && echo kmsg-write-ok'
    run septa oci run --bundle "$BUNDLE" "$CID"
    echo "$output"
    [[ $output == *"mknod-ok"* ]]
    [[ $output == *"Operation not permitted"*"sda=1"* ]]
    [[ $output == *"mem=1"* ]]
    [[ $output == *"null-ok"* ]]
    [[ $output == *"kmsg-write-ok"* ]]
    assert_no_trace
}

@test "oci v2: update and stats on a running container; unified refused when unknown" {
    cfg '.linux.resources.memory = {"limit": 67108864} | .linux.resources.unified = {"memory.high": "60000000"}'
    cfg_sh 'echo ready > /out/ready; /out/cgwork spin'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    wait_file "$OUT/ready"
    [ "$(cat /sys/fs/cgroup/septa/$CID/memory.high)" = 59998208 ] || [ "$(cat /sys/fs/cgroup/septa/$CID/memory.high)" = 60000000 ]
    septa update --memory 128m --cpu-quota 20000 --pids-limit 9 "$CID"
    [ "$(cat /sys/fs/cgroup/septa/$CID/memory.max)" = 134217728 ]
    [ "$(cat /sys/fs/cgroup/septa/$CID/pids.max)" = 9 ]
    sleep 1
    run septa stats --format json "$CID"
    echo "$output"
    echo "$output" | jq -e '.[0].cpu_percent > 3 and .[0].cpu_percent < 25'
    echo '{"unified":{"memory.bogus":"1"}}' >"$BATS_TEST_TMPDIR/r.json"
    run septa oci update -r "$BATS_TEST_TMPDIR/r.json" "$CID"
    assert_one_line_error 'unified["memory.bogus"]'
    septa oci delete --force "$CID"
    assert_no_trace
}
