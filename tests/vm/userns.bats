#!/usr/bin/env bats
# vm: nodes=1 cpus-per-node=2 mem-per-node=1024M timeout=600
#
# OCI containers on pure cgroup v2 (the primary target): user and pid
# namespaces, the init born in its cgroup (clone3 CLONE_INTO_CGROUP), the
# cgroup namespace rooted there, and delete leaving no cgroup behind.

load ../integration/oci-helpers
bats_require_minimum_version 1.5.0

setup_file() { oci_setup_file; }
setup() {
    [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || skip "not a cgroup v2 host"
    oci_setup
}
teardown() { oci_teardown; }

userns_cfg() {
    oci_userns_traversable
    cfg '.linux.namespaces += [{"type": "user"}]
         | .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
         | .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
         | .mounts |= map(select(.destination != "/sys" and .destination != "/sys/fs/cgroup"))
         | .mounts += [{"destination": "/sys", "type": "bind", "source": "/sys", "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]}]
         | .mounts |= map(if .destination == "/dev/pts" then .options -= ["gid=5"] else . end)'
}

@test "v2: user namespace maps root to 200000, pid namespace makes it PID 1" {
    userns_cfg
    cfg_sh 'cat /proc/self/uid_map | tr -s " " | sed "s/^ //"; id -u; echo $$'
    run septa oci run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "${lines[0]}" = "0 200000 65536" ]
    [ "${lines[1]}" = 0 ]
    [ "${lines[2]}" = 1 ]
    assert_no_trace
}

@test "v2: the container's root is uid 200000 on the host" {
    userns_cfg
    cfg_sh 'echo ready > /out/ready 2>/dev/null; sleep 100'
    chmod 777 "$BATS_TEST_TMPDIR/out"
    oci_detached run --detach --bundle "$BUNDLE" "$CID" || { cat "$BATS_TEST_TMPDIR/ctr.log"; false; }
    pid=$(septa oci state "$CID" | jq .pid)
    [ "$(awk '/^Uid:/ {print $2}' /proc/$pid/status)" = 200000 ]
    run septa oci exec "$CID" sh -c 'id -u'   # id is a busybox sh applet, not a file
    [ "$output" = 0 ]
    septa oci delete --force "$CID"
    assert_no_trace
}

@test "v2: the init is born in its cgroup and the cgroup namespace is rooted there" {
    cfg '.linux.cgroupsPath = "/septa-vm/" + $ENV.CID | .linux.resources = {"pids": {"limit": 50}}'
    cfg_sh 'cat /proc/self/cgroup; sleep 100'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    pid=$(septa oci state "$CID" | jq .pid)
    [ "$(cat /proc/$pid/cgroup)" = "0::/septa-vm/$CID" ]
    [ "$(cat /sys/fs/cgroup/septa-vm/$CID/pids.max)" = 50 ]
    run septa oci exec "$CID" cat /proc/self/cgroup
    [ "$output" = "0::/" ]
    run septa oci ps --format json "$CID"
    [ "$(echo "$output" | jq length)" -ge 1 ]
    septa oci delete --force "$CID"
    [ ! -d "/sys/fs/cgroup/septa-vm/$CID" ]
}

@test "v2: pid namespace: killing the init kills every process" {
    cfg_sh 'sleep 200 & sleep 200 & echo ready > /out/ready; wait'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    for i in $(seq 50); do [ -e "$BATS_TEST_TMPDIR/out/ready" ] && break; sleep 0.1; done
    run septa oci ps --format json "$CID"
    [ "$(echo "$output" | jq length)" -eq 3 ]
    septa oci kill "$CID" KILL
    for i in $(seq 50); do [ "$(oci_status "$CID")" = stopped ] && break; sleep 0.1; done
    [ "$(oci_status "$CID")" = stopped ]
    septa oci delete "$CID"
    assert_no_trace
}
