#!/bin/bash
# Benchmark of the OCI container lifecycle (run as root, on demand; not part
# of tests/run): `RUNTIME run` of /bin/true from one busybox bundle (pid,
# mount, uts, ipc and net namespaces; podman's default seccomp profile), which
# is create + start + wait + delete in one command, septa against runc,
# alternating, N runs each.  Also: septa's own peak RSS, and whether a
# container limited to 1 MiB of memory can still run `true`.
# Appends a dated section to tests/bench/lifecycle-results.md.
#
# usage: tests/bench/lifecycle.sh [--vm] [SEPTA_BINARY]   (default: build/cli/septa)
#   --vm: run the same measurement inside the test VM (pure cgroup v2, where
#         crun works) against runc and crun, through tests/bench/lifecycle-vm.bats
# env:   N (default 30), PEERS (default "runc"), RESULTS (default the results file)
# The bundle says ociVersion 1.0.2: crun 1.8 refuses newer versions; septa accepts 1.x.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
results=${RESULTS:-$repo/tests/bench/lifecycle-results.md}
if [ "${1:-}" = --vm ]; then
    shift
    septa=$(readlink -f "${1:-$repo/build/cli/septa}")
    # The guest prints its results as "# | ..." TAP comments; keep those lines.
    SEPTA_BIN=$septa SEPTA_VM_PASSENV=N "$repo/tests/vm/run" "$repo/tests/bench/lifecycle-vm.bats" |
        tee /dev/stderr | sed -n 's/^# RESULT \{0,1\}//p' | tee -a "$results"
    exit "${PIPESTATUS[0]}"
fi
septa=$(readlink -f "${1:-$repo/build/cli/septa}")
n=${N:-30}
peers=${PEERS:-runc}
tmp=$(mktemp -d)
# Runtime roots on tmpfs, as /run/septa and /run/runc are.
runroot=/run/septa-bench-$$
mkdir -p "$runroot"
ids=()
# Engines call the lean septa-runtime built beside septa (runc's command line).
rtbin=$(dirname "$septa")/septa-runtime
[ -x "$rtbin" ] || { echo "lifecycle.sh: $rtbin missing (built by ninja with septa)" >&2; exit 1; }
ln -s "$rtbin" "$tmp/septa-runtime"

cleanup() {
    local id
    for id in "${ids[@]}"; do
        "$septa" --root "$runroot/septa" oci delete --force "$id" >/dev/null 2>&1 || true
        for p in $peers; do "$p" --root "$runroot/$p" delete --force "$id" >/dev/null 2>&1 || true; done
    done
    rm -rf "$tmp" "$runroot"
}
trap cleanup EXIT

