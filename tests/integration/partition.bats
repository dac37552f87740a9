#!/usr/bin/env bats
# Hardware partitions on the host tier: this host has one NUMA node, two CPUs,
# hybrid cgroups (cpuset on v1) and nested PVM (so guests run under TCG).
# The topology, the planner, records and their refusals, and one real guest:
# Debian's stock kernel with a tiny initramfs in a one-CPU partition.
load helpers

setup() {
    common_setup
    # Names are global in cgroupfs (septa.partition.NAME): keep them unique per run.
    P=pt$$n$BATS_TEST_NUMBER
}

teardown() {
    local pid c
    for c in $("$SEPTA" ps -a -q 2>/dev/null); do "$SEPTA" rm -f "$c" >/dev/null 2>&1 || true; done
    for f in "$SEPTA_DATA_ROOT"/partitions/*.json; do
        [ -f "$f" ] || continue
        case $f in */reserve.json) continue ;; esac
        pid=$(jq -r '.pid // empty' "$f" 2>/dev/null)
        "$SEPTA" partition rm -f "$(basename "$f" .json)" >/dev/null 2>&1 || true
        # Belt and braces: never leave a QEMU behind, even if rm failed.
        if [ -n "$pid" ] && grep -qs "debug-threads" "/proc/$pid/cmdline"; then
            kill -9 "$pid" 2>/dev/null || true
        fi
    done
    for cg in /sys/fs/cgroup/cpuset/septa.partition.$P* /sys/fs/cgroup/septa.partition.$P*; do
        [ -d "$cg" ] && rmdir "$cg" 2>/dev/null || true
    done
    # The switch goes after the partitions, whose tap ports hold it; --force
    # removes its table and any port a failed test left.
    if [ -n "${SW:-}" ]; then
        "$SEPTA" network rm --force "$SW" >/dev/null 2>&1 || ip link del "$SW" 2>/dev/null || true
    fi
}

# A guest initramfs: static busybox and an init that reports what the guest sees,
# configures eth0 from septa.ip=/septa.gw= when it has a NIC (modules from the
# kernel package, with --net), then keeps a shell on the console.
# --blk loads virtio_blk instead, for tests that write the guest's disk.
make_initrd() { # dir [--net|--blk] -> prints path
    local d=$1/initrd-root m mods=
    mkdir -p "$d/bin" "$d/m"
    cp /bin/busybox "$d/bin/busybox"
    case "${2:-}" in
    --net) mods="virtio_pci virtio_net"; : > "$d/m/net" ;;
    --blk) mods="virtio_pci virtio_blk" ;;
    esac
    if [ -n "$mods" ]; then
        for m in $mods; do
            modprobe -d "$VM_KERNEL_ROOT" -S "$VM_KERNEL_RELEASE" --show-depends "$m"
        done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' > "$1/mods"
        while read -r m; do
            cp "$m" "$d/m/"
            basename "$m" >> "$d/m/order"
        done < "$1/mods"
    fi
    cat > "$d/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox --install -s /bin
echo "SEPTA-GUEST cpus=$(nproc) mem_kb=$(awk '/MemTotal/ {print $2}' /proc/meminfo) nodes=$(ls -d /sys/devices/system/node/node* | wc -l)"
if [ -f /m/order ]; then
    for m in $(cat /m/order); do insmod /m/$m; done
fi
if [ -f /m/net ]; then
    for w in $(cat /proc/cmdline); do
        case $w in
        septa.ip=*) ip=${w#septa.ip=} ;;
        septa.gw=*) gw=${w#septa.gw=} ;;
        septa.peer=*) peer=${w#septa.peer=} ;;
        esac
    done
    for _ in 1 2 3 4 5 6 7 8 9 10; do [ -e /sys/class/net/eth0 ] && break; sleep 0.5; done
    ip link set lo up; ip link set eth0 up; ip addr add "$ip" dev eth0
    if ping -c1 -W5 "$gw" >/dev/null 2>&1 || ping -c1 -W5 "$gw" >/dev/null 2>&1; then
        echo "SEPTA-PING ok $ip -> $gw"
    else
        echo "SEPTA-PING failed $ip -> $gw"
    fi
    # A peer on the same switch (a container), given by the test.
    if [ -n "$peer" ]; then
        if ping -c1 -W5 "$peer" >/dev/null 2>&1 || ping -c1 -W5 "$peer" >/dev/null 2>&1; then
            echo "SEPTA-PEER ok $peer"
        else
            echo "SEPTA-PEER failed $peer"
        fi
    fi
fi
while :; do sh; done
EOF
    chmod +x "$d/init"
    (cd "$d" && find . | cpio -o -H newc 2>/dev/null | gzip) > "$1/initrd.gz"
    echo "$1/initrd.gz"
}

