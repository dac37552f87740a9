#!/usr/bin/env bats
# `septa run` for people: the built-in image's commands as a user types them,
# the image config merged with the options, exit statuses, and nothing left
# behind (no mount, no state, no root) after --rm.
load image-helpers
bats_require_minimum_version 1.5.0

setup() {
    common_setup
    "$SEPTA" run --help >/dev/null 2>&1 || skip "septa run is not built into $SEPTA yet"
}

teardown() {
    local m
    for m in $(findmnt -rn -o TARGET | grep -F "$BATS_TEST_TMPDIR" | sort -r); do
        umount -l "$m" || true
    done
}

assert_nothing_left() {
    [ -z "$(ls -A "$SEPTA_DATA_ROOT/storage/containers" 2>/dev/null)" ] || { ls -la "$SEPTA_DATA_ROOT/storage/containers"; return 1; }
    [ -z "$(ls -A "$SEPTA_ROOT" 2>/dev/null | grep -v '\.lock$')" ] || { ls -la "$SEPTA_ROOT"; return 1; }
    ! findmnt -rn -o TARGET | grep -qF "$SEPTA_DATA_ROOT"
}

@test "run --rm of the built-in image's commands works as typed" {
    run septa run --rm busybox echo hello
    [ "$status" -eq 0 ]
    [ "$output" = hello ]
    for cmd in "true" "ls /bin/busybox" "cat /etc/passwd" "uname -s" "sh -c exit" "sh -c id" "date +%Y"; do
        run septa run --rm busybox $cmd
        [ "$status" -eq 0 ] || { echo "$cmd: $output"; return 1; }
    done
    # every command the image links to busybox runs by its name (with --help,
    # which every applet understands without touching anything)
    run septa run --rm busybox ls /bin
    for app in $output; do
        [ "$app" = busybox ] && continue
        run septa run --rm busybox "$app" --help
        [ "$status" -ne 125 ] && [ "$status" -ne 126 ] && [ "$status" -ne 127 ] || { echo "$app: $status $output"; return 1; }
    done
    assert_nothing_left
}

@test "the exit status is the workload's; 127 and 126 for missing and unrunnable commands" {
    run septa run --rm busybox sh -c 'exit 7'
    [ "$status" -eq 7 ]
    run -127 septa run --rm busybox no-such-cmd
    [ "$status" -eq 127 ]
    [[ $output == *"no-such-cmd"* ]]
    run -126 septa run --rm busybox /etc/passwd
    [ "$status" -eq 126 ]
    assert_nothing_left
}

@test "options merge with the image config: env, workdir, user, hostname" {
    run septa run --rm -e A=1 -e PATH=/bin -w /etc -u nobody --hostname box busybox \
        sh -c 'echo "$A|$PATH|$(pwd)|$(id -u):$(id -g)|$(hostname)"'
    [ "$status" -eq 0 ]
    [ "$output" = "1|/bin|/etc|65534:65534|box" ]
    printf 'B=2\n# comment\nC=3\n' > "$BATS_TEST_TMPDIR/env"
    run septa run --rm --env-file "$BATS_TEST_TMPDIR/env" busybox sh -c 'echo $B$C'
    [ "$output" = 23 ]
    run septa run --rm --entrypoint /bin/echo busybox hi there
    [ "$output" = "hi there" ]
    run septa run --rm -u nosuchuser busybox true
    assert_one_line_error "user 'nosuchuser': not found in the image's /etc/passwd"
    assert_nothing_left
}

@test "--read-only, -v and --tmpfs" {
    mkdir "$BATS_TEST_TMPDIR/vol"
    echo data > "$BATS_TEST_TMPDIR/vol/f"
    run septa run --rm --read-only busybox sh -c 'touch /x 2>/dev/null && echo bad; touch /tmp/y && echo ok'
    [ "$output" = ok ]
    run septa run --rm -v "$BATS_TEST_TMPDIR/vol:/v:ro" busybox sh -c 'cat /v/f; { echo z > /v/g; } 2>/dev/null || echo ro'
    [ "$output" = "$(printf 'data\nro')" ]
    run septa run --rm -v "$BATS_TEST_TMPDIR/vol:/v" busybox sh -c 'echo w > /v/g'
    [ "$(cat "$BATS_TEST_TMPDIR/vol/g")" = w ]
    # a name instead of a host path is a named volume, created on first use
    run septa run --rm -v cache:/c busybox sh -c 'echo kept > /c/f'
    [ "$status" -eq 0 ]
    mp=$(septa volume inspect cache | jq -r '.[0].mountpoint')
    [ "$(cat "$mp/f")" = kept ]
    run septa run --rm -v cache:/c:ro busybox cat /c/f
    [ "$output" = kept ]
    run septa run --rm --tmpfs /scratch busybox sh -c 'grep -c " /scratch tmpfs" /proc/mounts'
    [ "$output" = 1 ]
    assert_nothing_left
}

