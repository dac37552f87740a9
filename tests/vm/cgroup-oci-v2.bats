#!/usr/bin/env bats
# vm: nodes=1 cpus-per-node=2 mem-per-node=1G timeout=900
#
# Resource control through real containers on pure cgroup v2: the bodies
# shared with the host tier (tests/integration/cgroup-oci-common.bash) plus
# what only v2 shows: the v2 files, memory.oom.group, cgroup.freeze, the BPF
# device program, unified keys, network refused, rdma.max.

load ../integration/helpers
load ../integration/cgroup-oci-common
bats_require_minimum_version 1.5.0

setup_file() { cgoci_setup_file; }

setup() {
    cg_is_v2 || skip "not a cgroup v2 host"
    cgoci_setup
}

teardown() { cgoci_teardown; }

v2_limit_files() {
    d=/sys/fs/cgroup/septa/$CID
    [ "$(cat $d/memory.max)" = 33554432 ]
    [ "$(cat $d/memory.swap.max)" = 0 ]
    [ "$(cat $d/cpu.weight)" = 39 ]
    [ "$(cat $d/cpu.max)" = "50000 100000" ]
    [ "$(cat $d/pids.max)" = 40 ]
    # Seen from the host: the init lives in the container's cgroup.
    grep -qx "0::/septa/$CID" "/proc/$("$SEPTA" oci state "$CID" | jq .pid)/cgroup"
}

@test "oci v2: limits in the v2 files, OOM at 32 MiB reported by events, 8 MiB fine" {
    cfg '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}
         | .linux.resources.cpu = {"shares": 1024, "quota": 50000, "period": 100000}
         | .linux.resources.pids = {"limit": 40}'
    cgoci_oom_events v2_limit_files
    # The last container took the /septa parent with it.
    [ ! -d /sys/fs/cgroup/septa ]
}

# How many "sleep 1000" processes the container has (seen from the host).
sleepers() {
    local p n=0
    for p in $(cat "/sys/fs/cgroup/septa/$CID/cgroup.procs"); do
        [ "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" = "sleep 1000 " ] && n=$((n + 1))
    done
    echo $n
}

@test "oci v2: memory.oom.group=1 takes the whole container at OOM, 0 only the hog" {
    for g in 0 1; do
        rm -f "$OUT/ready" "$OUT/go" "$OUT/hog"
        G=$g cfg '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}
                  | .linux.resources.unified = {"memory.oom.group": $ENV.G}'
        cfg_sh 'sleep 1000 & echo ready > /out/ready; while [ ! -e /out/go ]; do sleep 0.1; done
                /out/cgwork hog 96; echo "hog=$?" > /out/hog; wait'
        oci_detached run --detach --bundle "$BUNDLE" "$CID"
        wait_file "$OUT/ready"
        d=/sys/fs/cgroup/septa/$CID
        [ "$(cat $d/memory.oom.group)" = "$g" ]
        [ "$(sleepers)" -eq 1 ]
        touch "$OUT/go"
        if [ "$g" = 1 ]; then
            for i in $(seq 150); do [ "$(oci_status "$CID")" = stopped ] && break; sleep 0.1; done
            [ "$(oci_status "$CID")" = stopped ]
            [ ! -e "$OUT/hog" ]
            [ -z "$(cat $d/cgroup.procs)" ]
            [ "$(awk '/^oom_group_kill / {print $2}' $d/memory.events)" -ge 1 ]
            [ "$(awk '/^oom_kill / {print $2}' $d/memory.events)" -ge 2 ] # more than the hog
        else
            wait_file "$OUT/hog"
            [ "$(cat "$OUT/hog")" = hog=137 ]
            [ "$(sleepers)" -eq 1 ] # the bystander lives on
            [ "$(oci_status "$CID")" = running ]
            [ "$(awk '/^oom_kill / {print $2}' $d/memory.events)" -eq 1 ]
        fi
        septa oci delete --force "$CID"
        assert_no_trace
    done
    refused_at_create '.linux.resources.unified = {"memory.oom.group": "2"}' \
        'linux.resources.unified["memory.oom.group"]: '"'2'"': expected "0" or "1"'
}

