#!/usr/bin/env bats
# vm: nodes=4 cpus-per-node=1 mem-per-node=256M timeout=900
#
# Hardware partitions where they can be proven: pure cgroup v2 (cpuset
# partitions) on an emulated 4-node NUMA machine (one CPU and 256M per node).
# The planner, two exclusive partitions on nodes 2 and 3 with pinned nested
# guests (QEMU TCG), verify, refusals, and a clean stop/rm.

load helpers

setup() {
    export SEPTA_DATA_ROOT=$BATS_TEST_TMPDIR/data
}

teardown() {
    [ -d /sys/fs/cgroup/sp-test-claim ] && rmdir /sys/fs/cgroup/sp-test-claim
    mountpoint -q "$BATS_TEST_TMPDIR/huge" 2>/dev/null && umount "$BATS_TEST_TMPDIR/huge"
    for f in "$SEPTA_DATA_ROOT"/partitions/*.json; do
        [ -f "$f" ] || continue
        case $f in */reserve.json) continue ;; esac
        "$SEPTA_BIN" partition rm -f "$(basename "$f" .json)" >/dev/null 2>&1 || true
    done
}

septa() { "$SEPTA_BIN" "$@"; }

# The Debian kernel the harness booted this VM with (host cache over 9p), and a
# tiny busybox initramfs: the nested guests only need to exist to be verified.
guest_files() {
    K=$(ls -1 /var/cache/septa-tests/kernel/*/boot/vmlinuz-* 2>/dev/null | tail -n1)
    [ -n "$K" ] || return 1
    local d=$BATS_TEST_TMPDIR/initrd-root
    mkdir -p "$d/bin"
    cp /bin/busybox "$d/bin/busybox"
    printf '#!/bin/busybox sh\necho SEPTA-GUEST up\nwhile :; do /bin/busybox sleep 3600; done\n' > "$d/init"
    chmod +x "$d/init"
    (cd "$d" && find . | cpio -o -H newc 2>/dev/null | gzip) > "$BATS_TEST_TMPDIR/initrd.gz"
    I=$BATS_TEST_TMPDIR/initrd.gz
}

@test "topology: four nodes, one CPU each, distances" {
    run septa topology --format json
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq '.nodes | length')" -eq 4 ]
    [ "$(echo "$output" | jq -c '[.cpus[].node]')" = "[0,1,2,3]" ]
    [ "$(echo "$output" | jq '.nodes[2].distances | length')" -eq 4 ]
    [ "$(echo "$output" | jq '.nodes[2].distances[2]')" -eq 10 ]
}

@test "plan for 2 and for 3 partitions: one node each, reserve (CPU 0) kept" {
    run septa partition plan --count 2 --format json
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq -c '[.partitions[].cpus]')" = '["1","2"]' ]
    [ "$(echo "$output" | jq -c '[.partitions[].nodes]')" = '["1","2"]' ]
    [[ $(echo "$output" | jq -r .note) == *"node(s) 3 left free"* ]]
    run septa partition plan --count 3 --format json
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq -c '[.partitions[].cpus]')" = '["1","2","3"]' ]
    for i in 0 1 2; do
        mem=$(echo "$output" | jq ".partitions[$i].memory")
        [ "$mem" -gt $((100 << 20)) ] && [ "$mem" -lt $((256 << 20)) ]
    done
    run septa partition plan --count 3 --apply
    [ "$status" -eq 0 ]
    [ "$(septa partition ls --format json | jq length)" -eq 3 ]
    run septa partition plan --count 4
    assert_status_125
}

assert_status_125() {
    [ "$status" -eq 125 ] || { echo "status $status: $output"; return 1; }
    [ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
}

@test "two exclusive partitions on nodes 2 and 3: start, verify, refusals, stop, rm" {
    guest_files || skip "no cached Debian kernel under /var/cache/septa-tests"
    for n in 2 3; do
        run septa partition create "n$n" --cpus "$n" --memory 64M --kernel "$K" --initrd "$I" \
            --append "console=ttyS0 quiet" --accel tcg
        [ "$status" -eq 0 ] || { echo "$output"; false; }
    done
    [ "$(septa partition inspect n2 | jq -r .nodes)" = 2 ]
    [ "$(septa partition inspect n3 | jq -r .nodes)" = 3 ]

    # An overlapping third and memory beyond a node are refused, with the reason.
    run septa partition create third --cpus 2-3 --memory 64M
    assert_status_125
    [[ $output == *"CPU 2 is already in partition 'n2' (exclusive)"* ]]
    run septa partition create big --cpus 1 --memory 512M
    assert_status_125
    [[ $output == *"on node 1 but only"* ]]
    run septa partition create big --cpus 3 --nodes 3 --memory 256M --shared
    assert_status_125
    [[ $output == *"CPU 3 is already in partition 'n3' (exclusive)"* ]]

    for n in 2 3; do
        run septa partition start "n$n"
        [ "$status" -eq 0 ] || { echo "$output"; false; }
    done
    for n in 2 3; do
        [ "$(cat /sys/fs/cgroup/septa.partition.n$n/cpuset.cpus.partition)" = root ]
        [ "$(cat /sys/fs/cgroup/septa.partition.n$n/cpuset.cpus.effective)" = "$n" ]
        [ "$(cat /sys/fs/cgroup/septa.partition.n$n/cpuset.mems)" = "$n" ]
        pid=$(septa partition inspect "n$n" | jq .pid)
        grep -qx "$pid" "/sys/fs/cgroup/septa.partition.n$n/cgroup.procs"
        run septa partition verify "n$n"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"pass  vcpu 0 affinity: thread "*", want $n"* ]]
        [[ $output == *"pass  memory locality: "*"on node(s) $n (100.0%)"* ]]
        [[ $output == *"pass  cgroup partition"*"reads 'root'"* ]]
        [[ $output == *"pass  exclusive cpus"* ]]
        [[ $output != *FAIL* ]]
    done
    # The host's own tasks no longer run on the partitions' CPUs.
    [ "$(cat /sys/fs/cgroup/cpuset.cpus.effective)" = 0-1 ]

    pids="$(septa partition inspect n2 | jq .pid) $(septa partition inspect n3 | jq .pid)"
    for n in 2 3; do
        run septa partition stop --timeout 1s "n$n"
        [ "$status" -eq 0 ]
        run septa partition rm "n$n"
        [ "$status" -eq 0 ]
    done
    for pid in $pids; do
        ! grep -qs debug-threads "/proc/$pid/cmdline"
    done
    [ ! -d /sys/fs/cgroup/septa.partition.n2 ]
    [ ! -d /sys/fs/cgroup/septa.partition.n3 ]
    [ "$(cat /sys/fs/cgroup/cpuset.cpus.effective)" = 0-3 ]
    [ "$(septa partition ls --format json | jq length)" -eq 0 ]
}

@test "a partition spanning nodes 1-2: one guest NUMA node per host node, memory bound per node" {
    guest_files || skip "no cached Debian kernel under /var/cache/septa-tests"
    run septa partition create span --cpus 1-2 --memory 64M --kernel "$K" --initrd "$I" --accel tcg
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "$(septa partition inspect span | jq .memory_per_node)" -eq $((32 << 20)) ]
    run septa partition start span
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    pid=$(septa partition inspect span | jq .pid)
    argv=$(tr '\0' '\n' < "/proc/$pid/cmdline")
    echo "$argv" | grep -qx "memory-backend-ram,id=mem0,size=32M,host-nodes=1,policy=bind,prealloc=on"
    echo "$argv" | grep -qx "memory-backend-ram,id=mem1,size=32M,host-nodes=2,policy=bind,prealloc=on"
    echo "$argv" | grep -qx "node,nodeid=0,memdev=mem0,cpus=0"
    echo "$argv" | grep -qx "node,nodeid=1,memdev=mem1,cpus=1"
    echo "$argv" | grep -qx "dist,src=0,dst=1,val=$(awk '{print $3}' /sys/devices/system/node/node1/distance)"
    # Each backend's pages are on its own node.
    grep " bind:1 " "/proc/$pid/numa_maps" | grep -q " N1="
    ! grep " bind:1 " "/proc/$pid/numa_maps" | grep -q " N2="
    grep " bind:2 " "/proc/$pid/numa_maps" | grep -q " N2="
    run septa partition verify span
    echo "$output"
    [ "$status" -eq 0 ]
    [[ $output == *"pass  vcpu 0 affinity: "*"want 1"* ]]
    [[ $output == *"pass  vcpu 1 affinity: "*"want 2"* ]]
    [[ $output == *"on node(s) 1-2 (100.0%)"* ]]
    [ "$(cat /sys/fs/cgroup/septa.partition.span/cpuset.mems)" = 1-2 ]
    run septa partition rm -f span
    [ "$status" -eq 0 ]
    [ ! -d /sys/fs/cgroup/septa.partition.span ]
}

@test "isolated partition and an invalid one reported with the kernel's reason" {
    guest_files || skip "no cached Debian kernel under /var/cache/septa-tests"
    run septa partition create iso --cpus 1 --memory 32M --isolated --kernel "$K" --initrd "$I" \
        --accel tcg
    [ "$status" -eq 0 ]
    run septa partition start iso
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "$(cat /sys/fs/cgroup/septa.partition.iso/cpuset.cpus.partition)" = isolated ]
    run septa partition verify iso
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    run septa partition rm -f iso
    [ "$status" -eq 0 ]
    [ ! -d /sys/fs/cgroup/septa.partition.iso ]

    # A sibling outside septa claims CPU 2 exclusively: the kernel refuses the partition.
    mkdir /sys/fs/cgroup/sp-test-claim
    echo 2 > /sys/fs/cgroup/sp-test-claim/cpuset.cpus
    echo 2 > /sys/fs/cgroup/sp-test-claim/cpuset.cpus.exclusive || true
    echo root > /sys/fs/cgroup/sp-test-claim/cpuset.cpus.partition || true
    run septa partition create clash --cpus 2 --memory 32M --kernel "$K" --initrd "$I" --accel tcg
    [ "$status" -eq 0 ]
    run septa partition start clash
    rmdir /sys/fs/cgroup/sp-test-claim
    echo "$output"
    assert_status_125
    # Either the kernel refuses the CPUs outright or marks the partition invalid.
    [[ $output == *"Invalid argument"* || $output == *"invalid ("* ]]
    [ ! -d /sys/fs/cgroup/septa.partition.clash ]
}

@test "--hugepages 2M: guest memory from hugetlbfs, bound to node 2" {
    guest_files || skip "no cached Debian kernel under /var/cache/septa-tests"
    hp=/sys/devices/system/node/node2/hugepages/hugepages-2048kB/nr_hugepages
    echo 20 > "$hp"
    [ "$(cat "$hp")" -ge 16 ] || skip "node 2 could not reserve 16 hugepages"
    mkdir -p "$BATS_TEST_TMPDIR/huge"
    mount -t hugetlbfs -o pagesize=2M none "$BATS_TEST_TMPDIR/huge"
    run septa partition create hp --cpus 2 --memory 32M --hugepages 2M --kernel "$K" \
        --initrd "$I" --accel tcg
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    run septa partition start hp
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    pid=$(septa partition inspect hp | jq .pid)
    grep -q "memory-backend-file" "/proc/$pid/cmdline"
    grep " bind:2 " "/proc/$pid/numa_maps" | grep -q "kernelpagesize_kB=2048"
    run septa partition verify hp
    echo "$output"
    [ "$status" -eq 0 ]
    [[ $output == *"pass  memory locality: 32 of 32 MiB"*"on node(s) 2 (100.0%)"* ]]
    run septa partition rm -f hp
    [ "$status" -eq 0 ]
    umount "$BATS_TEST_TMPDIR/huge"
    echo 0 > "$hp"
}

@test "--hugepages without a hugetlbfs mount: start refused clearly" {
    guest_files || skip "no cached Debian kernel under /var/cache/septa-tests"
    grep -q hugetlbfs /proc/mounts && skip "a hugetlbfs is mounted"
    hp=/sys/devices/system/node/node3/hugepages/hugepages-2048kB/nr_hugepages
    echo 20 > "$hp"
    run septa partition create hq --cpus 3 --memory 32M --hugepages 2M --kernel "$K" \
        --initrd "$I" --accel tcg
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    run septa partition start hq
    echo 0 > "$hp"
    assert_status_125
    [[ $output == *"no hugetlbfs is mounted with 2048 KiB pages"* ]]
    [ ! -d /sys/fs/cgroup/septa.partition.hq ]
}
