#!/usr/bin/env bats
# vm: nodes=2 cpus-per-node=2 mem-per-node=512M
#
# Proves that each bats file gets the topology of its own header: this guest
# has 2 NUMA nodes with 2 CPUs and 512M each.  The last test uses that second
# node: an OCI bundle placed in a shared partition by its annotation.

load helpers

@test "guest: 4 CPUs online" {
    [ "$(nproc)" -eq 4 ]
}

@test "guest: NUMA nodes are exactly node0 and node1" {
    [ "$(cat /sys/devices/system/node/online)" = 0-1 ]
    [ "$(find /sys/devices/system/node -maxdepth 1 -name 'node[0-9]*' | wc -l)" -eq 2 ]
}

@test "guest: each node has two CPUs and about 512M of memory" {
    [ "$(cat /sys/devices/system/node/node0/cpulist)" = 0-1 ]
    [ "$(cat /sys/devices/system/node/node1/cpulist)" = 2-3 ]
    for n in 0 1; do
        [ "$(cpulist_count "$(cat /sys/devices/system/node/node$n/cpulist)")" -eq 2 ]
        node_mem_within "$n" 512
    done
}

@test "guest: the harness passes the topology to the tests" {
    [ "$SEPTA_VM_NODES" -eq 2 ]
    [ "$SEPTA_VM_CPUS_PER_NODE" -eq 2 ]
    [ "$SEPTA_VM_MEM_PER_NODE" -eq 512 ]
}

# On pure cgroup v2 with two nodes: an OCI bundle annotated
# org.septa.partition=NAME (what podman --annotation passes) runs on the
# shared partition's CPUs and node, through `septa oci run` as engines call it.
@test "OCI: a bundle annotated org.septa.partition runs on its shared partition's node 1" {
    export SEPTA_ROOT=$BATS_TEST_TMPDIR/run SEPTA_DATA_ROOT=$BATS_TEST_TMPDIR/data
    local rootfs=$BATS_TEST_TMPDIR/rootfs b=$BATS_TEST_TMPDIR/bundle layout m l
    mkdir -p "$rootfs" "$b"
    layout=$("$SEPTA_BIN" image builtin --format json | jq -r .layout)
    m=$(jq -r '.manifests[0].digest' "$layout/index.json" | cut -d: -f2)
    l=$(jq -r '.layers[0].digest' "$layout/blobs/sha256/$m" | cut -d: -f2)
    tar -xzf "$layout/blobs/sha256/$l" -C "$rootfs"
    run "$SEPTA_BIN" partition create vmoci --shared --cpus 2-3 --memory 64M
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    "$SEPTA_BIN" oci spec --bundle "$b"
    jq --arg r "$rootfs" '.root = {"path": $r} | .process.terminal = false
        | .process.args = ["grep", "-E", "^(Cpus|Mems)_allowed_list", "/proc/self/status"]
        | .annotations = {"org.septa.partition": "vmoci"}' "$b/config.json" > "$b/c"
    mv "$b/c" "$b/config.json"
    run "$SEPTA_BIN" oci run --bundle "$b" vmoci1
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "${lines[0]}" = "$(printf 'Cpus_allowed_list:\t2-3')" ]
    [ "${lines[1]}" = "$(printf 'Mems_allowed_list:\t1')" ]
    # The same bundle without the annotation runs on every CPU and node.
    jq 'del(.annotations)' "$b/config.json" > "$b/c" && mv "$b/c" "$b/config.json"
    run "$SEPTA_BIN" oci run --bundle "$b" vmoci2
    [ "${lines[0]}" = "$(printf 'Cpus_allowed_list:\t0-3')" ]
    [ "${lines[1]}" = "$(printf 'Mems_allowed_list:\t0-1')" ]
    "$SEPTA_BIN" partition rm vmoci
}
