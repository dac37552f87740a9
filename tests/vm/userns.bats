#!/usr/bin/env bats
# vm: nodes=1 cpus-per-node=2 mem-per-node=1024M timeout=600
#
# OCI containers on pure cgroup v2 (the primary target): user and pid
# namespaces, the init born in its cgroup (clone3 CLONE_INTO_CGROUP), the
# cgroup namespace rooted there, and delete leaving no cgroup behind; on this
# guest's kernel (Debian's stable, older than the host's): a lowered
# oomScoreAdj and id-mapped binds in a user namespace.

load ../integration/oci-helpers
bats_require_minimum_version 1.5.0

setup_file() { oci_setup_file; }
setup() {
    [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || skip "not a cgroup v2 host"
    oci_setup
}
teardown() {
    oci_teardown
    # The ext4 image of the idmap test, even when it failed.
    [ -z "${EXT4_MNT:-}" ] || ! mountpoint -q "$EXT4_MNT" || umount "$EXT4_MNT"
    return 0
}

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

@test "v2: a lowered oomScoreAdj in a user namespace is set from the host" {
    userns_cfg
    cfg '.process.oomScoreAdj = -500'
    cfg_sh 'cat /proc/self/oom_score_adj'
    run septa oci run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "$output" = -500 ]
    assert_no_trace
}

# Is kernel version $(uname -r) at least MAJOR.MINOR?
kernel_at_least() {
    local v=${1%.*} w=${1#*.} r
    r=$(uname -r)
    local maj=${r%%.*} rest=${r#*.}
    local min=${rest%%.*}
    (( maj > v || (maj == v && min >= w) ))
}

@test "v2: idmap on tmpfs is refused before 6.3 naming the filesystem, works from 6.3" {
    userns_cfg
    mkdir -p "$BATS_TEST_TMPDIR/src" "$OCI_ROOTFS/data"
    [ "$(stat -f -c %T "$BATS_TEST_TMPDIR/src")" = tmpfs ]
    SRC=$BATS_TEST_TMPDIR/src cfg '.mounts += [{"destination": "/data", "type": "bind", "source": $ENV.SRC, "options": ["bind", "idmap"]}]'
    cfg_sh 'stat -c %u /data'
    run septa oci run --bundle "$BUNDLE" "$CID"
    if kernel_at_least 6.3; then
        [ "$status" -eq 0 ] && [ "$output" = 0 ] || { echo "$output"; false; }
    else
        assert_one_line_error "the tmpfs filesystem of the source does not support id-mapped mounts"
    fi
    assert_no_trace
}

@test "v2: idmapped bind on ext4: host uid 1000 is root inside, root's files are 1000 on the host" {
    # This guest's ext4 module comes from the unpacked Debian kernel the host shares.
    grep -qw ext4 /proc/filesystems ||
        modprobe -d "${SEPTA_TEST_CACHE:-/var/cache/septa-tests}/kernel/$(uname -r)" -S "$(uname -r)" ext4
    truncate -s 32M "$BATS_TEST_TMPDIR/ext4.img"
    mkfs.ext4 -q "$BATS_TEST_TMPDIR/ext4.img"
    export EXT4_MNT=$BATS_TEST_TMPDIR/ext4
    mkdir -p "$EXT4_MNT"
    mount -o loop "$BATS_TEST_TMPDIR/ext4.img" "$EXT4_MNT"
    mkdir "$EXT4_MNT/src"
    echo hello > "$EXT4_MNT/src/old"
    chown -R 1000:1000 "$EXT4_MNT/src"
    userns_cfg
    mkdir -p "$OCI_ROOTFS/data"
    SRC=$EXT4_MNT/src cfg '.mounts += [{"destination": "/data", "type": "bind", "source": $ENV.SRC,
        "options": ["bind", "idmap"],
        "uidMappings": [{"containerID": 1000, "hostID": 200000, "size": 1}],
        "gidMappings": [{"containerID": 1000, "hostID": 200000, "size": 1}]}]'
    cfg_sh 'stat -c "%u:%g" /data/old; echo new > /data/new; id -u'
    run septa oci run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "${lines[0]}" = 0:0 ]
    [ "${lines[1]}" = 0 ]
    [ "$(stat -c %u:%g "$EXT4_MNT/src/new")" = 1000:1000 ]
    umount "$EXT4_MNT"
    assert_no_trace
}
