#!/usr/bin/env bats
# runtime/cgroup on this host's v1/hybrid layout: measured effects of the
# limits, pause/resume, kill, delete, device control, OOM reporting, and
# refusals that name the field.  (Pure v2: tests/vm/cgroup-v2.bats.)
load helpers
load cgroup-helpers

setup_file() {
    [ "$(id -u)" -eq 0 ] || skip "needs root"
    cg_build_tools
}

setup() {
    common_setup
    [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ] || skip "pure cgroup v2 host: see tests/vm/cgroup-v2.bats"
    cg_setup
}

teardown() { cg_teardown; }

@test "cgroup v1: the limits land in the v1 files and the state reopens them" {
    cg_create c '{"cpu":{"shares":512,"quota":20000,"period":100000,"cpus":"0","mems":"0"},
                  "memory":{"limit":33554432,"reservation":16777216},"pids":{"limit":42}}'
    [ "$(cat "$(cg_dir c cpu)/cpu.shares")" = 512 ]
    [ "$(cat "$(cg_dir c cpu)/cpu.cfs_quota_us")" = 20000 ]
    [ "$(cat "$(cg_dir c cpu)/cpu.cfs_period_us")" = 100000 ]
    [ "$(cat "$(cg_dir c cpuset)/cpuset.cpus")" = 0 ]
    [ "$(cat "$(cg_dir c memory)/memory.limit_in_bytes")" = 33554432 ]
    [ "$(cat "$(cg_dir c memory)/memory.soft_limit_in_bytes")" = 16777216 ]
    [ "$(cat "$(cg_dir c pids)/pids.max")" = 42 ]
    [ "$(cg_dir c memory)" = "/sys/fs/cgroup/memory/$CG_PREFIX/c" ]
    # hugetlb has no v1 mount here: it must not be mapped onto the v2 mount.
    [ "$(jq -r '.dirs.hugetlb // "none"' "$T/c.json")" = none ]
    [ ! -d "/sys/fs/cgroup/unified/$CG_PREFIX" ]
}

@test "cgroup v1: 96 MiB under a 32 MiB limit is OOM-killed and reported; 8 MiB is not" {
    cg_create m '{"memory":{"limit":33554432}}'
    run "$CGDRV" run "$T/m.json" "$CGWORK" hog 8
    [ "$status" -eq 0 ]
    [[ $output == *"allocated 8 MiB"* ]]
    [[ $output == *"exit=0 oom=0"* ]]
    run "$CGDRV" run "$T/m.json" "$CGWORK" hog 96
    [ "$status" -eq 0 ]
    [[ $output != *"allocated 96"* ]]
    [[ $output == *"exit=137 oom=1"* ]]
    run "$CGDRV" stats "$T/m.json"
    [ "$(echo "$output" | jq .memory.oom_kill)" -eq 1 ]
    [ "$(echo "$output" | jq .memory.usage.limit)" -eq 33554432 ]
    [ "$(echo "$output" | jq .memory.usage.failcnt)" -gt 0 ]
}

@test "cgroup v1: pids.max contains a fork storm and the host stays responsive" {
    cg_create p '{"pids":{"limit":20}}'
    # 200 sleepers wanted; only 20 tasks may exist in the cgroup.
    "$CGDRV" start "$T/p.json" /bin/sh -c \
        'i=0; while [ $i -lt 200 ]; do sleep 30 & i=$((i+1)); done 2>/dev/null; wait' >/dev/null
    sleep 2
    cur=$(cat "$(cg_dir p pids)/pids.current")
    [ "$cur" -le 20 ]
    [ "$cur" -ge 15 ]
    # The kernel counted refused forks.
    [ "$(awk '/^max/ {print $2}' "$(cg_dir p pids)/pids.events")" -gt 0 ]
    # The host still forks fine, quickly.
    start=$(date +%s%N)
    for i in 1 2 3 4 5; do /bin/true; done
    [ $(( ($(date +%s%N) - start) / 1000000 )) -lt 1000 ]
    run "$CGDRV" stats "$T/p.json"
    [ "$(echo "$output" | jq .pids.limit)" -eq 20 ]
}

