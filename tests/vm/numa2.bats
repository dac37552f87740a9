#!/usr/bin/env bats
# vm: nodes=2 cpus-per-node=2 mem-per-node=512M
#
# Proves that each bats file gets the topology of its own header: this guest
# has 2 NUMA nodes with 2 CPUs and 512M each.

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
