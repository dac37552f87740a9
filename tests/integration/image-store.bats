#!/usr/bin/env bats
# The image store: load (OCI layout dir/tar, docker archive, multi-platform
# index), save round trip, images, tag, rmi, inspect, verification.
load image-helpers

setup() {
    common_setup
    BUILTIN=$(septa image builtin --format json | jq -r .layout)
    BUILTIN_DIGEST=$(septa image builtin --format json | jq -r .digest)
}

layer_dirs() { find "$SEPTA_DATA_ROOT/storage/layers" -mindepth 1 -maxdepth 1 -type d | wc -l; }

@test "load an OCI layout directory; the second load does no layer work" {
    run septa load -i "$BUILTIN" --format json
    [ "$status" -eq 0 ]
    [ "$(jq -r '.[0].name' <<<"$output")" = "septa.local/busybox:builtin" ]
    [ "$(jq -r '.[0].digest' <<<"$output")" = "$BUILTIN_DIGEST" ]
    [ "$(jq -r '.[0].layers_unpacked' <<<"$output")" = 1 ]
    before=$(stat -c %Y "$SEPTA_DATA_ROOT"/storage/layers/*/root)
    run septa load -i "$BUILTIN" --format json
    [ "$status" -eq 0 ]
    [ "$(jq -r '.[0].layers_unpacked' <<<"$output")" = 0 ]
    [ "$(stat -c %Y "$SEPTA_DATA_ROOT"/storage/layers/*/root)" = "$before" ]
    [ "$(layer_dirs)" -eq 1 ]
    run septa images --format json
    [ "$(jq length <<<"$output")" -eq 1 ]
    [ "$(jq -r '.[0].names[0]' <<<"$output")" = "septa.local/busybox:builtin" ]
    # the unpacked layer is the image's filesystem
    root=$(septa image inspect busybox | jq -r '.[0].LayerDirs[0]')
    [ -x "$root/bin/busybox" ]
    [ "$(readlink "$root/bin/sh")" = busybox ]
}

@test "images text output lists repository, tag and id" {
    septa load -q -i "$BUILTIN"
    run septa images
    [ "$status" -eq 0 ]
    [[ ${lines[0]} == REPOSITORY*TAG*"IMAGE ID"* ]]
    [[ ${lines[1]} == septa.local/busybox*builtin* ]]
    run septa images -q
    [ "${#lines[@]}" -eq 1 ]
    [[ $output =~ ^[0-9a-f]{12}$ ]]
}

@test "save writes an OCI layout tar that loads back to the same digests" {
    septa load -q -i "$BUILTIN"
    septa tag busybox example.org/bb:v1
    run septa save -o "$BATS_TEST_TMPDIR/bb.tar" example.org/bb:v1
    [ "$status" -eq 0 ]
    tar -tf "$BATS_TEST_TMPDIR/bb.tar" | grep -qx oci-layout
    [ "$(tar -xOf "$BATS_TEST_TMPDIR/bb.tar" index.json | jq -r '.manifests[0].digest')" = "$BUILTIN_DIGEST" ]
    SEPTA_DATA_ROOT=$BATS_TEST_TMPDIR/other run septa load -i "$BATS_TEST_TMPDIR/bb.tar" --format json
    [ "$status" -eq 0 ]
    [ "$(jq -r '.[0].digest' <<<"$output")" = "$BUILTIN_DIGEST" ]
    [ "$(jq -r '.[0].name' <<<"$output")" = "example.org/bb:v1" ]
    diff <(cd "$SEPTA_DATA_ROOT/storage/blobs/sha256" && ls) <(cd "$BATS_TEST_TMPDIR/other/storage/blobs/sha256" && ls)
    # saving twice gives the same bytes
    septa save -o "$BATS_TEST_TMPDIR/bb2.tar" example.org/bb:v1
    cmp "$BATS_TEST_TMPDIR/bb.tar" "$BATS_TEST_TMPDIR/bb2.tar"
}

