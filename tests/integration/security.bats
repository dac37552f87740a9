#!/usr/bin/env bats
# Process security seen from inside a container: capabilities, the uid/gid
# switch, no_new_privs, seccomp, rlimits, oom_score_adj, personality, and the
# hooks (order, where they run, the state on stdin, failures and timeouts).
load oci-helpers

setup_file() { oci_setup_file; }
setup() { oci_setup; }
teardown() {
    # Containers of the people CLI (septa run), under this test's data root.
    local c
    for c in $("$SEPTA" ps -a --format json 2>/dev/null | jq -r '.[].id'); do
        "$SEPTA" rm -f "$c" >/dev/null 2>&1 || true
    done
    oci_teardown
}

# A /proc/self/status field as the container's process saw it (written to /out).
status_field() { # field
    grep "^$1:" "$BATS_TEST_TMPDIR/out/status" | cut -f2-
}

run_status_probe() {
    cfg_sh 'cat /proc/self/status > /out/status'
    run septa oci run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

@test "capabilities: the bounding and effective sets are exactly the configured ones" {
    cfg '.process.capabilities = {
        "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "effective": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "inheritable": [], "ambient": []}'
    run_status_probe
    # CAP_CHOWN = bit 0, CAP_KILL = bit 5, CAP_NET_BIND_SERVICE = bit 10
    [ "$(status_field CapBnd)" = 0000000000000421 ]
    [ "$(status_field CapEff)" = 0000000000000421 ]
    [ "$(status_field CapPrm)" = 0000000000000421 ]
    assert_no_trace
}

@test "capabilities: a non-root user keeps only its ambient capabilities across exec" {
    cfg '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10, 20]}
         | .process.capabilities = {
        "bounding": ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
        "effective": ["CAP_NET_BIND_SERVICE"], "permitted": ["CAP_NET_BIND_SERVICE"],
        "inheritable": ["CAP_NET_BIND_SERVICE"], "ambient": ["CAP_NET_BIND_SERVICE"]}'
    # /out is the test's host directory: let uid 1000 write there.
    chmod 777 "$BATS_TEST_TMPDIR/out"
    run_status_probe
    [ "$(status_field Uid)" = "1000	1000	1000	1000" ]
    [ "$(status_field Gid)" = "1000	1000	1000	1000" ]
    [ "$(status_field Groups)" = "10 20 " ] || [ "$(status_field Groups)" = "10 20" ]
    [ "$(status_field CapAmb)" = 0000000000000400 ]
    [ "$(status_field CapEff)" = 0000000000000400 ]
    [ "$(status_field CapBnd)" = 0000000000000420 ]
}

@test "noNewPrivileges and oomScoreAdj are in effect" {
    cfg '.process.noNewPrivileges = true | .process.oomScoreAdj = 500'
    cfg_sh 'cat /proc/self/status > /out/status; cat /proc/self/oom_score_adj > /out/oom'
    run septa oci run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    [ "$(status_field NoNewPrivs)" = 1 ]
    [ "$(cat "$BATS_TEST_TMPDIR/out/oom")" = 500 ]
}

@test "seccomp: the filter is on and a denied call returns its errnoRet" {
    cfg '.process.noNewPrivileges = false | .linux.seccomp = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}'
    cfg_sh 'cat /proc/self/status > /out/status; mkdir /tmp/denied 2> /out/mkdir; echo $? > /out/rc'
    run septa oci run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    [ "$(status_field Seccomp)" = 2 ]
    [ "$(cat "$BATS_TEST_TMPDIR/out/rc")" -ne 0 ]
    grep -q "Permission denied" "$BATS_TEST_TMPDIR/out/mkdir"
    assert_no_trace
}

@test "seccomp: septa's default profile runs a shell and denies mount even with CAP_SYS_ADMIN" {
    cfg '.process.capabilities = {"bounding": ["CAP_SYS_ADMIN"], "effective": ["CAP_SYS_ADMIN"],
                                  "permitted": ["CAP_SYS_ADMIN"]}'
    cfg_sh 'mount -t tmpfs none /tmp 2> /out/mount; echo $? > /out/rc; echo ok > /out/ran'
    # Control: without the filter the mount succeeds (in the container's mount namespace).
    run septa oci run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    [ "$(cat "$BATS_TEST_TMPDIR/out/rc")" -eq 0 ]

    profile=$("$SEPTA_BUILD"/tests/unit/test-runtime-seccomp --print-default)
    PROFILE=$profile cfg '.linux.seccomp = ($ENV.PROFILE | fromjson)'
    rm -f "$BATS_TEST_TMPDIR"/out/*
    run septa oci run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    [ "$(cat "$BATS_TEST_TMPDIR/out/ran")" = ok ]
    [ "$(cat "$BATS_TEST_TMPDIR/out/rc")" -ne 0 ]
    grep -q "permission denied" "$BATS_TEST_TMPDIR/out/mount"
    assert_no_trace
}

# podman hands runtimes its containers-common profile with the per-arch and
# per-capability rules resolved; names x86 never had (recv, timerfd) remain.
@test "seccomp: podman's default profile (containers-common) is accepted and enforced" {
    profile=$(jq -c '.syscalls |= map(select(((.includes.arches // []) | length == 0 or index("amd64"))
                                             and ((.includes.caps // []) | length == 0))
                                      | del(.includes, .excludes, .comment))
                    | del(.archMap) | .architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
                    | .syscalls |= map(.names -= ["mkdir", "mkdirat"])
                    | .syscalls += [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]' \
                 /usr/share/containers/seccomp.json)
    PROFILE=$profile cfg '.linux.seccomp = ($ENV.PROFILE | fromjson)'
    cfg_sh 'cat /proc/self/status > /out/status; mkdir /tmp/d 2> /out/mkdir; echo $? > /out/rc'
    run septa oci run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    [ "$(status_field Seccomp)" = 2 ]
    # The rule added to podman's list is enforced along with the rest.
    [ "$(cat "$BATS_TEST_TMPDIR/out/rc")" -ne 0 ]
    grep -q "Permission denied" "$BATS_TEST_TMPDIR/out/mkdir"
    assert_no_trace
}

@test "rlimits are set; one above the hard limit is refused clearly" {
    cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}]'
    cfg_sh 'ulimit -n > /out/soft; ulimit -Hn > /out/hard'
    run septa oci run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    [ "$(cat "$BATS_TEST_TMPDIR/out/soft")" = 100 ]
    [ "$(cat "$BATS_TEST_TMPDIR/out/hard")" = 200 ]

    hard=$(ulimit -Hn)
    want=$((hard + 1000))
    WANT=$want cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": ($ENV.WANT | tonumber), "hard": ($ENV.WANT | tonumber)}]'
    cfg_sh 'true'
    run septa oci run --bundle "$BUNDLE" "$CID"
    assert_one_line_error "setting RLIMIT_NOFILE to $want/$want: Operation not permitted (the hard limit is $hard)"
    assert_no_trace
}

@test "personality LINUX32 makes uname report a 32-bit machine" {
    cfg '.linux.personality = {"domain": "LINUX32"}'
    cfg_sh 'uname -m > /out/machine'
    run septa oci run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    [[ $(cat "$BATS_TEST_TMPDIR/out/machine") == i?86 ]]
}

@test "bad security settings are refused with the field named and nothing left" {
    cfg '.process.capabilities.bounding = ["CAP_CHOWN", "CAP_FOO"]'
    run septa oci run --bundle "$BUNDLE" "$CID"
    assert_one_line_error "process.capabilities.bounding[1]: unknown capability 'CAP_FOO'"
    assert_no_trace

    cfg 'del(.process.capabilities) | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["no_such_syscall"], "action": "SCMP_ACT_ERRNO"}]}'
    run septa oci run --bundle "$BUNDLE" "$CID"
    assert_one_line_error "linux.seccomp.syscalls[0].names[0]: unknown system call 'no_such_syscall'"
    assert_no_trace

    cfg 'del(.linux.seccomp) | .process.rlimits = [{"type": "RLIMIT_BANANAS", "soft": 1, "hard": 1}]'
    run septa oci run --bundle "$BUNDLE" "$CID"
    assert_one_line_error "process.rlimits[0].type: unknown rlimit 'RLIMIT_BANANAS'"
    assert_no_trace

    cfg 'del(.process.rlimits) | .hooks = {"poststart": [{"path": "relative/hook"}]}'
    run septa oci run --bundle "$BUNDLE" "$CID"
    assert_one_line_error "hooks.poststart[0].path: must be an absolute path"
    assert_no_trace
}

# Every hook saves its stdin as <kind>.json and appends its kind to "order"
# (one short O_APPEND write each, so concurrent hooks do not interleave); the
# container-side hooks reach the test's directory through /out.
@test "hooks run in order, each with the state on stdin" {
    out=$BATS_TEST_TMPDIR/out
    hook() { # kind dir
        printf '{"path": "/bin/sh", "args": ["sh", "-c", "cat > %s/%s.json; echo %s >> %s/order"]}' \
            "$2" "$1" "$1" "$2"
    }
    H_PRE=$(hook prestart "$out") H_CR=$(hook createRuntime "$out") \
    H_CC=$(hook createContainer "$out") H_SC=$(hook startContainer /out) \
    H_PS=$(hook poststart "$out") H_PST=$(hook poststop "$out") \
    cfg '.hooks = {
        "prestart": [($ENV.H_PRE | fromjson)],
        "createRuntime": [($ENV.H_CR | fromjson)],
        "createContainer": [($ENV.H_CC | fromjson)],
        "startContainer": [($ENV.H_SC | fromjson)],
        "poststart": [($ENV.H_PS | fromjson)],
        "poststop": [($ENV.H_PST | fromjson)]}'
    cfg_sh 'echo workload >> /out/order'
    run septa oci run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    cat "$out/order"
    # startContainer runs in the init after `start` released it, poststart in
    # septa once released (as runc): those two, and the workload, may race.
    order=$(grep -v -e workload -e startContainer -e poststart "$out/order" | tr '\n' ' ')
    [ "$order" = "prestart createRuntime createContainer poststop " ]
    [ "$(sed -n 4p "$out/order")" != poststop ] # the three racing ones came before it
    for k in startContainer poststart workload; do grep -qx "$k" "$out/order"; done
    [ "$(tail -n1 "$out/order")" = poststop ]
    grep -n startContainer "$out/order" | grep -q '^4:\|^5:\|^6:'
    for k in prestart createRuntime createContainer startContainer poststart poststop; do
        [ "$(jq -r .id "$out/$k.json")" = "$CID" ] || { echo "$k: $(cat "$out/$k.json")"; return 1; }
        [ "$(jq -r .bundle "$out/$k.json")" = "$BUNDLE" ]
        [ "$(jq -r .ociVersion "$out/$k.json")" = 1.2.0 ]
    done
    [ "$(jq -r .status "$out/createRuntime.json")" = creating ]
    [ "$(jq -r .status "$out/createContainer.json")" = creating ]
    [ "$(jq -r .pid "$out/createContainer.json")" = "$(jq -r .pid "$out/createRuntime.json")" ]
    [ "$(jq -r .status "$out/poststart.json")" = running ]
    [ "$(jq -r .status "$out/poststop.json")" = stopped ]
    assert_no_trace
}

@test "a failing hook stops the start with its output; a slow one is killed at its timeout" {
    cfg '.hooks = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "echo no network today; exit 4"]}]}'
    run septa oci run --bundle "$BUNDLE" "$CID"
    assert_one_line_error "hook createRuntime[0] /bin/sh: exited with status 4: no network today"
    assert_no_trace

    cfg '.hooks = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "exec sleep 7261"], "timeout": 1}]}'
    SECONDS=0
    run septa oci run --bundle "$BUNDLE" "$CID"
    assert_one_line_error "hook createRuntime[0] /bin/sh: timed out after 1s"
    [ "$SECONDS" -lt 10 ]
    ! pgrep -f "sleep 7261" >/dev/null
    assert_no_trace
}

@test "seccomp SCMP_ACT_NOTIFY: the listener gets the notify fd and the process state" {
    sock=$BATS_TEST_TMPDIR/listener.sock
    got=$BATS_TEST_TMPDIR/listener.json
    # A one-shot listener: records the message, then closes the notify fd, after
    # which the notified calls fail with ENOSYS.
    timeout 30 python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
open(sys.argv[2] + ".ready", "w").close()
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 65536, 4)
open(sys.argv[2], "w").write(msg.decode() + " %d\n" % len(fds))
for fd in fds: os.close(fd)
' "$sock" "$got" & listener=$!
    for i in $(seq 50); do [ -e "$got.ready" ] && break; sleep 0.1; done
    SOCK=$sock cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
        "listenerPath": $ENV.SOCK, "listenerMetadata": "septa-test",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}'
    cfg_sh 'mkdir /tmp/notified 2> /out/mkdir; echo $? > /out/rc'
    run septa oci run --bundle "$BUNDLE" "$CID"
    wait "$listener" || true
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    cat "$got"
    read -r json nfds < "$got"
    [ "$nfds" -eq 1 ]
    [ "$(jq -r '.fds[0]' <<<"$json")" = seccompFd ]
    [ "$(jq -r '.metadata' <<<"$json")" = septa-test ]
    [ "$(jq -r '.state.id' <<<"$json")" = "$CID" ]
    [ "$(jq -r '.pid' <<<"$json")" -gt 1 ]
    [ "$(cat "$BATS_TEST_TMPDIR/out/rc")" -ne 0 ]
    grep -q "Function not implemented" "$BATS_TEST_TMPDIR/out/mkdir"
    assert_no_trace
}

@test "seccomp: the compiled filter is cached; a second start loads it without compiling" {
    cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}'
    cfg_sh 'mkdir /tmp/denied 2> /out/mkdir; echo $? > /out/rc'
    run septa --debug oci run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    [[ $output == *"seccomp program compiled"* ]]
    cache=$SEPTA_ROOT.seccomp-cache
    [ "$(stat -c %a "$cache")" = 700 ]
    [ "$(ls "$cache" | wc -l)" -eq 1 ]
    bpf=$(ls "$cache"/*.bpf)
    before=$(stat -c %Y.%y "$bpf")
    sleep 1.1
    run septa --debug oci run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    [[ $output == *"seccomp program loaded from the cache"* ]]
    [ "$(stat -c %Y.%y "$bpf")" = "$before" ]
    [ "$(ls "$cache" | wc -l)" -eq 1 ]
    # ... and the cached program is the one in force.
    grep -q "Permission denied" "$BATS_TEST_TMPDIR/out/mkdir"
    assert_no_trace
}

@test "exec: a new process gets the container's capabilities, no_new_privs and seccomp filter" {
    cfg '.process.noNewPrivileges = true
        | .process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"],
                                   "permitted": ["CAP_KILL"]}
        | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}'
    cfg_sh 'sleep 100'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    run septa oci exec "$CID" sh -c 'cat /proc/self/status > /out/status; mkdir /tmp/x'
    [ "$status" -ne 0 ]
    [[ $output == *"Permission denied"* ]]
    [ "$(status_field Seccomp)" = 2 ]
    [ "$(status_field NoNewPrivs)" = 1 ]
    [ "$(status_field CapBnd)" = 0000000000000020 ]
    [ "$(status_field CapEff)" = 0000000000000020 ]
}

@test "user namespace: the user switch, capabilities and an early-loaded filter as root of the namespace" {
    # noNewPrivileges false and no CAP_SYS_ADMIN left: the filter must load before the drop.
    cfg '.linux.namespaces += [{"type": "user"}]
        | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        | .process.user = {"uid": 1000, "gid": 1000, "additionalGids": [5]}
        | .process.noNewPrivileges = false
        | .process.capabilities = {"bounding": ["CAP_NET_BIND_SERVICE"],
            "effective": ["CAP_NET_BIND_SERVICE"], "permitted": ["CAP_NET_BIND_SERVICE"],
            "inheritable": ["CAP_NET_BIND_SERVICE"], "ambient": ["CAP_NET_BIND_SERVICE"]}
        | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}'
    cfg_sh 'grep -E "^(Cap|Uid|Gid|Groups|Seccomp|NoNewPrivs)" /proc/self/status; mkdir /tmp/d'
    # The namespace's root is host uid 100000: let it walk bats' private directories.
    local d
    for d in "$BATS_RUN_TMPDIR" "$BATS_FILE_TMPDIR" "$(dirname "$BATS_FILE_TMPDIR")" \
             "$BATS_TEST_TMPDIR" "$(dirname "$BATS_TEST_TMPDIR")"; do
        chmod o+x "$d"
    done
    # Nor can it create the /out mount point in the host-owned rootfs.
    mkdir -p "$OCI_ROOTFS/out"
    run septa oci run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 1 ] || { echo "$output"; return 1; }
    [[ $output == *"Uid:	1000	1000	1000	1000"* ]]
    [[ $output == *"Groups:	5"* ]]
    [[ $output == *"CapEff:	0000000000000400"* ]]
    [[ $output == *"CapAmb:	0000000000000400"* ]]
    [[ $output == *"NoNewPrivs:	0"* ]]
    [[ $output == *"Seccomp:	2"* ]]
    [[ $output == *"Permission denied"* ]]
    assert_no_trace
}


# CAP_SYS_RESOURCE (bit 24) in septa's effective set: lowering a score needs it.
has_sys_resource() {
    (( 0x$(grep ^CapEff: /proc/self/status | cut -f2) >> 24 & 1 ))
}

@test "oomScoreAdj in a user namespace is set from the host (the init cannot write it)" {
    oci_userns_cfg
    cfg '.process.oomScoreAdj = 700'
    cfg_sh 'cat /proc/self/oom_score_adj'
    run septa oci run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    [ "$output" = 700 ]
    cfg '.process.oomScoreAdj = -500'
    run septa oci run --bundle "$BUNDLE" "$CID"
    if has_sys_resource; then
        [ "$status" -eq 0 ] && [ "$output" = -500 ] || { echo "$output"; return 1; }
    else
        # This host's root lacks CAP_SYS_RESOURCE: refused clearly (tests/vm/userns.bats lowers it).
        assert_one_line_error "process.oomScoreAdj: setting -500 for pid"
        [[ $output == *"needs CAP_SYS_RESOURCE"* ]]
    fi
    assert_no_trace
}

@test "exec --cap adds capabilities on top of the container's; --no-new-privs sets no_new_privs" {
    cfg '.process.noNewPrivileges = false
        | .process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"],
                                   "permitted": ["CAP_KILL"]}'
    cfg_sh 'sleep 100'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    run septa oci exec --cap CAP_NET_ADMIN --cap sys_time "$CID" sh -c 'grep -E "^(CapEff|CapBnd|CapPrm|NoNewPrivs):" /proc/self/status'
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    # CAP_KILL = bit 5, CAP_NET_ADMIN = bit 12, CAP_SYS_TIME = bit 25
    [[ $output == *"CapEff:	0000000002001020"* ]]
    [[ $output == *"CapPrm:	0000000002001020"* ]]
    [[ $output == *"CapBnd:	0000000002001020"* ]]
    [[ $output == *"NoNewPrivs:	0"* ]]
    # The init and a plain exec keep the container's set.
    run septa oci exec --no-new-privs "$CID" sh -c 'grep -E "^(CapEff|NoNewPrivs):" /proc/self/status'
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    [[ $output == *"CapEff:	0000000000000020"* ]]
    [[ $output == *"NoNewPrivs:	1"* ]]
    pid=$(septa oci state "$CID" | jq .pid)
    [ "$(grep ^CapEff: /proc/$pid/status | cut -f2)" = 0000000000000020 ]
}

@test "exec --cap: unknown names, LSM flags without the LSM, and --process with flags are refused" {
    cfg_sh 'sleep 100'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    run septa oci exec --cap CAP_BOGUS "$CID" true
    assert_one_line_error "exec: --cap 'CAP_BOGUS': unknown capability"
    if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ]; then
        run septa oci exec --apparmor unconfined "$CID" true
        assert_one_line_error "exec: --apparmor unconfined: AppArmor is not enabled on this host"
    fi
    if [ ! -e /sys/fs/selinux/enforce ]; then
        run septa oci exec --process-label system_u:system_r:container_t:s0 "$CID" true
        assert_one_line_error "exec: --process-label system_u:system_r:container_t:s0: SELinux is not enabled"
    fi
    echo '{"args": ["true"], "cwd": "/"}' > "$BATS_TEST_TMPDIR/p.json"
    run septa oci exec --cap CAP_KILL --process "$BATS_TEST_TMPDIR/p.json" "$CID"
    assert_one_line_error "with --process put them in that file"
}

@test "septa exec --cap adds a capability to a container made by septa run" {
    run septa run -d --network none --name capx busybox sleep 1000
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    run septa exec capx sh -c 'grep ^CapEff: /proc/self/status'
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    base=$(echo "$output" | cut -f2)
    (( (0x$base >> 12 & 1) == 0 ))   # CAP_NET_ADMIN is not in the default set
    run septa exec --cap NET_ADMIN capx sh -c 'grep ^CapEff: /proc/self/status'
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    [ "$(printf '%016x' $(( 0x$base | 1 << 12 )))" = "$(echo "$output" | cut -f2)" ]
    run septa exec --cap CAP_NOPE capx true
    assert_one_line_error "--cap 'CAP_NOPE': unknown capability"
    septa rm -f capx
}
