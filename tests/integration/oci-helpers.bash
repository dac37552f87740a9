# Shared by the oci-*.bats files: a busybox bundle from the built-in image and
# a teardown that leaves nothing behind (containers, cgroups, mounts).
# By path, so that tests/vm files can load this too.
source "$(dirname "${BASH_SOURCE[0]}")/helpers.bash"

# Unpack the built-in busybox image's single layer once per file.
oci_setup_file() {
    export OCI_ROOTFS=$BATS_FILE_TMPDIR/rootfs
    mkdir -p "$OCI_ROOTFS"
    local layout manifest layer
    layout=$(SEPTA_DATA_ROOT=$BATS_FILE_TMPDIR/data "$SEPTA" image builtin --format json | jq -r .layout)
    manifest=$(jq -r '.manifests[0].digest' "$layout/index.json" | cut -d: -f2)
    layer=$(jq -r '.layers[0].digest' "$layout/blobs/sha256/$manifest" | cut -d: -f2)
    tar -xzf "$layout/blobs/sha256/$layer" -C "$OCI_ROOTFS"
}

# Per test: state root, a bundle whose config.json comes from `septa oci spec`
# (non-interactive, rootfs shared by the file), and an id unique on the host so
# that its cgroup (/septa/ID) cannot collide with anything else.
oci_setup() {
    common_setup
    export BUNDLE=$BATS_TEST_TMPDIR/bundle
    mkdir -p "$BUNDLE" "$BATS_TEST_TMPDIR/out"
    "$SEPTA" oci spec --bundle "$BUNDLE"
    cfg '.root.path = $ENV.OCI_ROOTFS | .root.readonly = false | .process.terminal = false
         | .mounts += [{"destination": "/out", "type": "bind", "source": ($ENV.BATS_TEST_TMPDIR + "/out"), "options": ["rbind"]}]'
    export CID=septa-test-$$-$BATS_TEST_NUMBER
}

# Kill and delete every container of this test, then prove nothing is left.
oci_teardown() {
    local id
    for id in $("$SEPTA" oci list --quiet 2>/dev/null); do
        "$SEPTA" oci delete --force "$id" >/dev/null 2>&1 || true
    done
    for c in /sys/fs/cgroup/*/septa/"$CID" /sys/fs/cgroup/unified/septa/"$CID"; do
        [ -d "$c" ] && rmdir "$c" 2>/dev/null
    done
    return 0
}

# Edit the bundle's config.json with a jq filter.
cfg() {
    jq "$1" "$BUNDLE/config.json" > "$BUNDLE/config.json.new" && mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# The process to run, as a sh -c script.
cfg_sh() {
    local script=$1
    SCRIPT=$script cfg '.process.args = ["sh", "-c", $ENV.SCRIPT]'
}

# Nothing of container $CID is left: no state, no cgroup.
assert_no_trace() {
    [ -z "$(ls -A "$SEPTA_ROOT" 2>/dev/null)" ] || { echo "state left: $(ls -A "$SEPTA_ROOT")"; return 1; }
    local c
    for c in /sys/fs/cgroup/*/septa/"$CID" /sys/fs/cgroup/unified/septa/"$CID" /sys/fs/cgroup/septa/"$CID"; do
        [ ! -d "$c" ] || { echo "cgroup left: $c"; return 1; }
    done
    ! grep -q "$BATS_TEST_TMPDIR" /proc/self/mountinfo || { echo "mount left"; return 1; }
}

# Status field of `septa oci state`.
oci_status() {
    "$SEPTA" oci state "$1" | jq -r .status
}

# Detached containers keep the stdio they were created with: give them a log
# file, never bats' pipes (or `run` would wait for them to exit).
oci_detached() { # create|run --detach ARGS...
    "$SEPTA" oci "$@" >>"$BATS_TEST_TMPDIR/ctr.log" 2>&1 3>&-
}

# A user namespace's root is an unprivileged uid on the host: let it traverse
# bats' private (0700) temporary directories to reach the bundle.
oci_userns_traversable() {
    local d
    # ... and it cannot create mount points in a rootfs the host's root owns.
    mkdir -p "$OCI_ROOTFS/out"
    for d in "$BATS_TEST_TMPDIR" "$OCI_ROOTFS"; do
        while [ "$d" != / ] && [ "$d" != /tmp ]; do
            chmod o+x "$d"
            d=$(dirname "$d")
        done
    done
}

# CVE-2019-5736: the waiting init of container ID (made by the runtime
# command CMD...) runs septa from a copy nobody can write.  Once the init is
# gone (nothing runs that file any more, so no ETXTBSY), writing to it through
# the fd a process in the container could have kept must fail: EROFS for the
# read-only overlay, EPERM for a sealed memfd.  (Were it the host binary, the
# test would append one byte to it and fail.)  Prints what the exe was.
assert_exe_protected() { # ID CMD...
    local id=$1 pid exe
    shift
    pid=$("$@" state "$id" | jq .pid)
    exe=$(readlink "/proc/$pid/exe")
    echo "$exe"
    [ "$exe" != "$(readlink -f "$1")" ] || { echo "init runs the host binary $exe"; return 1; }
    exec 9<"/proc/$pid/exe"
    "$@" delete --force "$id"
    run bash -c 'printf x >> /proc/self/fd/9'
    exec 9<&-
    [ "$status" -ne 0 ] || { echo "the init's binary was writable"; return 1; }
    [[ $output == *"Read-only file system"* || $output == *"Operation not permitted"* ]] ||
        { echo "unexpected: $output"; return 1; }
}

# A container in a user namespace whose root is host uid/gid 100000 (sysfs
# bound from the host, which a user namespace cannot mount; no gid=5 for
# devpts, which the namespace does not map).
oci_userns_cfg() {
    oci_userns_traversable
    cfg '.linux.namespaces += [{"type": "user"}]
         | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
         | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
         | .mounts |= map(select(.destination != "/sys" and .destination != "/sys/fs/cgroup"))
         | .mounts += [{"destination": "/sys", "type": "bind", "source": "/sys", "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]}]
         | .mounts |= map(if .destination == "/dev/pts" then .options -= ["gid=5"] else . end)'
    chmod 777 "$BATS_TEST_TMPDIR/out"
}
