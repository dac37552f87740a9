#!/bin/bash
# Build septa's built-in image: an OCI image layout holding Debian's
# busybox-static and nothing else.  The same busybox binary always gives the
# same digest: file order, owners, times and compression are fixed.
#
# usage: mkbusybox.sh OUTDIR [BUSYBOX]
#   BUSYBOX defaults to /bin/busybox from Debian's busybox-static package.
set -euo pipefail

out=${1:?usage: mkbusybox.sh OUTDIR [BUSYBOX]}
busybox=${2:-/bin/busybox}
# Source date for every timestamp (image "created" and file mtimes).
epoch=${SOURCE_DATE_EPOCH:-0}

die() { echo "mkbusybox: $*" >&2; exit 1; }

[ -x "$busybox" ] || die "$busybox: not found (install Debian's busybox-static)"
# A dynamically linked busybox would need the host's libc inside the image.
if command -v ldd >/dev/null && ldd "$busybox" >/dev/null 2>&1; then
    die "$busybox is dynamically linked; the built-in image needs busybox-static"
fi
# sed reads all of busybox's output: `head` would close the pipe early and
# SIGPIPE would fail the pipeline under pipefail.
bbversion=$("$busybox" 2>&1 | sed -n '1s/^BusyBox \(v[^ ]*\).*/\1/p')
[ -n "$bbversion" ] || die "$busybox: cannot read its version"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root"/{bin,dev,etc,proc,sys,tmp,root,home,var/tmp,run,usr/bin,usr/sbin,sbin}
chmod 1777 "$root/tmp" "$root/var/tmp"
chmod 0700 "$root/root"
cp "$busybox" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"
# One symlink per applet, where busybox says it belongs.
"$busybox" --list-full | sort | while read -r applet; do
    [ "$applet" = bin/busybox ] && continue
    dir=$(dirname "$applet")
    mkdir -p "$root/$dir"
    rel=$(realpath -m --relative-to="/$dir" /bin/busybox)
    ln -sf "$rel" "$root/$applet"
done
cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > "$root/etc/group" <<'GROUP'
root:x:0:
daemon:x:1:
tty:x:5:
users:x:100:
nogroup:x:65534:
GROUP
printf 'root::0:0:99999:7:::\n' > "$root/etc/shadow"
chmod 0640 "$root/etc/shadow"
: > "$root/etc/hosts"
: > "$root/etc/resolv.conf"
printf 'septa\n' > "$root/etc/hostname"

# Deterministic tar: sorted names, fixed owner and times, no pax atime/ctime.
layer_tar=$work/layer.tar
tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
    --format=posix --pax-option='exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime' \
    -C "$root" -cf "$layer_tar" .
diff_id=$(sha256sum "$layer_tar" | cut -d' ' -f1)
gzip -n -9 -c "$layer_tar" > "$work/layer.tar.gz"

blobs=$work/oci/blobs/sha256
mkdir -p "$blobs"
put_blob() { # file -> prints "digest size"
    local d s
    d=$(sha256sum "$1" | cut -d' ' -f1)
    s=$(stat -c %s "$1")
    cp "$1" "$blobs/$d"
    echo "$d $s"
}
read -r layer_digest layer_size < <(put_blob "$work/layer.tar.gz")

created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
# JSON written by hand in a fixed key order: jq would be another input.
printf '{"architecture":"amd64","config":{"Cmd":["sh"],"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"WorkingDir":"/"},"created":"%s","history":[{"created":"%s","created_by":"septa mkbusybox.sh (busybox %s)"}],"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$created" "$created" "$bbversion" "$diff_id" > "$work/config.json"
read -r config_digest config_size < <(put_blob "$work/config.json")

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}],"annotations":{"org.opencontainers.image.version":"%s"}}' \
    "$config_digest" "$config_size" "$layer_digest" "$layer_size" "$bbversion" > "$work/manifest.json"
read -r manifest_digest manifest_size < <(put_blob "$work/manifest.json")

printf '{"imageLayoutVersion":"1.0.0"}' > "$work/oci/oci-layout"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"septa.local/busybox:builtin"},"platform":{"architecture":"amd64","os":"linux"}}]}' \
    "$manifest_digest" "$manifest_size" > "$work/oci/index.json"

# Replace the output directory in one step where possible.
rm -rf "$out.new"
mv "$work/oci" "$out.new"
rm -rf "$out"
mv "$out.new" "$out"
echo "sha256:$manifest_digest"
