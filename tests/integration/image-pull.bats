#!/usr/bin/env bats
# septa pull against Debian's docker-registry (distribution) started here on
# 127.0.0.1 and seeded with skopeo; stopped and removed in teardown.
load image-helpers

setup() {
    common_setup
    BUILTIN=$(septa image builtin --format json | jq -r .layout)
    BUILTIN_DIGEST=$(septa image builtin --format json | jq -r .digest)
    # The tests below "test server" use tests/integration/registry-server.py instead.
    [[ $BATS_TEST_DESCRIPTION == "test server:"* ]] && return 0
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
}

teardown() {
    [ -n "${REG_PID:-}" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null
    [ -n "${SRV_PID:-}" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
    true
}

# serve [registry-server.py options]: a three-layer image (each layer ~300 KB,
# so a connection dropped halfway has something to resume) served as
# $SRV/test/multi:1; requests are logged as JSON lines to $SRV_LOG.
serve() {
    local d=$BATS_TEST_TMPDIR/srv i
    mkdir -p "$d"
    for i in 1 2 3; do echo "bigfile f$i $((300000 + i * 1000))" | mk_tar "$d/l$i.tar"; done
    IMG_DIGEST=$(mk_layout "$d/layout" multi:1 "$d/l1.tar" "$d/l2.tar" "$d/l3.tar")
    SRV_LOG=$d/log
    python3 "$BATS_TEST_DIRNAME/registry-server.py" --layout "$d/layout" --port-file "$d/port" \
        --log "$SRV_LOG" "$@" 2> "$d/stderr" &
    SRV_PID=$!
    for i in $(seq 1 50); do [ -s "$d/port" ] && break; sleep 0.1; done
    SRV=127.0.0.1:$(cat "$d/port")
    LAYERS=$(jq -r '.layers[].digest' "$d/layout/blobs/sha256/${IMG_DIGEST#sha256:}")
}

# serve_again [registry-server.py options]: the same layout from a new server
# (new port, empty log), as after a registry that came back.
serve_again() {
    local d=$BATS_TEST_TMPDIR/srv i
    kill "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null || true
    rm -f "$d/port"
    : > "$SRV_LOG"
    python3 "$BATS_TEST_DIRNAME/registry-server.py" --layout "$d/layout" --port-file "$d/port" \
        --log "$SRV_LOG" "$@" 2> "$d/stderr" &
    SRV_PID=$!
    for i in $(seq 1 50); do [ -s "$d/port" ] && break; sleep 0.1; done
    SRV=127.0.0.1:$(cat "$d/port")
}

# Size of the partial download of a blob an interrupted pull kept (0: none).
partial_size() { # digest
    local f=$SEPTA_DATA_ROOT/storage/partial/${1#sha256:}
    if [ -f "$f" ]; then stat -c %s "$f"; else echo 0; fi
}

# Blob GETs in the server's log: "RANGE STATUS" per request for one digest.
blob_requests() { # digest
    jq -r --arg d "$1" 'select(.path | endswith("/blobs/" + $d)) | "\(.range) \(.status)"' "$SRV_LOG"
}

authfile() { # user:pass -> path
    printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$SRV" "$(printf %s "$1" | base64)" > "$BATS_TEST_TMPDIR/auth.json"
    echo "$BATS_TEST_TMPDIR/auth.json"
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
    # a whole download that does not verify is not kept for resuming either
    # (a blob the failure interrupted may be: that one resumes next time)
    [ ! -e "$SEPTA_DATA_ROOT/storage/partial/$layer" ]
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

@test "test server: layers download in parallel, at most three at a time" {
    serve --slow 0.5
    run septa pull --tls-verify=false --format json "$SRV/test/multi:1"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "$(jq -r '.[0].digest' <<<"$output")" = "$IMG_DIGEST" ]
    [ "$(jq -r '.[0].layers_unpacked' <<<"$output")" = 3 ]
    # Four blobs (config + three layers), each held open 0.5 s by the server:
    # three were in flight together, never four.
    [ "$(jq -s 'map(.in_flight) | max' "$SRV_LOG")" -eq 3 ]
    for l in $LAYERS; do
        [ "$(sha256sum "$SEPTA_DATA_ROOT/storage/blobs/sha256/${l#sha256:}" | cut -d' ' -f1)" = "${l#sha256:}" ]
    done
}

@test "test server: a connection dropped mid-blob is resumed with a Range request" {
    serve --drop-once
    run septa pull --tls-verify=false --format json "$SRV/test/multi:1"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "$(jq -r '.[0].digest' <<<"$output")" = "$IMG_DIGEST" ]
    for l in $LAYERS; do
        size=$(stat -c %s "$BATS_TEST_TMPDIR/srv/layout/blobs/sha256/${l#sha256:}")
        # first GET: everything, cut at half; second: the rest, from where it stopped
        run blob_requests "$l"
        [ "${lines[0]}" = "null 200" ]
        [ "${lines[1]}" = "bytes=$((size / 2))- 206" ] || { echo "$output"; false; }
        [ "${#lines[@]}" -eq 2 ]
        [ "$(sha256sum "$SEPTA_DATA_ROOT/storage/blobs/sha256/${l#sha256:}" | cut -d' ' -f1)" = "${l#sha256:}" ]
    done
    root=$(septa image inspect "$SRV/test/multi:1" | jq -r '.[0].LayerDirs[2]')
    [ "$(stat -c %s "$root/f3")" -eq 303000 ]
    # no partial blob left behind
    [ -z "$(ls -A "$SEPTA_DATA_ROOT/storage/tmp" 2>/dev/null)" ]
}

@test "test server: a blob that keeps failing gives up after five attempts, in one line" {
    serve --drop 99
    run septa pull --tls-verify=false "$SRV/test/multi:1"
    assert_one_line_error "(after 5 attempts)"
    [[ $output == *"blob sha256:"* ]]
    # the blob that gave up was asked five times, each retry resuming; none more
    counts=$(jq -r 'select(.path | contains("/blobs/")) | .path' "$SRV_LOG" | sort | uniq -c | awk '{print $1}' | sort -n)
    [ "$(echo "$counts" | tail -n1)" -eq 5 ] || { cat "$SRV_LOG"; false; }
    [ "$(jq -r 'select(.path | contains("/blobs/")) | select(.range != null) | .status' "$SRV_LOG" | sort -u)" = 206 ]
    [ -z "$(ls -A "$SEPTA_DATA_ROOT/storage/tmp" 2>/dev/null)" ]
    [ "$(septa images --format json | jq length)" -eq 0 ]
}

@test "test server: a server that ignores Range sends the blob again and it still verifies" {
    serve --drop-once --ignore-range
    run septa pull --tls-verify=false --format json "$SRV/test/multi:1"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "$(jq -r '.[0].digest' <<<"$output")" = "$IMG_DIGEST" ]
    for l in $LAYERS; do
        run blob_requests "$l"
        [[ ${lines[1]} == "bytes="*" 200" ]] || { echo "$output"; false; }
        [ "$(sha256sum "$SEPTA_DATA_ROOT/storage/blobs/sha256/${l#sha256:}" | cut -d' ' -f1)" = "${l#sha256:}" ]
    done
    [ -z "$(ls -A "$SEPTA_DATA_ROOT/storage/tmp" 2>/dev/null)" ]
}

@test "test server: Bearer token from the WWW-Authenticate challenge, fetched with the authfile's credentials" {
    serve --auth bearer --user alice:s3cret
    run septa pull --tls-verify=false --authfile "$(authfile alice:s3cret)" --format json "$SRV/test/multi:1"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "$(jq -r '.[0].digest' <<<"$output")" = "$IMG_DIGEST" ]
    # the token endpoint got basic credentials and the scope; every blob went with the token
    grep -F '"path": "/token?service=septa-test&scope=repository%3Atest%2Fmulti%3Apull", "range": null, "auth": "Basic", "status": 200' "$SRV_LOG" ||
        { cat "$SRV_LOG"; false; }
    [ "$(jq -s '[.[] | select(.path | contains("/blobs/")) | select(.auth != "Bearer")] | length' "$SRV_LOG")" -eq 0 ]
    [ "$(jq -s '[.[] | select(.path | contains("/blobs/"))] | length' "$SRV_LOG")" -eq 4 ]
    # wrong credentials: the token server says no, in one line
    rm -rf "$SEPTA_DATA_ROOT"
    run septa pull --tls-verify=false --authfile "$(authfile alice:wrong)" "$SRV/test/multi:1"
    assert_one_line_error "getting a token from http://$SRV/token: HTTP 401"
    [ "$(septa images --format json | jq length)" -eq 0 ]
}

@test "test server: a token that expires mid-pull is fetched again once and the blob retried" {
    serve --auth bearer --expire-token-once
    run septa pull --tls-verify=false --format json "$SRV/test/multi:1"
    [ "$status" -eq 0 ] || { echo "$output"; cat "$SRV_LOG"; false; }
    [ "$(jq -r '.[0].digest' <<<"$output")" = "$IMG_DIGEST" ]
    [ "$(jq -s '[.[] | select(.path | startswith("/token?"))] | length' "$SRV_LOG")" -eq 2 ]
    [ "$(jq -s '[.[] | select(.path | contains("/blobs/")) | select(.status == 401)] | length' "$SRV_LOG")" -ge 1 ]
    [ "$(jq -s '[.[] | select(.path | contains("/blobs/")) | select(.status == 200)] | length' "$SRV_LOG")" -eq 4 ]
}

@test "test server: basic auth from the authfile; none or wrong ones are denied in one line" {
    serve --auth basic --user alice:s3cret
    run septa pull --tls-verify=false "$SRV/test/multi:1"
    assert_one_line_error "access denied (HTTP 401"
    run septa pull --tls-verify=false --authfile "$(authfile alice:wrong)" "$SRV/test/multi:1"
    assert_one_line_error "access denied (HTTP 401"
    run septa pull --tls-verify=false --authfile "$(authfile alice:s3cret)" --format json "$SRV/test/multi:1"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "$(jq -r '.[0].digest' <<<"$output")" = "$IMG_DIGEST" ]
    [ "$(jq -s '[.[] | select(.path | contains("/blobs/")) | select(.auth == "Basic" and .status == 200)] | length' "$SRV_LOG")" -eq 4 ]
}

@test "test server: progress is drawn in place on a terminal, and absent otherwise" {
    serve --slow 0.3
    # script(1) gives septa a terminal for stderr
    script -qec "$SEPTA pull --tls-verify=false $SRV/test/multi:1" /dev/null > "$BATS_TEST_TMPDIR/tty.out"
    out=$(cat "$BATS_TEST_TMPDIR/tty.out")
    for l in $LAYERS; do
        d=${l#sha256:}
        [[ $out == *"Copying blob ${d:0:12}"*"done"* ]] || { echo "$out"; false; }
    done
    [[ $out == *"300.0KiB / 300.0KiB done"* ]] || { cat -v "$BATS_TEST_TMPDIR/tty.out"; false; }
    # redrawn in place: the cursor goes back up over the blob lines
    grep -q $'\e\[4A' "$BATS_TEST_TMPDIR/tty.out"
    # not a terminal: only the result line
    rm -rf "$SEPTA_DATA_ROOT"
    run septa pull --tls-verify=false "$SRV/test/multi:1"
    [ "$status" -eq 0 ]
    [ "$output" = "$SRV/test/multi:1 $IMG_DIGEST" ]
}

@test "test server: pull -q draws no progress on a terminal, only the result line" {
    serve --slow 0.3
    script -qec "$SEPTA pull -q --tls-verify=false $SRV/test/multi:1" /dev/null > "$BATS_TEST_TMPDIR/tty.out"
    # as podman pull -q: what stdout says is kept, stderr's progress is not
    [ "$(tr -d '\r' < "$BATS_TEST_TMPDIR/tty.out")" = "$SRV/test/multi:1 $IMG_DIGEST" ] ||
        { cat -v "$BATS_TEST_TMPDIR/tty.out"; false; }
    ! grep -q $'\e\[' "$BATS_TEST_TMPDIR/tty.out"
    # the same pull without -q on a terminal does draw (so the check above can fail)
    rm -rf "$SEPTA_DATA_ROOT"
    script -qec "$SEPTA pull --tls-verify=false $SRV/test/multi:1" /dev/null > "$BATS_TEST_TMPDIR/tty2.out"
    grep -q "Copying blob" "$BATS_TEST_TMPDIR/tty2.out"
    run septa pull --quiet --tls-verify=false "$SRV/test/multi:1"
    [ "$status" -eq 0 ]
    [ "$output" = "$SRV/test/multi:1 $IMG_DIGEST" ]
}

@test "test server: a pull that failed keeps its partial blobs; the next pull resumes them with Range" {
    serve --drop 99
    run septa pull --tls-verify=false "$SRV/test/multi:1"
    assert_one_line_error "(after 5 attempts)"
    declare -A held
    for l in $LAYERS; do
        held[$l]=$(partial_size "$l")
        size=$(stat -c %s "$BATS_TEST_TMPDIR/srv/layout/blobs/sha256/${l#sha256:}")
        # five attempts, each cut at half of what was left: 31/32 of it is here
        [ "${held[$l]}" -gt $((size / 2)) ] && [ "${held[$l]}" -lt "$size" ]
        cmp -n "${held[$l]}" "$SEPTA_DATA_ROOT/storage/partial/${l#sha256:}" \
            "$BATS_TEST_TMPDIR/srv/layout/blobs/sha256/${l#sha256:}"
    done
    serve_again
    run septa pull --tls-verify=false --format json "$SRV/test/multi:1"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "$(jq -r '.[0].digest' <<<"$output")" = "$IMG_DIGEST" ]
    for l in $LAYERS; do
        run blob_requests "$l"
        # one request, for the rest only
        [ "$output" = "bytes=${held[$l]}- 206" ] || { echo "$l: $output"; false; }
        [ "$(sha256sum "$SEPTA_DATA_ROOT/storage/blobs/sha256/${l#sha256:}" | cut -d' ' -f1)" = "${l#sha256:}" ]
    done
    [ -z "$(ls -A "$SEPTA_DATA_ROOT/storage/partial")" ]
}

@test "test server: septa killed with SIGKILL mid-download; the next pull resumes where it stopped" {
    serve --slow 5
    "$SEPTA" pull --tls-verify=false "$SRV/test/multi:1" > "$BATS_TEST_TMPDIR/bg.out" 2>&1 &
    pid=$!
    # the server sends half of each blob, then pauses (three at a time, the
    # config among them): wait for two layers' halves, then kill it
    for i in $(seq 1 100); do
        n=0
        for l in $LAYERS; do [ "$(partial_size "$l")" -gt 0 ] && n=$((n + 1)); done
        [ "$n" -ge 2 ] && break
        sleep 0.1
    done
    kill -9 "$pid" || { cat "$BATS_TEST_TMPDIR/bg.out"; false; }
    wait "$pid" || true
    declare -A held
    started=0
    for l in $LAYERS; do
        held[$l]=$(partial_size "$l")
        [ "${held[$l]}" -gt 0 ] && started=$((started + 1))
    done
    [ "$started" -ge 2 ]
    serve_again
    run septa pull --tls-verify=false --format json "$SRV/test/multi:1"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "$(jq -r '.[0].digest' <<<"$output")" = "$IMG_DIGEST" ]
    for l in $LAYERS; do
        run blob_requests "$l"
        if [ "${held[$l]}" -gt 0 ]; then
            [ "$output" = "bytes=${held[$l]}- 206" ] || { echo "$l: $output"; false; }
        else
            [ "$output" = "null 200" ] || { echo "$l: $output"; false; }
        fi
    done
    root=$(septa image inspect "$SRV/test/multi:1" | jq -r '.[0].LayerDirs[2]')
    [ "$(stat -c %s "$root/f3")" -eq 303000 ]
    [ -z "$(ls -A "$SEPTA_DATA_ROOT/storage/partial")" ]
}

@test "test server: a partial blob whose data does not verify is discarded and fetched whole" {
    serve --drop 99
    run septa pull --tls-verify=false "$SRV/test/multi:1"
    [ "$status" -eq 125 ]
    set -- $LAYERS
    bad=$1 whole=$2 fine=$3
    held=$(partial_size "$bad")
    [ "$held" -gt 0 ]
    printf 'X' | dd of="$SEPTA_DATA_ROOT/storage/partial/${bad#sha256:}" bs=1 seek=10 conv=notrunc 2>/dev/null
    # a partial that is the whole blob (killed just before storing it) needs no request
    cp "$BATS_TEST_TMPDIR/srv/layout/blobs/sha256/${whole#sha256:}" "$SEPTA_DATA_ROOT/storage/partial/"
    fheld=$(partial_size "$fine")
    serve_again
    run septa pull --tls-verify=false --format json "$SRV/test/multi:1"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "$(jq -r '.[0].digest' <<<"$output")" = "$IMG_DIGEST" ]
    run blob_requests "$bad"
    [ "${lines[0]}" = "bytes=$held- 206" ] && [ "${lines[1]}" = "null 200" ] && [ "${#lines[@]}" -eq 2 ] ||
        { echo "$output"; false; }
    [ -z "$(blob_requests "$whole")" ]
    [ "$(blob_requests "$fine")" = "bytes=$fheld- 206" ]
    for l in $LAYERS; do
        [ "$(sha256sum "$SEPTA_DATA_ROOT/storage/blobs/sha256/${l#sha256:}" | cut -d' ' -f1)" = "${l#sha256:}" ]
    done
    [ -z "$(ls -A "$SEPTA_DATA_ROOT/storage/partial")" ]
}

@test "test server: septa gc removes the partial blobs an interrupted pull left" {
    serve --drop 99
    run septa pull --tls-verify=false "$SRV/test/multi:1"
    [ "$status" -eq 125 ]
    n=$(ls "$SEPTA_DATA_ROOT/storage/partial" | wc -l)
    [ "$n" -ge 3 ]
    bytes=$(du -cb "$SEPTA_DATA_ROOT"/storage/partial/* | tail -n1 | cut -f1)
    [ "$(septa system df --format json | jq .partial)" -ge "$bytes" ]
    run septa gc --format json
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "$(jq -r .partials_removed <<<"$output")" -eq "$n" ]
    [ "$(jq -r .bytes_freed <<<"$output")" -ge $((bytes - 4096 * n)) ]
    [ -z "$(ls -A "$SEPTA_DATA_ROOT/storage/partial")" ]
    [ "$(septa system df --format json | jq .partial)" -le 4096 ]  # the empty directory
    run septa gc
    [[ $output == *"0 partial downloads"* ]]
}

@test "test server: two pulls of one image at once: the second downloads privately, both succeed" {
    serve --slow 1
    "$SEPTA" pull --tls-verify=false "$SRV/test/multi:1" > "$BATS_TEST_TMPDIR/p1" 2>&1 &
    p1=$!
    "$SEPTA" pull --tls-verify=false "$SRV/test/multi:1" > "$BATS_TEST_TMPDIR/p2" 2>&1 &
    p2=$!
    wait "$p1" || { cat "$BATS_TEST_TMPDIR/p1"; false; }
    wait "$p2" || { cat "$BATS_TEST_TMPDIR/p2"; false; }
    [ "$(cat "$BATS_TEST_TMPDIR/p1")" = "$SRV/test/multi:1 $IMG_DIGEST" ]
    [ "$(cat "$BATS_TEST_TMPDIR/p2")" = "$SRV/test/multi:1 $IMG_DIGEST" ]
    for l in $LAYERS; do
        [ "$(sha256sum "$SEPTA_DATA_ROOT/storage/blobs/sha256/${l#sha256:}" | cut -d' ' -f1)" = "${l#sha256:}" ]
    done
    [ -z "$(ls -A "$SEPTA_DATA_ROOT/storage/partial")" ]
    [ -z "$(ls -A "$SEPTA_DATA_ROOT/storage/tmp")" ]
}