# new_switch SUFFIX: an internal switch of this test's own (SW), on a random
# 10.2xx subnet (net); teardown removes it.
new_switch() {
    SW="sp$(printf %04d $((RANDOM % 10000)))$1"
    net="10.$((200 + RANDOM % 50)).$((RANDOM % 250)).0/24"
    run septa network create "$SW" --subnet "$net" --internal
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

# wait_log PATTERN: until the guest of $P has printed PATTERN (TCG: up to 90 s).
wait_log() {
    for _ in $(seq 180); do
        septa partition logs "$P" | grep -q "$1" && return 0
        sleep 0.5
    done
}

# cpulist_has LIST N: is CPU N in a kernel cpulist such as "0-1,4"?
cpulist_has() {
    local r
    IFS=, read -ra ranges <<< "$1"
    for r in "${ranges[@]}"; do
        if [[ $r == *-* ]]; then
            (( $2 >= ${r%-*} && $2 <= ${r#*-} )) && return 0
        else
            [[ $r == "$2" ]] && return 0
        fi
    done
    return 1
}

# Sets K (the Debian kernel the VM tier caches), VM_KERNEL_ROOT, VM_KERNEL_RELEASE.
kernel() {
    # shellcheck source=../vm/lib/kernel.sh
    source "$REPO/tests/vm/lib/kernel.sh"
    vm_kernel_fetch >&2 2>/dev/null || return 1
    K=$VM_KERNEL_IMAGE
}

@test "topology: text and json agree with sysfs" {
    run septa topology
    [ "$status" -eq 0 ]
    [[ $output == *"node 0: cpus 0-1"* ]]
    [[ $output == *"reserve: cpus 0"* ]]
    run septa topology --format json
    [ "$status" -eq 0 ]
    nodes=$(ls -d /sys/devices/system/node/node* | wc -l)
    [ "$(echo "$output" | jq '.nodes | length')" -eq "$nodes" ]
    [ "$(echo "$output" | jq '.cpus | length')" -eq "$(nproc --all)" ]
    [ "$(echo "$output" | jq -r '.nodes[0].cpus | map(tostring) | join(",")')" = "0,1" ]
    kib=$(awk '$3 == "MemTotal:" { print $4 }' /sys/devices/system/node/node0/meminfo)
    [ "$(echo "$output" | jq '.nodes[0].memory_bytes')" -eq $((kib * 1024)) ]
    [ "$(echo "$output" | jq '.nodes[0].distances')" = "$(jq -n '[10]')" ]
    [ "$(echo "$output" | jq '.cpus[1].siblings | length')" -ge 1 ]
    [ "$(echo "$output" | jq '.partitions | length')" -eq 0 ]
    run septa topology --format yaml
    assert_one_line_error "unknown format 'yaml'"
}

@test "plan: one partition from what the reserve leaves, --apply creates it" {
    run septa partition plan --count 1 --prefix "$P" --format json
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq -r '.partitions[0].cpus')" = 1 ]
    [ "$(echo "$output" | jq -r '.partitions[0].nodes')" = 0 ]
    [[ $(echo "$output" | jq -r '.partitions[0].reason') == *"whole cores"* ]]
    [ "$(echo "$output" | jq '.applied')" = false ]
    run septa partition ls --format json
    [ "$(echo "$output" | jq length)" -eq 0 ]
    run septa partition plan --count 1 --prefix "$P" --apply
    [ "$status" -eq 0 ]
    [[ $output == *"created 1 partition(s)"* ]]
    run septa partition ls --format json
    [ "$(echo "$output" | jq -r '.[0].name')" = "${P}0" ]
    [ "$(echo "$output" | jq -r '.[0].running')" = false ]
    # Nothing is left to carve now.
    run septa partition plan --per-node
    assert_one_line_error "nothing to carve"
    run septa partition plan --count 2 --per-node
    assert_one_line_error "exactly one of --count N and --per-node"
}

@test "create, inspect, ls, topology and rm of a record" {
    run septa partition create "$P" --cpus 1 --memory 64M
    [ "$status" -eq 0 ]
    run septa partition inspect "$P"
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq -r .cpus)" = 1 ]
    [ "$(echo "$output" | jq -r .nodes)" = 0 ]
    [ "$(echo "$output" | jq .memory)" -eq $((64 << 20)) ]
    [ "$(echo "$output" | jq .shared)" = false ]
    [ "$(echo "$output" | jq .running)" = false ]
    [ "$(echo "$output" | jq 'has("pid")')" = false ]
    run septa partition ls
    [[ ${lines[1]} == "$P "*" 1 "*"64M"*"exclusive"*"stopped"* ]]
    run septa topology --format json
    [ "$(echo "$output" | jq -r '.partitions[0].name')" = "$P" ]
    run septa partition rm "$P"
    [ "$status" -eq 0 ]
    [ ! -e "$SEPTA_DATA_ROOT/partitions/$P.json" ]
    run septa partition inspect "$P"
    assert_one_line_error "no partition named '$P'"
}

@test "bad input: one clear line each, exit 125, nothing created" {
    printf '{"name": "x", "cpus": "1", "memory": \n' > "$BATS_TEST_TMPDIR/bad.json"
    run septa partition create --spec "$BATS_TEST_TMPDIR/bad.json"
    assert_one_line_error "bad.json"
    printf '{"name": "%s", "cpus": 1, "memory": "64M"}\n' "$P" > "$BATS_TEST_TMPDIR/type.json"
    run septa partition create --spec "$BATS_TEST_TMPDIR/type.json"
    assert_one_line_error "type.json:1:"
    run septa partition create "$P" --cpus 7 --memory 64M
    assert_one_line_error "unknown CPU 7"
    run septa partition create "$P" --cpus 1 --memory 0
    assert_one_line_error "--memory: must be more than 0"
    run septa partition create "$P" --cpus 1 --memory 64M --kernel /nonexistent/vmlinuz
    assert_one_line_error "--kernel /nonexistent/vmlinuz: No such file or directory"
    run septa partition create "$P" --cpus 0 --memory 64M
    assert_one_line_error "CPU 0 is in the host reserve"
    run septa partition create "$P" --cpus 1 --memory 1T
    assert_one_line_error "MiB are left there"
    run septa partition create "$P" --cpus 1 --memory 64M --accel frob
    assert_one_line_error "--accel: unknown accelerator 'frob'"
    run septa partition create "bad/name" --cpus 1 --memory 64M
    assert_one_line_error "partition name 'bad/name'"
    run septa partition ls --format json
    [ "$(echo "$output" | jq length)" -eq 0 ]

    run septa partition create "$P" --cpus 1 --memory 64M
    [ "$status" -eq 0 ]
    run septa partition create "$P" --cpus 1 --memory 64M
    assert_one_line_error "partition '$P' already exists"
    run septa partition create "${P}b" --cpus 1 --memory 64M
    assert_one_line_error "CPU 1 is already in partition '$P' (exclusive)"
    run septa partition start "$P"
    assert_one_line_error "no --kernel and no --disk"
    printf '{"name": "%s", "cpus": "1", "memory": "64M", "frob": 1}\n' "${P}s" > "$BATS_TEST_TMPDIR/unknown.json"
    run septa partition create --spec "$BATS_TEST_TMPDIR/unknown.json"
    assert_one_line_error "unknown.json:1:"
    [[ $output == *"frob: unknown field"* ]]
    run septa partition frob
    assert_one_line_error "unknown command 'frob'"
    run septa partition create "$P" --frob
    assert_one_line_error "'--frob'"
    long=$BATS_TEST_TMPDIR/$(printf 'd%.0s' $(seq 100))
    mkdir -p "$long"
    SEPTA_DATA_ROOT=$long run septa partition create "$P" --cpus 1 --memory 64M --kernel /etc/hostname
    [ "$status" -eq 0 ]
    SEPTA_DATA_ROOT=$long run septa partition start "$P"
    assert_one_line_error "too long for QEMU's unix sockets"
    SEPTA_DATA_ROOT=$long run septa partition rm "$P"
    # A kernel that disappears after create: named at start, nothing made.
    septa partition rm "$P" >/dev/null
    touch "$BATS_TEST_TMPDIR/gone"
    run septa partition create "${P}k" --shared --cpus 1 --memory 64M --kernel "$BATS_TEST_TMPDIR/gone" --accel tcg
    [ "$status" -eq 0 ]
    rm "$BATS_TEST_TMPDIR/gone"
    run septa partition start "${P}k"
    assert_one_line_error "starting partition '${P}k': --kernel $BATS_TEST_TMPDIR/gone: No such file or directory"
    [ ! -d "/sys/fs/cgroup/cpuset/septa.partition.${P}k" ]
    [ "$(septa partition inspect "${P}k" | jq .running)" = false ]
    run septa partition ls --format json
    [ "$(echo "$output" | jq -r '.[].name')" = "${P}k" ]
}

@test "--accel kvm is refused clearly where KVM cannot boot a stock kernel" {
    if [ -c /dev/kvm ] && [ ! -e /sys/module/kvm_pvm ]; then
        skip "this host has usable KVM"
    fi
    touch "$BATS_TEST_TMPDIR/vmlinuz"
    run septa partition create "$P" --cpus 1 --memory 64M --kernel "$BATS_TEST_TMPDIR/vmlinuz" --accel kvm
    [ "$status" -eq 0 ]
    run septa partition start "$P"
    assert_one_line_error "--accel kvm: /dev/kvm"
    [ ! -d "/sys/fs/cgroup/cpuset/septa.partition.$P" ]
}

@test "every partition subcommand has --help" {
    for c in plan create ls inspect start stop logs console verify rm; do
        run septa partition "$c" --help
        [ "$status" -eq 0 ] || { echo "$c: $output"; false; }
        [[ $output == "Usage: septa partition $c"* ]] || { echo "$c: $output"; false; }
    done
    run septa topology --help
    [ "$status" -eq 0 ]
}

@test "guest: stock kernel under TCG in a one-CPU partition, logs, console, verify, stop" {
    kernel || skip "no Debian kernel available (apt-get download failed, none cached)"
    initrd=$(make_initrd "$BATS_TEST_TMPDIR")
    # Shared: an exclusive partition is refused while any container on this
    # shared host asked for CPU 1 (that case has its own test below).
    run septa partition create "$P" --shared --cpus 1 --memory 128M --kernel "$K" \
        --initrd "$initrd" --append "console=ttyS0 quiet panic=-1" --accel tcg
    [ "$status" -eq 0 ]
    run septa partition start "$P"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    pid=$(septa partition inspect "$P" | jq .pid)
    [ "$pid" -gt 0 ]
    [ "$(septa partition inspect "$P" | jq .running)" = true ]
    grep -q "debug-threads" "/proc/$pid/cmdline"
    wait_log SEPTA-GUEST
    run septa partition logs "$P"
    line=$(echo "$output" | grep SEPTA-GUEST | tr -d '\r')
    [[ $line == *"cpus=1 "* ]] || { echo "$output" | tail -20; false; }
    [[ $line == *"nodes=1"* ]]
    kb=$(echo "$line" | sed -E 's/.*mem_kb=([0-9]+).*/\1/')
    [ "$kb" -gt 65536 ] && [ "$kb" -le 131072 ]

    run septa partition verify "$P"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ $output == *"pass  vcpu 0 affinity: thread "*"Cpus_allowed_list 1, want 1"* ]]
    [[ $output == *"pass  other threads"* ]]
    [[ $output == *"pass  memory locality"* ]]
    [[ $output == *"pass  guest in cgroup"* ]]
    [[ $output != *FAIL* ]]
    run septa partition verify "$P" --format json
    [ "$(echo "$output" | jq .pass)" = true ]
    [ "$(echo "$output" | jq '.checks | length')" -ge 6 ]

    # The console is the guest's shell.
    run bash -c "echo 'echo CONSOLE-\$((6*7))' | '$SEPTA' partition console '$P'"
    [ "$status" -eq 0 ]
    [[ $output == *CONSOLE-42* ]]

    run septa partition rm "$P"
    assert_one_line_error "its guest runs"
    run septa partition stop --timeout 1s "$P"
    [ "$status" -eq 0 ]
    [ ! -d "/proc/$pid" ] || ! grep -qs debug-threads "/proc/$pid/cmdline"
    # Verification of a stopped guest fails (the cpuset clips any affinity
    # change, so a dead guest is the failure this host can stage).
    run septa partition verify "$P"
    [ "$status" -eq 1 ]
    [[ $output == "FAIL  guest running"* ]]
    [ ! -d "/sys/fs/cgroup/cpuset/septa.partition.$P" ]
    [ "$(septa partition inspect "$P" | jq .running)" = false ]
    run septa partition rm "$P"
    [ "$status" -eq 0 ]
    [ ! -e "$SEPTA_DATA_ROOT/partitions/$P.d" ]
}

