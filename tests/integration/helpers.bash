# Shared setup for the host tier.  Every test gets its own state and data
# roots under bats' per-test temporary directory, so /run/septa and
# /var/lib/septa are never touched.
REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
SEPTA=${SEPTA_BIN:-$REPO/build/cli/septa}
SEPTA_BUILD=${SEPTA_BUILD:-$(dirname "$(dirname "$SEPTA")")}

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
