# Shared setup for the host tier.  Every test gets its own state and data
# roots under bats' per-test temporary directory, so /run/septa and
# /var/lib/septa are never touched.
REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
SEPTA=${SEPTA_BIN:-$REPO/build/cli/septa}
SEPTA_BUILD=${SEPTA_BUILD:-$(dirname "$(dirname "$SEPTA")")}
# The lean OCI runtime binary built beside septa (cli/meson.build).
SEPTA_RUNTIME=${SEPTA_RUNTIME_BIN:-$(dirname "$SEPTA")/septa-runtime}

common_setup() {
    export SEPTA_ROOT=$BATS_TEST_TMPDIR/run
    export SEPTA_DATA_ROOT=$BATS_TEST_TMPDIR/data
}

# run septa and capture stdout+stderr in $output, status in $status
septa() { "$SEPTA" "$@"; }

# Assert the failure contract: exit 125 and exactly one line naming the problem.
assert_one_line_error() { # needle
    [ "$status" -eq 125 ] || { echo "status $status, want 125: $output"; return 1; }
    [ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ] || { echo "not one line: $output"; return 1; }
    [[ $output == *"$1"* ]] || { echo "'$output' lacks '$1'"; return 1; }
}

# `ip netns add` turns /run/netns into a bind mount of itself the first time it
# runs and never undoes it.  Files that use it record the state in setup_file
# and put it back in teardown_file, so the host is left as it was found.
netns_mount_record() {
    if mountpoint -q /run/netns 2>/dev/null; then
        export NETNS_MOUNT_WAS_THERE=1
    else
        export NETNS_MOUNT_WAS_THERE=
    fi
}

netns_mount_restore() {
    [ -n "${NETNS_MOUNT_WAS_THERE:-}" ] && return 0
    mountpoint -q /run/netns 2>/dev/null || return 0
    # Only when no namespace is left in it: never pull it from under others.
    [ -z "$(ls -A /run/netns 2>/dev/null)" ] && umount /run/netns 2>/dev/null
    return 0
}
