#!/usr/bin/env bats
# What each config field does, seen from inside the container.
load oci-helpers
bats_require_minimum_version 1.5.0

setup_file() { netns_mount_record; oci_setup_file; }
teardown_file() { netns_mount_restore; }
setup() { oci_setup; }
teardown() {
    oci_teardown
    [ -z "${NETNS:-}" ] || ip netns delete "$NETNS" 2>/dev/null || true
}

# Run the container in the foreground with a script; output in $output.
inside() {
    cfg_sh "$1"
    run septa oci run --bundle "$BUNDLE" "$CID"
}

@test "pid namespace: the process is PID 1 and sees only its own processes" {
    inside 'echo $$; ps -o pid | wc -l'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 1 ]
    [ "${lines[1]}" -le 4 ]   # header, sh, ps, wc
}

@test "uts namespace: hostname and domainname" {
    cfg '.hostname = "box1" | .domainname = "example.test"'
    inside 'hostname; cat /proc/sys/kernel/domainname'
    [ "${lines[0]}" = box1 ]
    [ "${lines[1]}" = example.test ]
    [ "$(hostname)" != box1 ]
}

@test "network namespace: only a loopback, and sysctls apply inside" {
    cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
    inside 'echo $(ls /sys/class/net),; cat /proc/sys/net/ipv4/ip_forward'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "lo," ]
    [ "${lines[1]}" = 1 ]
}

@test "network namespace joined by path" {
    NETNS=septa-oci-$$-$BATS_TEST_NUMBER
    ip netns add "$NETNS"
    ip -n "$NETNS" link set lo up
    want=$(stat -L -c %i "/run/netns/$NETNS")
    NSP=/run/netns/$NETNS cfg '.linux.namespaces |= map(if .type == "network" then .path = $ENV.NSP else . end)'
    inside 'readlink /proc/self/ns/net; cat /sys/class/net/lo/operstate'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "net:[$want]" ]
    [ "${lines[1]}" = unknown ]   # lo is up in the joined namespace, down in a new one
    # septa itself went back to the host's namespace
    [ "$(readlink /proc/self/ns/net)" != "net:[$want]" ]
}

@test "ipc namespace: a separate System V ipc" {
    inside 'readlink /proc/self/ns/ipc'
    [ "$output" != "$(readlink /proc/self/ns/ipc)" ]
}

@test "mounts: proc, tmpfs /dev with options, devpts, mqueue, sysfs read-only" {
    inside 'grep -E " /(proc|dev|dev/pts|dev/mqueue|sys|dev/shm) " /proc/self/mounts'
    [ "$status" -eq 0 ]
    [[ $output == *"proc /proc proc"* ]]
    [[ $output == *"tmpfs /dev tmpfs rw,nosuid"* ]]
    [[ $output == *"devpts /dev/pts devpts"* ]]
    [[ $output == *"/dev/mqueue mqueue"* ]]
    [[ $output == *"sysfs /sys sysfs ro,nosuid,nodev,noexec"* ]]
    [[ $output == *"/dev/shm tmpfs rw,nosuid,nodev,noexec"*"size=65536k"* ]]
}

@test "bind mount read-only, with nosuid" {
    mkdir "$BATS_TEST_TMPDIR/ro"; echo data > "$BATS_TEST_TMPDIR/ro/f"
    cfg '.mounts += [{"destination": "/data", "type": "bind", "source": ($ENV.BATS_TEST_TMPDIR + "/ro"), "options": ["bind", "ro", "nosuid"]}]'
    inside 'cat /data/f; touch /data/g && echo writable; grep " /data " /proc/self/mounts'
    [ "${lines[0]}" = data ]
    [[ $output != *writable* ]]
    [[ $output == *" /data "*"ro,nosuid"* ]]
}

@test "root.readonly makes / read-only" {
    cfg '.root.readonly = true'
    inside 'touch /newfile && echo writable; grep -E "^[^ ]+ / " /proc/self/mounts'
    [[ $output != *writable* ]]
    [[ $output == *" / "*" ro"* ]]
    [ ! -e "$OCI_ROOTFS/newfile" ]
}

@test "maskedPaths and readonlyPaths" {
    inside 'wc -c < /proc/timer_list; ls /sys/firmware 2>/dev/null | wc -l; echo 1 > /proc/sys/kernel/domainname && echo writable; grep " /proc/sys " /proc/self/mounts'
    [ "${lines[0]}" = 0 ]
    [ "${lines[1]}" = 0 ]
    [[ $output != *writable* ]]
    [[ $output == *"/proc/sys proc ro"* ]]
}

