#!/usr/bin/env bats
# `septa run --partition NAME`, and an OCI bundle annotated
# org.septa.partition=NAME run by `septa oci create/run` (what podman
# --annotation and containerd pass through): a container inside a --shared
# partition's CPUs and memory nodes; exclusive partitions are refused with a
# clear message.  This host has one node and two CPUs: the partition takes CPU 1.
load image-helpers
load oci-helpers
bats_require_minimum_version 1.5.0

setup_file() { oci_setup_file; }

setup() {
    common_setup
    "$SEPTA" run --help 2>/dev/null | grep -q -- --partition || skip "septa run has no --partition in $SEPTA"
    # Names are global in cgroupfs (septa.partition.NAME): unique per run.
    P=rp$$n$BATS_TEST_NUMBER
}

teardown() {
    local c f m
    for c in $("$SEPTA" ps -a -q 2>/dev/null); do "$SEPTA" rm -f "$c" >/dev/null 2>&1 || true; done
    [ -z "${CID:-}" ] || oci_teardown
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

# The bundle of oci_setup, printing its cpuset to /out/status, annotated with $1.
annotated_bundle() {
    oci_setup
    cfg_sh 'grep -E "^(Cpus|Mems)_allowed_list" /proc/self/status > /out/status'
    A=$1 cfg '.annotations["org.septa.partition"] = $ENV.A'
}

status_is() { # cpus mems
    [ "$(sed -n 1p "$BATS_TEST_TMPDIR/out/status")" = "$(printf 'Cpus_allowed_list:\t%s' "$1")" ] &&
        [ "$(sed -n 2p "$BATS_TEST_TMPDIR/out/status")" = "$(printf 'Mems_allowed_list:\t%s' "$2")" ] ||
        { echo "status: $(cat "$BATS_TEST_TMPDIR/out/status")"; return 1; }
}

@test "OCI path: a bundle annotated org.septa.partition runs on the shared partition's CPUs" {
    [ "$(nproc --all)" -ge 2 ] || skip "needs CPU 1"
    [ "$(cat /sys/fs/cgroup/cpuset/cpuset.cpus 2>/dev/null)" = 0-1 ] || skip "needs cpuset 0-1"
    septa partition create "$P" --shared --cpus 1 --memory 64M >/dev/null
    annotated_bundle "$P"
    before=$(sha256sum < "$BUNDLE/config.json")
    run septa oci run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    status_is 1 0

    # create + start: the cgroup and the config as created carry the cpuset.
    rm "$BATS_TEST_TMPDIR/out/status"
    oci_detached create --bundle "$BUNDLE" "$CID" || { cat "$BATS_TEST_TMPDIR/ctr.log"; false; }
    [ "$(jq -r .linux.resources.cpu.cpus "$SEPTA_ROOT/$CID/config.json")" = 1 ]
    [ "$(jq -r .linux.resources.cpu.mems "$SEPTA_ROOT/$CID/config.json")" = 0 ]
    [ "$(septa oci state "$CID" | jq -r '.annotations["org.septa.partition"]')" = "$P" ]
    [ "$(cat "/sys/fs/cgroup/cpuset/septa/$CID/cpuset.cpus")" = 1 ]
    septa oci start "$CID"
    for _ in $(seq 100); do [ "$(oci_status "$CID")" = stopped ] && break; sleep 0.05; done
    status_is 1 0
    septa oci delete "$CID"
    # The engine's bundle is never rewritten.
    [ "$(sha256sum < "$BUNDLE/config.json")" = "$before" ]

    # The binary engines are pointed at does the same.
    rt=$(dirname "$SEPTA")/septa-runtime
    if [ -x "$rt" ]; then
        rm "$BATS_TEST_TMPDIR/out/status"
        run "$rt" run --bundle "$BUNDLE" "$CID"
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        status_is 1 0
    fi

    # Without the annotation the same bundle may use both CPUs: the effect is the annotation's.
    cfg 'del(.annotations["org.septa.partition"])'
    run septa oci run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ]
    status_is 0-1 0
    assert_no_trace
}

@test "OCI path: a cpuset inside the partition is kept, one outside it refused" {
    [ "$(nproc --all)" -ge 2 ] || skip "needs CPU 1"
    septa partition create "$P" --shared --cpus 1 --memory 64M >/dev/null
    annotated_bundle "$P"
    cfg '.linux.resources.cpu.cpus = "0-1"'
    run septa oci run --bundle "$BUNDLE" "$CID"
    assert_one_line_error "annotation org.septa.partition=$P: cpus '0-1' names CPU 0, which is outside the partition"
    assert_no_trace
    cfg '.linux.resources.cpu.cpus = "1"'
    oci_detached create --bundle "$BUNDLE" "$CID" || { cat "$BATS_TEST_TMPDIR/ctr.log"; false; }
    [ "$(jq -r .linux.resources.cpu.cpus "$SEPTA_ROOT/$CID/config.json")" = 1 ]
    [ "$(jq -r .linux.resources.cpu.mems "$SEPTA_ROOT/$CID/config.json")" = 0 ]
    septa oci delete --force "$CID"
}

@test "OCI path: unknown, exclusive or mistyped partition: one line, exit 125, nothing left" {
    [ "$(nproc --all)" -ge 2 ] || skip "needs CPU 1"
    annotated_bundle "nosuch$P"
    run septa oci run --bundle "$BUNDLE" "$CID"
    assert_one_line_error "annotation org.septa.partition=nosuch$P: no partition named 'nosuch$P'"
    assert_no_trace
    run septa oci create --bundle "$BUNDLE" "$CID"
    assert_one_line_error "no partition named 'nosuch$P'"
    assert_no_trace

    septa partition create "$P" --cpus 1 --memory 64M >/dev/null
    A=$P cfg '.annotations["org.septa.partition"] = $ENV.A'
    run septa oci create --bundle "$BUNDLE" "$CID"
    assert_one_line_error "annotation org.septa.partition=$P: the partition is exclusive"
    assert_no_trace

    cfg '.annotations["org.septa.partition"] = 7'
    run septa oci run --bundle "$BUNDLE" "$CID"
    assert_one_line_error "expected a string"
    [[ $output == *"config.json:"*"org.septa.partition"* ]]
    cfg '.annotations["org.septa.partition"] = "../x"'
    run septa oci run --bundle "$BUNDLE" "$CID"
    assert_one_line_error "annotation org.septa.partition=../x"
    assert_no_trace
}