@test "exclusive on cgroup v1: cpu_exclusive set, or the overlapping sibling named" {
    kernel || skip "no Debian kernel available"
    initrd=$(make_initrd "$BATS_TEST_TMPDIR")
    run septa partition create "$P" --cpus 1 --memory 64M --kernel "$K" --initrd "$initrd" \
        --append "console=ttyS0 quiet panic=-1" --accel tcg
    [ "$status" -eq 0 ]
    run septa partition start "$P"
    # Other cpusets on this shared host come and go (other tests' containers),
    # so which outcome is right is decided by what start met: a refusal must
    # name a sibling that holds CPU 1, a success must have cpu_exclusive set.
    if [ "$status" -ne 0 ]; then
        assert_one_line_error "sibling cpuset /sys/fs/cgroup/cpuset/"
        [[ $output == *" (cpus "*") shares CPUs with it"* ]]
        [[ $output == *"cpuset.cpu_exclusive: Invalid argument"* ]]
        sib=$(echo "$output" | sed -E 's|.*sibling cpuset (/sys/fs/cgroup/cpuset/[^ ]*) \(cpus ([^)]*)\).*|\2|')
        cpulist_has "$sib" 1 || { echo "named sibling's cpus '$sib' lack CPU 1: $output"; false; }
    else
        [ "$status" -eq 0 ]
        [ "$(cat "/sys/fs/cgroup/cpuset/septa.partition.$P/cpuset.cpu_exclusive")" = 1 ]
        run septa partition verify "$P"
        [[ $output == *"pass  cgroup partition"* ]]
        [[ $output == *"pass  exclusive cpus"* ]]
        run septa partition rm -f "$P"
        [ "$status" -eq 0 ]
    fi
    # Nothing is left in any v1 controller.
    run bash -c "ls -d /sys/fs/cgroup/*/septa.partition.$P 2>/dev/null"
    [ -z "$output" ]
}