@test "cgroup v1: cpu quota 0.1 gives a busy loop 10% +-2% of a CPU over 5 s" {
    cg_create q '{"cpu":{"quota":10000,"period":100000}}'
    pid=$("$CGDRV" start "$T/q.json" "$CGWORK" spin)
    a=$(cg_cpu_ns q)
    sleep 5
    b=$(cg_cpu_ns q)
    kill -9 "$pid"
    pct=$(awk -v d=$((b - a)) 'BEGIN { printf "%.2f", d / 5e9 * 100 }')
    echo "busy loop got $pct% of a CPU"
    awk -v p="$pct" 'BEGIN { exit !(p >= 8 && p <= 12) }'
}

@test "cgroup v1: weights 2:1 on one CPU give CPU time 2:1 +-10%" {
    cg_create hi '{"cpu":{"shares":2048,"cpus":"0"}}'
    cg_create lo '{"cpu":{"shares":1024,"cpus":"0"}}'
    p1=$("$CGDRV" start "$T/hi.json" "$CGWORK" spin)
    p2=$("$CGDRV" start "$T/lo.json" "$CGWORK" spin)
    sleep 1
    a1=$(cg_cpu_ns hi); a2=$(cg_cpu_ns lo)
    sleep 5
    b1=$(cg_cpu_ns hi); b2=$(cg_cpu_ns lo)
    kill -9 "$p1" "$p2"
    ratio=$(awk -v x=$((b1 - a1)) -v y=$((b2 - a2)) 'BEGIN { printf "%.3f", x / y }')
    echo "CPU time ratio $ratio (want 2.0 +-10%)"
    awk -v r="$ratio" 'BEGIN { exit !(r >= 1.8 && r <= 2.2) }'
}

@test "cgroup v1: a live memory update takes effect" {
    cg_create u '{"memory":{"limit":33554432}}'
    run "$CGDRV" run "$T/u.json" "$CGWORK" hog 48
    [[ $output == *"exit=137 oom=1"* ]]
    cg_update u '{"memory":{"limit":134217728}}'
    [ "$(cat "$(cg_dir u memory)/memory.limit_in_bytes")" = 134217728 ]
    run "$CGDRV" run "$T/u.json" "$CGWORK" hog 48
    [[ $output == *"allocated 48 MiB"* ]]
    [[ $output == *"exit=0 oom=1"* ]]   # the earlier kill stays counted
    # And down again, below what a running hog holds: the kernel refuses by name.
    pid=$("$CGDRV" start "$T/u.json" "$CGWORK" hog 48 30)
    sleep 1
    run cg_update u '{"memory":{"limit":16777216}}'
    [ "$status" -eq 125 ]
    [[ $output == *"memory.limit_in_bytes"* ]]
    [[ $output == *"linux.resources.memory.limit"* ]]
    kill -9 "$pid" || true
}

@test "cgroup v1: pause stops a counting loop and resume continues it" {
    cg_create f
    "$CGDRV" start "$T/f.json" "$CGWORK" count "$T/count" >/dev/null
    cg_wait_file "$T/count"
    "$CGDRV" freeze "$T/f.json"
    [ "$("$CGDRV" frozen "$T/f.json")" = frozen ]
    [ "$(cat "$(cg_dir f freezer)/freezer.state")" = FROZEN ]
    sleep 0.2
    a=$(cat "$T/count")
    sleep 1
    b=$(cat "$T/count")
    [ "$a" = "$b" ]
    "$CGDRV" thaw "$T/f.json"
    [ "$("$CGDRV" frozen "$T/f.json")" = thawed ]
    sleep 1
    c=$(cat "$T/count")
    [ "$c" -gt "$b" ]
}

@test "cgroup v1: kill_all reaches every process, also when paused" {
    cg_create k
    for i in 1 2 3; do "$CGDRV" start "$T/k.json" sleep 60 >/dev/null; done
    [ "$("$CGDRV" pids "$T/k.json" | wc -l)" -eq 3 ]
    "$CGDRV" freeze "$T/k.json"
    "$CGDRV" kill "$T/k.json" 15
    # SIGTERM while paused: delivered, acted on once resumed; still paused.
    [ "$("$CGDRV" frozen "$T/k.json")" = frozen ]
    "$CGDRV" thaw "$T/k.json"
    for i in $(seq 20); do [ -z "$("$CGDRV" pids "$T/k.json")" ] && break; sleep 0.1; done
    [ -z "$("$CGDRV" pids "$T/k.json")" ]
}

