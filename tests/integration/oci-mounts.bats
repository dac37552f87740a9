#!/usr/bin/env bats
# Id-mapped binds (runtime-spec 1.1 mounts[].uidMappings/gidMappings, "idmap",
# "ridmap") and recursive mount attributes (rro, rnosuid, ...), seen from
# inside the container and from the host.
load oci-helpers
bats_require_minimum_version 1.5.0

setup_file() { oci_setup_file; }
setup() { oci_setup; }
teardown() {
    # A submount the test made on the host, even when the test failed.
    [ -z "${SUBMOUNT:-}" ] || ! mountpoint -q "$SUBMOUNT" || umount "$SUBMOUNT"
    oci_teardown
}


# The container's script, run in the foreground; output in $output.
inside() {
    cfg_sh "$1"
    run septa oci run --bundle "$BUNDLE" "$CID"
}

@test "idmap with the mount's own mappings: host uid 1000 is root inside, root's files are 1000 on the host" {
    oci_userns_cfg
    mkdir -p "$BATS_TEST_TMPDIR/src" "$OCI_ROOTFS/data"
    echo hello > "$BATS_TEST_TMPDIR/src/old"
    chown -R 1000:1000 "$BATS_TEST_TMPDIR/src"
    SRC=$BATS_TEST_TMPDIR/src cfg '.mounts += [{"destination": "/data", "type": "bind", "source": $ENV.SRC,
        "options": ["bind", "idmap"],
        "uidMappings": [{"containerID": 1000, "hostID": 100000, "size": 1}],
        "gidMappings": [{"containerID": 1000, "hostID": 100000, "size": 1}]}]'
    inside 'stat -c "%u:%g" /data /data/old; echo new > /data/new; mkdir /data/dir; id -u'
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "${lines[0]}" = 0:0 ]
    [ "${lines[1]}" = 0:0 ]
    [ "${lines[2]}" = 0 ]
    [ "$(stat -c %u:%g "$BATS_TEST_TMPDIR/src/new")" = 1000:1000 ]
    [ "$(stat -c %u:%g "$BATS_TEST_TMPDIR/src/dir")" = 1000:1000 ]
    assert_no_trace
}

@test "idmap without mappings uses the container's user namespace: host root's files are root's inside" {
    oci_userns_cfg
    mkdir -p "$BATS_TEST_TMPDIR/src" "$OCI_ROOTFS/idm" "$OCI_ROOTFS/plain"
    touch "$BATS_TEST_TMPDIR/src/old"
    SRC=$BATS_TEST_TMPDIR/src cfg '.mounts += [{"destination": "/idm", "type": "bind", "source": $ENV.SRC, "options": ["rbind", "idmap"]},
                                              {"destination": "/plain", "type": "bind", "source": $ENV.SRC, "options": ["rbind"]}]'
    inside 'stat -c "%u" /idm/old /plain/old; touch /idm/new'
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "${lines[0]}" = 0 ]
    # Without the idmap host root is not mapped in the namespace: the overflow uid.
    [ "${lines[1]}" = "$(cat /proc/sys/kernel/overflowuid)" ]
    [ "$(stat -c %u "$BATS_TEST_TMPDIR/src/new")" = 0 ]
    assert_no_trace
}

@test "ridmap maps the submounts of an rbind too; idmap only the top" {
    oci_userns_cfg
    mkdir -p "$BATS_TEST_TMPDIR/src/sub" "$OCI_ROOTFS/r" "$OCI_ROOTFS/t"
    export SUBMOUNT=$BATS_TEST_TMPDIR/src/sub
    mount -t tmpfs -o mode=0755,uid=1000,gid=1000 septa-test "$SUBMOUNT"
    chown 1000:1000 "$BATS_TEST_TMPDIR/src"
    SRC=$BATS_TEST_TMPDIR/src cfg '.mounts += [
        {"destination": "/r", "type": "bind", "source": $ENV.SRC, "options": ["rbind", "ridmap"],
         "uidMappings": [{"containerID": 1000, "hostID": 100000, "size": 1}],
         "gidMappings": [{"containerID": 1000, "hostID": 100000, "size": 1}]},
        {"destination": "/t", "type": "bind", "source": $ENV.SRC, "options": ["rbind", "idmap"],
         "uidMappings": [{"containerID": 1000, "hostID": 100000, "size": 1}],
         "gidMappings": [{"containerID": 1000, "hostID": 100000, "size": 1}]}]'
    inside 'stat -c "%u" /r /r/sub /t /t/sub'
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    local nobody
    nobody=$(cat /proc/sys/kernel/overflowuid)
    [ "$output" = "$(printf '0\n0\n0\n%s' "$nobody")" ]
    umount "$SUBMOUNT"
    assert_no_trace
}

