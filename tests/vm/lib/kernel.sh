#!/usr/bin/env bash
# Fetch Debian's stock kernel for the VM test tier, WITHOUT installing it.
#
# The package that the linux-image-amd64 metapackage currently depends on
# (e.g. linux-image-6.1.0-56-amd64) is fetched with `apt-get download` and
# unpacked with `dpkg-deb -x` into
#   ${SEPTA_TEST_CACHE:-/var/cache/septa-tests}/kernel/<release>/
# Debian generates modules.dep in the package's postinst, so it is generated
# here with `depmod -b` on the unpacked tree. A '.complete' marker is written
# last; a cached kernel costs one `apt-cache depends` call.
#
# Override the package with SEPTA_VM_KERNEL_PKG=linux-image-<release>.
#
# Sourced: defines vm_kernel_fetch, which sets VM_KERNEL_RELEASE, VM_KERNEL_ROOT
#          and VM_KERNEL_IMAGE.
# Run:     prints "<release> <unpacked root>" (handy for debugging).

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# _vm_kernel_pkg: name of the kernel image package to use.
_vm_kernel_pkg() {
    if [[ -n "${SEPTA_VM_KERNEL_PKG:-}" ]]; then
        printf '%s\n' "$SEPTA_VM_KERNEL_PKG"
        return
    fi
    # "  Depends: linux-image-6.1.0-56-amd64" -> linux-image-6.1.0-56-amd64
    apt-cache depends linux-image-amd64 2>/dev/null |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

# _vm_kernel_unpack PKG RELEASE DEST: download and unpack into DEST atomically.
# Runs under the kernel cache lock. Note: this function is called in a `||`
# context, where `set -e` does not apply, so every step is checked explicitly.
_vm_kernel_unpack() {
    local pkg="$1" release="$2" dest="$3" tmp rc=0
    [[ -f "$dest/.complete" ]] && return 0       # another run got here first
    tmp="$(mktemp -d "$VM_CACHE_DIR/kernel/.tmp.XXXXXX")" || return 1
    _vm_kernel_unpack_into "$pkg" "$release" "$tmp" || rc=1
    if (( rc == 0 )); then
        rm -rf "$dest" && mv "$tmp/root" "$dest" || rc=1
    fi
    rm -rf "$tmp"
    if (( rc == 0 )); then
        # A new kernel replaces the old ones (each is ~400M unpacked).
        find "$VM_CACHE_DIR/kernel" -mindepth 1 -maxdepth 1 -type d ! -path "$dest" \
             ! -name '.tmp.*' -exec rm -rf {} + 2>/dev/null || true
    fi
    return "$rc"
}

# _vm_kernel_unpack_into PKG RELEASE TMP: download PKG into TMP, unpack it to
# TMP/root, generate modules.dep, mark it complete.
_vm_kernel_unpack_into() {
    local pkg="$1" release="$2" tmp="$3" deb
    vm_log "downloading $pkg (once; cached under $VM_CACHE_DIR/kernel)"
    # The download runs as root; tell apt not to drop to the _apt user, who
    # cannot write into the root-owned cache.
    (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) ||
        { vm_log "apt-get download $pkg failed (try: apt-get update)"; return 1; }
    deb="$(echo "$tmp"/*.deb)"
    [[ -f "$deb" ]] || { vm_log "no .deb downloaded for $pkg"; return 1; }
    if ! mkdir "$tmp/root" || ! dpkg-deb -x "$deb" "$tmp/root"; then
        vm_log "dpkg-deb -x $deb failed"
        return 1
    fi
    [[ -f "$tmp/root/boot/vmlinuz-$release" && -d "$tmp/root/lib/modules/$release" ]] ||
        { vm_log "$pkg does not contain boot/vmlinuz-$release and lib/modules/$release"; return 1; }
    depmod -b "$tmp/root" "$release" || { vm_log "depmod failed for $release"; return 1; }
    dpkg-deb -f "$deb" Package Version > "$tmp/root/.complete"
}

# vm_kernel_fetch: make sure the kernel is unpacked in the cache; set
#   VM_KERNEL_RELEASE  e.g. 6.1.0-56-amd64
#   VM_KERNEL_ROOT     the unpacked package (boot/, lib/modules/<release>/)
#   VM_KERNEL_IMAGE    the bzImage to boot
vm_kernel_fetch() {
    local pkg release
    vm_need apt-cache apt-get dpkg-deb depmod flock || return 1
    mkdir -p "$VM_CACHE_DIR/kernel" || return 1
    pkg="$(_vm_kernel_pkg)" || pkg=""
    if [[ -n "$pkg" ]]; then
        release="${pkg#linux-image-}"
        release="${release%-unsigned}"
        if [[ ! -f "$VM_CACHE_DIR/kernel/$release/.complete" ]] &&
           ! vm_with_lock "$VM_CACHE_DIR/kernel/.lock" _vm_kernel_unpack "$pkg" "$release" \
                 "$VM_CACHE_DIR/kernel/$release"; then
            # Stale apt lists or no network: fall back on the newest cached
            # kernel, unless this one was asked for explicitly.
            [[ -z "${SEPTA_VM_KERNEL_PKG:-}" ]] || return 1
            release="$(_vm_kernel_newest_cached)"
            [[ -n "$release" ]] || return 1
            vm_log "could not fetch $pkg; using the cached kernel $release"
        fi
    else
        # No apt lists (never updated, or offline): use the newest cached kernel.
        release="$(_vm_kernel_newest_cached)"
        [[ -n "$release" ]] ||
            { vm_log "cannot resolve linux-image-amd64 (run apt-get update) and no kernel is cached"; return 1; }
        vm_log "linux-image-amd64 not resolvable; using the cached kernel $release"
    fi
    VM_KERNEL_RELEASE="$release"
    VM_KERNEL_ROOT="$VM_CACHE_DIR/kernel/$release"
    VM_KERNEL_IMAGE="$VM_KERNEL_ROOT/boot/vmlinuz-$release"
    [[ -f "$VM_KERNEL_IMAGE" ]] || { vm_log "kernel image missing: $VM_KERNEL_IMAGE"; return 1; }
}

# _vm_kernel_newest_cached: release of the newest complete cached kernel, if any.
_vm_kernel_newest_cached() {
    find "$VM_CACHE_DIR/kernel" -mindepth 2 -maxdepth 2 -name .complete -printf '%h\n' 2>/dev/null |
        sort -V | tail -n 1 | xargs -r basename
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    vm_kernel_fetch
    printf '%s %s\n' "$VM_KERNEL_RELEASE" "$VM_KERNEL_ROOT"
fi
