#!/usr/bin/env bats
# `meson install` puts septa, the septa-runtime name, man pages and the
# built-in image in place.
load helpers

setup() { common_setup; }

@test "meson install installs the binary, septa-runtime, man pages and the image" {
    dest=$BATS_TEST_TMPDIR/dest
    run meson install -C "$REPO/build" --destdir "$dest" --no-rebuild
    [ "$status" -eq 0 ]
    prefix=$(meson introspect "$REPO/build" --buildoptions | jq -r '.[] | select(.name=="prefix") | .value')
    [ -x "$dest$prefix/bin/septa" ]
    [ "$(readlink "$dest$prefix/bin/septa-runtime")" = septa ]
    [ -f "$dest$prefix/share/man/man1/septa.1" ]
    [ -f "$dest$prefix/share/man/man1/septa-oci.1" ]
    [ -f "$dest$prefix/share/septa/images/busybox/index.json" ]
    # The installed image is the same as the build tree's.
    SEPTA_BUILTIN_IMAGE=$dest$prefix/share/septa/images/busybox run septa image builtin
    [ "$status" -eq 0 ]
}

@test "every command has a man page" {
    for page in septa septa-oci septa-image septa-version; do
        [ -f "$REPO/man/$page.1.scd" ]
    done
    # and the pages render
    for page in "$REPO"/man/*.scd; do
        scdoc < "$page" > /dev/null
    done
}
