#!/usr/bin/env bats
# `septa run` security options: the runtime's allow-list seccomp profile by
# default, --security-opt seccomp=unconfined|FILE (OCI or docker format, with
# docker's conditional rules judged), --cap-add/--cap-drop, ping without
# NET_RAW (ping_group_range), and --user-ns=auto (a private user namespace
# whose root is a host range from an allocator, with the root filesystem
# shifted and volumes id-mapped).
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
    # docker's format: archMap, a conditional rule (not for these caps), a plain rule
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

@test "podman's own profile works as --security-opt seccomp=FILE (its archMap lists foreign arches)" {
    profile=/usr/share/containers/seccomp.json
    [ -r "$profile" ]
    # The profile maps mips, arm and others too: only the host's entry applies.
    [ "$(jq '.archMap | length' "$profile")" -gt 1 ]
    run septa run --rm --network none --security-opt "seccomp=$profile" busybox \
        sh -c 'grep Seccomp: /proc/self/status'
    echo "$output"
    [ "$status" -eq 0 ]   # 125 before: libseccomp refused the foreign arches
    [[ $output == *"Seccomp:"*2* ]]
}

@test "docker profiles' conditional rules apply against the container's final capabilities, arch and kernel" {
    kmaj=$(uname -r | cut -d. -f1)
    cat >"$BATS_TEST_TMPDIR/cond.json" <<J
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [
   {"names": ["mknod", "mknodat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "includes": {"caps": ["CAP_SYS_ADMIN"]}},
   {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
   {"names": ["link", "linkat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "includes": {"minKernel": "$kmaj.0", "arches": ["$ARCH", "s390x"]}},
   {"names": ["symlink", "symlinkat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "includes": {"minKernel": "$((kmaj + 1)).0"}},
   {"names": ["chmod", "fchmodat", "fchmodat2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "excludes": {"arches": ["$ARCH"]}},
   {"names": ["rename", "renameat", "renameat2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "includes": {"caps": ["CAP_SYS_ADMIN", "CAP_NET_ADMIN"]}}]}
J
    probe='cd /tmp; touch f; exec 2>/dev/null
           mkfifo p && echo mknod=ok || echo mknod=denied
           mkdir -p e; rmdir e && echo rmdir=ok || echo rmdir=denied
           ln f h && echo link=ok || echo link=denied
           ln -s f s && echo symlink=ok || echo symlink=denied
           chmod 600 f && echo chmod=ok || echo chmod=denied
           mv f g && echo rename=ok || echo rename=denied'
    sec="--security-opt seccomp=$BATS_TEST_TMPDIR/cond.json"
    # without CAP_SYS_ADMIN: the rule that needs it is not there, the one excluded by it is
    run septa run --rm --network none $sec busybox sh -c "$probe"
    echo "$output"
    [ "$(echo $output)" = "mknod=ok rmdir=denied link=denied symlink=ok chmod=ok rename=ok" ]
    # --cap-add SYS_ADMIN: the other way round (and rename still needs NET_ADMIN too)
    run septa run --rm --network none --cap-add SYS_ADMIN $sec busybox sh -c "$probe"
    echo "$output"
    [ "$(echo $output)" = "mknod=denied rmdir=ok link=denied symlink=ok chmod=ok rename=ok" ]
    run septa run --rm --network none --cap-add SYS_ADMIN --cap-add NET_ADMIN $sec busybox sh -c "$probe"
    [ "$(echo $output)" = "mknod=denied rmdir=ok link=denied symlink=ok chmod=ok rename=denied" ]
    # --cap-drop counts too: the final set decides (CHOWN is a default one)
    echo '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "includes": {"caps": ["CAP_CHOWN"]}}]}' \
        >"$BATS_TEST_TMPDIR/chown.json"
    run septa run --rm --network none --security-opt seccomp="$BATS_TEST_TMPDIR/chown.json" busybox mkdir /tmp/d
    [ "$status" -ne 0 ]
    run septa run --rm --network none --cap-drop CHOWN --security-opt seccomp="$BATS_TEST_TMPDIR/chown.json" busybox mkdir /tmp/d
    [ "$status" -eq 0 ]
    # a condition septa does not know is refused, not ignored
    echo '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "includes": {"osVersion": "1"}}]}' \
        >"$BATS_TEST_TMPDIR/unknowncond.json"
    run septa run --rm --network none --security-opt seccomp="$BATS_TEST_TMPDIR/unknowncond.json" busybox true
    assert_one_line_error "syscalls[0].includes.osVersion: unknown condition"
    echo '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "includes": {"minKernel": "new"}}]}' \
        >"$BATS_TEST_TMPDIR/badkernel.json"
    run septa run --rm --network none --security-opt seccomp="$BATS_TEST_TMPDIR/badkernel.json" busybox true
    assert_one_line_error "minKernel"
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

@test "ping without NET_RAW: net.ipv4.ping_group_range is \"0 0\" in the container's own netns, as podman" {
    cc -static -O1 "$BATS_TEST_DIRNAME/run-security-ping.c" -o "$BATS_TEST_TMPDIR/icmpping"
    v="-v $BATS_TEST_TMPDIR/icmpping:/icmpping:ro"
    run septa run --rm --network none $v busybox sh -c \
        'cat /proc/sys/net/ipv4/ping_group_range; grep ^CapEff: /proc/self/status; /icmpping 127.0.0.1'
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(echo ${lines[0]})" = "0 0" ]
    # no CAP_NET_RAW (bit 13) among the default capabilities
    [ $(( 0x$(echo ${lines[1]} | cut -d' ' -f2) & (1 << 13) )) -eq 0 ]
    [ "${lines[2]}" = "reply from 127.0.0.1" ]
    # the range is what allows it: group 1000 is outside "0 0"
    run septa run --rm --network none -u 1000:1000 $v busybox /icmpping 127.0.0.1
    [ "$status" -eq 2 ]
    [ "$output" = "socket: Permission denied" ]
    # busybox's own ping (1.35 in the built-in image) wants a raw socket: NET_RAW
    run septa run --rm --network none busybox ping -c1 -W1 127.0.0.1
    [ "$status" -ne 0 ]
    run septa run --rm --network none --cap-add NET_RAW busybox ping -c1 -W1 127.0.0.1
    [ "$status" -eq 0 ]
    # --network host: the host's sysctl is not touched
    before=$(cat /proc/sys/net/ipv4/ping_group_range)
    run septa run --rm --network host busybox cat /proc/sys/net/ipv4/ping_group_range
    [ "$output" = "$before" ]
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

@test "--user-ns=auto: live containers get disjoint ranges from the subuid pool; rm gives one back" {
    # a pool of two ranges (the smaller of the uid and gid pools decides)
    printf 'alice:100000:65536\ncontainers:200000:196608\n' > "$BATS_TEST_TMPDIR/subuid"
    printf 'containers:300000:131072\n' > "$BATS_TEST_TMPDIR/subgid"
    export SEPTA_SUBUID=$BATS_TEST_TMPDIR/subuid SEPTA_SUBGID=$BATS_TEST_TMPDIR/subgid
    septa run -d --name a --user-ns=auto --network none busybox sleep 300 >/dev/null
    septa run -d --name b --user-ns=auto --network none busybox sleep 300 >/dev/null
    [ "$(septa exec a cat /proc/self/uid_map | xargs)" = "0 200000 65536" ]
    [ "$(septa exec a cat /proc/self/gid_map | xargs)" = "0 300000 65536" ]
    [ "$(septa exec b cat /proc/self/uid_map | xargs)" = "0 265536 65536" ]
    [ "$(septa exec b cat /proc/self/gid_map | xargs)" = "0 365536 65536" ]
    # the root fs of each belongs to its own range
    [ "$(septa exec b stat -c %u:%g /bin/busybox)" = 0:0 ]
    ida=$(septa inspect a | jq -r '.[0].Id // .[0].id')
    idb=$(septa inspect b | jq -r '.[0].Id // .[0].id')
    [ "$(stat -c %u:%g "$SEPTA_DATA_ROOT/storage/containers/$idb/merged/bin/busybox")" = 265536:365536 ]
    [ "$(jq -r --arg a "$ida" '.ranges[$a].uid' "$SEPTA_DATA_ROOT/userns.json")" = 200000 ]
    # the pool is full: a third is refused in one line, and nothing of it stays
    run septa run --rm --name c --user-ns=auto --network none busybox true
    assert_one_line_error "belong to live containers"
    [ "$(septa ps -a -q | wc -l)" -eq 2 ]
    # rm frees a's range; the next container gets it
    septa rm -f a >/dev/null
    [ "$(jq -r '.ranges | keys | join(" ")' "$SEPTA_DATA_ROOT/userns.json")" = "$idb" ]
    run septa run --rm --user-ns=auto --network none busybox cat /proc/self/uid_map
    [ "$status" -eq 0 ]
    [ "$(echo $output)" = "0 200000 65536" ]
    septa rm -f b >/dev/null
    [ "$(jq -r '.ranges | length' "$SEPTA_DATA_ROOT/userns.json")" -eq 0 ]
    # a malformed pool entry is a one-line error naming the file and line
    printf 'containers:x:65536\n' > "$BATS_TEST_TMPDIR/subuid"
    run septa run --rm --user-ns=auto --network none busybox true
    assert_one_line_error "$BATS_TEST_TMPDIR/subuid: line 1"
}

@test "--user-ns=auto without a containers entry uses the default pool from 2^30" {
    printf 'alice:100000:65536\n' > "$BATS_TEST_TMPDIR/subuid"
    export SEPTA_SUBUID=$BATS_TEST_TMPDIR/subuid SEPTA_SUBGID=$BATS_TEST_TMPDIR/nosuchfile
    run septa run --rm --user-ns=auto --network none busybox sh -c 'cat /proc/self/uid_map /proc/self/gid_map'
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "$(echo ${lines[0]})" = "0 1073741824 65536" ]
    [ "$(echo ${lines[1]})" = "0 1073741824 65536" ]
}

@test "--user-ns=auto: volumes are id-mapped mounts, so the mapped root owns host root's files" {
    "$SEPTA" oci features | jq -e '.linux.mountExtensions.idmap.enabled' >/dev/null
    # Under bats' 0700 directories, which the mapped root cannot traverse:
    # the id-mapped tree is opened by septa on the host.
    vol=$BATS_TEST_TMPDIR/vol
    mkdir "$vol"
    echo host > "$vol/f"
    chown 1234:1234 "$vol/f"; touch "$vol/g"
    run septa run --name v --user-ns=auto --network none -v "$vol:/vol" busybox sh -c \
        'stat -c %u:%g /vol /vol/f /vol/g; echo c > /vol/new && stat -c %u:%g /vol/new'
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(echo $output)" = "0:0 1234:1234 0:0 0:0" ]
    # written through the mapping: on the host it is host root's
    [ "$(stat -c %u:%g "$vol/new")" = 0:0 ]
    cfg=$(echo "$SEPTA_DATA_ROOT"/storage/containers/*/config.json)
    jq -e '.mounts[] | select(.destination == "/vol") | select(.options | index("idmap")) |
        select(.uidMappings[0].hostID == ($c.linux.uidMappings[0].hostID))' --argjson c "$(cat "$cfg")" "$cfg" >/dev/null
    # the bundle's own files (hosts, resolv.conf) are not id-mapped
    [ "$(jq '[.mounts[] | select(.uidMappings) ] | length' "$cfg")" -eq 1 ]
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
