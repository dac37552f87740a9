#!/usr/bin/env bats
# Detached containers: septa run -d --network none under its monitor, logs, wait, start,
# stop, rm -f, --restart, the OOM verdict, a dead monitor, the monitor's RSS.
load image-helpers

setup() {
    common_setup
    "$SEPTA" run --help 2>/dev/null | grep -q -- --detach || skip "septa run -d --network none is not built into $SEPTA"
}

# The monitor pid of container $1 (from its record).
monitor_pid() { "$SEPTA" inspect "$1" | jq -r '.[0].monitor_pid'; }

# Wait (up to $2 tenths of a second) until command $1 succeeds.
wait_for() {
    local i
    for ((i = 0; i < $2; i++)); do
        eval "$1" && return 0
        sleep 0.1
    done
    return 1
}

teardown() {
    local c m
    [ -n "${BG:-}" ] && kill "$BG" 2>/dev/null
    # Monitors first (so none restarts what rm -f kills), then the containers.
    for c in $("$SEPTA" ps -a --format json 2>/dev/null | jq -r '.[].id'); do
        m=$("$SEPTA" inspect "$c" 2>/dev/null | jq -r '.[0].monitor_pid // empty')
        if [ -n "$m" ] && tr '\0' ' ' 2>/dev/null <"/proc/$m/cmdline" | grep -q "monitor.*$c"; then
            kill -9 "$m" 2>/dev/null || true
        fi
        "$SEPTA" rm -f "$c" >/dev/null 2>&1 || true
    done
    for m in $(findmnt -rn -o TARGET | grep -F "$BATS_TEST_TMPDIR" | sort -r); do
        umount -l "$m" || true
    done
}

@test "run -d prints the id; logs, logs --tail, logs -f, wait, stop, rm" {
    run septa run -d --network none --name d1 busybox sh -c 'echo one; echo two >&2; sleep 0.5; echo three; exit 3'
    [ "$status" -eq 0 ]
    id=$output
    [[ $id =~ ^[0-9a-f]{64}$ ]]
    run septa ps --format json
    [ "$(jq -r '.[0].monitor' <<<"$output")" = running ]
    # -f follows until the container exits, so it has everything.
    run timeout 20 "$SEPTA" logs -f d1
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf 'one\ntwo\nthree')" ]
    run timeout 20 "$SEPTA" wait "${id:0:10}"
    [ "$status" -eq 0 ]
    [ "$output" = 3 ]
    run septa logs --tail 1 d1
    [ "$output" = three ]
    run septa logs --tail 0 d1
    [ -z "$output" ]
    run septa ps -a
    [[ ${lines[1]} == "${id:0:12}"*"exited (3)"*d1 ]]
    # A long runner: stop ends it (sleep as pid 1 ignores TERM: KILL after -t).
    run septa run -d --network none --name d2 busybox sleep 1000
    [ "$status" -eq 0 ]
    id2=$output
    run septa ps
    [[ ${lines[1]} == "${id2:0:12}"*running*d2 ]]
    run septa rm d2
    [ "$status" -eq 125 ]
    run septa stop -t 1 d2
    [ "$status" -eq 0 ]
    run timeout 20 "$SEPTA" wait d2
    [ "$output" = 137 ]
    run septa rm d1 d2
    [ "$status" -eq 0 ]
    [ -z "$(findmnt -rn -o TARGET | grep -F "$BATS_TEST_TMPDIR")" ]
    [ ! -e "$SEPTA_DATA_ROOT/storage/containers/$id" ]
}

@test "start re-runs a stopped container from its bundle, logging after the old output" {
    run septa run -d --network none --name s1 busybox sh -c 'echo ran'
    [ "$status" -eq 0 ]
    run timeout 20 "$SEPTA" wait s1
    [ "$output" = 0 ]
    run septa start s1
    [ "$status" -eq 0 ]
    run timeout 20 "$SEPTA" wait s1
    [ "$output" = 0 ]
    run septa logs s1
    [ "$output" = "$(printf 'ran\nran')" ]
    run septa start nosuch
    assert_one_line_error "container 'nosuch': no such container"
}