# Start the exclusive $P; skip when a top-level cpuset this file does not own
# holds its CPU (another test on this shared host): v1 refuses that, rightly.
start_exclusive() {
    run septa partition start "$P"
    if [ "$status" -ne 0 ] && [[ $output == *"sibling cpuset /sys/fs/cgroup/cpuset/"* ]] &&
        [[ $output != *"sibling cpuset /sys/fs/cgroup/cpuset/septa ("* ]]; then
        skip "a cpuset of someone else holds CPU 1: $output"
    fi
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

# The first process of a container's v1 cpuset cgroup, and its allowed CPUs.
ctr_cpus() { # id
    local pid
    pid=$(head -1 "/sys/fs/cgroup/cpuset/septa/$1/tasks")
    awk '/^Cpus_allowed_list/ { print $2 }' "/proc/$pid/status"
}

@test "cgroup v1: an exclusive partition and containers coexist; a container pinned to its CPUs is named" {
    [ -f /sys/fs/cgroup/cpuset/cpuset.cpu_exclusive ] || skip "no cgroup v1 cpuset hierarchy"
    [ "$(cat /sys/fs/cgroup/cpuset/cpuset.cpus)" = 0-1 ] || skip "needs CPUs 0-1"
    kernel || skip "no Debian kernel available"
    initrd=$(make_initrd "$BATS_TEST_TMPDIR")
    run septa partition create "$P" --cpus 1 --memory 64M --kernel "$K" --initrd "$initrd" \
        --append "console=ttyS0 quiet panic=-1" --accel tcg
    [ "$status" -eq 0 ]
    # With no container yet, the containers' parent cpuset is made while the
    # partition runs: runtime/ leaves its exclusive CPU out.
    if [ ! -d /sys/fs/cgroup/cpuset/septa ]; then
        start_exclusive
        run septa run --rm --network none busybox grep Cpus_allowed_list /proc/self/status
        [ "$output" = "$(printf 'Cpus_allowed_list:\t0')" ] || { echo "$output"; false; }
        run septa partition stop --timeout 0 "$P"
        [ "$status" -eq 0 ]
    fi
    run septa run -d --network none busybox sleep 600
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    float=$output
    run septa run -d --network none --cpuset-cpus 1 busybox sleep 600
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    pinned=$output
    [ "$(ctr_cpus "$float")" = 0-1 ]

    # A container that asked for CPU 1 keeps it: the start is refused, naming it,
    # and nothing changed (the plan is made before anything is written).
    run septa partition start "$P"
    assert_one_line_error "asked for CPUs 1"
    if [[ $output != *"container '$pinned'"* ]]; then
        skip "another container on this host asked for CPU 1: $output"
    fi
    [[ $output == *"stop it, or give the partition other CPUs"* ]]
    [ ! -d "/sys/fs/cgroup/cpuset/septa.partition.$P" ]
    [ "$(ctr_cpus "$float")" = 0-1 ]
    [ "$(septa partition inspect "$P" | jq .running)" = false ]

    # Without it the partition starts: the container that asked for nothing
    # floats off CPU 1, new ones start without it, a new pinned one is refused.
    septa rm -f "$pinned" >/dev/null
    start_exclusive
    [ "$(cat "/sys/fs/cgroup/cpuset/septa.partition.$P/cpuset.cpu_exclusive")" = 1 ]
    [ "$(ctr_cpus "$float")" = 0 ]
    run septa run --rm --network none busybox grep Cpus_allowed_list /proc/self/status
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "$output" = "$(printf 'Cpus_allowed_list:\t0')" ]
    run septa run --rm --network none --cpuset-cpus 1 busybox true
    assert_one_line_error "cpuset.cpus"
    run septa partition verify "$P"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [[ $output == *"pass  exclusive cpus"* ]]

    # Stopping gives CPU 1 back to the containers.
    run septa partition stop --timeout 0 "$P"
    [ "$status" -eq 0 ]
    [ "$(ctr_cpus "$float")" = 0-1 ]
    [ ! -d "/sys/fs/cgroup/cpuset/septa.partition.$P" ]
}