@test "idmap on a filesystem without id-mapped mount support is refused naming the mount and filesystem" {
    oci_userns_cfg
    cfg '.mounts += [{"destination": "/k", "type": "bind", "source": "/sys/kernel", "options": ["bind", "idmap"]}]'
    cfg_sh 'true'
    run septa oci run --bundle "$BUNDLE" "$CID"
    assert_one_line_error "the sysfs filesystem of the source does not support id-mapped mounts"
    [[ $output == *"mounts[7]: id-mapping /sys/kernel on /k"* ]] || { echo "$output"; false; }
    assert_no_trace
}

@test "rro on an rbind makes a host submount read-only inside too; plain ro does not" {
    mkdir -p "$BATS_TEST_TMPDIR/tree/sub"
    export SUBMOUNT=$BATS_TEST_TMPDIR/tree/sub
    mount -t tmpfs septa-test "$SUBMOUNT"
    SRC=$BATS_TEST_TMPDIR/tree cfg '.mounts += [
        {"destination": "/rro", "type": "bind", "source": $ENV.SRC, "options": ["rbind", "rro", "rnosuid", "rnoexec"]},
        {"destination": "/ro", "type": "bind", "source": $ENV.SRC, "options": ["rbind", "ro"]}]'
    inside 'touch /rro/sub/x 2>/dev/null && echo rro-sub-writable
            touch /rro/x 2>/dev/null && echo rro-writable
            touch /ro/sub/y 2>/dev/null && echo ro-sub-writable
            grep " /rro/sub " /proc/self/mountinfo | cut -d" " -f6'
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "${lines[0]}" = ro-sub-writable ]
    [ "${lines[1]}" = ro,nosuid,noexec,relatime ] || [[ ${lines[1]} == ro,nosuid,noexec* ]]
    [ "${#lines[@]}" -eq 2 ]
    # The host's submount is untouched.
    touch "$SUBMOUNT/host-writable"
    umount "$SUBMOUNT"
    assert_no_trace
}

@test "rnoatime, rrelatime, rstrictatime and rrw set the atime mode and undo ro recursively" {
    mkdir -p "$BATS_TEST_TMPDIR/tree/sub"
    export SUBMOUNT=$BATS_TEST_TMPDIR/tree/sub
    mount -t tmpfs -o ro septa-test "$SUBMOUNT"
    SRC=$BATS_TEST_TMPDIR/tree cfg '.mounts += [
        {"destination": "/a", "type": "bind", "source": $ENV.SRC, "options": ["rbind", "rnoatime", "rnodiratime", "rrw"]},
        {"destination": "/s", "type": "bind", "source": $ENV.SRC, "options": ["rbind", "rstrictatime"]}]'
    inside 'grep -E " /(a|s)/sub " /proc/self/mountinfo | cut -d" " -f5,6'
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [[ ${lines[0]} == "/a/sub rw,"*noatime*nodiratime* ]]
    [[ ${lines[1]} == "/s/sub ro"* ]]
    [[ ${lines[1]} != *relatime* && ${lines[1]} != *noatime* ]]
    umount "$SUBMOUNT"
    assert_no_trace
}

@test "idmap without mappings in a user namespace joined by path uses that namespace" {
    oci_userns_cfg
    cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/base.json"
    cfg '.linux.uidMappings = [{"containerID": 0, "hostID": 300000, "size": 65536}]
         | .linux.gidMappings = .linux.uidMappings'
    cfg_sh 'sleep 100'
    oci_detached run --detach --bundle "$BUNDLE" "$CID-holder"
    hp=$(septa oci state "$CID-holder" | jq .pid)
    cp "$BATS_TEST_TMPDIR/base.json" "$BUNDLE/config.json"
    mkdir -p "$BATS_TEST_TMPDIR/src" "$OCI_ROOTFS/idm"
    chown 0:0 "$BATS_TEST_TMPDIR/src"
    NSP=/proc/$hp/ns/user SRC=$BATS_TEST_TMPDIR/src cfg '
        .linux.namespaces |= map(if .type == "user" then .path = $ENV.NSP else . end)
        | del(.linux.uidMappings, .linux.gidMappings)
        | .mounts += [{"destination": "/idm", "type": "bind", "source": $ENV.SRC, "options": ["bind", "idmap"]}]'
    inside 'stat -c %u /idm; touch /idm/f'
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "$output" = 0 ]
    [ "$(stat -c %u "$BATS_TEST_TMPDIR/src/f")" = 0 ]
}
