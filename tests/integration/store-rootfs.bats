#!/usr/bin/env bats
# Overlay root filesystems, gc, system df and named volumes.
load image-helpers

setup() { common_setup; }

teardown() {
    # whatever a failed test left mounted under its own directories
    local m
    for m in $(findmnt -rn -o TARGET | grep -F "$BATS_TEST_TMPDIR" | sort -r); do
        umount -l "$m" || true
    done
}

@test "image mount: overlay of the layers with a private upper dir; unmount removes it" {
    run septa image mount busybox c1
    [ "$status" -eq 0 ]
    root=$output
    [ "$(findmnt -n -o FSTYPE "$root")" = overlay ]
    [ -x "$root/bin/busybox" ]
    echo hi > "$root/newfile"
    rm "$root/bin/sh"
    upper=$SEPTA_DATA_ROOT/storage/containers/c1/upper
    [ "$(cat "$upper/newfile")" = hi ]
    [ -c "$upper/bin/sh" ]
    # the shared layer is untouched
    layer=$(septa image inspect busybox | jq -r '.[0].LayerDirs[0]')
    [ -L "$layer/bin/sh" ]
    [ ! -e "$layer/newfile" ]
    run septa image mount busybox c1
    assert_one_line_error "c1"
    run septa image unmount c1
    [ "$status" -eq 0 ]
    ! findmnt "$root"
    [ ! -e "$SEPTA_DATA_ROOT/storage/containers/c1" ]
    # idempotent
    run septa image unmount c1
    [ "$status" -eq 0 ]
}

@test "image mount --read-only refuses writes" {
    root=$(septa image mount --read-only busybox ro1)
    run sh -c "echo x > '$root/f'"
    [ "$status" -ne 0 ]
    septa image unmount ro1
    ! findmnt "$root"
}

@test "a multi-layer image mounts with the top layer winning and whiteouts applied" {
    printf 'dir etc\nfile etc/a one\nfile etc/gone x\n' | mk_tar "$BATS_TEST_TMPDIR/l1.tar"
    printf 'dir etc\nfile etc/a two\nfile etc/.wh.gone \n' | mk_tar "$BATS_TEST_TMPDIR/l2.tar"
    mk_layout "$BATS_TEST_TMPDIR/img" example.org/ml:1 "$BATS_TEST_TMPDIR/l1.tar" "$BATS_TEST_TMPDIR/l2.tar" >/dev/null
    septa load -q -i "$BATS_TEST_TMPDIR/img"
    root=$(septa image mount example.org/ml:1 ml)
    [ "$(cat "$root/etc/a")" = two ]
    [ ! -e "$root/etc/gone" ]
    septa image unmount ml
}

@test "bad ids and images are one line and leave nothing" {
    run septa image mount busybox ../evil
    assert_one_line_error "invalid container id '../evil'"
    run septa image mount example.org/none:1 c2
    assert_one_line_error "no such image"
    [ ! -e "$SEPTA_DATA_ROOT/storage/containers/c2" ]
    [ ! -e "$SEPTA_DATA_ROOT/storage/containers/evil" ]
}