@test "a guest killed behind septa's back: shown stopped, cleaned by stop, starts again" {
    kernel || skip "no Debian kernel available"
    initrd=$(make_initrd "$BATS_TEST_TMPDIR")
    run septa partition create "$P" --shared --cpus 1 --memory 64M --kernel "$K" \
        --initrd "$initrd" --append "console=ttyS0 quiet panic=-1" --accel tcg
    [ "$status" -eq 0 ]
    run septa partition start "$P"
    [ "$status" -eq 0 ]
    pid=$(septa partition inspect "$P" | jq .pid)
    kill -9 "$pid"
    while [ -d "/proc/$pid" ]; do sleep 0.05; done
    [ "$(septa partition inspect "$P" | jq .running)" = false ]
    [ "$(septa partition inspect "$P" | jq 'has("pid")')" = false ]
    run septa partition ls
    [[ ${lines[1]} == *"stopped"* ]]
    # Starting again replaces the empty cgroup the dead guest left.
    [ -d "/sys/fs/cgroup/cpuset/septa.partition.$P" ]
    run septa partition start "$P"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    pid2=$(septa partition inspect "$P" | jq .pid)
    [ "$pid2" != "$pid" ]
    run septa partition stop --timeout 0 "$P"
    [ "$status" -eq 0 ]
    [ ! -d "/sys/fs/cgroup/cpuset/septa.partition.$P" ]
    ! grep -qs debug-threads "/proc/$pid2/cmdline"
}

