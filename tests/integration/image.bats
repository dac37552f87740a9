#!/usr/bin/env bats
# The built-in image: reproducible, verified, found by septa.
load helpers

setup() { common_setup; }

@test "septa image builtin prints the built-in image's digest" {
    run septa image builtin
    [ "$status" -eq 0 ]
    [[ $output == "septa.local/busybox:builtin sha256:"* ]]
    run septa image builtin --format json
    [ "$status" -eq 0 ]
    digest=$(echo "$output" | jq -r .digest)
    [[ $digest =~ ^sha256:[0-9a-f]{64}$ ]]
}

@test "the built-in image is reproducible: same inputs, same digest" {
    run septa image builtin --format json
    want=$(echo "$output" | jq -r .digest)
    a=$(bash "$REPO/images/builtin/mkbusybox.sh" "$BATS_TEST_TMPDIR/a")
    b=$(bash "$REPO/images/builtin/mkbusybox.sh" "$BATS_TEST_TMPDIR/b")
    [ "$a" = "$want" ]
    [ "$b" = "$want" ]
    diff -r "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
}

@test "the built-in image holds busybox-static with its applets and users" {
    dir=$(septa image builtin --format json | jq -r .layout)
    manifest=$(jq -r '.manifests[0].digest' "$dir/index.json" | cut -d: -f2)
    layer=$(jq -r '.layers[0].digest' "$dir/blobs/sha256/$manifest" | cut -d: -f2)
    list=$(tar -tzvf "$dir/blobs/sha256/$layer")
    [[ $list == *"./bin/busybox"* ]]
    [[ $list == *"./bin/sh -> busybox"* ]]
    [[ $list == *"./etc/passwd"* ]]
    # every entry is owned by root and dated at the source epoch
    ! echo "$list" | awk '{print $2}' | grep -v '^0/0$'
    config=$(jq -r '.config.digest' "$dir/blobs/sha256/$manifest" | cut -d: -f2)
    diff_id=$(jq -r '.rootfs.diff_ids[0]' "$dir/blobs/sha256/$config")
    [ "$diff_id" = "sha256:$(gzip -dc "$dir/blobs/sha256/$layer" | sha256sum | cut -d' ' -f1)" ]
}

@test "a corrupted built-in image is refused with the blob named" {
    cp -r "$(septa image builtin --format json | jq -r .layout)" "$BATS_TEST_TMPDIR/img"
    m=$(jq -r '.manifests[0].digest' "$BATS_TEST_TMPDIR/img/index.json" | cut -d: -f2)
    chmod u+w "$BATS_TEST_TMPDIR/img/blobs/sha256/$m"
    echo garbage >> "$BATS_TEST_TMPDIR/img/blobs/sha256/$m"
    SEPTA_BUILTIN_IMAGE=$BATS_TEST_TMPDIR/img run septa image builtin
    assert_one_line_error "blob sha256:$m"
}

@test "a missing built-in image is one clear line" {
    SEPTA_BUILTIN_IMAGE=$BATS_TEST_TMPDIR/none run septa image builtin
    assert_one_line_error "is not an OCI layout"
}

@test "image subcommand errors" {
    run septa image
    [ "$status" -eq 125 ]
    run septa image builtin --format yaml
    assert_one_line_error "unknown format 'yaml'"
    run septa image builtin extra
    assert_one_line_error "unexpected argument 'extra'"
    run septa image nope
    assert_one_line_error "septa image: unknown command 'nope'"
}
