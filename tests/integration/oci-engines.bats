#!/usr/bin/env bats
# Real engines drive septa as their OCI runtime: podman 4.3 (through conmon)
# and containerd 1.6 (ctr, through containerd-shim-runc-v2), on busybox
# loaded from a docker-archive.  Each keeps its storage, state and sockets
# under this file's temporary directory and uses no network.
load oci-helpers
bats_require_minimum_version 1.5.0

setup_file() {
    oci_setup_file
    export ENG=$BATS_FILE_TMPDIR/eng
    mkdir -p "$ENG/arch"
    # The lean septa-runtime built beside septa: what engines are pointed at.
    ln -s "$(readlink -f "$SEPTA_RUNTIME")" "$ENG/septa-runtime"
    # docker-archive of the built-in image: manifest.json, config, one layer tar.
    local layout manifest config layer
    layout=$(SEPTA_DATA_ROOT=$BATS_FILE_TMPDIR/data "$SEPTA" image builtin --format json | jq -r .layout)
    manifest=$(jq -r '.manifests[0].digest' "$layout/index.json" | cut -d: -f2)
    config=$(jq -r '.config.digest' "$layout/blobs/sha256/$manifest" | cut -d: -f2)
    layer=$(jq -r '.layers[0].digest' "$layout/blobs/sha256/$manifest" | cut -d: -f2)
    cp "$layout/blobs/sha256/$config" "$ENG/arch/$config.json"
    gunzip -c "$layout/blobs/sha256/$layer" > "$ENG/arch/layer.tar"
    printf '[{"Config":"%s.json","RepoTags":["localhost/busybox:septa"],"Layers":["layer.tar"]}]' \
        "$config" > "$ENG/arch/manifest.json"
    tar -C "$ENG/arch" -cf "$ENG/busybox.tar" .
    # Raising rlimits is forbidden on this host: podman must not ask for any.
    # podman with cgroupfs puts conmon in /libpod_parent/conmon and leaves it:
    # remove it afterwards if it was not there before.
    if [ -d /sys/fs/cgroup/memory/libpod_parent ]; then export LIBPOD_PARENT_WAS_THERE=1; fi
    # Directories the engines (or a runtime they call without --root) create in
    # /run on first use: remove the ones that were not there before.
    local d
    ENG_NEW_RUN_DIRS=
    for d in /run/septa /run/septa.seccomp-cache /run/containerd/fifo /run/containerd/s \
        /run/containerd /run/containers/storage /run/containers; do
        [ -e "$d" ] || ENG_NEW_RUN_DIRS="$ENG_NEW_RUN_DIRS $d"
    done
    export ENG_NEW_RUN_DIRS
    printf '[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' \
        > "$ENG/containers.conf"
}

setup() { common_setup; export CONTAINERS_CONF=$ENG/containers.conf; }

teardown() {
    if command -v podman >/dev/null; then
        pod rm --all --force >/dev/null 2>&1 || true
    fi
    if [ -n "${CTRD_PID:-}" ]; then
        kill "$CTRD_PID" 2>/dev/null || true
        wait "$CTRD_PID" 2>/dev/null || true
    fi
}

teardown_file() {
    # podman's storage may hold read-only layer dirs; its own reset removes them.
    if command -v podman >/dev/null; then
        CONTAINERS_CONF=$ENG/containers.conf pod system reset --force >/dev/null 2>&1 || true
    fi
    local r
    for r in ${ENG_NEW_RUN_DIRS:-}; do
        case $r in /run/septa.seccomp-cache) rm -rf "$r" ;; *) find "$r" -depth -type d -empty -delete 2>/dev/null ;; esac
    done
    if [ -z "${LIBPOD_PARENT_WAS_THERE:-}" ]; then
        local d i
        # conmon may still be exiting: its cgroup empties a moment later.
        for i in $(seq 50); do
            for d in /sys/fs/cgroup/*/libpod_parent; do
                [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
            done
            ls -d /sys/fs/cgroup/*/libpod_parent >/dev/null 2>&1 || break
            sleep 0.1
        done
    fi
    return 0
}

