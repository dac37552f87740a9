#!/usr/bin/env bats
# Resource control through real containers (`septa oci`): limits from
# config.json with measured effects, OOM reporting in `events`, pause/resume,
# update, events --stats, refusals naming the field, nothing left behind.
load cgroup-oci-common
bats_require_minimum_version 1.5.0

setup_file() { cgoci_setup_file; }
setup() { cgoci_setup; }
teardown() { cgoci_teardown; }

@test "oci: 96 MiB under a 32 MiB limit is OOM-killed, shown by events; 8 MiB is not" {
    cfg '.linux.resources.memory = {"limit": 33554432}'
    cgoci_oom_events
}

@test "oci: pause stops a counting loop, state says paused, resume continues it" {
    cgoci_pause_resume
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
    refused_at_create '.linux.resources.cpu = {"quota": -5}' "linux.resources.cpu.quota"
    refused_at_create '.linux.resources.cpu = {"period": 0}' "linux.resources.cpu.period"
    refused_at_create '.linux.resources.cpu = {"cpus": "4000"}' "not present on this host"
    if ! cg_is_v2; then
        refused_at_create '.linux.resources.cpu = {} | .linux.resources.unified = {"memory.high": "1000000"}' \
            "cgroup v1 host"
    fi
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
    cgoci_devices
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

@test "oci: update --memory-swap without --memory keeps the limit (v1 memsw = total)" {
    [ -f /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] || skip "no swap accounting (memsw) on this host"
    cgoci_update_swap
}

@test "oci: septa killed during create leaves a record; delete --force removes the cgroup" {
    cgoci_crash_then_delete
}

@test "oci v1: memory.oom.group, network and rdma are refused naming the field and why" {
    cg_is_v2 && skip "cgroup v1 host only"
    refused_at_create '.linux.resources.unified = {"memory.oom.group": "1"}' \
        'linux.resources.unified["memory.oom.group"]: cgroup v1 host: v1 has no group OOM kill'
    # net_cls / net_prio / rdma are not mounted here: said at create, nothing left.
    [ ! -d /sys/fs/cgroup/net_cls ] || skip "net_cls is mounted on this host"
    refused_at_create 'del(.linux.resources.unified) | .linux.resources.network = {"classID": 1048577}' \
        "linux.resources.network.classID: cgroup v1 host without the net_cls controller mounted"
    refused_at_create '.linux.resources.network = {"priorities": [{"name": "lo", "priority": 3}]}' \
        "linux.resources.network.priorities: cgroup v1 host without the net_prio controller mounted"
    refused_at_create '.linux.resources.network = {"priorities": [{"name": "a/b", "priority": 3}]}' \
        "linux.resources.network.priorities[0].name: 'a/b' is not a network interface name"
    refused_at_create 'del(.linux.resources.network) | .linux.resources.rdma = {"mlx5_0": {"hcaHandles": 3}}' \
        "linux.resources.rdma: cgroup v1 host without the rdma controller mounted"
    refused_at_create '.linux.resources.rdma = {"mlx5_0": {"hcaHandles": -1}}' \
        'linux.resources.rdma.mlx5_0.hcaHandles'
}

@test "oci: septa killed right after its cgroup mkdir: the record names it, delete --force removes it" {
    cgoci_crash_at_mkdir
}

@test "septa run (foreground) killed at its memory limit: exit 137 and a message saying OOM" {
    cgoci_people_oom
}
