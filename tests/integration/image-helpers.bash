# Helpers for the image/store tests: build OCI layouts and docker archives
# from layer tars made by the test itself, so no registry is needed.
load helpers

ARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)

sha() { sha256sum "$1" | cut -c1-64; }

# mk_layout DIR NAME LAYER... : an OCI layout whose one manifest has these
# layers (.tar, .tar.gz or .tar.zst).  Prints the manifest digest.
mk_layout() {
    local dir=$1 name=$2; shift 2
    mkdir -p "$dir/blobs/sha256"
    echo '{"imageLayoutVersion":"1.0.0"}' > "$dir/oci-layout"
    local layers='[]' diffs='[]' f d diff mt
    for f in "$@"; do
        d=$(sha "$f")
        cp "$f" "$dir/blobs/sha256/$d"
        case $f in
        *.gz) diff=$(gzip -dc "$f" | sha256sum | cut -c1-64); mt=application/vnd.oci.image.layer.v1.tar+gzip ;;
        *.zst) diff=$(zstd -qdc "$f" | sha256sum | cut -c1-64); mt=application/vnd.oci.image.layer.v1.tar+zstd ;;
        *) diff=$d; mt=application/vnd.oci.image.layer.v1.tar ;;
        esac
        layers=$(jq -c --arg mt "$mt" --arg d "sha256:$d" --argjson s "$(stat -c %s "$f")" \
            '. + [{mediaType:$mt, digest:$d, size:$s}]' <<<"$layers")
        diffs=$(jq -c --arg d "sha256:$diff" '. + [$d]' <<<"$diffs")
    done
    jq -n --arg a "$ARCH" --argjson diffs "$diffs" \
        '{architecture:$a, os:"linux", config:{Cmd:["sh"], Env:["PATH=/bin"]},
          rootfs:{type:"layers", diff_ids:$diffs}}' > "$dir/config.tmp"
    local c; c=$(sha "$dir/config.tmp")
    mv "$dir/config.tmp" "$dir/blobs/sha256/$c"
    jq -n --arg c "sha256:$c" --argjson cs "$(stat -c %s "$dir/blobs/sha256/$c")" --argjson l "$layers" \
        '{schemaVersion:2, mediaType:"application/vnd.oci.image.manifest.v1+json",
          config:{mediaType:"application/vnd.oci.image.config.v1+json", digest:$c, size:$cs},
          layers:$l}' > "$dir/manifest.tmp"
    local m; m=$(sha "$dir/manifest.tmp")
    local ms; ms=$(stat -c %s "$dir/manifest.tmp")
    mv "$dir/manifest.tmp" "$dir/blobs/sha256/$m"
    jq -n --arg m "sha256:$m" --argjson ms "$ms" --arg n "$name" \
        '{schemaVersion:2, manifests:[{mediaType:"application/vnd.oci.image.manifest.v1+json",
          digest:$m, size:$ms, annotations:{"org.opencontainers.image.ref.name":$n}}]}' > "$dir/index.json"
    echo "sha256:$m"
}

# A tar made by python's tarfile from a list of entries read on stdin, one
# per line: TYPE NAME [ARG] where TYPE is file (ARG = content), dir, symlink
# (ARG = target), hardlink (ARG = target), chardev (ARG = major:minor),
# bigfile (ARG = bytes of zeros).
MK_TAR_PY=$(cat <<'PY'
import io, sys, tarfile
out = sys.argv[1]
class Zeros(io.RawIOBase):
    def __init__(self, n): self.n = n
    def readable(self): return True
    def readinto(self, b):
        k = min(len(b), self.n); b[:k] = bytes(k); self.n -= k; return k
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    for line in sys.stdin:
        parts = line.rstrip("\n").split(" ", 2)
        if not parts[0]:
            continue
        kind, name = parts[0], parts[1]
        arg = parts[2] if len(parts) > 2 else ""
        ti = tarfile.TarInfo(name)
        ti.mtime = 1700000000
        data = None
        if kind == "file":
            data = arg.encode(); ti.size = len(data); ti.mode = 0o644
        elif kind == "suid":
            data = arg.encode(); ti.size = len(data); ti.mode = 0o4755
        elif kind == "bigfile":
            ti.size = int(arg); ti.mode = 0o644
            t.addfile(ti, Zeros(ti.size)); continue
        elif kind == "dir":
            ti.type = tarfile.DIRTYPE; ti.mode = 0o755
        elif kind == "symlink":
            ti.type = tarfile.SYMTYPE; ti.linkname = arg
        elif kind == "hardlink":
            ti.type = tarfile.LNKTYPE; ti.linkname = arg
        elif kind == "chardev":
            ti.type = tarfile.CHRTYPE; ma, mi = arg.split(":"); ti.devmajor = int(ma); ti.devminor = int(mi); ti.mode = 0o666
        else:
            raise SystemExit("unknown kind " + kind)
        t.addfile(ti, io.BytesIO(data) if data is not None else None)
PY
)
mk_tar() { # out.tar, entries on stdin
    python3 -c "$MK_TAR_PY" "$1"
}

# Nothing of a failed load remains: no image, no layer, nothing in tmp/.
assert_store_clean_of_layers() {
    local st=$SEPTA_DATA_ROOT/storage
    [ -z "$(find "$st/layers" -mindepth 1 -maxdepth 1 -type d 2>/dev/null)" ] || { ls -la "$st/layers"; return 1; }
    [ -z "$(ls -A "$st/tmp" 2>/dev/null)" ] || { ls -la "$st/tmp"; return 1; }
}
