#!/usr/bin/env bats
# vm: nodes=1 cpus-per-node=2 mem-per-node=1024M timeout=1200
#
# Not a test: tests/bench/lifecycle.sh --vm boots the test VM with this file to
# measure septa against runc and crun on pure cgroup v2 (crun refuses the
# hybrid host).  The results come back as "# RESULT" lines on the TAP stream.

@test "lifecycle benchmark in the VM: septa, runc, crun" {
    out=$BATS_TEST_TMPDIR/results.md
    PEERS="runc crun" RESULTS=$out N=${N:-30} "$BATS_TEST_DIRNAME/lifecycle.sh" "$SEPTA_BIN" \
        >"$BATS_TEST_TMPDIR/log" 2>&1 || { sed 's/^/# /' "$BATS_TEST_TMPDIR/log" >&3; false; }
    sed 's/^/# RESULT /' "$out" >&3
}
