#!/usr/bin/env bats
# Safe unpacking: a corpus of hostile layers made here, each refused or
# confined with nothing written outside the layer; whiteouts; limits; kept
# metadata; compression formats.
load image-helpers

setup() {
    common_setup
    OUT=$BATS_TEST_TMPDIR/outside
    mkdir -p "$OUT"
    MNT=$BATS_TEST_TMPDIR/mnt
}

teardown() {
    if mountpoint -q "$MNT" 2>/dev/null; then umount "$MNT"; fi
}

# load_layers NAME TAR... ; status/output of the load in $status/$output
load_layers() {
    local name=$1; shift
    rm -rf "$BATS_TEST_TMPDIR/layout"
    mk_layout "$BATS_TEST_TMPDIR/layout" "$name" "$@" >/dev/null
    run septa load -i "$BATS_TEST_TMPDIR/layout"
}

layer_root() { # image index
    septa image inspect "$1" | jq -r ".[0].LayerDirs[$2]"
}

assert_outside_untouched() {
    [ -z "$(ls -A "$OUT")" ] || { ls -la "$OUT"; return 1; }
    [ ! -e "$BATS_TEST_TMPDIR/pwned" ]
    [ ! -e /tmp/septa-pwned ]
}

@test "path traversal with .. is refused, naming the entry, leaving nothing" {
    printf 'file ../../../../pwned x\n' | mk_tar "$BATS_TEST_TMPDIR/l.tar"
    load_layers example.org/evil:1 "$BATS_TEST_TMPDIR/l.tar"
    assert_one_line_error "entry '../../../../pwned': '..' in a path is refused"
    assert_outside_untouched
    assert_store_clean_of_layers
    printf 'dir a\nfile a/../../pwned x\n' | mk_tar "$BATS_TEST_TMPDIR/l2.tar"
    load_layers example.org/evil:2 "$BATS_TEST_TMPDIR/l2.tar"
    assert_one_line_error "entry 'a/../../pwned'"
    assert_outside_untouched
    assert_store_clean_of_layers
}

@test "absolute names are confined to the layer root" {
    printf 'file /tmp/septa-pwned x\n' | mk_tar "$BATS_TEST_TMPDIR/l.tar"
    load_layers example.org/abs:1 "$BATS_TEST_TMPDIR/l.tar"
    [ "$status" -eq 0 ]
    assert_outside_untouched
    [ "$(cat "$(layer_root example.org/abs:1 0)/tmp/septa-pwned")" = x ]
}

@test "an absolute symlink escape is never followed" {
    printf 'symlink esc %s\nfile esc/pwned x\n' "$OUT" | mk_tar "$BATS_TEST_TMPDIR/l.tar"
    load_layers example.org/evil:1 "$BATS_TEST_TMPDIR/l.tar"
    assert_one_line_error "entry 'esc/pwned'"
    assert_outside_untouched
    assert_store_clean_of_layers
}

@test "a relative symlink escape is never followed" {
    printf 'dir a\nsymlink a/up ../../../../../../../../..%s\nfile a/up/pwned x\n' "$OUT" |
        mk_tar "$BATS_TEST_TMPDIR/l.tar"
    load_layers example.org/evil:1 "$BATS_TEST_TMPDIR/l.tar"
    assert_one_line_error "entry 'a/up/pwned'"
    assert_outside_untouched
    assert_store_clean_of_layers
}

@test "a symlink parent that stays inside the root is resolved inside it" {
    printf 'dir usr\ndir usr/lib\nsymlink lib /usr/lib\nfile lib/libx.so x\n' | mk_tar "$BATS_TEST_TMPDIR/l.tar"
    load_layers example.org/merged:1 "$BATS_TEST_TMPDIR/l.tar"
    [ "$status" -eq 0 ]
    root=$(layer_root example.org/merged:1 0)
    [ "$(cat "$root/usr/lib/libx.so")" = x ]
    [ "$(readlink "$root/lib")" = /usr/lib ]
}

@test "hardlinks out of the root are refused" {
    echo secret > "$OUT/secret"
    printf 'hardlink h ../../../../../../..%s/secret\n' "$OUT" | mk_tar "$BATS_TEST_TMPDIR/l.tar"
    load_layers example.org/evil:1 "$BATS_TEST_TMPDIR/l.tar"
    assert_one_line_error "entry 'h'"
    assert_store_clean_of_layers
    printf 'hardlink h %s/secret\n' "$OUT" | mk_tar "$BATS_TEST_TMPDIR/l2.tar"
    load_layers example.org/evil:2 "$BATS_TEST_TMPDIR/l2.tar"
    assert_one_line_error "entry 'h'"
    assert_store_clean_of_layers
    # through a symlink: the link is resolved inside the root, where there is no secret
    printf 'symlink s %s\nhardlink h s/secret\n' "$OUT" | mk_tar "$BATS_TEST_TMPDIR/l3.tar"
    load_layers example.org/evil:3 "$BATS_TEST_TMPDIR/l3.tar"
    assert_one_line_error "entry 'h'"
    assert_store_clean_of_layers
    [ "$(stat -c %h "$OUT/secret")" -eq 1 ]
}