@test "the log is capped: rotated once at 1 MiB, logs and logs -f read across it" {
    # 3 MB in numbered 100-byte lines.
    run septa run -d --network none --name big busybox \
        sh -c 'seq -w 1 30000 | while read n; do printf "%s %094d\n" "$n" 0; done; echo end'
    [ "$status" -eq 0 ]
    id=$output
    timeout 120 "$SEPTA" logs -f big >"$BATS_TEST_TMPDIR/follow" &
    BG=$!
    run timeout 120 "$SEPTA" wait big
    [ "$output" = 0 ]
    wait "$BG"
    # -f went across both rotations: every line, in order, then the end.
    [ "$(tail -n 1 "$BATS_TEST_TMPDIR/follow")" = end ]
    [ "$(wc -l <"$BATS_TEST_TMPDIR/follow")" -eq 30001 ]
    head -n -1 "$BATS_TEST_TMPDIR/follow" | cut -c1-5 | awk '$1 != NR { exit 1 }'
    d=$SEPTA_DATA_ROOT/storage/containers/$id
    [ "$(stat -c %s "$d/ctr.log")" -le $((1048576 + 4096)) ]
    [ "$(stat -c %s "$d/ctr.log.1")" -le $((1048576 + 4096)) ]
    [ "$(stat -c %s "$d/ctr.log.1")" -gt 1000000 ]
    run septa logs --tail 2 big
    [ "${lines[0]}" = "30000 $(printf %094d 0)" ]
    [ "${lines[1]}" = end ]
    # Whole, in order, the newest 1-2 MiB: consecutive numbers up to the end.
    septa logs big >"$BATS_TEST_TMPDIR/all"
    [ "$(tail -n 1 "$BATS_TEST_TMPDIR/all")" = end ]
    n=$(head -n -1 "$BATS_TEST_TMPDIR/all" | wc -l)
    [ "$n" -gt 10000 ]
    [ "$n" -le 20972 ]
    head -n -1 "$BATS_TEST_TMPDIR/all" | cut -c1-5 | awk 'NR > 1 && $1 != prev + 1 { exit 1 } { prev = $1 }'
}

@test "wait and start on a running container; -t with -d and bad --restart are refused" {
    run septa run -d --network none --name w1 busybox sleep 1000
    [ "$status" -eq 0 ]
    run septa start w1
    assert_one_line_error "already running"
    run septa run -d --network none -t busybox true
    assert_one_line_error "-t with -d"
    run septa run -d --network none --restart sometimes busybox true
    assert_one_line_error "restart policy 'sometimes'"
    run septa run --network none --restart always busybox true
    assert_one_line_error "--restart needs -d"
    # Nothing half-made stays from the refused runs.
    [ "$(septa ps -a -q | wc -l)" -eq 1 ]
    run septa kill w1
    run timeout 20 "$SEPTA" wait w1
    [ "$status" -eq 0 ]
    [ "$output" = 137 ]
}

@test "run -d --rm: the monitor removes the container (root, netns, record) when it exits" {
    run septa run -d --network none --rm --name gone busybox sh -c 'echo bye'
    [ "$status" -eq 0 ]
    id=$output
    wait_for '[ ! -e "$SEPTA_DATA_ROOT/storage/containers/$id" ]' 100
    [ "$(septa ps -a -q | wc -l)" -eq 0 ]
    [ -z "$(findmnt -rn -o TARGET | grep -F "$BATS_TEST_TMPDIR")" ]
    [ ! -e "$SEPTA_ROOT/$id" ]
}

@test "a missing command: run -d fails with one line and leaves nothing" {
    run septa run -d --network none busybox /no/such/command
    [ "$status" -eq 125 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ $output == *"/no/such/command"* ]]
    [ "$(septa ps -a -q | wc -l)" -eq 0 ]
    [ -z "$(findmnt -rn -o TARGET | grep -F "$BATS_TEST_TMPDIR")" ]
}