@test "oci v2: pause freezes (cgroup.freeze), resume continues, a paused container deletes" {
    cgoci_pause_resume
}

@test "oci v2: the BPF device program stops mknod-and-open of ungranted devices" {
    cgoci_devices
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

@test "oci v2: update --memory-swap without --memory: swap.max = total - memory.max" {
    cgoci_update_swap
}

@test "oci v2: septa killed right after its cgroup mkdir: delete --force removes it" {
    cgoci_crash_at_mkdir
}

@test "oci v2: network is refused naming the field; rdma.max names an unknown device" {
    refused_at_create '.linux.resources.network = {"classID": 1048577}' \
        "linux.resources.network: cgroup v2 host: there is no network controller in cgroup v2"
    grep -qw rdma /sys/fs/cgroup/cgroup.controllers || skip "this kernel has no rdma controller"
    refused_at_create 'del(.linux.resources.network) | .linux.resources.rdma = {"nosuchhca0": {"hcaHandles": 2}}' \
        'linux.resources.rdma["nosuchhca0"]: no RDMA device of that name on this host'
}

# Soft-RoCE (rdma_rxe, from the cached Debian kernel's modules; it needs the
# crc32 crypto module loaded first) gives the VM a real RDMA device, so the
# config's limits can be read back from the container's rdma.max.  The device
# and its veth stay until the VM is thrown away: `rdma link delete` of an rxe
# device panicked this guest kernel (6.1, nldev_dellink) in one of our runs.
rxe_up() {
    local k=/var/cache/septa-tests/kernel/$(uname -r)
    [ -d "$k/lib/modules" ] && modprobe -d "$k" crc32_generic && modprobe -d "$k" rdma_rxe || return 1
    ip link add sprx0 type veth peer name sprx1 && ip link set sprx0 up && ip link set sprx1 up &&
        rdma link add sprxe0 type rxe netdev sprx0
}


@test "oci v2: rdma limits land in rdma.max of the container's cgroup (Soft-RoCE device)" {
    grep -qw rdma /sys/fs/cgroup/cgroup.controllers || skip "this kernel has no rdma controller"
    command -v rdma >/dev/null || skip "no rdma tool (iproute2)"
    rxe_up || skip "rdma_rxe cannot be set up here"
    cfg '.linux.resources.rdma = {"sprxe0": {"hcaHandles": 2, "hcaObjects": 100}}'
    cfg_sh 'echo ready > /out/ready; sleep 100'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    wait_file "$OUT/ready"
    # The kernel ends each rdma.max line with a space: compare the words.
    [ "$(echo $(cat "/sys/fs/cgroup/septa/$CID/rdma.max"))" = "sprxe0 hca_handle=2 hca_object=100" ]
    echo '{"rdma":{"sprxe0":{"hcaObjects":50}}}' | septa oci update -r - "$CID"
    [ "$(echo $(cat "/sys/fs/cgroup/septa/$CID/rdma.max"))" = "sprxe0 hca_handle=max hca_object=50" ]
    septa oci delete --force "$CID"
    assert_no_trace
}

@test "septa run (foreground) on v2 killed at its memory limit: 137 and a message saying OOM" {
    cgoci_people_oom
}

@test "septa run --memory on v2: an OOM kill takes the whole container (memory.oom.group)" {
    # sort, a child, is the hog; without the group kill its shell would go on.
    run septa run --rm --network none --memory 16m --memory-swap 16m busybox \
        sh -c 'head -c 64000000 /dev/zero | tr "\0" a | sort > /dev/null; echo survived'
    [ "$status" -eq 137 ]
    [[ $output != *survived* ]]
    # The container sees it in its own cgroup.
    run septa run --rm --network none --memory 16m busybox cat /sys/fs/cgroup/memory.oom.group
    [ "$status" -eq 0 ]
    [ "$output" = 1 ]
}
