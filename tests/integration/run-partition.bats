#!/usr/bin/env bats
# `septa run --partition NAME`: a container inside a --shared partition's CPUs
# and memory nodes; exclusive partitions are refused with a clear message.
# This host has one node and two CPUs: the partition takes CPU 1.
load image-helpers
bats_require_minimum_version 1.5.0

setup() {
    common_setup
    "$SEPTA" run --help 2>/dev/null | grep -q -- --partition || skip "septa run has no --partition in $SEPTA"
    # Names are global in cgroupfs (septa.partition.NAME): unique per run.
    P=rp$$n$BATS_TEST_NUMBER
}

teardown() {
    local c f m
    for c in $("$SEPTA" ps -a -q 2>/dev/null); do "$SEPTA" rm -f "$c" >/dev/null 2>&1 || true; done
    for f in "$SEPTA_DATA_ROOT"/partitions/*.json; do
        [ -f "$f" ] || continue
        case $f in */reserve.json) continue ;; esac
        "$SEPTA" partition rm -f "$(basename "$f" .json)" >/dev/null 2>&1 || true
    done
    for cg in /sys/fs/cgroup/cpuset/septa.partition.$P* /sys/fs/cgroup/septa.partition.$P*; do
        [ -d "$cg" ] && rmdir "$cg" 2>/dev/null || true
    done
    for m in $(findmnt -rn -o TARGET | grep -F "$BATS_TEST_TMPDIR" | sort -r); do
        umount -l "$m" || true
    done
}

@test "a container in a shared partition runs on its CPUs and memory nodes only" {
    [ "$(nproc --all)" -ge 2 ] || skip "needs CPU 1"
    run septa partition create "$P" --shared --cpus 1 --memory 64M
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    run septa run --rm --network none --partition "$P" busybox sh -c \
        'grep -E "^(Cpus|Mems)_allowed_list" /proc/self/status'
    echo "$output"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "$(printf 'Cpus_allowed_list:\t1')" ]
    [ "${lines[1]}" = "$(printf 'Mems_allowed_list:\t0')" ]
    # without --partition the same container may use both CPUs
    run septa run --rm --network none busybox grep Cpus_allowed_list /proc/self/status
    [ "$output" = "$(printf 'Cpus_allowed_list:\t0-1')" ]
}

@test "the partition is recorded in the container's config as org.septa.partition" {
    [ "$(nproc --all)" -ge 2 ] || skip "needs CPU 1"
    septa partition create "$P" --shared --cpus 1 --memory 64M >/dev/null
    run septa run --name inpart --network none --partition "$P" busybox true
    [ "$status" -eq 0 ]
    cfg=$(echo "$SEPTA_DATA_ROOT"/storage/containers/*/config.json)
    [ "$(jq -r '.annotations["org.septa.partition"]' "$cfg")" = "$P" ]
    [ "$(jq -r '.linux.resources.cpu.cpus' "$cfg")" = 1 ]
    [ "$(jq -r '.linux.resources.cpu.mems' "$cfg")" = 0 ]
}

@test "an exclusive or missing partition is refused with one line, leaving nothing" {
    [ "$(nproc --all)" -ge 2 ] || skip "needs CPU 1"
    run septa partition create "$P" --cpus 1 --memory 64M
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    run septa run --rm --network none --partition "$P" busybox true
    assert_one_line_error "--partition $P: the partition is exclusive"
    run septa run --rm --network none --partition nosuch$P busybox true
    assert_one_line_error "nosuch$P"
    run septa run --rm --network none --partition ../x busybox true
    assert_one_line_error "--partition"
    septa partition rm "$P" >/dev/null   # CPU 1 is the only one to carve
    run septa partition create "s$P" --shared --cpus 1 --memory 64M
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    run septa run --rm --network none --partition "s$P" --cpuset-cpus 0 busybox true
    assert_one_line_error "--cpuset-cpus"
    [ -z "$(ls -A "$SEPTA_DATA_ROOT/storage/containers" 2>/dev/null)" ]
    ! findmnt -rn -o TARGET | grep -qF "$SEPTA_DATA_ROOT"
}