# The bundle: the built-in busybox image, /bin/true, five namespaces, seccomp.
layout=$(SEPTA_DATA_ROOT=$tmp/data "$septa" image builtin --format json | jq -r .layout)
manifest=$(jq -r '.manifests[0].digest' "$layout/index.json" | cut -d: -f2)
layer=$(jq -r '.layers[0].digest' "$layout/blobs/sha256/$manifest" | cut -d: -f2)
mkdir -p "$tmp/bundle/rootfs"
tar -xzf "$layout/blobs/sha256/$layer" -C "$tmp/bundle/rootfs"
profile=/usr/share/containers/seccomp.json
[ -r "$profile" ] || { echo "lifecycle.sh: $profile missing (tests/setup installs it)" >&2; exit 1; }
"$septa" oci spec --bundle "$tmp/bundle"
jq --slurpfile sc "$profile" '.ociVersion = "1.0.2" | .process.terminal = false | .process.args = ["/bin/true"]
    | .linux.namespaces = [{"type":"pid"},{"type":"mount"},{"type":"uts"},{"type":"ipc"},{"type":"network"}]
    | .mounts |= map(select(.destination != "/sys/fs/cgroup"))
    | .linux.seccomp = ($sc[0] | {defaultAction, defaultErrnoRet, architectures: [.archMap[] | select(.architecture == "SCMP_ARCH_X86_64") | .architecture, .subArchitectures[]], syscalls: [.syscalls[] | select(((.includes.caps // []) == []) and ((.includes.arches // ["amd64"]) | index("amd64")) and ((.excludes // {}) == {})) | {names, action, errnoRet, args}]})
    | .linux.seccomp.syscalls |= map(with_entries(select(.value != null)))
    | .linux.seccomp |= with_entries(select(.value != null))' \
    "$tmp/bundle/config.json" > "$tmp/config.json"
mv "$tmp/config.json" "$tmp/bundle/config.json"

now_ns() { date +%s%N; }

# one RUNTIME ROOT ID: wall time of `run` in ns on stdout.
one() {
    local rt=$1 root=$2 id=$3 t0 t1
    t0=$(now_ns)
    "$rt" --root "$root" run --bundle "$tmp/bundle" "$id" >/dev/null 2>&1 </dev/null ||
        { echo "lifecycle.sh: $rt run failed" >&2; "$rt" --root "$root" run --bundle "$tmp/bundle" "$id" </dev/null >&2 || true; exit 1; }
    t1=$(now_ns)
    echo $((t1 - t0))
}

median() { sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.2f", m / 1e6}'; }

declare -A times
all=(septa $peers)
for i in $(seq "$n"); do
    for rt in "${all[@]}"; do
        bin=$tmp/septa-runtime; [ "$rt" = septa ] || bin=$rt
        id=bench-$$-$rt-$i; ids+=("$id")
        times[$rt]+="$(one "$bin" "$runroot/$rt" "$id") "
    done
done

# Peak RSS of septa itself during a run (GNU time reports the largest child:
# septa, as /bin/true in the container is smaller).
rss_kib=$(/usr/bin/time -f %M "$tmp/septa-runtime" --root "$runroot/septa" run --bundle "$tmp/bundle" rss-$$ 2>&1 >/dev/null </dev/null | tail -1)
ids+=(rss-$$)

# A 1 MiB memory limit: the container must still run `true`.
jq '.linux.resources.memory = {"limit": 1048576}' "$tmp/bundle/config.json" > "$tmp/c1m.json"
cp "$tmp/bundle/config.json" "$tmp/config.saved"; mv "$tmp/c1m.json" "$tmp/bundle/config.json"
declare -A onemib
for rt in "${all[@]}"; do
    bin=$tmp/septa-runtime; [ "$rt" = septa ] || bin=$rt
    id=bench1m-$$-$rt; ids+=("$id")
    if "$bin" --root "$runroot/$rt" run --bundle "$tmp/bundle" "$id" >/dev/null 2>&1 </dev/null; then
        onemib[$rt]=yes
    else
        onemib[$rt]="no (exit $?)"
    fi
done
mv "$tmp/config.saved" "$tmp/bundle/config.json"

{
    echo
    echo "## $(date -u +%Y-%m-%dT%H:%MZ) — $(uname -r), $(nproc) CPUs, N=$n${SEPTA_VM:+, in the test VM (cgroup v2)}"
    echo
    echo "septa: \`$rtbin\` ($(readelf -l "$rtbin" | grep -q interpreter && echo dynamic || echo static), $(stat -c %s "$rtbin") bytes); peers: $(for p in $peers; do printf '%s ' "$($p --version | head -1)"; done)"
    echo
    echo "| runtime | median create+start+wait+delete (ms) | ratio to septa | runs \`true\` with memory.limit 1 MiB |"
    echo "|---|---|---|---|"
    s_med=$(echo "${times[septa]}" | tr ' ' '\n' | grep . | median)
    for rt in "${all[@]}"; do
        med=$(echo "${times[$rt]}" | tr ' ' '\n' | grep . | median)
        echo "| $rt | $med | $(awk -v a="$med" -v b="$s_med" 'BEGIN {printf "%.2f", a / b}') | ${onemib[$rt]} |"
    done
    echo
    echo "septa peak RSS during \`oci run\`: ${rss_kib} KiB (target <= 2048)."
    for p in $peers; do
        p_med=$(echo "${times[$p]}" | tr ' ' '\n' | grep . | median)
        echo "septa / $p wall time: $(awk -v a="$s_med" -v b="$p_med" 'BEGIN {printf "%.2f", a / b}')x (target <= 0.5 for runc, <= 1.0 for crun)."
    done
} | tee -a "$results"