@test "a docker archive loads with its RepoTags and its layer verified" {
    m=$(jq -r '.manifests[0].digest' "$BUILTIN/index.json" | cut -d: -f2)
    cfg=$(jq -r .config.digest "$BUILTIN/blobs/sha256/$m" | cut -d: -f2)
    layer=$(jq -r '.layers[0].digest' "$BUILTIN/blobs/sha256/$m" | cut -d: -f2)
    d=$BATS_TEST_TMPDIR/docker
    mkdir -p "$d/abc"
    cp "$BUILTIN/blobs/sha256/$cfg" "$d/$cfg.json"
    gzip -dc "$BUILTIN/blobs/sha256/$layer" > "$d/abc/layer.tar"
    jq -n --arg c "$cfg.json" '[{Config:$c, RepoTags:["docker.io/library/bb:1.0"], Layers:["abc/layer.tar"]}]' > "$d/manifest.json"
    tar -C "$d" -cf "$BATS_TEST_TMPDIR/docker.tar" .
    run septa load -i "$BATS_TEST_TMPDIR/docker.tar" --format json
    [ "$status" -eq 0 ]
    [ "$(jq -r '.[0].name' <<<"$output")" = "docker.io/library/bb:1.0" ]
    run septa image inspect docker.io/library/bb:1.0
    [ "$status" -eq 0 ]
    [ "$(jq -r '.[0].Id' <<<"$output")" = "sha256:$cfg" ]
    [ "$(jq -r '.[0].Config.Cmd[0]' <<<"$output")" = sh ]
    # loading the same archive again names the same manifest (deterministic)
    first=$(septa images --format json | jq -r '.[0].digest')
    septa load -q -i "$BATS_TEST_TMPDIR/docker.tar"
    [ "$(septa images --format json | jq -r '.[0].digest')" = "$first" ]
    [ "$(septa images --format json | jq length)" -eq 1 ]
    # and the docker layer's tar is the layer the OCI image has (same diff_id)
    septa load -q -i "$BUILTIN"
    [ "$(layer_dirs)" -eq 1 ]
}

@test "a docker archive whose layer does not match its diff_id leaves nothing" {
    m=$(jq -r '.manifests[0].digest' "$BUILTIN/index.json" | cut -d: -f2)
    cfg=$(jq -r .config.digest "$BUILTIN/blobs/sha256/$m" | cut -d: -f2)
    d=$BATS_TEST_TMPDIR/docker
    mkdir -p "$d/abc"
    cp "$BUILTIN/blobs/sha256/$cfg" "$d/$cfg.json"
    echo "file x hello" | mk_tar "$d/abc/layer.tar"
    jq -n --arg c "$cfg.json" '[{Config:$c, RepoTags:["bad:1"], Layers:["abc/layer.tar"]}]' > "$d/manifest.json"
    run septa load -i "$d"
    assert_one_line_error "the image config says sha256:"
    assert_store_clean_of_layers
    [ "$(septa images --format json | jq length)" -eq 0 ]
}

@test "an index with several platforms loads the host's" {
    dir=$BATS_TEST_TMPDIR/multi
    echo "file hello amd" | mk_tar "$BATS_TEST_TMPDIR/l.tar"
    m=$(mk_layout "$dir" multi:1 "$BATS_TEST_TMPDIR/l.tar")
    ms=$(stat -c %s "$dir/blobs/sha256/${m#sha256:}")
    # an index blob with a foreign platform (whose manifest is absent) and ours
    jq -n --arg m "$m" --argjson ms "$ms" --arg a "$ARCH" \
        '{schemaVersion:2, mediaType:"application/vnd.oci.image.index.v1+json", manifests:[
          {mediaType:"application/vnd.oci.image.manifest.v1+json", digest:"sha256:0000000000000000000000000000000000000000000000000000000000000000", size:10, platform:{architecture:"s390x", os:"linux"}},
          {mediaType:"application/vnd.oci.image.manifest.v1+json", digest:$m, size:$ms, platform:{architecture:$a, os:"linux"}}]}' > "$dir/idx"
    i=$(sha "$dir/idx"); is=$(stat -c %s "$dir/idx"); mv "$dir/idx" "$dir/blobs/sha256/$i"
    jq -n --arg i "sha256:$i" --argjson is "$is" \
        '{schemaVersion:2, manifests:[{mediaType:"application/vnd.oci.image.index.v1+json", digest:$i, size:$is,
          annotations:{"org.opencontainers.image.ref.name":"example.org/multi:1"}}]}' > "$dir/index.json"
    run septa load -i "$dir" --format json
    [ "$status" -eq 0 ]
    [ "$(jq -r '.[0].digest' <<<"$output")" = "$m" ]
    [ "$(jq -r '.[0].name' <<<"$output")" = "example.org/multi:1" ]
    [ "$(septa image inspect example.org/multi:1 | jq -r '.[0].Architecture')" = "$ARCH" ]
}

