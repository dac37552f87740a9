# shellcheck shell=bash
# Shared helpers for the VM test tier (tests/vm). Sourced, never executed.
#
# Everything the tier keeps between runs lives under one cache directory:
#   ${SEPTA_TEST_CACHE:-/var/cache/septa-tests}/
#     kernel/<release>/     Debian's stock kernel package, unpacked (boot/, lib/modules/)
#     initramfs/<hash>.cpio test initramfs images, keyed by a hash of their inputs
# Nothing else is written on the host outside the harness's own temp dir.

# shellcheck disable=SC2034   # used by the files that source this one
VM_CACHE_DIR="${SEPTA_TEST_CACHE:-/var/cache/septa-tests}"

# vm_log MSG...: progress and diagnostics go to stderr so stdout stays pure TAP.
vm_log() { printf 'vm: %s\n' "$*" >&2; }

# vm_need CMD...: fail (return 1) clearly if a required host command is missing.
vm_need() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 ||
            { vm_log "required command '$c' not found on the host"; return 1; }
    done
}

# vm_with_lock FILE CMD...: run CMD while holding an exclusive flock on FILE, so
# that concurrent harness runs do not build the same cache entry twice.
vm_with_lock() {
    local lock="$1"; shift
    mkdir -p "$(dirname "$lock")"
    (
        flock -x 9
        "$@"
    ) 9>"$lock"
}
