# Shared by tests/integration/cgroup-*.bats and tests/vm/cgroup-v2.bats.
#
# cgdrv (tests/integration/cgroup-driver.c) drives runtime/cgroup*.c directly
# against the static libraries of the build under test; cgwork is the
# workload (memory hog, CPU spinner, counter).  Every cgroup a test creates
# lives below one parent unique to the test file run ($CG_PREFIX), and
# cg_teardown removes it on every controller whatever happened.

CG_REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

# Build cgdrv and cgwork once per file, into the file's temporary directory.
cg_build_tools() {
    local bin=${SEPTA_BIN:-$CG_REPO/build/cli/septa}
    local build
    build=$(dirname "$(dirname "$bin")")
    local out=$BATS_FILE_TMPDIR
    local san=()
    # A sanitizer build's libraries need the sanitizer runtime at link time.
    if nm "$build/common/libsepta-common.a" 2>/dev/null | grep -q __asan; then
        san=(-fsanitize=address,undefined)
    fi
    cc -std=gnu17 -D_GNU_SOURCE -O1 -g "${san[@]}" \
        -I"$CG_REPO/common" -I"$CG_REPO/runtime" -I"$build" \
        "$CG_REPO/tests/integration/cgroup-driver.c" \
        "$build/runtime/libsepta-runtime.a" "$build/common/libsepta-common.a" \
        $(pkg-config --libs libcap libseccomp jansson libcrypto) -o "$out/cgdrv" || return 1
    cc -static -O1 "$CG_REPO/tests/integration/cgroup-workload.c" -o "$out/cgwork" || return 1
}

cg_setup() {
    CGDRV=$BATS_FILE_TMPDIR/cgdrv
    CGWORK=$BATS_FILE_TMPDIR/cgwork
    # One parent per test: nothing is shared with other runs or other tests.
    CG_PREFIX=septa-bats-$$-${BATS_TEST_NUMBER}
    CG_STATES=()
    T=$BATS_TEST_TMPDIR
}

# cg_create NAME [RESOURCES-JSON]: a cgroup /$CG_PREFIX/NAME; state in $T/NAME.json
cg_create() {
    local name=$1 res=${2:-}
    local rf=-
    if [ -n "$res" ]; then
        rf=$T/$name.res.json
        printf '{"linux":{"resources":%s}}\n' "$res" >"$rf"
    fi
    CG_STATES+=("$T/$name.json")
    "$CGDRV" create "/$CG_PREFIX/$name" "$name" "$rf" "$T/$name.json"
}

# cg_update NAME RESOURCES-JSON
cg_update() {
    printf '{"linux":{"resources":%s}}\n' "$2" >"$T/$1.upd.json"
    "$CGDRV" update "$T/$1.json" "$T/$1.upd.json"
}

cg_dir() { "$CGDRV" dir "$T/$1.json" "${2:-}"; }

# Every cgroup below /$CG_PREFIX on any hierarchy: kill its tasks, remove it.
cg_teardown() {
    local st d
    for st in "${CG_STATES[@]}"; do
        [ -f "$st" ] && "$CGDRV" destroy "$st" 2>/dev/null
    done
    [ -n "${CG_PREFIX:-}" ] || return 0
    for d in /sys/fs/cgroup/*/"$CG_PREFIX" /sys/fs/cgroup/"$CG_PREFIX" \
        /sys/fs/cgroup/memory/process_api/*/"$CG_PREFIX"; do
        [ -d "$d" ] || continue
        find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -9 2>/dev/null
        [ -f "$d/freezer.state" ] && echo THAWED >"$d/freezer.state" 2>/dev/null
        sleep 0.2
        find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
    done
    return 0
}

# CPU time (ns) a cgroup has used, on v1 (cpuacct) or v2 (cpu.stat).
cg_cpu_ns() {
    if [ -f "$(cg_dir "$1")/cpu.stat" ] && grep -q usage_usec "$(cg_dir "$1")/cpu.stat"; then
        echo $(($(awk '/^usage_usec/ {print $2}' "$(cg_dir "$1")/cpu.stat") * 1000))
    else
        cat "$(cg_dir "$1" cpuacct)/cpuacct.usage"
    fi
}

# Wait until a file exists and is non-empty (up to 5 s).
cg_wait_file() {
    local i
    for i in $(seq 50); do
        [ -s "$1" ] && return 0
        sleep 0.1
    done
    return 1
}

# Integer arithmetic helper for tolerance checks: within PCT percent of WANT.
cg_within() { # value want pct
    awk -v v="$1" -v w="$2" -v p="$3" 'BEGIN { d = v - w; if (d < 0) d = -d; exit !(d <= w * p / 100) }'
}
