#!/usr/bin/env bats
# Bad config.json files: each is refused before anything exists, with exit
# 125, one line naming the JSON field, and nothing left behind (state,
# cgroup, mounts).
load oci-helpers

setup_file() { oci_setup_file; }
setup() { oci_setup; cfg_sh 'true'; cp "$BUNDLE/config.json" "$BUNDLE/config.orig"; }
teardown() { oci_teardown; }

# refuse "JQ FILTER" "NEEDLE": apply the filter, create must fail naming NEEDLE.
refuse() {
    cp "$BUNDLE/config.orig" "$BUNDLE/config.json"
    cfg "$1"
    run septa oci create --bundle "$BUNDLE" "$CID" 3>&-
    assert_one_line_error "$2"
    assert_no_trace
}

@test "malformed JSON" {
    echo '{"ociVersion": "1.2.0", "process": {' > "$BUNDLE/config.json"
    run septa oci create --bundle "$BUNDLE" "$CID" 3>&-
    assert_one_line_error "config.json:"
    assert_no_trace
}

@test "missing config.json" {
    rm "$BUNDLE/config.json"
    run septa oci create --bundle "$BUNDLE" "$CID" 3>&-
    assert_one_line_error "config.json"
    assert_no_trace
}

@test "ociVersion missing or unsupported" {
    refuse 'del(.ociVersion)' "ociVersion"
    refuse '.ociVersion = "2.0.0"' "ociVersion: unsupported version '2.0.0'"
}

@test "root: missing, wrong type, missing path, not a directory" {
    refuse 'del(.root)' "root"
    refuse '.root = "rootfs"' "root: expected an object"
    refuse '.root.path = "no-such-rootfs"' "root.path: '"
    refuse '.root.path = "/etc/passwd"' "root.path: '/etc/passwd' is not a directory"
}

@test "process.args: wrong type, empty, empty string" {
    refuse '.process.args = "sh"' "process.args: expected an array"
    refuse '.process.args = []' "process.args: must name the program"
    refuse '.process.args = [""]' "process.args: the program (args[0]) is an empty string"
    refuse '.process.args = ["sh", 3]' "process.args[1]"
}

@test "process.cwd relative, process.env without =" {
    refuse '.process.cwd = "tmp"' "process.cwd: must be an absolute path"
    refuse '.process.env = ["NOEQUALS"]' "process.env[0]: expected KEY=VALUE"
}

@test "process.user: negative uid, string gid, username" {
    refuse '.process.user.uid = -1' "process.user.uid"
    refuse '.process.user.gid = "0"' "process.user.gid"
    refuse '.process.user.username = "root"' "process.user.username: not supported"
}

@test "process.terminal wrong type, terminal without console socket" {
    refuse '.process.terminal = "yes"' "process.terminal"
    refuse '.process.terminal = true' "--console-socket is required"
}

@test "process.consoleSize out of range" {
    refuse '.process.consoleSize = {"height": 70000, "width": 80}' "process.consoleSize.height"
}

@test "mounts: wrong type, relative destination, unknown option, unknown type, bind without source" {
    refuse '.mounts = {}' "mounts: expected an array"
    refuse '.mounts[0].destination = "proc"' "mounts[0].destination: must be an absolute path"
    refuse '.mounts[1].options += ["frobnicate"]' "unknown mount option 'frobnicate'"
    refuse '.mounts[0].type = "nfs9"' "mounts[0].type: unsupported mount type 'nfs9'"
    refuse '.mounts += [{"destination": "/x", "type": "bind", "options": ["rbind"]}]' "source: a bind mount needs a source"
    refuse '.mounts += [{"destination": "/x", "type": "bind", "source": "/no/such/src"}]' "'/no/such/src'"
    refuse '.mounts[0].destination = "/"' "cannot mount over the container's root"
    refuse '.mounts[1].options += ["idmap"]' "mounts[1].options: id-mapped mounts are supported for bind mounts only, not tmpfs"
}

@test "mounts: bad id mappings and recursive attributes" {
    local bind='{"destination": "/x", "type": "bind", "source": "/tmp", "options": ["rbind"]}'
    refuse ".mounts += [$bind | .options += [\"idmap\"]]" "mounts[8].options: 'idmap' without uidMappings/gidMappings uses the container's user namespace, and linux.namespaces has none"
    refuse ".mounts += [$bind | .uidMappings = [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]]" "mounts[8].gidMappings: missing: an id-mapped mount needs both"
    refuse ".mounts += [$bind | .uidMappings = [{\"containerID\": 0, \"size\": 1}] | .gidMappings = .uidMappings]" "mounts[8].uidMappings[0].hostID"
    refuse ".mounts += [$bind | .uidMappings = [{\"containerID\": 0, \"hostID\": 1, \"size\": 0}] | .gidMappings = .uidMappings]" "mounts[8].uidMappings[0].size"
    refuse '.mounts[1].options += ["rnoatimes"]' "mounts[1].options[4]: unknown mount option 'rnoatimes'"
}

