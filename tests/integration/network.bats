#!/usr/bin/env bats
# Virtual switches (net/): bridges, veth ports in network namespaces made by the
# test itself (standing in for containers), IPAM, published ports, isolation,
# nftables cleanup and crash recovery.  Only addresses the tests create are used;
# the switches are --internal unless a test needs otherwise, so nothing is ever
# forwarded off the host.
load helpers

setup_file() { netns_mount_record; }
teardown_file() { netns_mount_restore; }

setup() {
    common_setup
    mkdir -p "$SEPTA_DATA_ROOT"
    # Short unique names: bridge names are at most 15 bytes.
    P="sp$(printf %04d $((RANDOM % 10000)))$BATS_TEST_NUMBER"
    NS=()
    SERVERS=()
    TABLE="septa-$(printf %s "$(realpath "$SEPTA_DATA_ROOT")" | sha256sum | cut -c1-8)"
}

mkns() { # name...
    for n in "$@"; do
        ip netns add "$n"
        NS+=("$n")
    done
}

teardown() {
    for p in "${SERVERS[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -n "${HOLDER:-}" ] && { kill "$HOLDER" 2>/dev/null || true; wait "$HOLDER" 2>/dev/null || true; }
    for n in "${NS[@]}"; do ip netns del "$n" 2>/dev/null || true; done
    "$SEPTA" network gc >/dev/null 2>&1 || true
    for sw in $("$SEPTA" network ls -q 2>/dev/null); do
        "$SEPTA" network rm "$sw" >/dev/null 2>&1 || ip link del "$sw" 2>/dev/null || true
    done
    # Whatever a failure left: our bridges, ports and table only.
    for l in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^$P" || true); do
        ip link del "$l" 2>/dev/null || true
    done
    nft delete table inet "$TABLE" 2>/dev/null || true
}