pod() {
    podman --root "$ENG/storage" --runroot "$ENG/runroot" --tmpdir "$ENG/tmp" --storage-driver vfs \
        --runtime "$ENG/septa-runtime" --cgroup-manager cgroupfs "$@"
}

pod_load() {
    [ -n "$(pod images -q localhost/busybox:septa 2>/dev/null)" ] || pod load -i "$ENG/busybox.tar" >/dev/null 2>&1
}

@test "podman: run --rm returns the output and the exit status" {
    command -v podman || skip "podman is not installed (tests/setup installs it)"
    pod_load
    run pod run --rm --network none localhost/busybox:septa sh -c 'echo hello from septa; exit 3'
    [ "$status" -eq 3 ]
    [[ $output == *"hello from septa"* ]]
    [ -z "$(pod ps -aq)" ]
}

@test "podman: run -d, exec, logs, stop, rm" {
    command -v podman || skip "podman is not installed (tests/setup installs it)"
    pod_load
    id=$(pod run -d --network none localhost/busybox:septa sh -c 'echo started; trap "exit 0" TERM; while :; do sleep 0.2; done')
    for i in $(seq 50); do [[ $(pod logs "$id" 2>/dev/null) == *started* ]] && break; sleep 0.1; done
    run pod exec "$id" sh -c 'echo in-exec $(cat /proc/1/cmdline | tr "\0" " ")'
    [ "$status" -eq 0 ]
    [[ $output == "in-exec sh -c echo started"* ]]
    run pod exec "$id" sh -c 'exit 5'
    [ "$status" -eq 5 ]
    run pod logs "$id"
    [[ $output == *started* ]]
    run pod stop -t 10 "$id"
    [ "$status" -eq 0 ]
    [[ $(pod inspect --format '{{.State.ExitCode}}' "$id") == 0 ]]
    run pod rm "$id"
    [ "$status" -eq 0 ]
    [ -z "$(pod ps -aq)" ]
}

@test "podman: run -it goes through a pty" {
    command -v podman || skip "podman is not installed (tests/setup installs it)"
    command -v script || skip "script(1) is needed for a terminal"
    pod_load
    run script -qec "podman --root $ENG/storage --runroot $ENG/runroot --tmpdir $ENG/tmp --storage-driver vfs --runtime $ENG/septa-runtime --cgroup-manager cgroupfs run --rm -it --network none localhost/busybox:septa sh -c 'tty; echo it-ok; sleep 1'" /dev/null
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [[ $output == *"/dev/pts/"* ]] || { echo "$output"; false; }
    [[ $output == *it-ok* ]]
}

@test "containerd: ctr run --runc-binary runs a container to completion" {
    command -v containerd || skip "containerd is not installed (tests/setup installs it)"
    c=$ENG/ctrd-$BATS_TEST_NUMBER
    mkdir -p "$c"
    cat > "$c/config.toml" <<T
version = 2
root = "$c/root"
state = "$c/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$c/containerd.sock"
[ttrpc]
  address = "$c/containerd.sock.ttrpc"
T
    containerd --config "$c/config.toml" >"$c/log" 2>&1 3>&- &
    CTRD_PID=$!
    for i in $(seq 100); do [ -S "$c/containerd.sock" ] && break; sleep 0.1; done
    ctr -a "$c/containerd.sock" image import "$ENG/busybox.tar" >/dev/null
    run ctr -a "$c/containerd.sock" run --rm --runc-binary "$ENG/septa-runtime" localhost/busybox:septa \
        "ctr-$$" sh -c 'echo hello from containerd; exit 4'
    [ "$status" -eq 4 ]
    [[ $output == *"hello from containerd"* ]]
    run ctr -a "$c/containerd.sock" containers ls -q
    [ -z "$output" ]
}