@test "namespaces: unknown type, duplicate, no mount namespace, bad path" {
    refuse '.linux.namespaces += [{"type": "bogus"}]' "linux.namespaces[6].type: unknown namespace type 'bogus'"
    refuse '.linux.namespaces += [{"type": "pid"}]' "namespace 'pid' listed twice"
    refuse '.linux.namespaces |= map(select(.type != "mount"))' "a new mount namespace is required"
    refuse '.linux.namespaces[1].path = "/no/such/ns"' "linux.namespaces[1].path: '/no/such/ns'"
    refuse '.linux.namespaces[1].path = "relative"' "linux.namespaces[1].path: must be an absolute path"
}

@test "namespaces: joining a mount namespace by path is refused with the reason" {
    local i
    i=$(jq '.linux.namespaces | map(.type) | index("mount")' "$BUNDLE/config.orig")
    refuse ".linux.namespaces[$i].path = \"/proc/self/ns/mnt\"" "linux.namespaces[$i].path: joining a mount namespace ('/proc/self/ns/mnt') is refused: septa builds the root inside it"
}

@test "id mappings: without user namespace, bad fields, user namespace without maps" {
    refuse '.linux.uidMappings = [{"containerID": 0, "hostID": 1000, "size": 1}]' "linux.uidMappings: id mappings need a user namespace"
    refuse '.linux.namespaces += [{"type": "user"}]' "a new user namespace needs uidMappings"
    refuse '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 1000, "size": 0}] | .linux.gidMappings = .linux.uidMappings' "linux.uidMappings[0].size"
}

@test "devices: unknown type, relative path, missing major" {
    refuse '.linux.devices = [{"path": "/dev/x", "type": "x", "major": 1, "minor": 3}]' "linux.devices[0].type: unknown device type 'x'"
    refuse '.linux.devices = [{"path": "dev/x", "type": "c", "major": 1, "minor": 3}]' "linux.devices[0].path"
    refuse '.linux.devices = [{"path": "/dev/x", "type": "c", "minor": 3}]' "linux.devices[0].major"
}

@test "sysctl: not namespaced, needs its namespace, wrong type" {
    refuse '.linux.sysctl = {"kernel.panic": "1"}' 'linux.sysctl["kernel.panic"]: not a namespaced sysctl'
    refuse '.linux.namespaces |= map(select(.type != "network")) | .linux.sysctl = {"net.ipv4.ip_forward": "1"}' "needs a network namespace"
    refuse '.linux.sysctl = {"net.ipv4.ip_forward": 1}' 'linux.sysctl["net.ipv4.ip_forward"]: expected a string'
}

@test "masked/readonly paths relative, rootfsPropagation unknown" {
    refuse '.linux.maskedPaths += ["proc/kcore"]' "linux.maskedPaths"
    refuse '.linux.readonlyPaths = [3]' "linux.readonlyPaths"
    refuse '.linux.rootfsPropagation = "sideways"' "linux.rootfsPropagation: unknown propagation 'sideways'"
}

@test "hostname without uts namespace, too long" {
    refuse '.linux.namespaces |= map(select(.type != "uts"))' "hostname: setting it needs a uts namespace"
    refuse '.hostname = ("x" * 70)' "hostname: longer than 64 bytes"
}

@test "timeOffsets without a time namespace" {
    refuse '.linux.timeOffsets = {"monotonic": {"secs": 10}}' "linux.timeOffsets: offsets need a new time namespace"
}

@test "annotations must be strings" {
    refuse '.annotations = {"a": 1}' "annotations.a: expected a string"
}

@test "unknown capability, unknown rlimit" {
    refuse '.process.capabilities.bounding += ["CAP_FROBNICATE"]' "CAP_FROBNICATE"
    refuse '.process.rlimits += [{"type": "RLIMIT_FROB", "hard": 1, "soft": 1}]' "RLIMIT_FROB"
}

@test "seccomp: unknown syscall name, unknown action" {
    refuse '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["no_such_syscall"], "action": "SCMP_ACT_ERRNO"}]}' "no_such_syscall"
    refuse '.linux.seccomp = {"defaultAction": "SCMP_ACT_FROB"}' "linux.seccomp.defaultAction"
}

@test "resources: a value of the wrong type" {
    refuse '.linux.resources.memory = {"limit": "lots"}' "linux.resources.memory.limit"
}

@test "hooks: relative path" {
    refuse '.hooks = {"prestart": [{"path": "relative/hook"}]}' "hooks.prestart[0].path"
}

@test "mountLabel and intelRdt are refused, not ignored" {
    refuse '.linux.mountLabel = "system_u:object_r:container_file_t:s0"' "linux.mountLabel"
    refuse '.linux.intelRdt = {"closID": "x"}' "linux.intelRdt"
}
