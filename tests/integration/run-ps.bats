#!/usr/bin/env bats
# septa ps and septa rm on containers made by septa run.
load image-helpers

setup() {
    common_setup
    "$SEPTA" run --help >/dev/null 2>&1 || skip "septa run is not built into $SEPTA yet"
}

teardown() {
    [ -n "${BG:-}" ] && kill "$BG" 2>/dev/null || true
    local m
    for m in $(findmnt -rn -o TARGET | grep -F "$BATS_TEST_TMPDIR" | sort -r); do
        umount -l "$m" || true
    done
}

@test "ps -a shows an exited container with its exit code; rm removes it and its mount" {
    run septa run --name k1 busybox sh -c 'exit 4'
    [ "$status" -eq 4 ]
    run septa ps
    [ "${#lines[@]}" -eq 1 ]
    run septa ps -a --format json
    [ "$(jq -r '.[0].name' <<<"$output")" = k1 ]
    [ "$(jq -r '.[0].status' <<<"$output")" = exited ]
    [ "$(jq -r '.[0].exit_code' <<<"$output")" = 4 ]
    [ "$(jq -r '.[0].image' <<<"$output")" = septa.local/busybox:builtin ]
    id=$(jq -r '.[0].id' <<<"$output")
    run septa inspect k1
    [ "$status" -eq 0 ]
    [ "$(jq -r '.[0].id' <<<"$output")" = "$id" ]
    [ "$(jq -r '.[0].State.status' <<<"$output")" = exited ]
    [ "$(jq -r '.[0].Config.process.args | join(" ")' <<<"$output")" = "sh -c exit 4" ]
    run septa inspect nosuch
    assert_one_line_error "container 'nosuch': no such container"
    run septa ps -a
    [[ ${lines[1]} == "${id:0:12}"*"exited (4)"*k1 ]]
    run septa rm "${id:0:8}"
    [ "$status" -eq 0 ]
    [ "$output" = "$id" ]
    [ "$(septa ps -a --format json | jq length)" -eq 0 ]
    ! findmnt -rn -o TARGET | grep -qF "$SEPTA_DATA_ROOT"
    run septa rm k1
    assert_one_line_error "container 'k1': no such container"
}

@test "a running container is listed as running; rm refuses it without -f, kills it with -f" {
    septa run --name bg busybox sleep 60 &
    BG=$!
    for i in $(seq 1 50); do
        [ "$(septa ps --format json | jq -r '.[0].status // empty')" = running ] && break
        sleep 0.2
    done
    run septa ps --format json
    [ "$(jq -r '.[0].status' <<<"$output")" = running ]
    [ "$(jq -r '.[0].pid' <<<"$output")" -gt 1 ]
    run septa rm bg
    assert_one_line_error "container bg is running (use -f to kill it)"
    run septa rm -f bg
    [ "$status" -eq 0 ]
    wait "$BG" || true
    BG=
    [ "$(septa ps -a --format json | jq length)" -eq 0 ]
    ! findmnt -rn -o TARGET | grep -qF "$SEPTA_DATA_ROOT"
}

@test "stop sends the StopSignal and waits; kill signals; both refuse a container not running" {
    septa run --name st busybox sh -c 'trap "exit 42" TERM; while true; do sleep 0.1; done' &
    BG=$!
    for i in $(seq 1 50); do
        [ "$(septa ps --format json | jq -r '.[0].status // empty')" = running ] && break
        sleep 0.2
    done
    run septa stop -t 20 st
    [ "$status" -eq 0 ]
    wait "$BG" && rc=0 || rc=$?
    BG=
    # the trap ran: SIGTERM first, not the SIGKILL of the grace period's end
    [ "$rc" -eq 42 ]
    [ "$(septa inspect st | jq -r '.[0].exit_code')" = 42 ]
    run septa kill st
    assert_one_line_error "container st is not running"
    septa run --name kl busybox sleep 60 &
    BG=$!
    for i in $(seq 1 50); do
        [ "$(septa ps --format json | jq -r '.[0].status // empty')" = running ] && break
        sleep 0.2
    done
    # sleep is the container's init, which ignores TERM; KILL (the default) is not ignorable
    run septa kill kl
    [ "$status" -eq 0 ]
    wait "$BG" && rc=0 || rc=$?
    BG=
    [ "$rc" -eq 137 ]
    run septa kill -s NOPE kl
    assert_one_line_error "-s"
    septa rm st kl
    ! findmnt -rn -o TARGET | grep -qF "$SEPTA_DATA_ROOT"
}

@test "exec runs another process in a running container with its status" {
    septa run --name ex busybox sh -c 'echo inside > /tmp/mark; while true; do sleep 0.1; done' &
    BG=$!
    for i in $(seq 1 50); do
        [ "$(septa ps --format json | jq -r '.[0].status // empty')" = running ] && break
        sleep 0.2
    done
    run septa exec ex cat /tmp/mark
    [ "$status" -eq 0 ]
    [ "$output" = inside ]
    run septa exec -u nobody -e X=1 -w /etc ex sh -c 'echo $X $(id -u) $(pwd); exit 5'
    [ "$status" -eq 5 ]
    [ "$output" = "1 65534 /etc" ]
    run septa exec ex
    assert_one_line_error "expected CONTAINER and CMD"
    run septa exec nosuch true
    assert_one_line_error "no such container"
    septa kill ex
    wait "$BG" || true
    BG=
    septa rm ex
}
