#!/bin/bash
# Image benchmark (issue 5), run as root on demand:
#   tests/bench/images.sh [SEPTA_BIN]  >> tests/bench/images-results.md
#
# 1. unpacking: `septa load` of an OCI layout with LAYERS gzip layers (about
#    MIB MiB uncompressed in all: many small text files and some large ones)
#    against `tar -xzf` of the same layers into a directory.  septa's time
#    includes copying each blob into the store with sha256 verification and
#    the diff_id (sha256 of the uncompressed stream) of every layer, which tar
#    does not do.  Throughput ratio = tar time / septa time (target >= 0.8).
# 2. a second load of the same image: no layer work (layers_unpacked 0).
# 3. `septa run --rm busybox true` end to end, against `podman run --rm` of the
#    same image (saved by septa, loaded by podman; runc) when podman is
#    installed (target: septa <= 0.25x podman's wall time).  RUN_ONLY=1 skips
#    1 and 2.
#
# Medians of RUNS runs, with the page cache warm for both (the layers are read
# once before measuring).  Everything lives in a throwaway directory that is
# removed on exit.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
SEPTA=${1:-${SEPTA_BIN:-$REPO/build/cli/septa}}
LAYERS=${LAYERS:-4}
MIB=${MIB:-64}
RUNS=${RUNS:-5}
W=$(mktemp -d /tmp/septa-imgbench.XXXXXX)
cleanup() {
    set +eo pipefail
    findmnt -rn -o TARGET | grep -F "$W" | sort -r | xargs -r umount -l
    rm -rf "$W"
}
trap cleanup EXIT

now_ns() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

if [ -z "${RUN_ONLY:-}" ]; then
# --- make the layers ----------------------------------------------------------
per=$((MIB / LAYERS))
for l in $(seq 1 "$LAYERS"); do
    d=$W/src$l
    mkdir -p "$d/usr/share/doc" "$d/usr/lib" "$d/etc"
    # half in ~1500 small text files, half in 4 large mixed files
    small=$(( (per << 20) / 2 / 1500 ))
    head -c $(( per << 19 )) /dev/urandom | base64 -w 76 > "$W/text"
    split -b "$small" -a 4 "$W/text" "$d/usr/share/doc/f"
    for k in 1 2 3 4; do
        { head -c $(( per << 16 )) /dev/urandom; head -c $(( per << 16 )) /dev/zero; } > "$d/usr/lib/lib$l-$k.so"
    done
    ln -s ../usr/lib/lib$l-1.so "$d/etc/link$l"
    tar -C "$d" --numeric-owner -cf "$W/layer$l.tar" .
    gzip -n -6 "$W/layer$l.tar"
    rm -rf "$d" "$W/text"
done

# --- an OCI layout of them ------------------------------------------------------
L=$W/layout
mkdir -p "$L/blobs/sha256"
echo '{"imageLayoutVersion":"1.0.0"}' > "$L/oci-layout"
layers='[]'; diffs='[]'; raw=0
for l in $(seq 1 "$LAYERS"); do
    f=$W/layer$l.tar.gz
    d=$(sha256sum "$f" | cut -c1-64)
    cp "$f" "$L/blobs/sha256/$d"
    diff=$(gzip -dc "$f" | sha256sum | cut -c1-64)
    raw=$((raw + $(gzip -dc "$f" | wc -c)))
    layers=$(jq -c --arg d "sha256:$d" --argjson s "$(stat -c %s "$f")" \
        '. + [{mediaType:"application/vnd.oci.image.layer.v1.tar+gzip", digest:$d, size:$s}]' <<<"$layers")
    diffs=$(jq -c --arg d "sha256:$diff" '. + [$d]' <<<"$diffs")
done
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
jq -n --arg a "$arch" --argjson d "$diffs" '{architecture:$a, os:"linux", config:{Cmd:["sh"]}, rootfs:{type:"layers", diff_ids:$d}}' > "$W/c"
c=$(sha256sum "$W/c" | cut -c1-64); cs=$(stat -c %s "$W/c"); mv "$W/c" "$L/blobs/sha256/$c"
jq -n --arg c "sha256:$c" --argjson cs "$cs" --argjson l "$layers" \
    '{schemaVersion:2, mediaType:"application/vnd.oci.image.manifest.v1+json", config:{mediaType:"application/vnd.oci.image.config.v1+json", digest:$c, size:$cs}, layers:$l}' > "$W/m"