@test "cgroup v1: delete kills everything and leaves no cgroup on any controller" {
    cg_create d '{"memory":{"limit":67108864},"pids":{"limit":50}}'
    "$CGDRV" start "$T/d.json" /bin/sh -c 'sleep 100 & sleep 100 & sleep 100' >/dev/null
    "$CGDRV" freeze "$T/d.json"
    pids=$("$CGDRV" pids "$T/d.json")
    [ -n "$pids" ]
    "$CGDRV" destroy "$T/d.json"
    for p in $pids; do [ ! -d /proc/$p ] || grep -q zombie /proc/$p/status 2>/dev/null || [ "$(awk '/^State/ {print $2}' /proc/$p/status)" = Z ]; done
    run ls -d /sys/fs/cgroup/*/"$CG_PREFIX"
    [ "$status" -ne 0 ]
    # Idempotent: a second destroy of the same state succeeds.
    "$CGDRV" destroy "$T/d.json"
}

@test "cgroup v1: delete also removes sub-cgroups the container made, and their processes" {
    cg_create n
    for c in memory pids freezer cpu; do mkdir "$(cg_dir n $c)/inner"; done
    sleep 100 &
    pid=$!
    for c in memory pids freezer cpu; do echo "$pid" >"$(cg_dir n $c)/inner/cgroup.procs"; done
    [ "$("$CGDRV" pids "$T/n.json")" = "$pid" ]
    "$CGDRV" destroy "$T/n.json"
    wait "$pid" || true
    [ ! -d /proc/$pid ]
    run ls -d /sys/fs/cgroup/*/"$CG_PREFIX"
    [ "$status" -ne 0 ]
}

@test "cgroup v1: the default path /septa/ID goes away with the last container" {
    had_parent=0
    [ -d /sys/fs/cgroup/memory/septa ] && had_parent=1
    CG_STATES+=("$T/def.json")
    "$CGDRV" create - "$CG_PREFIX" - "$T/def.json"
    [ -d "/sys/fs/cgroup/memory/septa/$CG_PREFIX" ]
    [ -d "/sys/fs/cgroup/freezer/septa/$CG_PREFIX" ]
    "$CGDRV" destroy "$T/def.json"
    [ ! -d "/sys/fs/cgroup/memory/septa/$CG_PREFIX" ]
    [ "$had_parent" -eq 1 ] || [ ! -d /sys/fs/cgroup/memory/septa ]
}

@test "cgroup v1: a relative cgroupsPath is below septa's own cgroup, per controller" {
    CG_STATES+=("$T/rel.json")
    "$CGDRV" create "$CG_PREFIX/rel" x - "$T/rel.json"
    own_mem=$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)
    own_cpu=$(awk -F: '$2 == "cpu" || $2 == "cpu,cpuacct" {print $3}' /proc/self/cgroup)
    want_mem=$(echo "/sys/fs/cgroup/memory/$own_mem/$CG_PREFIX/rel" | tr -s /)
    want_cpu=$(echo "/sys/fs/cgroup/cpu/$own_cpu/$CG_PREFIX/rel" | tr -s /)
    [ "$(jq -r .dirs.memory "$T/rel.json")" = "$want_mem" ]
    [ "$(jq -r .dirs.cpu "$T/rel.json")" = "$want_cpu" ]
    [ -d "$want_mem" ]
    "$CGDRV" destroy "$T/rel.json"
    [ ! -d "$want_mem" ]
    [ ! -d "$(dirname "$want_mem")" ]
}

@test "cgroup v1: a container cannot open a device it was not granted" {
    cg_create dev '{"devices":[{"allow":false,"access":"rwm"},
                               {"allow":true,"type":"c","major":1,"minor":11,"access":"r"}]}'
    mknod "$T/sda" b 8 0
    mknod "$T/mem" c 1 1
    mknod "$T/kmsg" c 1 11
    mknod "$T/null" c 1 3
    run "$CGDRV" run "$T/dev.json" /bin/sh -c "head -c1 $T/sda"
    [[ $output == *"Operation not permitted"* ]]
    run "$CGDRV" run "$T/dev.json" /bin/sh -c "head -c1 $T/mem"
    [[ $output == *"Operation not permitted"* ]]
    # mknod is allowed by the defaults, opening the new node is not.
    run "$CGDRV" run "$T/dev.json" /bin/sh -c "mknod $T/sdb b 8 16 && head -c1 $T/sdb"
    [[ $output == *"Operation not permitted"* ]]
    # Granted: /dev/null (default) and read-only kmsg (the config's rule).
    run "$CGDRV" run "$T/dev.json" /bin/sh -c "echo x > $T/null && echo null-ok"
    [[ $output == *"null-ok"*"exit=0"* ]]
    run "$CGDRV" run "$T/dev.json" /bin/sh -c "exec 3< $T/kmsg && echo kmsg-read-ok"
    [[ $output == *"kmsg-read-ok"* ]]
    run "$CGDRV" run "$T/dev.json" /bin/sh -c "echo x > $T/kmsg"
    [[ $output == *"Operation not permitted"* ]]
}

