# shellcheck shell=bash
# Shared helpers for the VM test tier (tests/vm). Sourced, never executed.
#
# Everything the tier keeps between runs lives under one cache directory:
#   ${SEPTA_TEST_CACHE:-/var/cache/septa-tests}/
#     kernel/<release>/     Debian's stock kernel package, unpacked (boot/, lib/modules/)
#     initramfs/<hash>.cpio test initramfs images, keyed by a hash of their inputs
# Nothing else is written on the host outside the harness's own temp dir.

VM_CACHE_DIR="${SEPTA_TEST_CACHE:-/var/cache/septa-tests}"

# vm_log MSG...: progress and diagnostics go to stderr so stdout stays pure TAP.
vm_log() { printf 'vm: %s\n' "$*" >&2; }

# vm_die MSG...: report an error and fail.
vm_die() { printf 'vm: error: %s\n' "$*" >&2; exit 1; }

# vm_need CMD...: fail clearly if a required host command is missing.
vm_need() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || vm_die "required command '$c' not found on the host"
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
