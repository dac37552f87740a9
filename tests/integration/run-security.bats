#!/usr/bin/env bats
# `septa run` security options: the runtime's allow-list seccomp profile by
# default, --security-opt seccomp=unconfined|FILE (OCI or docker format),
# --cap-add/--cap-drop, and --user-ns=auto (a private user namespace whose
# root is an unprivileged host range, with the root filesystem shifted).
load image-helpers
bats_require_minimum_version 1.5.0

setup() {
    common_setup
    "$SEPTA" run --help 2>/dev/null | grep -q -- --user-ns || skip "septa run has no --user-ns in $SEPTA"
}

teardown() {
    local c m
    for c in $("$SEPTA" ps -a -q 2>/dev/null); do "$SEPTA" rm -f "$c" >/dev/null 2>&1 || true; done
    for m in $(findmnt -rn -o TARGET | grep -F "$BATS_TEST_TMPDIR" | sort -r); do
        umount -l "$m" || true
    done
}

@test "the default profile filters (Seccomp: 2) and denies mount even with CAP_SYS_ADMIN" {
    run septa run --rm --network none busybox grep '^Seccomp:' /proc/self/status
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf 'Seccomp:\t2')" ]
    run septa run --rm --network none --cap-add SYS_ADMIN busybox mount -t tmpfs none /tmp
    [ "$status" -ne 0 ]
    [[ $output == *"Operation not permitted"* || $output == *"permission denied"* ]]
    # unconfined: the same calls with the same capabilities work, no filter
    run septa run --rm --network none --cap-add SYS_ADMIN --security-opt seccomp=unconfined \
        busybox sh -c 'grep "^Seccomp:" /proc/self/status; mount -t tmpfs none /tmp && echo mounted'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "$(printf 'Seccomp:\t0')" ]
    [ "${lines[1]}" = mounted ]
    # the allow-list, not images/'s deny-list, is in the config
    run septa run --name cfg --network none busybox true
    cfg=$(echo "$SEPTA_DATA_ROOT"/storage/containers/*/config.json)
    [ "$(jq -r .linux.seccomp.defaultAction "$cfg")" = SCMP_ACT_ERRNO ]
    jq -e '[.linux.seccomp.syscalls[] | select(.action == "SCMP_ACT_ALLOW") | .names[]] | index("openat")' "$cfg" >/dev/null
}

@test "--security-opt seccomp=FILE applies an OCI or a docker-format profile" {
    cat >"$BATS_TEST_TMPDIR/oci.json" <<'J'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
J
    run septa run --rm --network none --security-opt "seccomp=$BATS_TEST_TMPDIR/oci.json" \
        busybox sh -c 'touch /tmp/f && echo touched; mkdir /tmp/d'
    echo "$output"
    [ "$status" -ne 0 ]
    [ "${lines[0]}" = touched ]
    [[ $output == *"Operation not permitted"* ]]
    # docker's format: archMap, conditional rules (skipped), a plain rule
    cat >"$BATS_TEST_TMPDIR/docker.json" <<'J'
{"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1,
 "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
 "syscalls": [
   {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "comment": "no rmdir", "includes": {}, "excludes": {}},
   {"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}
J
    run septa run --rm --network none --security-opt "seccomp=$BATS_TEST_TMPDIR/docker.json" \
        busybox sh -c 'mkdir /tmp/d && echo made; rmdir /tmp/d'
    echo "$output"
    [ "$status" -ne 0 ]
    [ "${lines[0]}" = made ]
    [[ $output == *"Operation not permitted"* ]]
}

@test "bad security options fail with one line and leave nothing" {
    run septa run --rm --security-opt seccomp="$BATS_TEST_TMPDIR/none.json" busybox true
    assert_one_line_error "none.json"
    echo '{"syscalls": []}' >"$BATS_TEST_TMPDIR/bad.json"
    run septa run --rm --security-opt seccomp="$BATS_TEST_TMPDIR/bad.json" busybox true
    assert_one_line_error "defaultAction"
    echo '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["nosuchcall"], "action": "SCMP_ACT_ERRNO"}]}' \
        >"$BATS_TEST_TMPDIR/unknown.json"
    run septa run --rm --network none --security-opt seccomp="$BATS_TEST_TMPDIR/unknown.json" busybox true
    assert_one_line_error "nosuchcall"
    run septa run --rm --security-opt apparmor=x busybox true
    assert_one_line_error "--security-opt"
    run septa run --rm --user-ns keep-id busybox true
    assert_one_line_error "--user-ns"
    run septa run --rm --user-ns=auto --read-only busybox true
    assert_one_line_error "--read-only"
    run septa run --rm --cap-add NOSUCH busybox true
    assert_one_line_error "NOSUCH"
    [ -z "$(ls -A "$SEPTA_DATA_ROOT/storage/containers" 2>/dev/null)" ]
    ! findmnt -rn -o TARGET | grep -qF "$SEPTA_DATA_ROOT"
}

@test "--cap-add and --cap-drop change the bounding and effective sets" {
    run septa run --rm --network none --cap-drop ALL busybox grep -E '^Cap(Eff|Bnd):' /proc/self/status
    [ "${lines[0]}" = "$(printf 'CapEff:\t0000000000000000')" ]
    [ "${lines[1]}" = "$(printf 'CapBnd:\t0000000000000000')" ]
    run septa run --rm --network none --cap-drop CHOWN busybox chown nobody /tmp
    [ "$status" -ne 0 ]
    run septa run --rm --network none busybox chown nobody /tmp
    [ "$status" -eq 0 ]
    run septa run --rm --network none --cap-drop ALL --cap-add SYS_NICE busybox grep '^CapEff:' /proc/self/status
    [ "$output" = "$(printf 'CapEff:\t%016x' $((1 << 23)))" ]
}

@test "--user-ns=auto maps container root to an unprivileged host range; the root fs belongs to it" {
    run septa run --name u --user-ns=auto --network none busybox sh -c \
        'cat /proc/self/uid_map /proc/self/gid_map; id -u; stat -c %u:%g /bin/busybox /etc/passwd; echo x >/tmp/w && cat /tmp/w; touch /etc/newfile && echo wrote-etc'
    echo "$output"
    [ "$status" -eq 0 ]
    read -r c0 h0 n0 <<<"${lines[0]}"
    [ "$c0" -eq 0 ] && [ "$h0" -ge 65536 ] && [ "$n0" -eq 65536 ]
    [ "$(echo ${lines[1]})" = "$(echo ${lines[0]})" ]
    [ "${lines[2]}" = 0 ]
    [ "${lines[3]}" = 0:0 ]
    [ "${lines[4]}" = 0:0 ]
    [ "${lines[5]}" = x ]
    [ "${lines[6]}" = wrote-etc ]
    # in the config, and on the host the files belong to the range
    cfg=$(echo "$SEPTA_DATA_ROOT"/storage/containers/*/config.json)
    [ "$(jq -r '.linux.uidMappings[0].hostID' "$cfg")" = "$h0" ]
    jq -e '.linux.namespaces[] | select(.type == "user")' "$cfg" >/dev/null
    # seen through the store (the traversable bind under /run went with the container)
    [ "$(jq -r .root.path "$cfg")" = "/run/septa-userns/$(basename "$(dirname "$cfg")")/merged" ]
    [ ! -e "/run/septa-userns/$(basename "$(dirname "$cfg")")" ]
    [ ! -e /run/septa-userns ] || [ -n "$(ls -A /run/septa-userns)" ]  # no empty dir left
    [ "$(stat -c %u "$(dirname "$cfg")/merged/bin/busybox")" = "$h0" ]
    # the image's layers themselves are untouched
    run septa run --rm --network none busybox stat -c %u /bin/busybox
    [ "$output" = 0 ]
    # --user-ns=host is the default: no user namespace
    run septa run --rm --network none --user-ns=host busybox cat /proc/self/uid_map
    [ "$(echo $output)" = "0 0 4294967295" ]
}

@test "--user-ns=auto with a network switch" {
    P="rs$(printf %04d $((RANDOM % 10000)))"
    septa network create "$P" --subnet 10.231.77.0/24 >/dev/null
    run septa run --rm --user-ns=auto --network "$P" busybox sh -c 'ip -4 -o addr show eth0; cat /proc/self/uid_map'
    echo "$output"
    "$SEPTA" network rm -f "$P" >/dev/null
    [ "$status" -eq 0 ]
    [[ ${lines[0]} == *"10.231.77."* ]]
}