@test "names are unique even when two runs race for one" {
    septa run -d --network none --name race busybox sleep 1000 >"$BATS_TEST_TMPDIR/a" 2>&1 &
    septa run -d --network none --name race busybox sleep 1000 >"$BATS_TEST_TMPDIR/b" 2>&1 &
    wait
    [ "$(septa ps -a -q | wc -l)" -eq 1 ]
    grep -q "already in use" "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
}

@test "restart on-failure:2 restarts twice, then stops with the last status" {
    run septa run -d --network none --restart on-failure:2 --name r1 busybox sh -c 'echo try; exit 7'
    [ "$status" -eq 0 ]
    run timeout 30 "$SEPTA" wait r1
    [ "$output" = 7 ]
    run septa logs r1
    [ "$output" = "$(printf 'try\ntry\ntry')" ]
    run septa inspect r1
    [ "$(jq -r '.[0].restart_count' <<<"$output")" = 2 ]
    [ "$(jq -r '.[0].monitor' <<<"$output")" = exited ]
    # A success is not restarted under on-failure.
    run septa run -d --network none --restart on-failure:5 --name r2 busybox sh -c 'echo ok'
    [ "$status" -eq 0 ]
    run timeout 30 "$SEPTA" wait r2
    echo "wait r2: $status $output"
    [ "$output" = 0 ]
    run septa logs r2
    [ "$output" = ok ]
}

@test "restart always restarts until removed; rm -f stops the monitor too" {
    run septa run -d --network none --restart always --name a1 busybox sh -c 'echo x; exit 0'
    [ "$status" -eq 0 ]
    id=$output
    m=$(monitor_pid a1)
    wait_for '[ "$(septa logs a1 | wc -l)" -ge 3 ]' 100
    run septa rm -f a1
    [ "$status" -eq 0 ]
    wait_for '! kill -0 '"$m"' 2>/dev/null' 50
    [ ! -e "$SEPTA_ROOT/$id" ]
}

@test "stop overrides the restart policy until start" {
    run septa run -d --network none --restart always --name st busybox sleep 1000
    [ "$status" -eq 0 ]
    run septa stop -t 1 st
    [ "$status" -eq 0 ]
    run timeout 20 "$SEPTA" wait st
    [ "$output" = 137 ]
    sleep 0.5
    run septa ps -a --format json
    [ "$(jq -r '.[0].status' <<<"$output")" = exited ]
    [ "$(jq -r '.[0].monitor' <<<"$output")" = exited ]
    [ "$(jq -r '.[0].restart_count' <<<"$output")" = 0 ]
    run septa start st
    [ "$status" -eq 0 ]
    run septa ps --format json
    [ "$(jq -r '.[0].status' <<<"$output")" = running ]
    [ "$(jq -r '.[0].stop_requested' <<<"$output")" = null ]
}

@test "killing the monitor leaves the container running and ps says so" {
    run septa run -d --network none --name k1 busybox sleep 1000
    [ "$status" -eq 0 ]
    id=$output
    m=$(monitor_pid k1)
    pid=$(septa ps --format json | jq -r '.[0].pid')
    kill -9 "$m"
    wait_for '! kill -0 '"$m"' 2>/dev/null' 50
    kill -0 "$pid"
    run septa ps --format json
    [ "$(jq -r '.[0].status' <<<"$output")" = running ]
    [ "$(jq -r '.[0].monitor' <<<"$output")" = gone ]
    run septa ps
    [[ ${lines[1]} == *"running (monitor gone)"*k1 ]]
}

