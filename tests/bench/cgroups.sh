#!/bin/bash
# Benchmark of runtime/cgroup (run as root, on demand; not part of tests/run):
#   1. accuracy of CPU quotas (0.1, 0.25, 0.5 CPU) and weights (2:1, 4:1 on one CPU)
#   2. the latency cgroups add to a container start: create+apply of a cgroup
#      with every limit set against one with none, and `septa oci run` of
#      /bin/true with every limit against none (target: under 1 ms added)
# Appends a dated section to tests/bench/cgroups-results.md.
#
# usage: tests/bench/cgroups.sh [BUILD_DIR]   (default: build)
# env:   SECONDS_PER_RUN (default 5), LATENCY_N (default 200), CONTAINER_N (default 30)
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd)
secs=${SECONDS_PER_RUN:-5}
n=${LATENCY_N:-200}
results=$repo/tests/bench/cgroups-results.md
tmp=$(mktemp -d)
prefix=septa-bench-$$
states=()

cleanup() {
    local st d
    for st in "${states[@]}"; do "$tmp/cgdrv" destroy "$st" 2>/dev/null || true; done
    for d in /sys/fs/cgroup/*/"$prefix" /sys/fs/cgroup/"$prefix"; do
        [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

san=()
nm "$build/common/libsepta-common.a" | grep -q __asan && san=(-fsanitize=address,undefined)
cc -std=gnu17 -D_GNU_SOURCE -O2 "${san[@]}" -I"$repo/common" -I"$repo/runtime" -I"$build" \
    "$repo/tests/integration/cgroup-driver.c" "$build/runtime/libsepta-runtime.a" \
    "$build/common/libsepta-common.a" $(pkg-config --libs libcap libseccomp jansson libcrypto) -o "$tmp/cgdrv"
cc -static -O1 "$repo/tests/integration/cgroup-workload.c" -o "$tmp/cgwork"

mk() { # name resources-json
    printf '{"linux":{"resources":%s}}\n' "$2" >"$tmp/$1.res"
    states+=("$tmp/$1.json")
    "$tmp/cgdrv" create "/$prefix/$1" "$1" "$tmp/$1.res" "$tmp/$1.json"
}
cpu_ns() { # state
    local d
    d=$("$tmp/cgdrv" dir "$1")
    if grep -qs usage_usec "$d/cpu.stat"; then
        echo $(($(awk '/^usage_usec/ {print $2}' "$d/cpu.stat") * 1000))
    else
        cat "$("$tmp/cgdrv" dir "$1" cpuacct)/cpuacct.usage"
    fi
}

mode=$([ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && echo v2 || echo "v1 (hybrid)")
{
    echo
    echo "## $(date -u +%Y-%m-%dT%H:%MZ) $(uname -r), cgroup $mode, $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
    echo
    echo "| measurement | want | got |"
    echo "|---|---|---|"
} >>"$results.part"

for q in 10000 25000 50000; do
    mk "q$q" "{\"cpu\":{\"quota\":$q,\"period\":100000}}"
    pid=$("$tmp/cgdrv" start "$tmp/q$q.json" "$tmp/cgwork" spin)
    sleep 0.5
    a=$(cpu_ns "$tmp/q$q.json"); sleep "$secs"; b=$(cpu_ns "$tmp/q$q.json")
    kill -9 "$pid"
    got=$(awk -v d=$((b - a)) -v s="$secs" 'BEGIN { printf "%.2f%%", d / (s * 1e9) * 100 }')
    echo "| quota $((q / 1000))ms/100ms, busy loop, ${secs}s | $((q / 1000)).00% | $got |" >>"$results.part"
done

for w in 2 4; do
    mk "hi$w" "{\"cpu\":{\"shares\":$((1024 * w)),\"cpus\":\"0\"}}"
    mk "lo$w" '{"cpu":{"shares":1024,"cpus":"0"}}'
    p1=$("$tmp/cgdrv" start "$tmp/hi$w.json" "$tmp/cgwork" spin)
    p2=$("$tmp/cgdrv" start "$tmp/lo$w.json" "$tmp/cgwork" spin)
    sleep 1
    a1=$(cpu_ns "$tmp/hi$w.json"); a2=$(cpu_ns "$tmp/lo$w.json")
    sleep "$secs"
    b1=$(cpu_ns "$tmp/hi$w.json"); b2=$(cpu_ns "$tmp/lo$w.json")
    kill -9 "$p1" "$p2"
    got=$(awk -v x=$((b1 - a1)) -v y=$((b2 - a2)) 'BEGIN { printf "%.3f", x / y }')
    echo "| shares $((1024 * w)):1024 on one CPU, ${secs}s | $w.000 | $got |" >>"$results.part"
done

all='{"cpu":{"shares":512,"quota":50000,"period":100000,"cpus":"0","mems":"0"},
      "memory":{"limit":67108864,"reservation":33554432},"pids":{"limit":100},
      "devices":[{"allow":false,"access":"rwm"}]}'
printf '{"linux":{"resources":%s}}\n' "$all" >"$tmp/all.res"
# Alternate the two so drift (other load) hits both equally.
none_us=() all_us=()
for i in 1 2 3 4 5; do
    none_us+=("$("$tmp/cgdrv" bench $((n / 5)) "/$prefix/lat" - | jq .create_median_us)")
    all_us+=("$("$tmp/cgdrv" bench $((n / 5)) "/$prefix/lat" "$tmp/all.res" | jq .create_median_us)")
done
med() { printf '%s\n' "$@" | sort -g | sed -n 3p; }
none=$(med "${none_us[@]}"); allm=$(med "${all_us[@]}")
added=$(awk -v a="$allm" -v b="$none" 'BEGIN { printf "%.1f", a - b }')
{
    echo "| cgroup create, no limits (median of $n) | - | ${none} us |"
    echo "| cgroup create, every limit (median of $n) | - | ${allm} us |"
    echo "| added start latency of all limits | < 1000 us | ${added} us |"
} >>"$results.part"

# The same through whole containers: `septa oci run` of /bin/true with every
# limit against none (the default spec), alternating, median of each.
septa=$build/cli/septa
if [ -x "$septa" ]; then
    export SEPTA_ROOT=$tmp/run SEPTA_DATA_ROOT=$tmp/data
    layout=$("$septa" image builtin --format json | jq -r .layout)
    manifest=$(jq -r '.manifests[0].digest' "$layout/index.json" | cut -d: -f2)
    layer=$(jq -r '.layers[0].digest' "$layout/blobs/sha256/$manifest" | cut -d: -f2)
    mkdir -p "$tmp/rootfs" "$tmp/none" "$tmp/all"
    tar -xzf "$layout/blobs/sha256/$layer" -C "$tmp/rootfs"
    for b in none all; do
        "$septa" oci spec --bundle "$tmp/$b"
        jq --arg r "$tmp/rootfs" '.root.path = $r | .process.terminal = false | .process.args = ["/bin/true"]
        | del(.linux.resources)' \
            "$tmp/$b/config.json" >"$tmp/$b/c.json" && mv "$tmp/$b/c.json" "$tmp/$b/config.json"
    done
    # Every limit set, none binding: what is measured is the cost of setting
    # them, not of running the container's setup under a tight quota.
    allc='{"cpu":{"shares":1024,"quota":400000,"period":100000,"cpus":"'$(cat /sys/devices/system/cpu/online)'","mems":"0"},
           "memory":{"limit":1073741824,"reservation":536870912},"pids":{"limit":1000},
           "devices":[{"allow":false,"access":"rwm"}]}'
    jq --argjson res "$allc" '.linux.resources = $res' "$tmp/all/config.json" >"$tmp/all/c.json"
    mv "$tmp/all/c.json" "$tmp/all/config.json"
    # What engines run: the lean septa-runtime when built, else `septa oci`.
    ocirun=("$septa" oci)
    [ -x "$build/cli/septa-runtime" ] && ocirun=("$build/cli/septa-runtime")
    runs=${CONTAINER_N:-30}
    : >"$tmp/t.none"; : >"$tmp/t.all"
    for i in $(seq "$runs"); do
        for b in none all; do
            t0=$(date +%s%N)
            "${ocirun[@]}" run --bundle "$tmp/$b" "bench-$$-$b" >/dev/null 2>&1 </dev/null
            echo $(( ($(date +%s%N) - t0) / 1000 )) >>"$tmp/t.$b"
        done
    done
    cn=$(sort -n "$tmp/t.none" | sed -n "$((runs / 2 + 1))p")
    ca=$(sort -n "$tmp/t.all" | sed -n "$((runs / 2 + 1))p")
    {
        echo "| $(basename "${ocirun[0]}") run /bin/true, no limits (median of $runs) | - | ${cn} us |"
        echo "| $(basename "${ocirun[0]}") run /bin/true, every limit (median of $runs) | - | ${ca} us |"
        echo "| added container start latency of all limits | < 1000 us | $((ca - cn)) us |"
    } >>"$results.part"
fi

[ -f "$results" ] || printf '# runtime/cgroup benchmark results\n\nWritten by tests/bench/cgroups.sh; newest last.\n' >"$results"
cat "$results.part" >>"$results"
cat "$results.part"
rm -f "$results.part"
