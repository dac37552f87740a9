#!/usr/bin/env bats
# `septa run --network/-p/--ip/--dns`: containers on septa switches reach each
# other by name, switches are isolated until told otherwise, published ports
# answer on the host, and nothing (link, namespace, nft rule) outlives rm.
# Only the switches and subnets these tests create are used.
load image-helpers
bats_require_minimum_version 1.5.0

setup() {
    common_setup
    "$SEPTA" run --help 2>/dev/null | grep -q -- --network || skip "septa run has no --network in $SEPTA"
    mkdir -p "$SEPTA_DATA_ROOT"
    # Short unique names: bridge names are at most 15 bytes.
    P="rn$(printf %04d $((RANDOM % 10000)))$BATS_TEST_NUMBER"
    BG=()
    TABLE="septa-$(printf %s "$(realpath "$SEPTA_DATA_ROOT")" | sha256sum | cut -c1-8)"
}

teardown() {
    local c m l
    for c in $("$SEPTA" ps -a -q 2>/dev/null); do "$SEPTA" rm -f "$c" >/dev/null 2>&1 || true; done
    for p in "${BG[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    "$SEPTA" gc >/dev/null 2>&1 || true
    for sw in $("$SEPTA" network ls -q 2>/dev/null); do
        "$SEPTA" network rm -f "$sw" >/dev/null 2>&1 || ip link del "$sw" 2>/dev/null || true
    done
    for l in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^$P" || true); do
        ip link del "$l" 2>/dev/null || true
    done
    nft delete table inet "$TABLE" 2>/dev/null || true
    for m in $(findmnt -rn -o TARGET | grep -F "$BATS_TEST_TMPDIR" | sort -r); do
        umount -l "$m" || true
    done
}

# Run a container in the background; its exit status lands in $BATS_TEST_TMPDIR/NAME.rc.
bg_run() { # name septa-run-args...
    local n=$1
    shift
    ( timeout 60 "$SEPTA" run --name "$n" "$@" >"$BATS_TEST_TMPDIR/$n.out" 2>&1
      echo $? >"$BATS_TEST_TMPDIR/$n.rc" ) &
    BG+=($!)
}

wait_for() { # seconds command...
    local t=$(($1 * 10))
    shift
    while ((t-- > 0)); do "$@" && return 0; sleep 0.1; done
    return 1
}

bg_rc() { # name -> waits for the container's exit status
    wait_for 60 test -s "$BATS_TEST_TMPDIR/$1.rc" || return 1
    cat "$BATS_TEST_TMPDIR/$1.rc"
}

has_port() { # switch address -> true once a port with that address is recorded
    "$SEPTA" network inspect "$1" 2>/dev/null | grep -q "\"$2\""
}

nports() { # switch -> number of ports recorded on it
    "$SEPTA" network inspect "$1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[0]["ports"]))'
}

nports_is() { [ "$(nports "$1")" -eq "$2" ]; }

# links enslaved to a switch's bridge (its ports' host ends)
nlinks() { ip -o link show master "$1" | wc -l; }

@test "two containers on one switch ping each other by name and by address" {
    septa network create "${P}a" --subnet 10.231.70.0/24 >/dev/null
    # a waits until b is in its /etc/hosts (b joins later), then pings it by name
    bg_run a --cap-add NET_RAW --network "${P}a" --ip 10.231.70.10 busybox sh -c \
        'i=0; while ! grep -q "[[:space:]]b\$" /etc/hosts; do i=$((i+1)); [ $i -lt 300 ] || exit 3; sleep 0.1; done
         ping -c1 -W2 b && ping -c1 -W2 10.231.70.11 && sleep 2'
    wait_for 20 has_port "${P}a" 10.231.70.10
    run septa run --rm --name b --cap-add NET_RAW --network "${P}a" --ip 10.231.70.11 busybox sh -c \
        'grep a /etc/hosts; ping -c1 -W2 a && ping -c1 -W2 10.231.70.10 && hostname && sleep 3'
    echo "$output"
    [ "$status" -eq 0 ]
    [[ $output == *"10.231.70.10"*"a"* ]]
    [[ $output == *b ]]
    [ "$(bg_rc a)" -eq 0 ] || { cat "$BATS_TEST_TMPDIR/a.out"; return 1; }
}

