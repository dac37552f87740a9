#!/usr/bin/env bats
# The lean septa-runtime binary (cli/meson.build): the one engines are pointed
# at.  Same OCI verbs as `septa oci`, its own executable, statically linked
# unless the build uses the sanitizers.
load oci-helpers
bats_require_minimum_version 1.5.0

setup_file() { oci_setup_file; }
setup() { oci_setup; }
teardown() {
    local id
    for id in $("$SEPTA_RUNTIME" list --quiet 2>/dev/null); do
        "$SEPTA_RUNTIME" delete --force "$id" >/dev/null 2>&1 || true
    done
    oci_teardown
}

rt() { "$SEPTA_RUNTIME" "$@"; }

sanitized() { readelf -s "$SEPTA_RUNTIME" | grep -q __asan_init; }

@test "septa-runtime: help, version, errors, whatever its name" {
    run rt --help
    [ "$status" -eq 0 ]
    [[ $output == *"septa-runtime"* ]]
    run rt --version
    [[ $output == "septa-runtime version "* ]]
    run rt frobnicate
    assert_one_line_error "septa-runtime: unknown command 'frobnicate'"
    # Whatever name it is started under, it is the runtime (no people CLI).
    ln -s "$SEPTA_RUNTIME" "$BATS_TEST_TMPDIR/septa"
    run "$BATS_TEST_TMPDIR/septa" images
    assert_one_line_error "septa-runtime: unknown command 'images'"
}

@test "the normal build's septa-runtime is static and runs a container" {
    # The host tier runs the sanitizer build, whose septa-runtime must link
    # dynamically; the static one engines get is the normal build's.
    lean=$SEPTA_RUNTIME
    sanitized && lean=$REPO/build/cli/septa-runtime
    [ -x "$lean" ] || skip "no normal build at $lean"
    ! readelf -l "$lean" | grep -q "program interpreter"
    [ -z "$(readelf -d "$lean" 2>/dev/null | grep NEEDED)" ]
    cfg_sh 'cat /proc/self/status | grep -E "^CapEff"; exit 5'
    run "$lean" run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 5 ]
    [[ $output == *"CapEff:"*"0000000020000420"* ]]   # AUDIT_WRITE, KILL, NET_BIND_SERVICE
    assert_no_trace
}

@test "septa-runtime: create, start, state, kill, delete" {
    cfg_sh 'echo started > /out/started; sleep 100'
    rt create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$CID" >>"$BATS_TEST_TMPDIR/ctr.log" 2>&1 3>&-
    [ "$(rt state "$CID" | jq -r .status)" = created ]
    [ "$(rt state "$CID" | jq .pid)" -eq "$(cat "$BATS_TEST_TMPDIR/pid")" ]
    rt start "$CID"
    for i in $(seq 50); do [ -e "$BATS_TEST_TMPDIR/out/started" ] && break; sleep 0.1; done
    [ "$(rt state "$CID" | jq -r .status)" = running ]
    # The same state is visible to `septa oci`: one runtime, two entry points.
    [ "$(septa oci state "$CID" | jq -r .status)" = running ]
    rt kill "$CID" KILL
    for i in $(seq 50); do [ "$(rt state "$CID" | jq -r .status)" = stopped ] && break; sleep 0.1; done
    rt delete "$CID"
    assert_no_trace
}

@test "septa-runtime: run returns the exit status, exec works, seccomp and caps apply" {
    cfg_sh 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status | tr -s "\t" " "; exit 4'
    cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}'
    run rt run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 4 ]
    [[ $output == *"Seccomp: 2"* ]]
    [[ $output == *"NoNewPrivs: 1"* ]]
    assert_no_trace
    cfg_sh 'sleep 100'
    rt run --detach --bundle "$BUNDLE" "$CID" >>"$BATS_TEST_TMPDIR/ctr.log" 2>&1 3>&-
    run rt exec "$CID" sh -c 'mkdir /tmp/x'
    [ "$status" -ne 0 ]
    [[ $output == *"Operation not permitted"* ]]
    run rt exec "$CID" sh -c 'exit 7'
    [ "$status" -eq 7 ]
    rt delete --force "$CID"
    assert_no_trace
}

@test "septa-runtime's waiting init runs from a read-only overlay, or a sealed memfd" {
    cfg_sh 'true'
    rt create --bundle "$BUNDLE" "$CID" >>"$BATS_TEST_TMPDIR/ctr.log" 2>&1 3>&-
    run assert_exe_protected "$CID" "$SEPTA_RUNTIME"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    # The overlay shows the binary at the root of its private mount.
    [ "${lines[0]}" = "/$(basename "$(readlink -f "$SEPTA_RUNTIME")")" ]
    # Where overlayfs cannot be had, the copy: forced here.
    SEPTA_EXE_COPY=1 rt create --bundle "$BUNDLE" "$CID" >>"$BATS_TEST_TMPDIR/ctr.log" 2>&1 3>&-
    run assert_exe_protected "$CID" "$SEPTA_RUNTIME"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [[ ${lines[0]} == "/memfd:septa"* ]]
}
