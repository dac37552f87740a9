# shellcheck shell=bash
# Helpers for tests/vm/*.bats (load helpers). These run inside the test VM.

# node_mem_kib N: MemTotal of NUMA node N in KiB.
node_mem_kib() {
    awk '$3 == "MemTotal:" { print $4 }' "/sys/devices/system/node/node$1/meminfo"
}

# node_mem_within N MIB: node N's MemTotal is "about" MIB: at most MIB and at
# least 60% of it (the kernel keeps its image, page structs and reserved
# ranges out of MemTotal, more so on node 0).
node_mem_within() {
    local kib want=$(( $2 * 1024 ))
    kib="$(node_mem_kib "$1")"
    if (( kib > want || kib < want * 60 / 100 )); then
        echo "node$1 MemTotal ${kib} kB, expected about ${want} kB"
        return 1
    fi
}

# cpulist_count LIST: number of CPUs in a cpulist such as "0-1,4".
cpulist_count() {
    local n=0 r
    IFS=, read -ra ranges <<< "$1"
    for r in "${ranges[@]}"; do
        if [[ "$r" == *-* ]]; then
            n=$(( n + ${r#*-} - ${r%-*} + 1 ))
        else
            n=$(( n + 1 ))
        fi
    done
    echo "$n"
}
