#!/usr/bin/env bats
# septa pull against Debian's docker-registry (distribution) started here on
# 127.0.0.1 and seeded with skopeo; stopped and removed in teardown.
load image-helpers

setup() {
    common_setup
    command -v docker-registry >/dev/null && command -v skopeo >/dev/null ||
        skip "docker-registry and skopeo are not installed (tests/setup installs them)"
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    REG=127.0.0.1:$PORT
    mkdir -p "$BATS_TEST_TMPDIR/reg"
    cat > "$BATS_TEST_TMPDIR/reg/config.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $BATS_TEST_TMPDIR/reg/data
http:
  addr: $REG
YML
    docker-registry serve "$BATS_TEST_TMPDIR/reg/config.yml" > "$BATS_TEST_TMPDIR/reg/log" 2>&1 &
    REG_PID=$!
    for i in $(seq 1 50); do curl -sf "http://$REG/v2/" >/dev/null && break; sleep 0.1; done
    BUILTIN=$(septa image builtin --format json | jq -r .layout)
    BUILTIN_DIGEST=$(septa image builtin --format json | jq -r .digest)
}

teardown() {
    [ -n "${REG_PID:-}" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null
    true
}

seed() { # OCI-LAYOUT-DIR:REF  REPO:TAG  [skopeo options]
    local src=$1 dst=$2; shift 2
    skopeo copy -q --dest-tls-verify=false "$@" "oci:$src" "docker://$REG/$dst"
}

@test "pull an image: same digest as its source, layers verified and unpacked" {
    seed "$BUILTIN:septa.local/busybox:builtin" test/busybox:1
    run septa pull --tls-verify=false --format json "$REG/test/busybox:1"
    [ "$status" -eq 0 ]
    [ "$(jq -r '.[0].digest' <<<"$output")" = "$BUILTIN_DIGEST" ]
    [ "$(jq -r '.[0].name' <<<"$output")" = "$REG/test/busybox:1" ]
    [ "$(jq -r '.[0].layers_unpacked' <<<"$output")" = 1 ]
    root=$(septa image inspect "$REG/test/busybox:1" | jq -r '.[0].LayerDirs[0]')
    [ -x "$root/bin/busybox" ]
    # again: nothing downloaded or unpacked twice
    run septa pull --tls-verify=false --format json "$REG/test/busybox:1"
    [ "$(jq -r '.[0].layers_unpacked' <<<"$output")" = 0 ]
    # by digest: no name, same image
    run septa pull --tls-verify=false --format json "$REG/test/busybox@$BUILTIN_DIGEST"
    [ "$status" -eq 0 ]
    [ "$(jq -r '.[0].digest' <<<"$output")" = "$BUILTIN_DIGEST" ]
    [ "$(septa images --format json | jq length)" -eq 1 ]
}

@test "a multi-platform index pulls the host's manifest" {
    echo "file hello $ARCH" | mk_tar "$BATS_TEST_TMPDIR/l.tar"
    m=$(mk_layout "$BATS_TEST_TMPDIR/multi" x "$BATS_TEST_TMPDIR/l.tar")
    dir=$BATS_TEST_TMPDIR/multi
    ms=$(stat -c %s "$dir/blobs/sha256/${m#sha256:}")
    # a second platform: a real image whose config says arm64
    echo "file hello arm" | mk_tar "$BATS_TEST_TMPDIR/a.tar"
    a=$(mk_layout "$BATS_TEST_TMPDIR/arm" x "$BATS_TEST_TMPDIR/a.tar")
    cp "$BATS_TEST_TMPDIR"/arm/blobs/sha256/* "$dir/blobs/sha256/"
    as=$(stat -c %s "$dir/blobs/sha256/${a#sha256:}")
    jq -n --arg m "$m" --argjson ms "$ms" --arg a "$a" --argjson asz "$as" --arg h "$ARCH" \
        '{schemaVersion:2, mediaType:"application/vnd.oci.image.index.v1+json", manifests:[
          {mediaType:"application/vnd.oci.image.manifest.v1+json", digest:$a, size:$asz, platform:{architecture:"arm64", os:"linux"}},
          {mediaType:"application/vnd.oci.image.manifest.v1+json", digest:$m, size:$ms, platform:{architecture:$h, os:"linux"}}]}' > "$dir/idx"
    i=$(sha "$dir/idx"); is=$(stat -c %s "$dir/idx"); mv "$dir/idx" "$dir/blobs/sha256/$i"
    jq -n --arg i "sha256:$i" --argjson is "$is" \
        '{schemaVersion:2, manifests:[{mediaType:"application/vnd.oci.image.index.v1+json", digest:$i, size:$is,
          annotations:{"org.opencontainers.image.ref.name":"multi"}}]}' > "$dir/index.json"
    seed "$dir:multi" test/multi:1 --all
    # skopeo compresses plain layers on push, so ask the registry what it holds
    want=$(curl -sf -H 'Accept: application/vnd.oci.image.index.v1+json' "http://$REG/v2/test/multi/manifests/1" |
        jq -r --arg h "$ARCH" '.manifests[] | select(.platform.architecture == $h) | .digest')
    [[ $want == sha256:* ]]
    run septa pull --tls-verify=false --format json "$REG/test/multi:1"
    [ "$status" -eq 0 ]
    [ "$(jq -r '.[0].digest' <<<"$output")" = "$want" ]
    root=$(septa image inspect "$REG/test/multi:1" | jq -r '.[0].LayerDirs[0]')
    [ "$(cat "$root/hello")" = "$ARCH" ]
}

@test "a blob the registry serves corrupted is refused and nothing of it stored" {
    seed "$BUILTIN:septa.local/busybox:builtin" test/busybox:1
    m=$(jq -r '.manifests[0].digest' "$BUILTIN/index.json" | cut -d: -f2)
    layer=$(jq -r '.layers[0].digest' "$BUILTIN/blobs/sha256/$m" | cut -d: -f2)
    data=$(find "$BATS_TEST_TMPDIR/reg/data" -path "*/blobs/sha256/*/$layer/data")
    [ -f "$data" ]
    printf 'X' | dd of="$data" bs=1 seek=1000 conv=notrunc 2>/dev/null
    run septa pull --tls-verify=false "$REG/test/busybox:1"
    assert_one_line_error "blob sha256:$layer: content has digest"
    [ ! -e "$SEPTA_DATA_ROOT/storage/blobs/sha256/$layer" ]
    assert_store_clean_of_layers
    [ "$(septa images --format json | jq length)" -eq 0 ]
}

@test "pull errors are one line" {
    seed "$BUILTIN:septa.local/busybox:builtin" test/busybox:1
    run septa pull --tls-verify=false "$REG/test/busybox:nope"
    assert_one_line_error "manifest nope: not found"
    run septa pull --tls-verify=false "$REG/test/absent:1"
    assert_one_line_error "not found"
    # TLS is verified by default: a plain-http registry is refused
    run septa pull "$REG/test/busybox:1"
    assert_one_line_error "https://$REG/v2/"
    run septa pull --tls-verify=false "$REG/Test/UPPER:1"
    assert_one_line_error "invalid repository name"
    run septa pull --tls-verify=maybe "$REG/test/busybox:1"
    assert_one_line_error "--tls-verify"
    run septa pull
    assert_one_line_error "expected one image reference"
    [ "$(septa images --format json | jq length)" -eq 0 ]
}
