#!/usr/bin/env bats
# vm: nodes=4 cpus-per-node=1 mem-per-node=256M
#
# The ground the VM tier stands on: pure cgroup v2 with the controllers septa
# uses, an emulated 4-node NUMA machine (one CPU and 256M per node), cpuset
# partitions, overlayfs, veth, and a runnable septa binary.

load helpers

@test "guest: /sys/fs/cgroup is cgroup2" {
    [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]
}

@test "guest: cgroup2 is the only cgroup hierarchy (no v1 mounts)" {
    run awk '$3 == "cgroup"' /proc/mounts
    [ -z "$output" ]
    [ "$(awk '$3 == "cgroup2"' /proc/mounts | wc -l)" -eq 1 ]
    [ "$(awk '$3 == "cgroup2" { print $2 }' /proc/mounts)" = /sys/fs/cgroup ]
}

@test "guest: root cgroup has cpu cpuset memory pids io, enabled for children" {
    for c in cpu cpuset memory pids io; do
        grep -qw "$c" /sys/fs/cgroup/cgroup.controllers || { echo "missing controller $c"; false; }
        grep -qw "$c" /sys/fs/cgroup/cgroup.subtree_control || { echo "controller $c not enabled"; false; }
    done
}

@test "guest: 4 CPUs online" {
    [ "$(nproc)" -eq 4 ]
    [ "$(cat /sys/devices/system/cpu/online)" = 0-3 ]
}

@test "guest: NUMA nodes are exactly node0..node3" {
    run ls -d /sys/devices/system/node/node*
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | xargs -n1 basename | sort | tr '\n' ' ')" = "node0 node1 node2 node3 " ]
    [ "$(cat /sys/devices/system/node/online)" = 0-3 ]
}

@test "guest: each NUMA node has one CPU and about 256M of memory" {
    for n in 0 1 2 3; do
        [ "$(cat /sys/devices/system/node/node$n/cpulist)" = "$n" ] ||
            { echo "node$n cpulist: $(cat /sys/devices/system/node/node$n/cpulist)"; false; }
        node_mem_within "$n" 256
    done
}

@test "guest: a cpuset partition root on CPU 2 is accepted" {
    cg=/sys/fs/cgroup/vm-ground-part
    rmdir "$cg" 2>/dev/null || true
    mkdir "$cg"
    echo 2 > "$cg/cpuset.cpus"
    echo root > "$cg/cpuset.cpus.partition"
    run cat "$cg/cpuset.cpus.partition"
    echo member > "$cg/cpuset.cpus.partition"
    rmdir "$cg"
    [ "$output" = root ]
    # CPU 2 is back in the root partition.
    [ "$(cat /sys/fs/cgroup/cpuset.cpus.effective)" = 0-3 ]
}

@test "guest: overlayfs mounts on tmpfs" {
    d="$(mktemp -d)"
    mkdir "$d"/{lower,upper,work,merged}
    echo lower > "$d/lower/file"
    mount -t overlay overlay -o "lowerdir=$d/lower,upperdir=$d/upper,workdir=$d/work" "$d/merged"
    echo upper >> "$d/merged/file"
    run cat "$d/merged/file"
    umount "$d/merged"
    [ "$output" = "$(printf 'lower\nupper')" ]
    [ "$(cat "$d/lower/file")" = lower ]
    rm -rf "$d"
}

@test "guest: veth pairs can be created" {
    ip link add vm-ground-a type veth peer name vm-ground-b
    run ip -o link show type veth
    ip link del vm-ground-a
    [[ "$output" == *vm-ground-a* && "$output" == *vm-ground-b* ]]
}

@test "guest: writable tmpfs scratch and septa state roots" {
    for d in /tmp /var/tmp /run /dev/shm /var/lib/septa; do
        [ "$(stat -f -c %T "$d")" = tmpfs ] || { echo "$d is not tmpfs"; false; }
    done
    [ -d "$SEPTA_ROOT" ] && [ -d "$SEPTA_DATA_ROOT" ]
    touch /etc/vm-ground-writable && rm /etc/vm-ground-writable
}

@test "septa: the binary under test runs (--version)" {
    run "$SEPTA_BIN" --version
    echo "$output"
    [ "$status" -eq 0 ]
}