@test "isolated switches cannot reach each other until --isolate=false on both" {
    septa network create "${P}a" --subnet 10.231.72.0/24 >/dev/null
    septa network create "${P}b" --subnet 10.231.73.0/24 >/dev/null
    bg_run srv --network "${P}a" --ip 10.231.72.10 busybox sleep 30
    wait_for 20 has_port "${P}a" 10.231.72.10
    run septa run --rm --cap-add NET_RAW --network "${P}b" busybox ping -c1 -W1 10.231.72.10
    [ "$status" -ne 0 ]
    septa network update "${P}a" --isolate=false
    septa network update "${P}b" --isolate=false
    run septa run --rm --cap-add NET_RAW --network "${P}b" busybox ping -c1 -W2 10.231.72.10
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "a published port answers on 127.0.0.1; --dns and --hostname reach the container" {
    septa network create "${P}a" --subnet 10.231.74.0/24 >/dev/null
    bg_run web --network "${P}a" -p 127.0.0.1:18974:80 --dns 192.0.2.53 --hostname webby \
        busybox sh -c 'echo "$(hostname) $(cat /etc/hostname) $(grep nameserver /etc/resolv.conf)" | nc -l -p 80'
    wait_for 20 sh -c "nft list table inet $TABLE 2>/dev/null | grep -q 'dport 18974'"
    local out=""
    for i in $(seq 50); do
        out=$(timeout 3 busybox nc 127.0.0.1 18974 </dev/null 2>/dev/null) && [ -n "$out" ] && break
        sleep 0.2
    done
    echo "got: $out"
    [ "$out" = "webby webby nameserver 192.0.2.53" ]
    [ "$(bg_rc web)" -eq 0 ]
}

@test "rm leaves no link, network namespace or nft rule; run --rm neither" {
    septa network create "${P}a" --subnet 10.231.75.0/24 >/dev/null
    run septa run --name keep --network "${P}a" -p 18975:80 busybox sh -c 'ls /sys/class/net'
    [ "$status" -eq 0 ]
    [[ $output == *eth0* ]]
    # the workload is gone: so are its ports (an exited container holds no lease)
    [ "$(nlinks "${P}a")" -eq 0 ]
    run septa rm keep
    [ "$status" -eq 0 ]
    [ "$(nlinks "${P}a")" -eq 0 ]
    [ -z "$(ls -A "$SEPTA_DATA_ROOT/netns" 2>/dev/null)" ]
    ! nft list table inet "$TABLE" | grep -q 'dport 18975'
    ! findmnt -rn -o TARGET | grep -qF "$SEPTA_DATA_ROOT/netns"
    [ "$(nports "${P}a")" -eq 0 ]

    # the same while the container runs: rm -f takes the port down
    bg_run live --network "${P}a" -p 18976:80 busybox sleep 30
    wait_for 20 sh -c "nft list table inet $TABLE 2>/dev/null | grep -q 'dport 18976'"
    [ "$(nlinks "${P}a")" -eq 1 ]
    [ "$(nports "${P}a")" -eq 1 ]
    run septa rm -f live
    [ "$status" -eq 0 ]
    [ "$(nlinks "${P}a")" -eq 0 ]
    ! nft list table inet "$TABLE" | grep -q 'dport 18976'
    [ "$(nports "${P}a")" -eq 0 ]
    [ -z "$(ls -A "$SEPTA_DATA_ROOT/netns" 2>/dev/null)" ]
}

@test "--network none has only lo; --network host shares the host's namespace" {
    run septa run --rm --network none busybox ls /sys/class/net
    [ "$status" -eq 0 ]
    [ "$output" = lo ]
    # lo is up; without CAP_NET_RAW (not in the default set) ping cannot open its raw socket
    run septa run --rm --network none --cap-add NET_RAW busybox ping -c1 -W1 127.0.0.1
    [ "$status" -eq 0 ]
    run septa run --rm --network none busybox ping -c1 -W1 127.0.0.1
    [ "$status" -ne 0 ]
    [[ $output == *"permission denied"* ]]
    run septa run --rm --network none --cap-drop ALL --cap-add NET_RAW busybox grep CapEff /proc/self/status
    [ "$output" = "$(printf 'CapEff:\t%016x' $((1 << 13)))" ]
    run septa run --rm --network host busybox readlink /proc/self/ns/net
    [ "$status" -eq 0 ]
    [ "$output" = "$(readlink /proc/self/ns/net)" ]
    [ -z "$(ls -A "$SEPTA_DATA_ROOT/netns" 2>/dev/null)" ]
}

@test "bad network options fail with one line and leave nothing" {
    run septa run --rm --network no-such-sw busybox true
    assert_one_line_error "no-such-sw"
    run septa run --rm --network none -p 80:80 busybox true
    assert_one_line_error "--network none"
    septa network create "${P}a" --subnet 10.231.76.0/24 >/dev/null
    run septa run --rm --network "${P}a" -p 99999:80 busybox true
    assert_one_line_error "-p"
    run septa run --rm --network "${P}a" --ip 10.9.9.9 busybox true
    assert_one_line_error "10.9.9.9"
    [ -z "$(ls -A "$SEPTA_DATA_ROOT/storage/containers" 2>/dev/null)" ]
    [ -z "$(ls -A "$SEPTA_DATA_ROOT/netns" 2>/dev/null)" ]
    ! findmnt -rn -o TARGET | grep -qF "$SEPTA_DATA_ROOT"
}

@test "network connect/disconnect take a container's name; its /etc/hosts follows" {
    septa network create "${P}a" --subnet 10.231.78.0/24 >/dev/null
    septa network create "${P}b" --subnet 10.231.79.0/24 >/dev/null
    bg_run multi --network "${P}a" busybox sh -c \
        'i=0; until [ -e /sys/class/net/eth1 ] && [ "$(grep -c multi /etc/hosts)" = 2 ]; do
             i=$((i+1)); [ $i -lt 300 ] || exit 3; sleep 0.1; done
         ip -4 -o addr show eth1; grep -c multi /etc/hosts
         # the link goes first, then septa rewrites /etc/hosts: wait for both
         until [ ! -e /sys/class/net/eth1 ] && [ "$(grep -c multi /etc/hosts)" = 1 ]; do
             i=$((i+1)); [ $i -lt 600 ] || exit 4; sleep 0.1; done
         echo gone; grep -c multi /etc/hosts'
    wait_for 20 has_port "${P}a" 10.231.78.2
    run septa network connect "${P}b" multi
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(nports "${P}b")" -eq 1 ]
    wait_for 10 grep -q eth1 "$BATS_TEST_TMPDIR/multi.out"
    run septa network disconnect "${P}b" multi
    [ "$status" -eq 0 ]
    [ "$(bg_rc multi)" -eq 0 ] || { cat "$BATS_TEST_TMPDIR/multi.out"; return 1; }
    run cat "$BATS_TEST_TMPDIR/multi.out"
    [[ ${lines[0]} == *"10.231.79."* ]]
    [ "${lines[1]}" = 2 ]
    [ "${lines[2]}" = gone ]
    [ "${lines[3]}" = 1 ]
    run septa network connect "${P}b" nosuchcontainer
    [ "$status" -eq 125 ]
}

@test "gc takes down the network of a container whose septa was killed, not of a live one" {
    septa network create "${P}a" --subnet 10.231.80.0/24 >/dev/null
    bg_run "gc$P" --network "${P}a" busybox sleep 60
    bg_run "live$P" --network "${P}a" busybox sleep 60
    wait_for 20 nports_is "${P}a" 2 ||
        { cat "$BATS_TEST_TMPDIR"/*.out; return 1; }
    # gc with both running changes nothing
    run septa gc --format json
    [ "$status" -eq 0 ]
    [ "$(jq .ports_removed <<<"$output")" = 0 ]
    [ "$(nports "${P}a")" -eq 2 ]
    # septa itself dies (SIGKILL), then the workload: the port is stale
    local pid
    # (not the `timeout` wrapping it: its command line starts with timeout)
    pid=$(pgrep -f -- "^$SEPTA run --name gc$P --network") || { echo "no septa run for gc$P"; return 1; }
    [ "$(echo $pid | wc -w)" -eq 1 ]
    kill -9 $pid
    septa kill "gc$P" >/dev/null
    wait_for 20 sh -c "\"$SEPTA\" ps -a --format json | jq -e '.[] | select(.name == \"gc$P\" and .status != \"running\")' >/dev/null"
    [ "$(nports "${P}a")" -eq 2 ]
    run septa gc --format json
    [ "$status" -eq 0 ]
    [ "$(jq .ports_removed <<<"$output")" = 1 ]
    [ "$(nports "${P}a")" -eq 1 ]
    [ "$(nlinks "${P}a")" -eq 1 ]
    [ "$(ls "$SEPTA_DATA_ROOT/netns" | grep -vc lock)" -eq 1 ]
}

@test "a detached container is reachable by name, survives gc, and rm -f takes its port" {
    "$SEPTA" run --help | grep -q -- --detach || skip "no run -d in $SEPTA"
    septa network create "${P}a" --subnet 10.231.82.0/24 >/dev/null
    run septa run -d --name "d$P" --network "${P}a" busybox sleep 60
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    wait_for 20 has_port "${P}a" 10.231.82.2
    run septa run --rm --cap-add NET_RAW --network "${P}a" busybox ping -c1 -W2 "d$P"
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    run septa gc --format json
    [ "$(jq .ports_removed <<<"$output")" = 0 ]
    [ "$(nports "${P}a")" -eq 1 ]
    septa rm -f "d$P" >/dev/null
    [ "$(nports "${P}a")" -eq 0 ]
    [ "$(nlinks "${P}a")" -eq 0 ]
    [ -z "$(ls -A "$SEPTA_DATA_ROOT/netns")" ]
}
