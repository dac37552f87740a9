#!/usr/bin/env bats
# Guest disks: qcow2 overlays on a read-only base, ext4 disks from an image.
load image-helpers

setup() { common_setup; }

@test "disk create --image makes an ext4 disk of the image's root filesystem" {
    run septa disk create --image busybox --size 32M "$BATS_TEST_TMPDIR/root.img"
    [ "$status" -eq 0 ]
    [ "$(stat -c %s "$BATS_TEST_TMPDIR/root.img")" -eq $((32 << 20)) ]
    [ "$(blkid -o value -s TYPE "$BATS_TEST_TMPDIR/root.img")" = ext4 ]
    [ "$(blkid -o value -s LABEL "$BATS_TEST_TMPDIR/root.img")" = septa-root ]
    run debugfs -R 'stat /bin/busybox' "$BATS_TEST_TMPDIR/root.img"
    [[ $output == *"Mode:  0755"* ]]
    [ "$(debugfs -R 'cat /bin/busybox' "$BATS_TEST_TMPDIR/root.img" 2>/dev/null | sha256sum)" = \
      "$(sha256sum < "$(septa image inspect busybox | jq -r '.[0].LayerDirs[0]')/bin/busybox")" ]
    # the temporary merged view is gone
    [ -z "$(ls -A "$SEPTA_DATA_ROOT/storage/containers")" ]
    ! findmnt -rn -o TARGET | grep -qF "$SEPTA_DATA_ROOT"
}

@test "whiteouts of later layers are applied on the disk" {
    printf 'dir etc\nfile etc/a one\nfile etc/gone x\n' | mk_tar "$BATS_TEST_TMPDIR/l1.tar"
    printf 'dir etc\nfile etc/.wh.gone \n' | mk_tar "$BATS_TEST_TMPDIR/l2.tar"
    mk_layout "$BATS_TEST_TMPDIR/img" example.org/wh:1 "$BATS_TEST_TMPDIR/l1.tar" "$BATS_TEST_TMPDIR/l2.tar" >/dev/null
    septa load -q -i "$BATS_TEST_TMPDIR/img"
    septa disk create --image example.org/wh:1 --size 8M "$BATS_TEST_TMPDIR/d.img"
    run debugfs -R 'ls /etc' "$BATS_TEST_TMPDIR/d.img"
    [[ $output == *" a "* || $output == *"a  "* || $output == *" a"* ]]
    [[ $output != *gone* ]]
}

@test "disk create --backing makes a qcow2 overlay; the base is not written" {
    qemu-img create -q -f raw "$BATS_TEST_TMPDIR/base.img" 16M
    before=$(sha256sum < "$BATS_TEST_TMPDIR/base.img")
    run septa disk create --backing "$BATS_TEST_TMPDIR/base.img" --size 32M "$BATS_TEST_TMPDIR/o.qcow2"
    [ "$status" -eq 0 ]
    run qemu-img info --output json "$BATS_TEST_TMPDIR/o.qcow2"
    [ "$(jq -r .format <<<"$output")" = qcow2 ]
    [ "$(jq -r '."backing-filename"' <<<"$output")" = "$BATS_TEST_TMPDIR/base.img" ]
    [ "$(jq -r '."backing-filename-format"' <<<"$output")" = raw ]
    [ "$(jq -r '."virtual-size"' <<<"$output")" -eq $((32 << 20)) ]
    # a qcow2 base is recognised by its header
    run septa disk create --backing "$BATS_TEST_TMPDIR/o.qcow2" "$BATS_TEST_TMPDIR/o2.qcow2"
    [ "$status" -eq 0 ]
    [ "$(qemu-img info --output json "$BATS_TEST_TMPDIR/o2.qcow2" | jq -r '."backing-filename-format"')" = qcow2 ]
    qemu-io -c 'write -P 0xab 0 64k' "$BATS_TEST_TMPDIR/o.qcow2" >/dev/null
    [ "$(sha256sum < "$BATS_TEST_TMPDIR/base.img")" = "$before" ]
}

@test "disk errors are one line and leave no output" {
    run septa disk create --backing "$BATS_TEST_TMPDIR/none.img" "$BATS_TEST_TMPDIR/o.qcow2"
    assert_one_line_error "none.img"
    [ ! -e "$BATS_TEST_TMPDIR/o.qcow2" ]
    touch "$BATS_TEST_TMPDIR/exists"
    run septa disk create --image busybox --size 8M "$BATS_TEST_TMPDIR/exists"
    assert_one_line_error "already exists"
    run septa disk create --image busybox --size 1M "$BATS_TEST_TMPDIR/small.img"
    [ "$status" -eq 125 ]
    [[ $output == *"mke2fs"* ]]
    [ ! -e "$BATS_TEST_TMPDIR/small.img" ]
    [ -z "$(ls -A "$SEPTA_DATA_ROOT/storage/containers")" ]
    run septa disk create --image busybox "$BATS_TEST_TMPDIR/x.img"
    assert_one_line_error "--image needs --size"
    run septa disk create "$BATS_TEST_TMPDIR/x.img"
    assert_one_line_error "exactly one of --backing and --image"
    run septa disk create --help
    [ "$status" -eq 0 ]
}