@test "cgroup v2 device BPF program (on this host's controller-less v2 mount)" {
    [ -f /sys/fs/cgroup/unified/cgroup.procs ] || skip "no cgroup2 mount at /sys/fs/cgroup/unified"
    d=/sys/fs/cgroup/unified/$CG_PREFIX
    mkdir "$d"
    printf '%s\n' '{"linux":{"resources":{"devices":[{"allow":false,"access":"rwm"},
        {"allow":true,"type":"c","major":1,"minor":11,"access":"r"}]}}}' >"$T/bpf.json"
    "$CGDRV" bpf-devices "$d" "$T/bpf.json"
    mknod "$T/sda" b 8 0
    mknod "$T/kmsg" c 1 11
    mknod "$T/null" c 1 3
    inside() { /bin/sh -c "echo \$\$ > $d/cgroup.procs && $1" 2>&1; }
    run inside "head -c1 $T/sda"
    [[ $output == *"Operation not permitted"* ]]
    run inside "echo x > $T/null && echo null-ok"
    [[ $output == *"null-ok"* ]]
    run inside "exec 3< $T/kmsg && echo kmsg-read-ok"
    [[ $output == *"kmsg-read-ok"* ]]
    run inside "echo x > $T/kmsg"
    [[ $output == *"Operation not permitted"* ]]
    # Replacing the program: the new rules apply, only one program stays.
    printf '%s\n' '{"linux":{"resources":{"devices":[{"allow":true,"type":"b","major":8,"minor":0,"access":"r"}]}}}' >"$T/bpf2.json"
    "$CGDRV" bpf-devices "$d" "$T/bpf2.json"
    run inside "head -c1 $T/sda >/dev/null; echo rc=\$?"
    [[ $output != *"Operation not permitted"* ]]
    rmdir "$d"
}