@test "gc keeps what is used and frees what is not" {
    echo "file a x" | mk_tar "$BATS_TEST_TMPDIR/a.tar"
    mk_layout "$BATS_TEST_TMPDIR/img" example.org/gc:1 "$BATS_TEST_TMPDIR/a.tar" >/dev/null
    septa load -q -i "$BATS_TEST_TMPDIR/img"
    root=$(septa image mount busybox keep1)
    # leftovers of a crash: a partial blob, a partial layer, an orphan layer
    # and a container root whose container no longer exists
    st=$SEPTA_DATA_ROOT/storage
    echo partial > "$st/tmp/blob-99999-0"
    mkdir -p "$st/tmp/layer-99999-1/root" "$st/layers/$(printf '%064d' 7)/root"
    mkdir -p "$st/containers/crashed/upper"
    printf '{"id":"crashed","layers":[],"read_only":false,"owner":"container"}' > "$st/containers/crashed/rootfs.json"
    mkdir -p "$st/containers/half"   # no record at all: cut short by a crash
    run septa gc --format json
    [ "$status" -eq 0 ]
    [ "$(jq -r '.roots_removed | sort | join(",")' <<<"$output")" = "crashed,half" ]
    [ "$(jq -r .layers_removed <<<"$output")" -eq 1 ]
    [ -z "$(ls -A "$st/tmp")" ]
    [ ! -e "$st/containers/crashed" ]
    # what is used survives: both images, the mounted root
    [ "$(septa images --format json | jq length)" -eq 2 ]
    [ -x "$root/bin/busybox" ]
    [ "$(find "$st/layers" -mindepth 1 -maxdepth 1 -type d | wc -l)" -eq 2 ]
    # an image removed while its layer is mounted: the layer stays until unmount
    septa rmi busybox
    [ -x "$root/bin/busybox" ]
    septa image unmount keep1
    run septa gc
    [ "$status" -eq 0 ]
    [[ $output == *"1 layers"* ]]
    [ "$(find "$st/layers" -mindepth 1 -maxdepth 1 -type d | wc -l)" -eq 1 ]
}

@test "a container root whose container still exists is kept by gc" {
    septa image mount busybox live1 >/dev/null
    printf '{"id":"live1","layers":%s,"read_only":false,"owner":"container"}' \
        "$(jq -c '.layers' "$SEPTA_DATA_ROOT/storage/containers/live1/rootfs.json")" \
        > "$SEPTA_DATA_ROOT/storage/containers/live1/rootfs.json"
    mkdir -p "$SEPTA_ROOT/live1"
    run septa gc --format json
    [ "$(jq -r '.roots_removed | length' <<<"$output")" -eq 0 ]
    rmdir "$SEPTA_ROOT/live1"
    run septa gc --format json
    [ "$(jq -r '.roots_removed[0]' <<<"$output")" = live1 ]
    [ ! -e "$SEPTA_DATA_ROOT/storage/containers/live1" ]
}

@test "system df counts images, containers and volumes" {
    septa image mount busybox d1 >/dev/null
    septa volume create data >/dev/null
    head -c 1000000 /dev/urandom > "$SEPTA_DATA_ROOT/volumes/data/_data/f"
    run septa system df --format json
    [ "$status" -eq 0 ]
    [ "$(jq -r .images <<<"$output")" -eq 1 ]
    [ "$(jq -r .containers <<<"$output")" -eq 1 ]
    [ "$(jq -r .volumes <<<"$output")" -eq 1 ]
    [ "$(jq -r .volumes_size <<<"$output")" -ge 1000000 ]
    [ "$(jq -r .layers <<<"$output")" -ge 1000000 ]
    run septa system df
    [[ ${lines[0]} == TYPE* ]]
    septa image unmount d1
}

@test "named volumes: create, ls, inspect, rm" {
    run septa volume create v1
    [ "$status" -eq 0 ]
    run septa volume create v1
    assert_one_line_error "volume 'v1' already exists"
    run septa volume create ../x
    assert_one_line_error "invalid volume name"
    run septa volume ls --format json
    [ "$(jq -r '.[0].name' <<<"$output")" = v1 ]
    mp=$(jq -r '.[0].mountpoint' <<<"$output")
    [ -d "$mp" ]
    run septa volume ls -q
    [ "$output" = v1 ]
    run septa volume inspect v1
    [ "$(jq -r '.[0].mountpoint' <<<"$output")" = "$mp" ]
    run septa volume rm v1
    [ "$status" -eq 0 ]
    [ ! -e "$mp" ]
    run septa volume rm v1
    assert_one_line_error "no such volume"
    run septa volume
    [ "$status" -eq 125 ]
    for c in "volume create" "volume ls" "volume rm" "volume inspect" gc "system df" "image mount" "image unmount"; do
        run septa $c --help
        [ "$status" -eq 0 ]
        [[ $output == Usage:* ]]
    done
}