@test "a hardlink to a symlink links the symlink, not its target" {
    echo secret > "$OUT/secret"
    printf 'symlink s %s/secret\nhardlink h s\n' "$OUT" | mk_tar "$BATS_TEST_TMPDIR/l.tar"
    load_layers example.org/hl:1 "$BATS_TEST_TMPDIR/l.tar"
    [ "$status" -eq 0 ]
    root=$(layer_root example.org/hl:1 0)
    [ -L "$root/h" ]
    [ "$(stat -c %h "$OUT/secret")" -eq 1 ]
}

@test "a symlink replaced by a directory in a later layer stays inside" {
    printf 'symlink x %s\n' "$OUT" | mk_tar "$BATS_TEST_TMPDIR/l1.tar"
    printf 'dir x\nfile x/pwned x\n' | mk_tar "$BATS_TEST_TMPDIR/l2.tar"
    load_layers example.org/swap:1 "$BATS_TEST_TMPDIR/l1.tar" "$BATS_TEST_TMPDIR/l2.tar"
    [ "$status" -eq 0 ]
    assert_outside_untouched
    [ -f "$(layer_root example.org/swap:1 1)/x/pwned" ]
    # and within one layer: symlink first, then a directory of the same name
    printf 'symlink y %s\ndir y\nfile y/pwned x\n' "$OUT" | mk_tar "$BATS_TEST_TMPDIR/l3.tar"
    load_layers example.org/swap:2 "$BATS_TEST_TMPDIR/l3.tar"
    [ "$status" -eq 0 ]
    assert_outside_untouched
    [ -d "$(layer_root example.org/swap:2 0)/y" ] && [ ! -L "$(layer_root example.org/swap:2 0)/y" ]
}

@test "device nodes are created inside the layer (root may create them)" {
    printf 'dir dev\nchardev dev/mynull 1:3\n' | mk_tar "$BATS_TEST_TMPDIR/l.tar"
    load_layers example.org/dev:1 "$BATS_TEST_TMPDIR/l.tar"
    [ "$status" -eq 0 ]
    root=$(layer_root example.org/dev:1 0)
    [ -c "$root/dev/mynull" ]
    [ "$(stat -c %t:%T "$root/dev/mynull")" = 1:3 ]
}

@test "a decompression bomb stops at the size limit and leaves nothing" {
    printf 'bigfile zeros %s\n' $((256 << 20)) | mk_tar "$BATS_TEST_TMPDIR/bomb.tar"
    zstd -q -19 --rm "$BATS_TEST_TMPDIR/bomb.tar" -o "$BATS_TEST_TMPDIR/bomb.tar.zst"
    [ "$(stat -c %s "$BATS_TEST_TMPDIR/bomb.tar.zst")" -lt 100000 ]
    rm -rf "$BATS_TEST_TMPDIR/layout"
    mk_layout "$BATS_TEST_TMPDIR/layout" example.org/bomb:1 "$BATS_TEST_TMPDIR/bomb.tar.zst" >/dev/null
    SEPTA_LAYER_MAX_SIZE=32M run septa load -i "$BATS_TEST_TMPDIR/layout"
    assert_one_line_error "entry 'zeros': the layer holds more than 33554432 bytes"
    assert_store_clean_of_layers
    [ "$(septa images --format json | jq length)" -eq 0 ]
}

@test "too many entries stop at the entry limit" {
    for i in $(seq 1 300); do echo "file f$i x"; done | mk_tar "$BATS_TEST_TMPDIR/many.tar"
    rm -rf "$BATS_TEST_TMPDIR/layout"
    mk_layout "$BATS_TEST_TMPDIR/layout" example.org/many:1 "$BATS_TEST_TMPDIR/many.tar" >/dev/null
    SEPTA_LAYER_MAX_ENTRIES=100 run septa load -i "$BATS_TEST_TMPDIR/layout"
    assert_one_line_error "entry 'f101': the layer has more than 100 entries"
    assert_store_clean_of_layers
    SEPTA_LAYER_MAX_ENTRIES=1000 run septa load -i "$BATS_TEST_TMPDIR/layout"
    [ "$status" -eq 0 ]
}