@test "devices: defaults and linux.devices are created with their modes" {
    cfg '.linux.devices = [{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 432, "uid": 5, "gid": 6}]'
    inside 'for d in null zero full random urandom tty mynull; do stat -c "%n %t:%T %a %u:%g" /dev/$d; done; readlink /dev/ptmx; readlink /dev/fd'
    [ "$status" -eq 0 ]
    [[ $output == *"/dev/null 1:3 666 0:0"* ]]
    [[ $output == *"/dev/zero 1:5"* ]]
    [[ $output == *"/dev/mynull 1:3 660 5:6"* ]]
    [[ $output == *"pts/ptmx"* ]]
    [[ $output == *"/proc/self/fd"* ]]
}

@test "process.user: uid, gid, additionalGids, umask" {
    cfg '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [2000, 2001], "umask": 63}'
    inside 'id -u; id -g; id -G; umask'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 1000 ]
    [ "${lines[1]}" = 1001 ]
    [[ ${lines[2]} == *2000*2001* ]]
    [ "${lines[3]}" = 0077 ]
}

@test "process.env and cwd" {
    cfg '.process.env = ["PATH=/bin:/usr/bin", "HELLO=world"] | .process.cwd = "/made/by/septa"'
    inside 'echo $HELLO; pwd'
    [ "${lines[0]}" = world ]
    [ "${lines[1]}" = /made/by/septa ]
}

@test "capabilities, noNewPrivileges, seccomp as seen in /proc/self/status" {
    cfg '.process.capabilities = {"bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}
         | .process.noNewPrivileges = true
         | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
    inside 'grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status; mkdir /tmp/x 2>&1 || echo mkdir-refused'
    [ "$status" -eq 0 ]
    [[ $output == *"CapEff:"*"0000000000000020"* ]]
    [[ $output == *"CapBnd:"*"0000000000000021"* ]]
    [[ $output == *"NoNewPrivs:"*"1"* ]]
    [[ $output == *"Seccomp:"*"2"* ]]
    [[ $output == *mkdir-refused* ]]
}

@test "user namespace: uid and gid mappings" {
    oci_userns_cfg
    inside 'cat /proc/self/uid_map /proc/self/gid_map | tr -s " " | sed "s/^ //"; id -u'
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "${lines[0]}" = "0 100000 65536" ]
    [ "${lines[1]}" = "0 100000 65536" ]
    [ "${lines[2]}" = 0 ]
}

@test "time namespace offsets" {
    cfg '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"boottime": {"secs": 86400000}, "monotonic": {"secs": 86400000}}'
    inside 'cut -d. -f1 /proc/uptime'
    [ "$status" -eq 0 ]
    [ "$output" -ge 86400000 ]
}

@test "cgroup namespace: the container's cgroup is its root" {
    inside 'cat /proc/self/cgroup | grep -E "memory|^0::"'
    [ "$status" -eq 0 ]
    [[ $output == *"memory:/"* ]]
    [[ $output != *"memory:/septa"* ]]
}

@test "hooks run in order with the state on stdin" {
    log=$BATS_TEST_TMPDIR/hooks.log
    cat > "$BATS_TEST_TMPDIR/hook" <<H
#!/bin/sh
state=\$(cat)
echo "\$1 \$(echo "\$state" | jq -r '.id + " " + .status')" >> $log
H
    chmod +x "$BATS_TEST_TMPDIR/hook"
    H=$BATS_TEST_TMPDIR/hook cfg '.hooks = {
        "createRuntime": [{"path": $ENV.H, "args": ["hook", "createRuntime"]}],
        "poststart": [{"path": $ENV.H, "args": ["hook", "poststart"]}],
        "poststop": [{"path": $ENV.H, "args": ["hook", "poststop"]}]}'
    inside 'true'
    [ "$status" -eq 0 ]
    run cat "$log"
    [ "${lines[0]}" = "createRuntime $CID creating" ]
    [ "${lines[1]}" = "poststart $CID running" ]
    [ "${lines[2]}" = "poststop $CID stopped" ]
}

@test "a failing createRuntime hook fails create and leaves nothing" {
    cfg '.hooks = {"createRuntime": [{"path": "/bin/false"}]}'
    cfg_sh 'true'
    run septa oci create --bundle "$BUNDLE" "$CID" 3>&-
    [ "$status" -eq 125 ]
    [[ $output == *createRuntime* ]]
    assert_no_trace
}

