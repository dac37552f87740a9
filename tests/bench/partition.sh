#!/usr/bin/env bash
# tests/bench/partition.sh [RUNS]: what a septa partition costs next to plain QEMU.
#
#  1. start-to-first-console-line: `septa partition start` (cpuset, QEMU paused,
#     QMP pinning, cont) against the very same QEMU command line started by
#     hand (without -S), both measured until the guest's init prints its first
#     line on the serial console.  Target: septa <= 1.05x.
#  2. septa's resident memory while the guest runs.  Target: no resident
#     septa process (or < 2 MiB).
#  3. guest memory locality from numa_maps (septa partition verify).
#     Target: 100% on the bound nodes.
#
# Runs on the host as root with Debian's stock kernel (tests/vm/lib/kernel.sh)
# and a busybox initramfs, in a one-CPU --shared partition under TCG.
# Everything lives in a temp dir that is removed on exit; results go to stdout
# in the format of tests/bench/partition-results.md.
set -euo pipefail

RUNS=${1:-5}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SEPTA=${SEPTA_BIN:-$REPO/build/cli/septa}
WORK=$(mktemp -d /tmp/septa-bench-part.XXXXXX)
NAME=bench$$
export SEPTA_DATA_ROOT=$WORK/data

cleanup() {
    "$SEPTA" partition rm -f "$NAME" >/dev/null 2>&1 || true
    [ -n "${HAND_PID:-}" ] && kill -9 "$HAND_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# shellcheck source=../vm/lib/kernel.sh
source "$REPO/tests/vm/lib/kernel.sh"
vm_kernel_fetch >/dev/null
mkdir -p "$WORK/root/bin"
cp /bin/busybox "$WORK/root/bin/"
printf '#!/bin/busybox sh\necho SEPTA-GUEST first line\nwhile :; do /bin/busybox sleep 3600; done\n' \
    > "$WORK/root/init"
chmod +x "$WORK/root/init"
(cd "$WORK/root" && find . | cpio -o -H newc 2>/dev/null | gzip) > "$WORK/initrd.gz"

now() { date +%s.%N; }
wait_line() { # file -> waits until the first console line shows
    for _ in $(seq 3000); do
        grep -qs SEPTA-GUEST "$1" && return 0
        sleep 0.01
    done
    echo "no console line in $1" >&2
    return 1
}

"$SEPTA" partition create "$NAME" --shared --cpus 1 --memory 128M --kernel "$VM_KERNEL_IMAGE" \
    --initrd "$WORK/initrd.gz" --append "console=ttyS0 quiet" --accel tcg >/dev/null
LOG=$SEPTA_DATA_ROOT/partitions/$NAME.d/console.log

septa_times=() hand_times=() rss= locality=
for i in $(seq "$RUNS"); do
    t0=$(now)
    "$SEPTA" partition start "$NAME" >/dev/null 2>&1
    wait_line "$LOG"
    septa_times+=("$(awk -v a="$(now)" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')")
    pid=$("$SEPTA" partition inspect "$NAME" | jq .pid)
    if [ "$i" -eq 1 ]; then
        # septa processes alive while the guest runs (QEMU's parent is not septa).
        n=$(pgrep -c -x septa || true)
        rss=$([ "$n" -eq 0 ] && echo "0 (no resident septa process)" ||
              ps -o rss= -C septa | awk '{s+=$1} END {print s " KiB"}')
        locality=$("$SEPTA" partition verify "$NAME" --format json |
                   jq -r '.checks[] | select(.check == "memory locality") | .detail')
        tr '\0' '\n' < "/proc/$pid/cmdline" > "$WORK/argv"
    fi
    "$SEPTA" partition stop --timeout 0 "$NAME" >/dev/null
done

# The same command line by hand: not paused (nobody pins), own sockets and log.
mapfile -t ARGV < "$WORK/argv"
for i in $(seq "$RUNS"); do
    mkdir -p "$WORK/hand"
    rm -f "$WORK/hand/"*
    args=()
    for a in "${ARGV[@]}"; do
        [ "$a" = -S ] && continue
        args+=("${a//$SEPTA_DATA_ROOT\/partitions\/$NAME.d/$WORK/hand}")
    done
    t0=$(now)
    taskset -c 1 "${args[@]}"
    wait_line "$WORK/hand/console.log"
    hand_times+=("$(awk -v a="$(now)" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')")
    HAND_PID=$(cat "$WORK/hand/qemu.pid")
    kill -9 "$HAND_PID"
    while [ -d "/proc/$HAND_PID" ]; do sleep 0.01; done
    HAND_PID=
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms=$(median "${septa_times[@]}")
mh=$(median "${hand_times[@]}")
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  host: $(nproc) CPUs, $(uname -r), QEMU $(qemu-system-x86_64 --version | head -1 | awk '{print $4}'), TCG"
echo "runs: $RUNS (medians)"
echo "start to first console line: septa $ms s, QEMU by hand $mh s, ratio $(awk -v a="$ms" -v b="$mh" 'BEGIN { printf "%.3f", a / b }')"
echo "  septa runs: ${septa_times[*]}"
echo "  hand runs:  ${hand_times[*]}"
echo "septa resident memory while the guest runs: $rss"
echo "guest memory locality: $locality"
