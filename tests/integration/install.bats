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
    # septa-runtime is its own lean binary that behaves as `septa oci`.
    [ -x "$dest$prefix/bin/septa-runtime" ] && [ ! -L "$dest$prefix/bin/septa-runtime" ]
    run "$dest$prefix/bin/septa-runtime" --version
    [[ $output == "septa-runtime version "* ]]
    [ -f "$dest$prefix/share/man/man1/septa.1" ]
    [ -f "$dest$prefix/share/man/man1/septa-oci.1" ]
    [ -f "$dest$prefix/share/septa/images/busybox/index.json" ]
    # The installed image is the same as the build tree's.
    SEPTA_BUILTIN_IMAGE=$dest$prefix/share/septa/images/busybox run septa image builtin
    [ "$status" -eq 0 ]
}

@test "every command has a man page" {
    # The commands as `septa --help` lists them, so a new command without a page fails.
    cmds=$(septa --help | awk '/^Commands:/ {f = 1; next} /^$/ {f = 0} f {print $1}')
    [ "$(echo "$cmds" | wc -w)" -ge 10 ]
    [ -f "$REPO/man/septa.1.scd" ]
    for c in $cmds; do
        [ -f "$REPO/man/septa-$c.1.scd" ] || { echo "no man page for septa $c"; return 1; }
        grep -q "'septa-$c.1.scd'" "$REPO/man/meson.build" || { echo "septa-$c not built"; return 1; }
    done
    # and the pages render
    for page in "$REPO"/man/*.scd; do
        scdoc < "$page" > /dev/null
    done
}
