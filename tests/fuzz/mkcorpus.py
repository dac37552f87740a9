#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the seed corpora of tests/fuzz (corpus/<target>/) from real inputs.

Usage: tests/fuzz/mkcorpus.py [SEPTA]   (SEPTA: a built septa, for `oci spec`)
Seeds are small on purpose: libFuzzer mutates them, it does not need size.
Run again after a format changes; the files are committed.
"""
import gzip, hashlib, io, json, os, subprocess, sys, tarfile, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SEP = b"\n----\n"


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def tar(entries, gz=False):
    """entries: (name, kind, arg) with kind file/dir/symlink/link/char/fifo."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, arg in entries:
            ti = tarfile.TarInfo(name)
            ti.mtime = 0
            data = None
            if kind == "file":
                data = arg.encode()
                ti.size = len(data)
                ti.mode = 0o644
            elif kind == "dir":
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
            elif kind == "symlink":
                ti.type, ti.linkname = tarfile.SYMTYPE, arg
            elif kind == "link":
                ti.type, ti.linkname = tarfile.LNKTYPE, arg
            elif kind == "char":
                ti.type, (ti.devmajor, ti.devminor) = tarfile.CHRTYPE, arg
            elif kind == "fifo":
                ti.type = tarfile.FIFOTYPE
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    raw = buf.getvalue()
    return gzip.compress(raw, mtime=0) if gz else raw


# ---- fuzz_config / fuzz_security ---------------------------------------------
septa = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "build", "cli", "septa")
with tempfile.TemporaryDirectory() as b:
    subprocess.run([septa, "oci", "spec", "--bundle", b], check=True)
    spec = json.load(open(os.path.join(b, "config.json")))
put("fuzz_config", "spec.json", json.dumps(spec, indent=1))
full = json.loads(json.dumps(spec))
full["mounts"].append({"destination": "/data", "type": "bind", "source": "/tmp",
                       "options": ["rbind", "ro", "nosuid", "rprivate"]})
full["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
full["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
full["linux"]["namespaces"].append({"type": "user"})
full["linux"]["devices"] = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
                             "fileMode": 438, "uid": 0, "gid": 0}]