@test "an index with no manifest for the host is one clear line" {
    dir=$BATS_TEST_TMPDIR/foreign
    mkdir -p "$dir/blobs/sha256"
    echo '{"imageLayoutVersion":"1.0.0"}' > "$dir/oci-layout"
    jq -n '{schemaVersion:2, manifests:[{mediaType:"application/vnd.oci.image.manifest.v1+json",
        digest:"sha256:1111111111111111111111111111111111111111111111111111111111111111", size:10,
        platform:{architecture:"s390x", os:"linux"}}]}' > "$dir/index.json"
    run septa load -i "$dir"
    assert_one_line_error "no image for linux/$ARCH"
}

@test "a blob that does not match its digest stores nothing" {
    cp -r "$BUILTIN" "$BATS_TEST_TMPDIR/img"
    chmod -R u+w "$BATS_TEST_TMPDIR/img"
    m=$(jq -r '.manifests[0].digest' "$BATS_TEST_TMPDIR/img/index.json" | cut -d: -f2)
    layer=$(jq -r '.layers[0].digest' "$BATS_TEST_TMPDIR/img/blobs/sha256/$m" | cut -d: -f2)
    size=$(stat -c %s "$BATS_TEST_TMPDIR/img/blobs/sha256/$layer")
    # same size, one byte changed
    printf 'X' | dd of="$BATS_TEST_TMPDIR/img/blobs/sha256/$layer" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
    run septa load -i "$BATS_TEST_TMPDIR/img"
    assert_one_line_error "blob sha256:$layer: content has digest sha256:"
    [ ! -e "$SEPTA_DATA_ROOT/storage/blobs/sha256/$layer" ]
    assert_store_clean_of_layers
    [ "$(septa images --format json | jq length)" -eq 0 ]
}

@test "tag, rmi by name and by id, pruning what nothing uses" {
    septa load -q -i "$BUILTIN"
    run septa tag busybox example.org/bb
    [ "$status" -eq 0 ]
    run septa images --format json
    [ "$(jq -r '.[0].names | join(",")' <<<"$output")" = "example.org/bb:latest,septa.local/busybox:builtin" ]
    # by id with two names: refused without --force
    id=$(jq -r '.[0].id' <<<"$output" | cut -c8-19)
    run septa rmi "$id"
    assert_one_line_error "has several names"
    run septa rmi example.org/bb
    [ "$status" -eq 0 ]
    [ "$output" = "Untagged: example.org/bb:latest" ]
    [ "$(layer_dirs)" -eq 1 ]
    run septa rmi "$id"
    [ "$status" -eq 0 ]
    [[ $output == *"Deleted: $BUILTIN_DIGEST"* ]]
    [ "$(layer_dirs)" -eq 0 ]
    [ -z "$(ls -A "$SEPTA_DATA_ROOT/storage/blobs/sha256")" ]
    run septa rmi "$id"
    assert_one_line_error "no such image"
}

