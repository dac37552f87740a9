#!/usr/bin/env bash
# Build the VM test tier's initramfs: the host's static busybox, the stage-1
# init and PID-1 scripts (init, pid1), and the kernel modules listed in
# `modules` together with their dependencies, in load order.
#
# Dependencies are resolved with `modprobe --show-depends` against the unpacked
# Debian kernel (modules built in, "builtin ..." lines, need nothing).
# Compressed modules (.ko.xz/.ko.zst/.ko.gz) are decompressed here because
# busybox insmod may not decompress them.
#
# The image is cached as
#   ${SEPTA_TEST_CACHE:-/var/cache/septa-tests}/initramfs/<sha256>.cpio
# where the hash covers every input: this script, init, pid1, the module list,
# the kernel release and the busybox binary.
#
# Sourced: defines vm_initramfs_build KERNEL_ROOT RELEASE, which sets
#          VM_INITRAMFS to the path of the image.
# Run:     tests/vm/lib/initramfs.sh prints that path (fetching the kernel first).

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source-path=SCRIPTDIR source=kernel.sh
source "$(dirname "${BASH_SOURCE[0]}")/kernel.sh"

VM_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
VM_BUSYBOX="${SEPTA_VM_BUSYBOX:-/bin/busybox}"

# _vm_initramfs_key RELEASE: hash of all inputs of the image.
_vm_initramfs_key() {
    {
        echo "release $1"
        sha256sum "$VM_LIB_DIR/initramfs.sh" "$VM_LIB_DIR/init" "$VM_LIB_DIR/pid1" \
                  "$VM_LIB_DIR/modules" "$VM_BUSYBOX" | cut -d' ' -f1
    } | sha256sum | cut -d' ' -f1
}

# _vm_module_paths KERNEL_ROOT RELEASE: print the .ko files to load, in order,
# each once.
_vm_module_paths() {
    local root="$1" release="$2" mod out line
    local -A seen=()
    while read -r mod; do
        if ! out="$(modprobe --show-depends -d "$root" -S "$release" "$mod" 2>&1)"; then
            vm_log "cannot resolve module $mod for $release: $out"
            return 1
        fi
        while read -r line; do
            # "insmod /path/x.ko [options]" or "builtin x"
            # shellcheck disable=SC2086   # split the line into words
            set -- $line
            [[ "${1:-}" == insmod ]] || continue
            [[ -n "${seen[$2]:-}" ]] && continue
            seen[$2]=1
            printf '%s\n' "$2"
        done <<< "$out"
    done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$VM_LIB_DIR/modules")
}

# _vm_initramfs_make KERNEL_ROOT RELEASE OUT: build the image into OUT.
# Runs under the initramfs cache lock, in a `||` context (no set -e): every
# step is checked.
_vm_initramfs_make() {
    local root="$1" release="$2" out="$3" stage ko name rc=0
    [[ -f "$out" ]] && return 0                    # another run built it
    stage="$(mktemp -d "$VM_CACHE_DIR/initramfs/.stage.XXXXXX")" || return 1
    _vm_initramfs_stage "$root" "$release" "$stage" &&
        (cd "$stage" && find . -print0 | LC_ALL=C sort -z |
            cpio --null -o -H newc --quiet --reproducible > "$out.tmp") &&
        mv "$out.tmp" "$out" || rc=1
    rm -rf "$stage" "$out.tmp"
    return "$rc"
}

# _vm_initramfs_stage KERNEL_ROOT RELEASE DIR: lay out the image's tree in DIR.
_vm_initramfs_stage() {
    local root="$1" release="$2" stage="$3" paths ko name
    mkdir -p "$stage"/{bin,dev,proc,sys,lib/modules} || return 1
    cp "$VM_BUSYBOX" "$stage/bin/busybox" && ln -s busybox "$stage/bin/sh" || return 1
    install -m 0755 "$VM_LIB_DIR/init" "$stage/init" || return 1
    install -m 0755 "$VM_LIB_DIR/pid1" "$stage/pid1" || return 1
    # The kernel opens /dev/console before running /init.
    mknod -m 0600 "$stage/dev/console" c 5 1 || return 1
    mknod -m 0666 "$stage/dev/null" c 1 3 || return 1
    paths="$(_vm_module_paths "$root" "$release")" || return 1
    : > "$stage/modules.order"
    while read -r ko; do
        [[ -n "$ko" ]] || continue
        name="$(basename "$ko")"
        case "$ko" in
            *.ko.xz)  name="${name%.xz}";  xz -dc "$ko" > "$stage/lib/modules/$name" ;;
            *.ko.zst) name="${name%.zst}"; zstd -qdc "$ko" > "$stage/lib/modules/$name" ;;
            *.ko.gz)  name="${name%.gz}";  gzip -dc "$ko" > "$stage/lib/modules/$name" ;;
            *.ko)     cp "$ko" "$stage/lib/modules/$name" ;;
            *)        vm_log "unexpected module file $ko"; return 1 ;;
        esac || { vm_log "cannot copy module $ko"; return 1; }
        echo "$name" >> "$stage/modules.order"
    done <<< "$paths"
}

# vm_initramfs_build KERNEL_ROOT RELEASE: make sure the image exists; set
# VM_INITRAMFS to its path.
vm_initramfs_build() {
    local root="$1" release="$2" key
    vm_need modprobe cpio sha256sum flock || return 1
    # Must be a static busybox (Debian: busybox-static): the initramfs has no libc.
    [[ -x "$VM_BUSYBOX" ]] ||
        { vm_log "no busybox at $VM_BUSYBOX (install busybox-static)"; return 1; }
    mkdir -p "$VM_CACHE_DIR/initramfs"
    key="$(_vm_initramfs_key "$release")"
    VM_INITRAMFS="$VM_CACHE_DIR/initramfs/$key.cpio"
    if [[ ! -f "$VM_INITRAMFS" ]]; then
        vm_log "building initramfs for $release"
        vm_with_lock "$VM_CACHE_DIR/initramfs/.lock" _vm_initramfs_make "$root" "$release" "$VM_INITRAMFS" ||
            { vm_log "initramfs build failed"; return 1; }
        # Drop images built from other inputs that nobody used for a day.
        find "$VM_CACHE_DIR/initramfs" -maxdepth 1 -name '*.cpio' ! -path "$VM_INITRAMFS" \
             -mmin +1440 -delete 2>/dev/null || true
    fi
    touch "$VM_INITRAMFS"   # mark as used
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    vm_kernel_fetch
    vm_initramfs_build "$VM_KERNEL_ROOT" "$VM_KERNEL_RELEASE"
    printf '%s\n' "$VM_INITRAMFS"
fi