@test "rm -f cleans everything: process, monitor, cgroups, state, mount, bundle" {
    run septa run -d --network none --name f1 busybox sleep 1000
    [ "$status" -eq 0 ]
    id=$output
    m=$(monitor_pid f1)
    pid=$(septa ps --format json | jq -r '.[0].pid')
    ls -d /sys/fs/cgroup/*/septa/"$id" >/dev/null
    run septa rm -f "${id:0:6}"
    [ "$status" -eq 0 ]
    [ "$output" = "$id" ]
    wait_for '! kill -0 '"$pid"' 2>/dev/null && ! kill -0 '"$m"' 2>/dev/null' 50
    [ -z "$(ls -d /sys/fs/cgroup/*/septa/"$id" 2>/dev/null)" ]
    [ ! -e "$SEPTA_ROOT/$id" ]
    [ ! -e "$SEPTA_DATA_ROOT/storage/containers/$id" ]
    [ -z "$(findmnt -rn -o TARGET | grep -F "$BATS_TEST_TMPDIR")" ]
}

@test "a container killed at its memory limit: 137 and the OOM verdict in ps and inspect" {
    [ -e /sys/fs/cgroup/memory/memory.limit_in_bytes ] || [ -e /sys/fs/cgroup/cgroup.controllers ] \
        || skip "no memory controller"
    run septa run -d --network none --memory 16m --memory-swap 16m --name oom busybox \
        sh -c 'x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived'
    [ "$status" -eq 0 ]
    run timeout 60 "$SEPTA" wait oom
    [ "$output" = 137 ]
    run septa inspect oom
    [ "$(jq -r '.[0].oom_killed' <<<"$output")" = true ]
    [[ $(jq -r '.[0].exit_reason' <<<"$output") == *"OOM killer at its memory limit"* ]]
    run septa ps -a
    [[ ${lines[1]} == *"exited (137, OOM-killed at its memory limit)"*oom ]]
    # And a plain exit is not called an OOM kill.
    run septa run -d --network none --name plain busybox sh -c 'exit 137'
    run timeout 20 "$SEPTA" wait plain
    [ "$output" = 137 ]
    run septa inspect plain
    [ "$(jq -r '.[0].oom_killed' <<<"$output")" = false ]
}

@test "the monitor's resident memory stays under 1 MiB" {
    if [[ $(ldd "$SEPTA" 2>/dev/null) == *libasan* ]]; then
        skip "ASan inflates RSS; measured on the normal build"
    fi
    run septa run -d --network none --name rss busybox sh -c 'while :; do echo line; sleep 0.05; done'
    [ "$status" -eq 0 ]
    m=$(monitor_pid rss)
    sleep 1
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$m/status")
    echo "monitor VmRSS: ${rss} kB"
    [ "$rss" -lt 1024 ]
}

@test "ids: 64 hex, any unique prefix works, an ambiguous one is refused" {
    local i c
    # 17 containers: two of them must share their first hex digit.
    for i in $(seq 17); do
        septa run --network none busybox true
    done
    run septa ps -a -q
    [ "${#lines[@]}" -eq 17 ]
    c=$(septa ps -a --format json | jq -r '.[].id[0:1]' | sort | uniq -d | head -n 1)
    [ -n "$c" ]
    run septa wait "$c"
    assert_one_line_error "ambiguous prefix"
    # The shortest unique prefix of one works.
    id=$(septa ps -a --format json | jq -r '.[0].id')
    [[ $id =~ ^[0-9a-f]{64}$ ]]
    for ((i = 1; i <= 64; i++)); do
        [ "$(septa ps -a --format json | jq -r --arg p "${id:0:i}" '[.[].id | select(startswith($p))] | length')" -eq 1 ] && break
    done
    run septa wait "${id:0:i}"
    [ "$status" -eq 0 ]
    [ "$output" = 0 ]
}

@test "logs: one line errors" {
    run septa logs
    assert_one_line_error "expected one container"
    run septa logs nosuch
    assert_one_line_error "no such container"
    run septa wait nosuch
    assert_one_line_error "no such container"
    run septa run --network none --name fg busybox true
    run septa logs fg
    assert_one_line_error "ran in the foreground"
}