@test "--network: the guest gets a tap port on a switch and pings the host through it" {
    kernel || skip "no Debian kernel available"
    initrd=$(make_initrd "$BATS_TEST_TMPDIR" --net)
    new_switch g
    run septa partition create "$P" --shared --cpus 1 --memory 128M --kernel "$K" \
        --initrd "$initrd" --append "console=ttyS0 quiet panic=-1" --accel tcg --network "$SW"
    [ "$status" -eq 0 ]
    run septa partition start "$P"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    rec=$(septa partition inspect "$P")
    tap=$(echo "$rec" | jq -r .tap)
    addr=$(echo "$rec" | jq -r .address)
    [ "$(echo "$rec" | jq -r .network)" = "$SW" ]
    [[ $addr == 10.* ]]
    ip -o link show "$tap" | grep -q "master $SW"
    wait_log SEPTA-PING
    run septa partition logs "$P"
    [[ $output == *"SEPTA-PING ok ${addr}"* ]] || { echo "$output" | tail -20; false; }
    busybox ping -c1 -W5 "${addr%/*}" >/dev/null
    run septa network inspect "$SW"
    [ "$(echo "$output" | jq '[.. | objects | select(has("ports")) | .ports[]] | length')" -eq 1 ]
    run septa partition stop --timeout 0 "$P"
    [ "$status" -eq 0 ]
    ! ip link show "$tap" >/dev/null 2>&1
    [ "$(septa partition inspect "$P" | jq 'has("tap")')" = false ]
    run septa network inspect "$SW"
    [ "$(echo "$output" | jq '[.. | objects | select(has("ports")) | .ports[]] | length')" -eq 0 ]
    run septa partition rm "$P"
    [ "$status" -eq 0 ]
    run septa network rm "$SW"
    [ "$status" -eq 0 ]
}