@test "cgroup v1: bad values are refused with the field named" {
    printf '%s\n' '{"linux":{"resources":{"cpu":{"quota":-5}}}}' >"$T/a.json"
    run "$CGDRV" parse "$T/a.json"
    [ "$status" -eq 125 ]
    [[ $output == *"linux.resources.cpu.quota"* ]]
    printf '%s\n' '{"linux":{"resources":{"cpu":{"period":0}}}}' >"$T/a.json"
    run "$CGDRV" parse "$T/a.json"
    [[ $output == *"linux.resources.cpu.period"* ]]
    ncpu=$(nproc --all)
    printf '{"linux":{"resources":{"cpu":{"cpus":"%s"}}}}\n' "$((ncpu + 4))" >"$T/a.json"
    run "$CGDRV" parse "$T/a.json"
    [[ $output == *"linux.resources.cpu.cpus"*"not present on this host"* ]]
    printf '%s\n' '{"linux":{"resources":{"unified":{"memory.high":"1000000"}}}}' >"$T/a.json"
    run "$CGDRV" parse "$T/a.json"
    [ "$status" -eq 125 ]
    [[ $output == *"linux.resources.unified"*"cgroup v1 host"* ]]
    printf '%s\n' '{"linux":{"resources":{"cpu":{"idle":1}}}}' >"$T/a.json"
    run "$CGDRV" parse "$T/a.json"
    [[ $output == *"linux.resources.cpu.idle"*"cgroup v1 host"* ]]
    # And nothing was created by a refused create.
    run "$CGDRV" create "/$CG_PREFIX/bad" bad "$T/a.json" "$T/bad.json"
    [ "$status" -eq 125 ]
    [ ! -e "$T/bad.json" ]
    run ls -d /sys/fs/cgroup/*/"$CG_PREFIX"
    [ "$status" -ne 0 ]
}

@test "cgroup v1: a value the kernel refuses names the file and leaves nothing behind" {
    printf '%s\n' '{"linux":{"resources":{"memory":{"limit":33554432,"swap":67108864}}}}' >"$T/s.json"
    run "$CGDRV" create "/$CG_PREFIX/sw" sw "$T/s.json" "$T/sw.json"
    if [ -f "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes" ]; then
        [ "$status" -eq 0 ]
        CG_STATES+=("$T/sw.json")
        [ "$(cat "/sys/fs/cgroup/memory/$CG_PREFIX/sw/memory.memsw.limit_in_bytes")" = 67108864 ]
    else
        [ "$status" -eq 125 ]
        [[ $output == *"memory.swap"* ]]
    fi
    # cpuset outside the parent's (CPU list valid on the host only via parse;
    # here the kernel refuses an empty node set for a new cpuset).
    printf '%s\n' '{"linux":{"resources":{"blockIO":{"leafWeight":100}}}}' >"$T/l.json"
    run "$CGDRV" create "/$CG_PREFIX/lw" lw "$T/l.json" "$T/lw.json"
    [ "$status" -eq 125 ]
    [[ $output == *"linux.resources.blockIO"* ]]
    [ ! -d "/sys/fs/cgroup/memory/$CG_PREFIX/lw" ]
    [ ! -d "/sys/fs/cgroup/blkio/$CG_PREFIX/lw" ]
}

@test "cgroup v1: an existing cgroup with processes is refused" {
    cg_create busy
    "$CGDRV" start "$T/busy.json" sleep 60 >/dev/null
    run "$CGDRV" create "/$CG_PREFIX/busy" busy2 - "$T/busy2.json"
    [ "$status" -eq 125 ]
    [[ $output == *"already exists and has processes"* ]]
}

@test "cgroup v1: stats have runc's events --stats shape" {
    cg_create s '{"memory":{"limit":67108864},"pids":{"limit":10}}'
    "$CGDRV" run "$T/s.json" "$CGWORK" hog 4 >/dev/null
    run "$CGDRV" stats "$T/s.json"
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.cpu.usage.total > 0 and (.cpu.usage.percpu | length) > 0'
    echo "$output" | jq -e '.cpu.throttling | has("periods") and has("throttled_time")'
    echo "$output" | jq -e '.memory.usage.max >= 4194304 and .memory.usage.limit == 67108864'
    echo "$output" | jq -e '.memory.raw | has("rss")'
    echo "$output" | jq -e '.pids.limit == 10 and .pids.current == 0'
    echo "$output" | jq -e '.blkio | has("ioServiceBytesRecursive")'
}

@test "cgroup v1: cpuset partition: exclusive CPUs and nodes, attach, destroy" {
    [ "$(nproc --all)" -ge 2 ] || skip "needs 2 CPUs"
    last=$(( $(nproc --all) - 1 ))
    # Only if no other top-level cpuset holds the CPU exclusively already.
    run "$CGDRV" part-create "/$CG_PREFIX" "$last" 0
    [ "$status" -eq 0 ] || skip "CPU $last not free for an exclusive cpuset: $output"
    [ "$(cat "/sys/fs/cgroup/cpuset/$CG_PREFIX/cpuset.cpu_exclusive")" = 1 ]
    [ "$(cat "/sys/fs/cgroup/cpuset/$CG_PREFIX/cpuset.mem_exclusive")" = 1 ]
    [ "$("$CGDRV" part-state "/$CG_PREFIX")" = "valid exclusive" ]
    # A second partition overlapping it is refused with the reason.
    run "$CGDRV" part-create "/$CG_PREFIX-2" "$last" 0
    [ "$status" -eq 125 ]
    [[ $output == *"not free"* ]]
    [ ! -d "/sys/fs/cgroup/cpuset/$CG_PREFIX-2" ]
    # isolated is v2 only.
    run "$CGDRV" part-create "/$CG_PREFIX-3" "$last" 0 isolated
    [[ $output == *"need cgroup v2"* ]]
    sleep 60 &
    pid=$!
    echo "$pid" >"/sys/fs/cgroup/cpuset/$CG_PREFIX/cgroup.procs"
    [ "$(awk '/Cpus_allowed_list/ {print $2}' /proc/$pid/status)" = "$last" ]
    "$CGDRV" part-destroy "/$CG_PREFIX"
    [ ! -d "/sys/fs/cgroup/cpuset/$CG_PREFIX" ]
    # destroy killed it
    wait "$pid" || true
    [ ! -d /proc/$pid ]
    "$CGDRV" part-destroy "/$CG_PREFIX"
}