@test "whiteouts and opaque directories work under overlayfs" {
    printf 'dir a\nfile a/keep k\nfile a/gone g\ndir d\nfile d/old o\n' | mk_tar "$BATS_TEST_TMPDIR/l1.tar"
    printf 'dir a\nfile a/.wh.gone \ndir d\nfile d/.wh..wh..opq \nfile d/new n\nfile .wh..wh.plnk \n' |
        mk_tar "$BATS_TEST_TMPDIR/l2.tar"
    load_layers example.org/wh:1 "$BATS_TEST_TMPDIR/l1.tar" "$BATS_TEST_TMPDIR/l2.tar"
    [ "$status" -eq 0 ]
    l1=$(layer_root example.org/wh:1 0)
    l2=$(layer_root example.org/wh:1 1)
    [ -c "$l2/a/gone" ]
    [ "$(stat -c %t:%T "$l2/a/gone")" = 0:0 ]
    [ ! -e "$l2/a/.wh.gone" ]
    [ ! -e "$l2/d/.wh..wh..opq" ]
    [ "$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "trusted.overlay.opaque").decode())' "$l2/d")" = y ]
    mkdir -p "$MNT"
    mount -t overlay overlay -o "lowerdir=$l2:$l1" "$MNT"
    [ "$(cat "$MNT/a/keep")" = k ]
    [ ! -e "$MNT/a/gone" ]
    [ ! -e "$MNT/d/old" ]
    [ "$(cat "$MNT/d/new")" = n ]
}

@test "owners, modes, setuid bits, times and xattrs are kept" {
    python3 - "$BATS_TEST_TMPDIR/l.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    ti = tarfile.TarInfo("bin/su"); ti.size = 2; ti.mode = 0o4755; ti.uid = 0; ti.gid = 0; ti.mtime = 1600000000
    t.addfile(ti, io.BytesIO(b"su"))
    ti = tarfile.TarInfo("home/u"); ti.type = tarfile.DIRTYPE; ti.mode = 0o750; ti.uid = 1234; ti.gid = 4321; ti.mtime = 1500000000
    t.addfile(ti)
    ti = tarfile.TarInfo("home/u/f"); ti.size = 1; ti.mode = 0o2640; ti.uid = 1234; ti.gid = 4321; ti.mtime = 1400000000
    ti.pax_headers = {"SCHILY.xattr.user.color": "blue"}
    t.addfile(ti, io.BytesIO(b"f"))
PY
    load_layers example.org/meta:1 "$BATS_TEST_TMPDIR/l.tar"
    [ "$status" -eq 0 ]
    root=$(layer_root example.org/meta:1 0)
    [ "$(stat -c '%a %u:%g %Y' "$root/bin/su")" = "4755 0:0 1600000000" ]
    [ "$(stat -c '%a %u:%g %Y' "$root/home/u")" = "750 1234:4321 1500000000" ]
    [ "$(stat -c '%a %u:%g %Y' "$root/home/u/f")" = "2640 1234:4321 1400000000" ]
    [ "$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.color").decode())' "$root/home/u/f")" = blue ]
}

@test "a layer cannot forge overlayfs attributes" {
    python3 - "$BATS_TEST_TMPDIR/l.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    ti = tarfile.TarInfo("d"); ti.type = tarfile.DIRTYPE; ti.mode = 0o755
    ti.pax_headers = {"SCHILY.xattr.trusted.overlay.redirect": "/etc"}
    t.addfile(ti)
PY
    load_layers example.org/forge:1 "$BATS_TEST_TMPDIR/l.tar"
    [ "$status" -eq 0 ]
    root=$(layer_root example.org/forge:1 0)
    run python3 -c 'import os,sys; os.getxattr(sys.argv[1], "trusted.overlay.redirect")' "$root/d"
    [ "$status" -ne 0 ]
}

@test "plain, gzip and zstd layers unpack to the same diff_id" {
    printf 'dir etc\nfile etc/motd hello\n' | mk_tar "$BATS_TEST_TMPDIR/l.tar"
    gzip -kn "$BATS_TEST_TMPDIR/l.tar"
    zstd -q -k "$BATS_TEST_TMPDIR/l.tar" -o "$BATS_TEST_TMPDIR/l.tar.zst"
    for f in l.tar l.tar.gz l.tar.zst; do
        load_layers "example.org/fmt:${f//./-}" "$BATS_TEST_TMPDIR/$f"
        [ "$status" -eq 0 ]
        [ "$(cat "$(layer_root "example.org/fmt:${f//./-}" 0)/etc/motd")" = hello ]
    done
    [ "$(find "$SEPTA_DATA_ROOT/storage/layers" -mindepth 1 -maxdepth 1 -type d | wc -l)" -eq 1 ]
}

@test "a truncated layer fails naming the layer and leaves nothing" {
    for i in 1 2 3; do echo "file f$i $(head -c 3000 /dev/urandom | base64 -w0)"; done | mk_tar "$BATS_TEST_TMPDIR/l.tar"
    gzip -n "$BATS_TEST_TMPDIR/l.tar"
    head -c 2000 "$BATS_TEST_TMPDIR/l.tar.gz" > "$BATS_TEST_TMPDIR/t.tar.gz"
    rm -rf "$BATS_TEST_TMPDIR/layout"
    mk_layout "$BATS_TEST_TMPDIR/layout" example.org/trunc:1 "$BATS_TEST_TMPDIR/t.tar.gz" >/dev/null
    # the diff_id mk_layout computed is of a truncated stream; either way it must fail
    run septa load -i "$BATS_TEST_TMPDIR/layout"
    [ "$status" -eq 125 ]
    [[ $output == *"layer sha256:"* ]]
    assert_store_clean_of_layers
}