@test "--network: a guest and a container on one switch ping each other" {
    kernel || skip "no Debian kernel available"
    initrd=$(make_initrd "$BATS_TEST_TMPDIR" --net)
    new_switch c
    # busybox ping needs NET_RAW, which the default capabilities leave out.
    run septa run -d --network "$SW" --cap-add NET_RAW busybox sleep 600
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    ctr=$output
    caddr=$(septa network inspect "$SW" | jq -r '.[0].ports[] | select(.kind == "veth") | .address')
    [[ $caddr == "${net%.0/24}."* ]] || { echo "container address '$caddr' not in $net"; false; }
    run septa partition create "$P" --shared --cpus 1 --memory 128M --kernel "$K" \
        --initrd "$initrd" --append "console=ttyS0 quiet panic=-1 septa.peer=$caddr" --accel tcg \
        --network "$SW"
    [ "$status" -eq 0 ]
    run septa partition start "$P"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    gaddr=$(septa partition inspect "$P" | jq -r .address)
    gaddr=${gaddr%/*}
    [[ $gaddr == "${net%.0/24}."* ]] && [ "$gaddr" != "$caddr" ]
    # guest -> container (from the guest's init, reported on its console)
    wait_log SEPTA-PEER
    run septa partition logs "$P"
    [[ $output == *"SEPTA-PEER ok $caddr"* ]] || { echo "$output" | tail -20; false; }
    # container -> guest
    run septa exec "$ctr" ping -c1 -W5 "$gaddr"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [[ $output == *"1 packets received"* ]]
    run septa partition stop --timeout 0 "$P"
    [ "$status" -eq 0 ]
    # With the guest gone the container's ping fails: the replies were the guest's.
    run septa exec "$ctr" ping -c1 -W1 "$gaddr"
    [ "$status" -ne 0 ]
}

@test "QEMU that fails to start: its own last line, nothing left behind" {
    : > "$BATS_TEST_TMPDIR/empty-kernel"
    run septa partition create "$P" --shared --cpus 1 --memory 64M \
        --kernel "$BATS_TEST_TMPDIR/empty-kernel" --accel tcg
    [ "$status" -eq 0 ]
    run septa partition start "$P"
    assert_one_line_error "QEMU failed to start (exit status 1): "
    [[ $output == *"kernel"* ]]
    [ ! -d "/sys/fs/cgroup/cpuset/septa.partition.$P" ]
    [ "$(septa partition inspect "$P" | jq .running)" = false ]
    [ "$(septa partition inspect "$P" | jq 'has("cgroup")')" = false ]
    ! pgrep -f "$P,debug-threads" >/dev/null
}

@test "--disk: raw and qcow2 attached with their format named, never probed" {
    kernel || skip "no Debian kernel available"
    initrd=$(make_initrd "$BATS_TEST_TMPDIR")
    truncate -s 8M "$BATS_TEST_TMPDIR/raw.img"
    qemu-img create -q -f qcow2 "$BATS_TEST_TMPDIR/disk.qcow2" 8M
    for d in raw.img:raw disk.qcow2:qcow2; do
        run septa partition create "$P" --shared --cpus 1 --memory 64M --kernel "$K" \
            --initrd "$initrd" --disk "$BATS_TEST_TMPDIR/${d%%:*}" --accel tcg
        [ "$status" -eq 0 ]
        run septa partition start "$P"
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        pid=$(septa partition inspect "$P" | jq .pid)
        tr '\0' '\n' < "/proc/$pid/cmdline" | grep -qx "file=$BATS_TEST_TMPDIR/${d%%:*},format=${d#*:},if=virtio"
        run septa partition rm -f "$P"
        [ "$status" -eq 0 ]
        ! grep -qs debug-threads "/proc/$pid/cmdline"
    done
    run septa partition create "$P" --cpus 1 --memory 64M --disk "$BATS_TEST_TMPDIR/none.img"
    assert_one_line_error "--disk $BATS_TEST_TMPDIR/none.img: No such file or directory"
}

@test "--base: two partitions share one read-only base through their own qcow2 overlays" {
    kernel || skip "no Debian kernel available"
    initrd=$(make_initrd "$BATS_TEST_TMPDIR" --blk)
    base=$BATS_TEST_TMPDIR/base.img
    # A base with known content: the guests overwrite its first blocks through their overlays.
    head -c 4M /dev/urandom > "$base"
    chmod 0444 "$base"
    before=$(sha256sum "$base" | cut -d' ' -f1)
    for q in "${P}a" "${P}b"; do
        run septa partition create "$q" --shared --cpus 1 --memory 128M --kernel "$K" \
            --initrd "$initrd" --append "console=ttyS0 quiet panic=-1" --base "$base" --accel tcg
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        ov=$SEPTA_DATA_ROOT/partitions/$q.d/disk.qcow2
        [ "$(septa partition inspect "$q" | jq -r .base)" = "$base" ]
        [ "$(septa partition inspect "$q" | jq -r .disk)" = "$ov" ]
        info=$(qemu-img info --output=json -U "$ov")
        [ "$(echo "$info" | jq -r .format)" = qcow2 ]
        [ "$(echo "$info" | jq -r '."backing-filename"')" = "$base" ]
        [ "$(echo "$info" | jq -r '."virtual-size"')" = $((4 << 20)) ]
    done
    for q in "${P}a" "${P}b"; do
        run septa partition start "$q"
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        pid=$(septa partition inspect "$q" | jq .pid)
        tr '\0' '\n' < "/proc/$pid/cmdline" | grep -qx "file=$SEPTA_DATA_ROOT/partitions/$q.d/disk.qcow2,format=qcow2,if=virtio"
    done
    for q in "${P}a" "${P}b"; do
        for _ in $(seq 240); do
            septa partition logs "$q" | grep -q SEPTA-GUEST && break
            sleep 0.5
        done
        septa partition logs "$q" | grep -q SEPTA-GUEST || { septa partition logs "$q" | tail -20; false; }
        # Each guest writes its own name over the start of its disk (fsync: QEMU
        # then commits the overlay's cluster tables, which a killed QEMU would
        # lose) and, past its page cache, reads it back.
        run bash -c "printf '%s\n' 'mount -t devtmpfs dev /dev 2>/dev/null; [ -b /dev/vda ] && echo $q-WROTE | dd of=/dev/vda conv=fsync 2>/dev/null && sync && echo 3 > /proc/sys/vm/drop_caches && echo READ-\$(head -c 20 /dev/vda | head -n1)' | '$SEPTA' partition console '$q'"
        [[ $output == *"READ-$q-WROTE"* ]] || { echo "$output"; septa partition logs "$q" | tail; false; }
    done
    # The base is untouched; each overlay holds its own guest's write.
    [ "$(sha256sum "$base" | cut -d' ' -f1)" = "$before" ]
    for q in "${P}a" "${P}b"; do
        run septa partition stop --timeout 1s "$q"
        [ "$status" -eq 0 ] || { echo "stop $q: $output"; false; }
        qemu-img convert -U -O raw "$SEPTA_DATA_ROOT/partitions/$q.d/disk.qcow2" "$BATS_TEST_TMPDIR/$q.raw"
        got=$(head -c ${#q} "$BATS_TEST_TMPDIR/$q.raw")
        [ "$got" = "$q" ] || { echo "overlay of $q starts with: $(head -c 32 "$BATS_TEST_TMPDIR/$q.raw" | od -c | head -3)"; false; }
        run septa partition rm "$q"
        [ "$status" -eq 0 ]
        [ ! -e "$SEPTA_DATA_ROOT/partitions/$q.d" ]
    done
    [ "$(sha256sum "$base" | cut -d' ' -f1)" = "$before" ]
}

@test "--base: bad bases refused in one line, nothing left behind" {
    run septa partition create "$P" --cpus 1 --memory 64M --kernel /etc/hostname --base "$BATS_TEST_TMPDIR/none.img"
    assert_one_line_error "--base $BATS_TEST_TMPDIR/none.img: No such file or directory"
    : > "$BATS_TEST_TMPDIR/d.img"
    run septa partition create "$P" --cpus 1 --memory 64M --kernel /etc/hostname --base "$BATS_TEST_TMPDIR/d.img" --disk "$BATS_TEST_TMPDIR/d.img"
    assert_one_line_error "--base and --disk: give one"
    # A qcow2 magic with a garbage header is no image qemu-img can put an overlay on.
    { printf 'QFI\xfb'; head -c 4096 /dev/zero; } > "$BATS_TEST_TMPDIR/bad.qcow2"
    run septa partition create "$P" --cpus 1 --memory 64M --kernel /etc/hostname --base "$BATS_TEST_TMPDIR/bad.qcow2"
    [ "$status" -eq 125 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ $output == *"--base $BATS_TEST_TMPDIR/bad.qcow2"* ]] || { echo "$output"; false; }
    [ ! -e "$SEPTA_DATA_ROOT/partitions/$P.json" ]
    [ ! -e "$SEPTA_DATA_ROOT/partitions/$P.d" ]
}