@test "--console-socket receives the pty master (SCM_RIGHTS)" {
    command -v python3 || skip "python3 is needed to receive the pty"
    sock=$BATS_TEST_TMPDIR/console.sock
    cat > "$BATS_TEST_TMPDIR/recv.py" <<'P'
import socket, sys, os, array
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept()
fds = array.array("i")
msg, anc, _, _ = c.recvmsg(64, socket.CMSG_LEN(4))
for lvl, typ, data in anc:
    fds.frombytes(data[:4])
out = b""
while b"tty-ok" not in out:
    try:
        d = os.read(fds[0], 1024)
    except OSError:
        break
    if not d: break
    out += d
sys.stdout.write(out.decode(errors="replace"))
P
    python3 "$BATS_TEST_TMPDIR/recv.py" "$sock" > "$BATS_TEST_TMPDIR/pty.out" & rpid=$!
    for i in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
    cfg '.process.terminal = true'
    cfg_sh '[ -t 0 ] && [ -t 1 ] && echo tty-ok; sleep 1'
    oci_detached run --detach --console-socket "$sock" --bundle "$BUNDLE" "$CID"
    wait "$rpid"
    [[ $(cat "$BATS_TEST_TMPDIR/pty.out") == *tty-ok* ]]
}

@test "run -t without a console socket gives the container a pty" {
    command -v script || skip "script(1) is needed for a terminal"
    cfg '.process.terminal = true'
    cfg_sh '[ -t 0 ] && echo tty-ok; tty'
    run script -qec "$SEPTA oci run --bundle $BUNDLE $CID" /dev/null
    [ "$status" -eq 0 ]
    [[ $output == *tty-ok* ]]
    [[ $output == */dev/pts/* ]]
}

@test "user namespace joined by path, with new pid and mount namespaces inside it" {
    oci_userns_traversable
    userns_sys='.mounts |= map(select(.destination != "/sys" and .destination != "/sys/fs/cgroup"))
        | .mounts += [{"destination": "/sys", "type": "bind", "source": "/sys", "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]}]
        | .mounts |= map(if .destination == "/dev/pts" then .options -= ["gid=5"] else . end)'
    cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/base.json"
    # A first container owns the user namespace...
    cfg "$userns_sys"' | .linux.namespaces += [{"type": "user"}]
        | .linux.uidMappings = [{"containerID": 0, "hostID": 300000, "size": 65536}]
        | .linux.gidMappings = .linux.uidMappings'
    cfg_sh 'sleep 100'
    oci_detached run --detach --bundle "$BUNDLE" "$CID-holder"
    hp=$(septa oci state "$CID-holder" | jq .pid)
    # ... a second one joins it by path.
    cp "$BATS_TEST_TMPDIR/base.json" "$BUNDLE/config.json"
    NSP=/proc/$hp/ns/user cfg "$userns_sys"' | .linux.namespaces += [{"type": "user", "path": $ENV.NSP}]'
    inside 'cat /proc/self/uid_map | tr -s " " | sed "s/^ //"; readlink /proc/self/ns/user; id -u; echo $$'
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "${lines[0]}" = "0 300000 65536" ]
    [ "${lines[1]}" = "$(readlink /proc/$hp/ns/user)" ]
    [ "${lines[2]}" = 0 ]
    [ "${lines[3]}" = 1 ]
}

@test "foreground run -t: a resized terminal (SIGWINCH) resizes the container's pty" {
    cfg '.process.terminal = true'
    cfg_sh 'stty size; echo ready; read line; stty size'
    run "$BATS_TEST_DIRNAME/oci-pty.py" 24 80 40 132 -- "$SEPTA" oci run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [[ $output == *"24 80"* ]] || { echo "$output"; false; }
    [[ $output == *"40 132"* ]] || { echo "$output"; false; }
    # In that order: the first size is the terminal's at start, the second after the resize.
    [[ $output == *"24 80"*ready*"40 132"* ]]
    assert_no_trace
}

@test "foreground exec -t: a resized terminal (SIGWINCH) resizes the process's pty" {
    cfg_sh 'sleep 100'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    run "$BATS_TEST_DIRNAME/oci-pty.py" 30 100 50 160 -- "$SEPTA" oci exec -t "$CID" sh -c 'stty size; echo ready; read line; stty size'
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [[ $output == *"30 100"*ready*"50 160"* ]] || { echo "$output"; false; }
}