@test "the default profile drops capabilities and masks /proc paths" {
    run septa run --rm busybox sh -c 'grep CapEff /proc/self/status'
    [ "$output" = "CapEff:	00000000800405fb" ]
    run septa run --rm --cap-drop ALL busybox sh -c 'grep CapEff /proc/self/status'
    [ "$output" = "CapEff:	0000000000000000" ]
    run septa run --rm busybox sh -c '{ echo 1 > /proc/sys/kernel/panic; } 2>/dev/null || echo ro'
    [ "$output" = ro ]
    assert_nothing_left
}

@test "--rm roots are volatile overlays (no syncs, as podman's --rm); kept ones are not" {
    run septa run --rm --network none busybox sh -c 'grep "^overlay / " /proc/mounts'
    [ "$status" -eq 0 ]
    # "volatile", which kernels since 6.x show as "fsync=volatile"
    [[ $output == *"volatile"* ]] || { echo "$output"; false; }
    run septa run --name kept --network none busybox sh -c 'grep "^overlay / " /proc/mounts'
    [ "$status" -eq 0 ]
    [[ $output == *"upperdir="* && $output != *"volatile"* ]] || { echo "$output"; false; }
    id=$(ls "$SEPTA_DATA_ROOT/storage/containers")
    [ "$(jq -r .volatile "$SEPTA_DATA_ROOT/storage/containers/$id/rootfs.json")" = false ]
    "$SEPTA" rm kept >/dev/null
    # -d --rm too: the root goes with the container
    cid=$(septa run -d --rm --network none busybox sleep 30)
    [ "$(jq -r .volatile "$SEPTA_DATA_ROOT/storage/containers/$cid/rootfs.json")" = true ]
    "$SEPTA" rm -f "$cid" >/dev/null
    assert_nothing_left
}

@test "without --rm the root stays until gc finds its container gone" {
    run septa run --name keepme busybox sh -c 'echo x > /made'
    [ "$status" -eq 0 ]
    run septa run --name keepme busybox true
    assert_one_line_error "the name 'keepme' is already in use"
    id=$(ls "$SEPTA_DATA_ROOT/storage/containers")
    [ "$(cat "$SEPTA_DATA_ROOT/storage/containers/$id/upper/made")" = x ]
    run septa gc --format json
    [ "$(jq -r '.roots_removed[0]' <<<"$output")" = "$id" ]
    assert_nothing_left
}

@test "run errors are one line" {
    run septa run
    assert_one_line_error "no image given"
    run septa run --rm example.org/none:1 true
    assert_one_line_error "image 'example.org/none:1': no such image"
    run septa run --rm --memory lots busybox true
    assert_one_line_error "--memory"
    run septa run --rm --cap-add CAP_FLY busybox true
    assert_one_line_error "unknown capability 'CAP_FLY'"
    run septa run --rm -v /tmp:relative busybox true
    assert_one_line_error "the container path must be absolute"
    run septa run --rm -v ../up:/x busybox true
    assert_one_line_error "invalid volume name '../up'"
    assert_nothing_left
}

@test "an image for another architecture is one clear line" {
    echo "file x y" | mk_tar "$BATS_TEST_TMPDIR/l.tar"
    mk_layout "$BATS_TEST_TMPDIR/img" example.org/foreign:1 "$BATS_TEST_TMPDIR/l.tar" >/dev/null
    m=$(jq -r '.manifests[0].digest' "$BATS_TEST_TMPDIR/img/index.json" | cut -d: -f2)
    # rewrite the config for s390x, then the manifest and index that name it
    c=$(jq -r .config.digest "$BATS_TEST_TMPDIR/img/blobs/sha256/$m" | cut -d: -f2)
    jq '.architecture = "s390x"' "$BATS_TEST_TMPDIR/img/blobs/sha256/$c" > "$BATS_TEST_TMPDIR/c"
    c2=$(sha "$BATS_TEST_TMPDIR/c"); mv "$BATS_TEST_TMPDIR/c" "$BATS_TEST_TMPDIR/img/blobs/sha256/$c2"
    jq --arg c "sha256:$c2" --argjson s "$(stat -c %s "$BATS_TEST_TMPDIR/img/blobs/sha256/$c2")" \
        '.config.digest = $c | .config.size = $s' "$BATS_TEST_TMPDIR/img/blobs/sha256/$m" > "$BATS_TEST_TMPDIR/m"
    m2=$(sha "$BATS_TEST_TMPDIR/m"); mv "$BATS_TEST_TMPDIR/m" "$BATS_TEST_TMPDIR/img/blobs/sha256/$m2"
    jq --arg m "sha256:$m2" --argjson s "$(stat -c %s "$BATS_TEST_TMPDIR/img/blobs/sha256/$m2")" \
        '.manifests[0].digest = $m | .manifests[0].size = $s' "$BATS_TEST_TMPDIR/img/index.json" > "$BATS_TEST_TMPDIR/i"
    mv "$BATS_TEST_TMPDIR/i" "$BATS_TEST_TMPDIR/img/index.json"
    septa load -q -i "$BATS_TEST_TMPDIR/img"
    run septa run --rm example.org/foreign:1 true
    assert_one_line_error "image 'example.org/foreign:1' is for s390x, this host is $ARCH"
    assert_nothing_left
}