# No link, no table, no lease of ours is left.
assert_clean() {
    ! ip -o link show | grep -q "$P" || { ip -o link show | grep "$P"; return 1; }
    ! nft list table inet "$TABLE" >/dev/null 2>&1 || { echo "table $TABLE left"; return 1; }
    for f in "$SEPTA_DATA_ROOT"/networks/*.leases; do
        [ -e "$f" ] || continue
        [ "$(jq '.ports | length' "$f")" -eq 0 ] || { cat "$f"; return 1; }
    done
}

nsping() { ip netns exec "$1" busybox ping -c1 -W1 "$2" >/dev/null 2>&1; }

# Serve one line on a port inside a namespace (busybox nc), in the background.
serve() { # ns port text
    ip netns exec "$1" timeout 20 busybox sh -c "echo $3 | busybox nc -l -p $2" >/dev/null 2>&1 &
    SERVERS+=($!)
    # Ready when the listener is there (the machine may be busy).
    for _ in $(seq 1 100); do
        [ -n "$(ip netns exec "$1" ss -Hltn "sport = :$2")" ] && return 0
        sleep 0.1
    done
    return 1
}

@test "network --help and every subcommand's --help" {
    run septa network --help
    [ "$status" -eq 0 ]
    [[ $output == *connect* && $output == *gc* ]]
    for c in create ls inspect rm update connect disconnect gc; do
        run septa network "$c" --help
        [ "$status" -eq 0 ] || { echo "$c: $output"; return 1; }
        [[ $output == "Usage: septa network $c"* ]]
    done
}

@test "bad input is refused clearly and leaves nothing" {
    run septa network create "${P}a" --subnet 10.300.0.0/24
    assert_one_line_error "invalid CIDR '10.300.0.0/24'"
    run septa network create "${P}a" --subnet 10.231.0.1/24
    assert_one_line_error "host bits are set"
    run septa network create "${P}a" --subnet 10.231.0.0/24 --gateway 10.231.1.1
    assert_one_line_error "gateway 10.231.1.1 is not a host address of subnet 10.231.0.0/24"
    run septa network create "${P}a" --subnet 10.231.0.0/24 --mtu 20
    assert_one_line_error "--mtu"
    run septa network create "bad/name"
    assert_one_line_error "invalid switch name 'bad/name'"
    run septa network create "${P}a" --subnet 10.231.0.0/24 --internal
    [ "$status" -eq 0 ]
    run septa network create "${P}b" --subnet 10.231.0.128/25 --internal
    assert_one_line_error "overlaps subnet 10.231.0.0/24 of switch ${P}a"
    run septa network create "${P}a" --subnet 10.232.0.0/24
    assert_one_line_error "switch ${P}a already exists"
    run septa network create lo --subnet 10.232.0.0/24
    assert_one_line_error "a network interface named lo already exists"
    run septa network rm "${P}zz"
    assert_one_line_error "no such switch: ${P}zz"
    ! ip link show "${P}b" 2>/dev/null
    mkns "${P}n1" "${P}n2"
    run septa network connect "${P}a" "${P}n1" -p 127.0.0.1:99999:80
    assert_one_line_error "port must be 1-65535"
    run septa network connect "${P}a" "${P}n1" --ip 10.231.5.5
    assert_one_line_error "not a host address of subnet 10.231.0.0/24"
    run septa network connect "${P}a" "${P}n1" --ip 10.231.0.1
    assert_one_line_error "is the gateway"
    run septa network connect "${P}a" /etc/passwd
    assert_one_line_error "not a namespace file"
    run septa network connect "${P}a" "${P}n1" -p 18931:80
    [ "$status" -eq 0 ]
    run septa network connect "${P}a" "${P}n2" -p 18931:81
    assert_one_line_error "port 18931/tcp is already published by ${P}n1"
    run septa network connect "${P}a" "${P}n1"
    assert_one_line_error "${P}n1 is already attached to switch ${P}a"
    # The refused attaches left no link or lease.
    [ "$(jq '.ports | length' "$SEPTA_DATA_ROOT/networks/${P}a.leases")" -eq 1 ]
    [ "$(ip -o link show master "${P}a" | wc -l)" -eq 1 ]
}

@test "two namespaces on one switch ping each other; rm is refused while in use" {
    septa network create "${P}a" --subnet 10.231.10.0/24 --internal
    mkns "${P}n1" "${P}n2"
    run septa network connect "${P}a" "${P}n1"
    [ "$status" -eq 0 ]
    [[ $output == "10.231.10.2/24 02:"* ]]
    run septa network connect "${P}a" "/run/netns/${P}n2" --ip 10.231.10.77 --name web
    [ "$status" -eq 0 ]
    [[ $output == "10.231.10.77/24 "* ]]
    # eth0 inside, lo up, MAC locally administered, MTU from the switch.
    run ip -n "${P}n1" -o addr show eth0
    [[ $output == *"inet 10.231.10.2/24"* ]]
    run ip -n "${P}n1" -o link show lo
    [[ $output == *"UP"* ]]
    nsping "${P}n1" 10.231.10.77
    nsping "${P}n2" 10.231.10.2
    nsping "${P}n2" 10.231.10.1
    # internal: no default route
    run ip -n "${P}n1" route show default
    [ -z "$output" ]
    run septa network rm "${P}a"
    assert_one_line_error "switch ${P}a is in use by ${P}n1, web"
    run septa network inspect "${P}a"
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq -r '.[0].ports[1].address')" = 10.231.10.77 ]
    run septa network ls --format json
    [ "$(echo "$output" | jq -r '.[0].name')" = "${P}a" ]
    septa network disconnect "${P}a" "${P}n1"
    septa network disconnect "${P}a" "/run/netns/${P}n2"
    ! ip -n "${P}n1" link show eth0 2>/dev/null
    septa network rm "${P}a"
    assert_clean
}

@test "switches are isolated by default and route after --isolate=false" {
    septa network create "${P}a" --subnet 10.231.20.0/24 --internal
    septa network create "${P}b" --subnet 10.231.21.0/24 --internal
    mkns "${P}n1" "${P}n3"
    septa network connect "${P}a" "${P}n1"
    septa network connect "${P}b" "${P}n3"
    # Internal switches have no default route: point each namespace at the other switch.
    ip -n "${P}n1" route add 10.231.21.0/24 via 10.231.20.1
    ip -n "${P}n3" route add 10.231.20.0/24 via 10.231.21.1
    ! nsping "${P}n3" 10.231.20.2
    septa network update "${P}a" --isolate=false
    ! nsping "${P}n3" 10.231.20.2 # both ends must open
    septa network update "${P}b" --isolate=false
    nsping "${P}n3" 10.231.20.2
    nsping "${P}n1" 10.231.21.2
    run septa network inspect "${P}b"
    [ "$(echo "$output" | jq -r '.[0].isolate')" = false ]
    septa network update "${P}b" --isolate=true
    ! nsping "${P}n3" 10.231.20.2
}

@test "a published port answers on 127.0.0.1, the bridge address and from another switch" {
    septa network create "${P}a" --subnet 10.231.30.0/24 --internal
    septa network create "${P}b" --subnet 10.231.31.0/24 --internal
    mkns "${P}n1" "${P}n3"
    septa network connect "${P}a" "${P}n1" -p 18932:80
    septa network connect "${P}b" "${P}n3"
    nft list table inet "$TABLE" | grep -q 'tcp dport 18932 dnat ip to 10.231.30.2:80'
    serve "${P}n1" 80 hello-lo
    run timeout 5 busybox nc 127.0.0.1 18932 </dev/null
    [ "$output" = hello-lo ]
    serve "${P}n1" 80 hello-br
    run timeout 5 busybox nc 10.231.30.1 18932 </dev/null
    [ "$output" = hello-br ]
    # From a container on another (isolated) switch, through its own gateway.
    serve "${P}n1" 80 hello-sw
    run ip netns exec "${P}n3" timeout 5 busybox nc 10.231.31.1 18932 </dev/null
    [ "$output" = hello-sw ]
    # ...while direct access stays isolated.
    ip -n "${P}n3" route add 10.231.30.0/24 via 10.231.31.1
    ! nsping "${P}n3" 10.231.30.2
    # The rule goes with its port.
    septa network disconnect "${P}a" "${P}n1"
    ! nft list table inet "$TABLE" | grep -q 'dport 18932'
    run timeout 2 busybox nc 127.0.0.1 18932 </dev/null
    [ "$status" -ne 0 ]
}

@test "udp and host-address publications; masquerade only for non-internal switches" {
    septa network create "${P}a" --subnet 10.231.40.0/24 --internal
    septa network create "${P}b" --subnet 10.231.41.0/24
    mkns "${P}n1"
    septa network connect "${P}a" "${P}n1" -p 127.0.0.1:18933:53/udp
    run nft list table inet "$TABLE"
    [[ $output == *'ip daddr 127.0.0.1 udp dport 18933 dnat ip to 10.231.40.2:53'* ]]
    [[ $output == *'ip saddr 10.231.41.0/24 oifname != "'"${P}b"'" masquerade'* ]]
    [[ $output != *'ip saddr 10.231.40.0/24 oifname != '* ]]
    [[ $output == *'iifname "'"${P}a"'" drop'* ]]
    # The other store's table (if any) is untouched: we only own ours.
    run nft list tables
    [[ $output == *"inet $TABLE"* ]]
}

@test "50 concurrent attaches get 50 distinct addresses; all removed cleanly" {
    septa network create "${P}a" --subnet 10.231.50.0/24 --internal
    local pids=()
    for i in $(seq 1 50); do
        mkns "${P}c$i"
    done
    for i in $(seq 1 50); do
        "$SEPTA" network connect "${P}a" "${P}c$i" >"$BATS_TEST_TMPDIR/out.$i" 2>&1 &
        pids+=($!)
    done
    local fail=0
    for p in "${pids[@]}"; do wait "$p" || fail=1; done
    [ "$fail" -eq 0 ] || { cat "$BATS_TEST_TMPDIR"/out.*; return 1; }
    [ "$(cat "$BATS_TEST_TMPDIR"/out.* | cut -d' ' -f1 | sort -u | wc -l)" -eq 50 ]
    [ "$(jq -r '.ports[].address' "$SEPTA_DATA_ROOT/networks/${P}a.leases" | sort -u | wc -l)" -eq 50 ]
    # Each namespace really has its address.
    for i in 1 25 50; do
        a=$(cut -d/ -f1 "$BATS_TEST_TMPDIR/out.$i")
        ip -n "${P}c$i" -o addr show eth0 | grep -q "inet $a/"
    done
    nsping "${P}c1" "$(cut -d/ -f1 "$BATS_TEST_TMPDIR/out.50")"
    for i in $(seq 1 50); do septa network disconnect "${P}a" "${P}c$i"; done
    septa network rm "${P}a"
    assert_clean
}

@test "gc removes ports whose namespace is gone, and attaches killed with SIGKILL" {
    septa network create "${P}a" --subnet 10.231.60.0/24 --internal
    mkns "${P}n1" "${P}n2"
    septa network connect "${P}a" "${P}n1" -p 18934:80
    septa network connect "${P}a" "${P}n2"
    ip netns del "${P}n1"
    run septa network gc
    [ "$status" -eq 0 ]
    [ "$output" = 1 ]
    ! nft list table inet "$TABLE" | grep -q 'dport 18934'
    [ "$(jq '.ports | length' "$SEPTA_DATA_ROOT/networks/${P}a.leases")" -eq 1 ]
    septa network disconnect "${P}a" "${P}n2"
    # Deterministic kills: strace holds the attach at a chosen atomic write of
    # the leases file, and the attach is SIGKILLed there.
    #   stage 1: after the "creating" lease is written, before any link exists;
    #   stage 2: links and nftables rules made, lease not yet marked ready.
    local leases="$SEPTA_DATA_ROOT/networks/${P}a.leases"
    stall_and_kill() { # when delay-kind ns hostport condition
        strace -f -qq -o /dev/null -e trace=renameat,renameat2 \
            -e inject=renameat,renameat2:delay_$2=8000000:when=$1 \
            "$SEPTA" network connect "${P}a" "$3" -p "$4:80" >/dev/null 2>&1 &
        local sp=$! child=""
        for _ in $(seq 1 100); do
            child=$(pgrep -P "$sp" || true)
            [ -n "$child" ] && eval "$5" && break
            sleep 0.05
        done
        eval "$5" || { kill -9 "$child" "$sp"; return 1; }
        kill -9 "$child"
        wait "$sp" || true
    }
    mkns "${P}s1" "${P}s2"
    stall_and_kill 1 exit "${P}s1" 18951 \
        "jq -e '.ports[] | select(.id == \"${P}s1\" and .state == \"creating\")' $leases >/dev/null"
    local if1
    if1=$(jq -r ".ports[] | select(.id == \"${P}s1\") | .host_if" "$leases")
    stall_and_kill 2 enter "${P}s2" 18952 \
        "nft list table inet $TABLE 2>/dev/null | grep -q 'dport 18952'"
    local if2
    if2=$(jq -r ".ports[] | select(.id == \"${P}s2\") | .host_if" "$leases")
    [ "$(jq -r ".ports[] | select(.id == \"${P}s2\") | .state" "$leases")" = creating ]
    ip link show "$if2" >/dev/null
    ip -n "${P}s2" link show eth0 >/dev/null
    # Also kill attaches at points spread over one attach's duration.
    local t0 t1 us
    t0=$(date +%s%N)
    septa network connect "${P}a" "${P}n2" -p 18940:80 >/dev/null
    t1=$(date +%s%N)
    septa network disconnect "${P}a" "${P}n2"
    us=$(((t1 - t0) / 1000))
    for i in $(seq 1 10); do
        mkns "${P}k$i"
        "$SEPTA" network connect "${P}a" "${P}k$i" -p "$((18940 + i)):80" >/dev/null 2>&1 &
        local pid=$!
        sleep "$(awk "BEGIN{printf \"%.6f\", $us * (0.3 + $i / 12) / 1e6}")"
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" || true
    done
    local creating
    creating=$(jq '[.ports[] | select(.state == "creating")] | length' "$leases")
    [ "$creating" -ge 2 ]
    # A killed attach never blocks the next one.
    septa network connect "${P}a" "${P}n2"
    septa network disconnect "${P}a" "${P}n2"
    run septa network gc
    [ "$status" -eq 0 ]
    [ "$output" -ge "$creating" ]
    # The stalled attaches are gone with their link and rules ...
    [ -z "$(jq -r '.ports[].id' "$leases" | grep -x "${P}s[12]")" ]
    ! ip link show "$if1" 2>/dev/null
    ! ip link show "$if2" 2>/dev/null
    ! ip -n "${P}s2" link show eth0 2>/dev/null
    ! nft list table inet "$TABLE" | grep -q 'dport 1895[12]'
    # ... and only attaches that finished before their kill remain, whole.
    local ready
    [ "$(jq '[.ports[] | select(.state != "ready")] | length' "$leases")" -eq 0 ]
    ready=$(jq '.ports | length' "$leases")
    [ "$(ip -o link show master "${P}a" | wc -l)" -eq "$ready" ]
    [ "$(nft list table inet "$TABLE" | grep -c 'dnat ip to')" -eq $((2 * ready)) ]
    for id in $(jq -r '.ports[].id' "$leases"); do septa network disconnect "${P}a" "$id"; done
    ! nft list table inet "$TABLE" | grep -q 'dnat'
    septa network rm "${P}a"
    assert_clean
}

@test "a bridge removed behind septa's back (reboot) is recreated on next use" {
    septa network create "${P}a" --subnet 10.231.70.0/24 --internal --mtu 1400
    ip link del "${P}a"
    nft delete table inet "$TABLE"
    run septa network ls
    [ "$status" -eq 0 ]
    ip -o addr show "${P}a" | grep -q 'inet 10.231.70.1/24'
    ip -o link show "${P}a" | grep -q 'mtu 1400'
    nft list table inet "$TABLE" >/dev/null
    mkns "${P}n1"
    septa network connect "${P}a" "${P}n1"
    ip -n "${P}n1" -o link show eth0 | grep -q 'mtu 1400'
}

@test "IPv6 switch: addresses from the subnet, neighbours reach each other" {
    septa network create "${P}a" --subnet fd00:5e97:1::/64 --internal
    mkns "${P}n1" "${P}n2"
    run septa network connect "${P}a" "${P}n1"
    [[ $output == "fd00:5e97:1::2/64 "* ]]
    septa network connect "${P}a" "${P}n2"
    ip netns exec "${P}n1" busybox ping -6 -c1 -W2 fd00:5e97:1::3 >/dev/null
    run septa network connect "${P}a" "${P}n2" -p 18935:80 --id other
    assert_one_line_error "IPv4 switches only"
}

@test "tap port for a guest is enslaved, persistent and removed with detach" {
    septa network create "${P}a" --subnet 10.231.80.0/24 --internal
    run septa network connect "${P}a" "${P}n1"
    assert_one_line_error "no /run/netns/${P}n1"
    run septa network connect "${P}a" --tap guest1 --format json
    [ "$status" -eq 0 ]
    tap=$(echo "$output" | jq -r .host_if)
    [ "$(echo "$output" | jq -r .address)" = 10.231.80.2 ]
    [[ $(echo "$output" | jq -r .mac) == 02:* ]]
    ip -d -o link show "$tap" | grep -q "master ${P}a"
    ip -d -o link show "$tap" | grep -q "tun type tap"
    # Not owned by a namespace: gc keeps it while it exists.
    run septa network gc
    [ "$output" = 0 ]
    septa network disconnect "${P}a" guest1
    ! ip link show "$tap" 2>/dev/null
    septa network rm "${P}a"
    assert_clean
}

@test "the default switch septa0 appears on first use" {
    ip link show septa0 >/dev/null 2>&1 && skip "the host already has a septa0 interface"
    run septa network ls -q
    [ -z "$output" ]
    # A tap port (nothing behind it can send) brings the default switch up.
    out=$("$SEPTA" network connect septa0 --tap "${P}g" --format json 2>"$BATS_TEST_TMPDIR/err")
    [[ $(echo "$out" | jq -r .address) == 10.*.0.2 ]]
    # septa leaves the global ip_forward alone and says what that means.
    if [ "$(cat /proc/sys/net/ipv4/ip_forward)" = 0 ]; then
        grep -q "net.ipv4.ip_forward is 0" "$BATS_TEST_TMPDIR/err"
    fi
    run septa network inspect septa0
    [ "$(echo "$output" | jq -r '.[0].internal')" = false ]
    [[ $(echo "$output" | jq -r '.[0].subnet') == 10.*.0.0/16 ]]
    ip -o link show septa0 >/dev/null
    septa network disconnect septa0 "${P}g"
    septa network rm septa0
    ! ip link show septa0 2>/dev/null
    assert_clean
}

@test "rm --force removes the ports first" {
    septa network create "${P}a" --subnet 10.231.90.0/24 --internal
    mkns "${P}n1"
    septa network connect "${P}a" "${P}n1" -p 18960:80
    septa network connect "${P}a" --tap "${P}g" >/dev/null
    run septa network rm "${P}a"
    assert_one_line_error "in use by ${P}n1, ${P}g"
    run septa network rm --force "${P}a"
    [ "$status" -eq 0 ]
    ! ip -n "${P}n1" link show eth0 2>/dev/null
    [ ! -e "$SEPTA_DATA_ROOT/networks/${P}a.json" ]
    assert_clean
}

@test "one namespace on two switches gets eth0 and eth1" {
    septa network create "${P}a" --subnet 10.231.91.0/24 --internal
    septa network create "${P}b" --subnet 10.231.92.0/24 --internal
    mkns "${P}n1"
    septa network connect "${P}a" "${P}n1"
    run septa network connect "${P}b" "${P}n1" --format json
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq -r .ifname)" = eth1 ]
    ip -n "${P}n1" -o addr show eth0 | grep -q 'inet 10.231.91.2/24'
    ip -n "${P}n1" -o addr show eth1 | grep -q 'inet 10.231.92.2/24'
    run septa network connect "${P}b" "${P}n1" --id again --ifname eth0
    assert_one_line_error "eth0"
    [ "$(jq '.ports | length' "$SEPTA_DATA_ROOT/networks/${P}b.leases")" -eq 1 ]
    septa network disconnect "${P}b" "${P}n1"
    ! ip -n "${P}n1" link show eth1 2>/dev/null
    ip -n "${P}n1" link show eth0 >/dev/null
}

@test "a process's namespace (/proc/PID/ns/net), as the runtime attaches containers" {
    septa network create "${P}a" --subnet 10.231.93.0/24 --internal
    unshare --net sleep 60 &
    HOLDER=$!
    for _ in $(seq 1 50); do
        [ "$(readlink /proc/$HOLDER/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
        sleep 0.1
    done
    run septa network connect "${P}a" "/proc/$HOLDER/ns/net" --name box --format json
    [ "$status" -eq 0 ]
    id=$(echo "$output" | jq -r .id)
    [[ $id == netns-* ]]
    nsenter -t "$HOLDER" -n ip -o addr show eth0 | grep -q 'inet 10.231.93.2/24'
    nsenter -t "$HOLDER" -n busybox ping -c1 -W1 10.231.93.1 >/dev/null
    # gc keeps it while the process lives...
    run septa network gc
    [ "$output" = 0 ]
    # ...and collects it once the process (and so the namespace) is gone.
    kill "$HOLDER"; wait "$HOLDER" || true
    HOLDER=
    run septa network gc
    [ "$output" = 1 ]
    [ "$(jq '.ports | length' "$SEPTA_DATA_ROOT/networks/${P}a.leases")" -eq 0 ]
    septa network rm "${P}a"
    assert_clean
}