m=$(sha256sum "$W/m" | cut -c1-64); ms=$(stat -c %s "$W/m"); mv "$W/m" "$L/blobs/sha256/$m"
jq -n --arg m "sha256:$m" --argjson ms "$ms" '{schemaVersion:2, manifests:[{mediaType:"application/vnd.oci.image.manifest.v1+json", digest:$m, size:$ms, annotations:{"org.opencontainers.image.ref.name":"bench.local/img:1"}}]}' > "$L/index.json"
cat "$L"/blobs/sha256/* > /dev/null   # warm the cache for both sides
comp=$(du -cb "$W"/layer*.tar.gz | tail -1 | cut -f1)

# --- measure ------------------------------------------------------------------------
tar_t=(); septa_t=(); second_t=()
for r in $(seq 1 "$RUNS"); do
    rm -rf "$W/x" "$W/data"; mkdir -p "$W/x"; sync
    t0=$(now_ns)
    for l in $(seq 1 "$LAYERS"); do mkdir -p "$W/x/$l"; tar --numeric-owner -xzf "$W/layer$l.tar.gz" -C "$W/x/$l"; done
    t1=$(now_ns); tar_t+=($(( (t1 - t0) / 1000000 )))
    rm -rf "$W/x"; sync
    t0=$(now_ns)
    out=$(SEPTA_DATA_ROOT=$W/data "$SEPTA" load -i "$L" --format json)
    t1=$(now_ns); septa_t+=($(( (t1 - t0) / 1000000 )))
    [ "$(jq -r '.[0].layers_unpacked' <<<"$out")" = "$LAYERS" ] || { echo "first load unpacked $(jq -r '.[0].layers_unpacked' <<<"$out") layers" >&2; exit 1; }
    t0=$(now_ns)
    out=$(SEPTA_DATA_ROOT=$W/data "$SEPTA" load -i "$L" --format json)
    t1=$(now_ns); second_t+=($(( (t1 - t0) / 1000000 )))
    [ "$(jq -r '.[0].layers_unpacked' <<<"$out")" = 0 ] || { echo "second load did layer work" >&2; exit 1; }
done
tm=$(printf '%s\n' "${tar_t[@]}" | median)
sm=$(printf '%s\n' "${septa_t[@]}" | median)
s2=$(printf '%s\n' "${second_t[@]}" | median)

echo "## images benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), $(nproc) CPUs"
echo
echo "$LAYERS gzip layers, $((comp >> 20)) MiB compressed, $((raw >> 20)) MiB of tar; median of $RUNS runs (ms)"
echo
echo "| what | ms | MiB/s of tar |"
echo "|---|---|---|"
echo "| tar -xzf of each layer | $tm | $(( (raw >> 20) * 1000 / (tm > 0 ? tm : 1) )) |"
echo "| septa load (copy + sha256 + unpack + diff_id) | $sm | $(( (raw >> 20) * 1000 / (sm > 0 ? sm : 1) )) |"
echo "| septa load, second time (no layer work) | $s2 | - |"
echo
awk -v t="$tm" -v s="$sm" 'BEGIN { printf "throughput ratio septa/tar = %.2f (target >= 0.80)\n\n", t / s }'
else
    echo "## images benchmark (run only), $(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), $(nproc) CPUs, median of $RUNS runs"
    echo
fi

# --- septa run --rm vs podman run --rm ------------------------------------------------
# podman runs isolated the way tests/integration/oci-engines.bats runs it: its
# own --root/--runroot/--tmpdir and CONTAINERS_CONF in the throwaway directory
# (default_ulimits = [] because raising an rlimit above the hard limit fails
# here even as root; cgroupfs; a file events log), runc, overlay storage and
# --network none, so no CNI bridge, nftables/iptables table or mount is left.
# septa is measured with --network none (the like-for-like pair the ratio is
# about) and with its default switch (a veth on a bridge, made and removed).
# The pair is interleaved (septa, podman, septa, podman, ...) so that load from
# elsewhere on a shared machine falls on both alike; the ratio reported is the
# median of the per-pair ratios.
if "$SEPTA" run --help >/dev/null 2>&1; then
    export SEPTA_DATA_ROOT=$W/rundata SEPTA_ROOT=$W/runroot
    "$SEPTA" run --rm --network none busybox true   # loads the built-in image once
    time_runs() { # command...
        local t=() t0 t1 r
        for r in $(seq 1 "$RUNS"); do
            t0=$(now_ns); "$@" >/dev/null; t1=$(now_ns)
            t+=($(( (t1 - t0) / 1000000 )))
        done
        printf '%s\n' "${t[@]}" | median
    }
    one_run() { # command... -> ms
        local t0 t1
        t0=$(now_ns); "$@" >/dev/null; t1=$(now_ns)
        echo $(( (t1 - t0) / 1000000 ))
    }
    sd=$(time_runs "$SEPTA" run --rm busybox true)
    echo "| what | ms |"
    echo "|---|---|"
    echo "| septa run --rm busybox true (default switch: veth + bridge) | $sd |"
    if command -v podman >/dev/null && command -v runc >/dev/null; then
        run_dirs_before=
        for d in /run/containers /run/libpod /run/runc /run/crun /var/lib/containers; do
            [ -e "$d" ] && run_dirs_before="$run_dirs_before $d"
        done
        [ -d /sys/fs/cgroup/memory/libpod_parent ] && libpod_parent_was_there=1 || libpod_parent_was_there=
        printf '[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' \
            > "$W/containers.conf"
        export CONTAINERS_CONF=$W/containers.conf
        P=(podman --root "$W/podroot" --runroot "$W/podrun" --tmpdir "$W/podtmp" --storage-driver overlay
           --runtime "$(command -v runc)" --cgroup-manager cgroupfs)
        podman_cleanup() {
            "${P[@]}" rm -af >/dev/null 2>&1 || true
            "${P[@]}" system reset --force >/dev/null 2>&1 || true
            { findmnt -rn -o TARGET | grep -F "$W" | sort -r | xargs -r umount -l; } || true
            # runc's default root and podman's: only what this run created, only if empty
            for d in /run/containers /run/libpod /run/runc /run/crun /var/lib/containers; do
                case " $run_dirs_before " in *" $d "*) ;; *) [ -e "$d" ] && find "$d" -depth -type d -empty -delete 2>/dev/null ;; esac
            done
            if [ -z "$libpod_parent_was_there" ]; then
                for i in $(seq 50); do
                    for d in /sys/fs/cgroup/*/libpod_parent; do
                        [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
                    done
                    ls -d /sys/fs/cgroup/*/libpod_parent >/dev/null 2>&1 || break
                    sleep 0.1
                done
            fi
            true
        }
        "$SEPTA" save -o "$W/bb.tar" busybox
        "${P[@]}" load -q -i "$W/bb.tar" >/dev/null
        img=septa.local/busybox:builtin
        if "${P[@]}" run --rm --network none "$img" true 2> "$W/podman.err"; then
            s_t=(); p_t=(); ratios=()
            for r in $(seq 1 "$RUNS"); do
                a=$(one_run "$SEPTA" run --rm --network none busybox true)
                b=$(one_run "${P[@]}" run --rm --network none "$img" true)
                s_t+=("$a"); p_t+=("$b")
                ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", a / b }')")
            done
            sn=$(printf '%s\n' "${s_t[@]}" | median)
            pm=$(printf '%s\n' "${p_t[@]}" | median)
            rm_=$(printf '%s\n' "${ratios[@]}" | median)
            echo "| septa run --rm --network none busybox true | $sn |"
            echo "| podman $(podman --version | cut -d' ' -f3) run --rm --network none (same image, $(runc --version | head -1)) | $pm |"
            echo
            echo "septa/podman wall time = $rm_ (median of $RUNS interleaved pairs; target <= 0.25), --network none on both"
            echo
        else
            sn=$(time_runs "$SEPTA" run --rm --network none busybox true)
            echo "| septa run --rm --network none busybox true | $sn |"
            echo
            echo "podman run failed here; no comparison recorded: $(tail -n1 "$W/podman.err")"
            echo
        fi
        podman_cleanup
        unset CONTAINERS_CONF
    else
        sn=$(time_runs "$SEPTA" run --rm --network none busybox true)
        echo "| septa run --rm --network none busybox true | $sn |"
        echo
        echo "podman or runc is not installed here: no comparison recorded."
        echo
    fi
fi