@test "two images sharing a layer: rmi of one keeps the layer" {
    echo "file a.txt one" | mk_tar "$BATS_TEST_TMPDIR/a.tar"
    echo "file b.txt two" | mk_tar "$BATS_TEST_TMPDIR/b.tar"
    mk_layout "$BATS_TEST_TMPDIR/i1" example.org/one:1 "$BATS_TEST_TMPDIR/a.tar"
    mk_layout "$BATS_TEST_TMPDIR/i2" example.org/two:1 "$BATS_TEST_TMPDIR/a.tar" "$BATS_TEST_TMPDIR/b.tar"
    septa load -q -i "$BATS_TEST_TMPDIR/i1"
    run septa load -i "$BATS_TEST_TMPDIR/i2" --format json
    [ "$(jq -r '.[0].layers_unpacked' <<<"$output")" = 1 ]
    [ "$(layer_dirs)" -eq 2 ]
    septa rmi example.org/two:1
    [ "$(layer_dirs)" -eq 1 ]
    root=$(septa image inspect example.org/one:1 | jq -r '.[0].LayerDirs[0]')
    [ "$(cat "$root/a.txt")" = one ]
}

@test "two concurrent loads of one image store each layer once" {
    for n in 1 2 3; do
        head -c $((4 << 20)) /dev/urandom > "$BATS_TEST_TMPDIR/f$n"
        tar -C "$BATS_TEST_TMPDIR" -czf "$BATS_TEST_TMPDIR/l$n.tar.gz" "f$n"
    done
    mk_layout "$BATS_TEST_TMPDIR/img" example.org/big:1 "$BATS_TEST_TMPDIR"/l{1,2,3}.tar.gz
    septa load -i "$BATS_TEST_TMPDIR/img" --format json > "$BATS_TEST_TMPDIR/o1" &
    p1=$!
    septa load -i "$BATS_TEST_TMPDIR/img" --format json > "$BATS_TEST_TMPDIR/o2" &
    p2=$!
    wait $p1
    wait $p2
    [ "$(layer_dirs)" -eq 3 ]
    total=$(( $(jq -r '.[0].layers_unpacked' "$BATS_TEST_TMPDIR/o1") + $(jq -r '.[0].layers_unpacked' "$BATS_TEST_TMPDIR/o2") ))
    [ "$total" -eq 3 ]
    [ "$(septa images --format json | jq length)" -eq 1 ]
    [ -z "$(ls -A "$SEPTA_DATA_ROOT/storage/tmp")" ]
    root=$(septa image inspect example.org/big:1 | jq -r '.[0].LayerDirs[2]')
    cmp "$root/f3" "$BATS_TEST_TMPDIR/f3"
}

@test "store command errors are one line" {
    run septa load
    assert_one_line_error "-i PATH is required"
    run septa load -i "$BATS_TEST_TMPDIR/nope"
    assert_one_line_error "nope"
    mkdir "$BATS_TEST_TMPDIR/empty"
    run septa load -i "$BATS_TEST_TMPDIR/empty"
    assert_one_line_error "neither an OCI layout"
    run septa images --format yaml
    assert_one_line_error "unknown format 'yaml'"
    run septa save -o "$BATS_TEST_TMPDIR/x.tar" example.org/none
    assert_one_line_error "no such image"
    [ ! -e "$BATS_TEST_TMPDIR/x.tar" ]
    run septa tag example.org/none x
    assert_one_line_error "no such image"
    run septa tag busybox 'bad name'
    assert_one_line_error "invalid image name"
    run septa image inspect example.org/none
    assert_one_line_error "no such image"
    run septa rmi
    assert_one_line_error "no image given"
    for c in load save images rmi tag "image inspect"; do
        run septa $c --help
        [ "$status" -eq 0 ]
        [[ $output == Usage:* ]]
    done
}

@test "the built-in image is loaded on first use by its names" {
    run septa tag busybox example.org/mine:1
    [ "$status" -eq 0 ]
    run septa images --format json
    [ "$(jq -r '.[0].digest' <<<"$output")" = "$BUILTIN_DIGEST" ]
    [ "$(jq -r '.[0].names | length' <<<"$output")" -eq 2 ]
}