full["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
full["linux"]["resources"] = {"memory": {"limit": 67108864}, "pids": {"limit": 64},
                              "cpu": {"shares": 512, "quota": 50000, "period": 100000,
                                      "cpus": "0"}}
full["linux"]["cgroupsPath"] = "/septa/fuzz"
full["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]
full["process"]["user"]["additionalGids"] = [1, 2]
full["hooks"] = {"prestart": [{"path": "/bin/true", "args": ["true"], "timeout": 5}]}
put("fuzz_config", "full.json", json.dumps(full, indent=1))

# The OCI form of a small docker profile: what fuzz_seccomp_profile hands on.
oci_seccomp = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
               "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
               "syscalls": [
                   {"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"},
                   {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                    "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
                   {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
                    "args": [{"index": 0, "value": 2114060288, "valueTwo": 0,
                              "op": "SCMP_CMP_MASKED_EQ"}]},
                   {"names": ["kill"], "action": "SCMP_ACT_KILL_PROCESS"}]}
sec = json.loads(json.dumps(full))
sec["linux"]["seccomp"] = oci_seccomp
sec["linux"]["personality"] = {"domain": "LINUX32"}
for k in ("ambient", "inheritable", "permitted", "effective", "bounding"):
    sec["process"]["capabilities"].setdefault(k, [])
    if "CAP_NET_BIND_SERVICE" not in sec["process"]["capabilities"][k]:
        sec["process"]["capabilities"][k].append("CAP_NET_BIND_SERVICE")
sec["process"]["oomScoreAdj"] = 100
put("fuzz_security", "full.json", json.dumps(sec, indent=1))
put("fuzz_security", "spec.json", json.dumps(spec, indent=1))
put("fuzz_config", "seccomp.json", json.dumps(sec, indent=1))

# ---- fuzz_seccomp_profile: docker/podman profiles ---------------------------------
podman = "/usr/share/containers/seccomp.json"
if os.path.exists(podman):
    prof = json.load(open(podman))
    # A handful of rules of each kind keeps the seed small.
    keep, kinds = [], set()
    for r in prof["syscalls"]:
        kind = json.dumps(sorted(r.get("includes", {}).keys())) + \
            json.dumps(sorted(r.get("excludes", {}).keys())) + r["action"] + str("args" in r)
        if kind not in kinds:
            kinds.add(kind)
            keep.append(r)
    small = dict(prof, syscalls=keep)
    put("fuzz_seccomp_profile", "podman-default.json", json.dumps(small, indent=1))
    native = dict(small, archMap=[a for a in small["archMap"]
                                  if a["architecture"] == "SCMP_ARCH_X86_64"])
    put("fuzz_seccomp_profile", "podman-x86_64.json", json.dumps(native, indent=1))
put("fuzz_seccomp_profile", "docker-style.json", json.dumps({
    "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
    "archMap": [{"architecture": "SCMP_ARCH_X86_64",
                 "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
    "syscalls": [
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "comment": "io"},
        {"name": "ptrace", "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
        {"names": ["bpf"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ["chown"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
         "excludes": {"caps": ["CAP_CHOWN"], "arches": ["s390x"]}},
        {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW",
         "includes": {"arches": ["amd64", "x32"]}}]}, indent=1))
put("fuzz_seccomp_profile", "oci.json", json.dumps(oci_seccomp))

# ---- fuzz_unpack: layers, the hostile ones of image-unpack.bats among them --------
put("fuzz_unpack", "plain.tar", tar([("etc", "dir", None), ("etc/hostname", "file", "box\n"),
                                      ("bin/sh", "file", "#!\n"), ("bin/ash", "link", "bin/sh"),
                                      ("bin/ls", "symlink", "sh"), ("dev/null", "char", (1, 3)),
                                      ("run/fifo", "fifo", None)]))
put("fuzz_unpack", "whiteouts.tar.gz", tar([("a", "dir", None), ("a/.wh..wh..opq", "file", ""),
                                            ("b/.wh.gone", "file", ""), ("c", "file", "x")],
                                           gz=True))
put("fuzz_unpack", "dotdot.tar", tar([("../escaped", "file", "x")]))
put("fuzz_unpack", "absolute.tar", tar([("/etc/x", "file", "x"), ("./.", "dir", None)]))
put("fuzz_unpack", "symlink-out.tar", tar([("out", "symlink", "../sentinel"),
                                           ("out/x", "file", "x"),
                                           ("abs", "symlink", "/tmp"), ("abs/y", "file", "y")]))
put("fuzz_unpack", "hardlink-out.tar", tar([("h", "link", "../sentinel/z"),
                                            ("l", "symlink", ".."), ("l2", "link", "l/x")]))

# ---- fuzz_image: OCI layout and docker archive, with digest placeholders ---------
layer = tar([("bin", "dir", None), ("bin/sh", "file", "#!/bin/true\n"),
             ("etc/passwd", "file", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n"),
             ("etc/group", "file", "root:x:0:\nwheel:x:10:root\n")])
cfg = {"architecture": "amd64", "os": "linux", "created": "1970-01-01T00:00:00Z",
       "config": {"Entrypoint": ["/bin/sh", "-c"], "Cmd": ["echo hi"],
                  "Env": ["PATH=/bin", "A=1"], "WorkingDir": "/", "User": "nobody",
                  "StopSignal": "SIGINT"},
       "rootfs": {"type": "layers", "diff_ids": ["@DIFF@"]}}
man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
       "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                  "digest": "@CONFIG@", "size": "@CONFIG_SIZE@"},
       "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                   "digest": "@LAYER@", "size": "@LAYER_SIZE@"}]}
idx = {"schemaVersion": 2, "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "@MANIFEST@",
     "size": "@MANIFEST_SIZE@", "platform": {"architecture": "amd64", "os": "linux"},
     "annotations": {"org.opencontainers.image.ref.name": "example.com/fuzz:1"}}]}


def unquote(s):  # sizes are numbers once substituted
    for k in ("@CONFIG_SIZE@", "@LAYER_SIZE@", "@MANIFEST_SIZE@"):
        s = s.replace('"%s"' % k, k)
    return s


parts = [unquote(json.dumps(idx, indent=1)), unquote(json.dumps(man, indent=1)),
         json.dumps(cfg, indent=1)]
passwd = b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\napp:x:1000:1000::/home/app:/bin/sh\n"
group = b"root:x:0:\nwheel:x:10:root,app\napp:x:1000:\n"
opts = (b"v:/tmp:/data:ro\nt:/scratch:size=1m,mode=1777\ne:A=2\ne:B\nc:NET_RAW\nd:CHOWN\n"
        b"u:app:wheel\nw:/home/app\nh:box\nC:0\nM:0\na:ls\na:-l\nr:\n")
oci = SEP.join([p.encode() for p in parts] + [layer, b"-", passwd, group, opts])
put("fuzz_image", "oci-layout", oci)
docker = SEP.join([p.encode() for p in parts] + [layer, json.dumps(
    [{"Config": "config.json", "RepoTags": ["fuzz:latest"], "Layers": ["layer.tar"]}]).encode(),
    passwd, group, b"u:1000\nE:\na:id\n"])
put("fuzz_image", "docker-archive", docker)
builtin = os.path.join(REPO, "build", "images", "busybox")
if os.path.isdir(builtin):
    bidx = json.load(open(os.path.join(builtin, "index.json")))
    bidx["manifests"][0]["digest"] = "@MANIFEST@"
    bidx["manifests"][0]["size"] = "@MANIFEST_SIZE@"
    put("fuzz_image", "builtin-index", unquote(json.dumps(bidx)).encode() + SEP +
        parts[1].encode() + SEP + parts[2].encode() + SEP + layer + SEP + b"-" + SEP +
        passwd + SEP + group + SEP + b"u:nobody\n")

# ---- fuzz_registry: reference / headers / auth file / index ------------------------
put("fuzz_registry", "hub", SEP.join([
    b"busybox:1.36",
    b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
    b"Www-Authenticate: Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
    b"scope=\"repository:library/busybox:pull\"\r\n\r\n",
    json.dumps({"auths": {"docker.io": {"auth": "dXNlcjpwYXNz"}}}).encode(),
    json.dumps({"manifests": [
        {"digest": "sha256:" + "a" * 64, "platform": {"architecture": "arm64", "os": "linux"}},
        {"digest": "sha256:" + "b" * 64, "platform": {"architecture": "amd64", "os": "linux"}}]}).encode()]))
put("fuzz_registry", "local-range", SEP.join([
    b"127.0.0.1:5000/team/app@sha256:" + b"c" * 64,
    b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 1000-1999/2000\r\n"
    b"WWW-Authenticate: Basic realm=\"registry\"\r\n",
    json.dumps({"auths": {"127.0.0.1:5000": {"auth": "YTpi"}}}).encode(),
    b"{}"]))

# ---- fuzz_records: mountinfo, partition record / spec, subuid, refs -----------------
try:
    put("fuzz_records", "mountinfo-host", open("/proc/self/mountinfo").read())
except OSError:
    pass
put("fuzz_records", "mountinfo-unit",
    "31 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
    "40 31 0:35 /sub /mnt/cpu-bind rw,relatime shared:20 - cgroup cgroup rw,cpu\n"
    "35 31 0:30 / /sys/fs/cgroup/net\\040cls rw,nosuid,nodev,noexec,relatime shared:13 - cgroup "
    "cgroup rw,net_cls,net_prio\n")
put("fuzz_records", "partition-record.json", json.dumps({
    "name": "p0", "cpus": "1", "nodes": "0", "memory": 67108864, "shared": False,
    "isolated": False, "disk": "/d/partitions/p0.d/disk.qcow2", "base": "/images/base.qcow2",
    "kernel": "/boot/vmlinuz", "append": "console=ttyS0", "network": "sw0", "accel": "tcg",
    "pid": 1234, "start_time": 5678, "tap": "sptap0", "address": "10.88.0.5/24",
    "gateway": "10.88.0.1", "mac": "52:54:00:12:34:56"}, indent=1))
put("fuzz_records", "partition-spec.json",
    json.dumps({"cpus": "1", "memory": "64M", "base": "/b.img", "shared": True}))
put("fuzz_records", "partition-spec-count.json",
    json.dumps({"name": "p1", "cpu_count": 1, "nodes": "0", "memory": "32M", "isolated": False,
                "accel": "tcg", "network": "sw0"}))
put("fuzz_records", "subuid", "root:100000:65536\ncontainers:1073741824:1073741824\n")
put("fuzz_records", "restart", "on-failure:3")

# ---- fuzz_common / fuzz_netaddr: values people type ----------------------------
for i, v in enumerate(["256M", "1.5G", "512KiB", "1.5", "0-3,8", "1m30s", "250ms", "-42",
                       "18446744073709551615", "0x10"]):
    put("fuzz_common", "value%d" % i, v)
put("fuzz_common", "config.json", json.dumps(spec, indent=1))
put("fuzz_common", "locate", "process.args[0]\n" + json.dumps(spec, indent=1))
for i, v in enumerate(["10.88.0.1", "fd00::1", "10.88.0.0/16", "fd00:abcd::/64",
                       "127.0.0.1:8080:80/tcp", "8080:80", "sw0"]):
    put("fuzz_netaddr", "value%d" % i, v)
