#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A small OCI distribution registry on 127.0.0.1 for septa's pull tests.

Serves one OCI layout read-only (tags from index.json's ref.name annotations)
and misbehaves on request, so the client's auth, resume and parallelism can be
proven from what this server saw:

  --auth bearer        /v2/ needs a Bearer token from /token (which itself needs
                       --user's basic credentials when given)
  --auth basic         /v2/ needs --user's basic credentials
  --drop-once          the first GET of each blob sends the full Content-Length
                       and half the bytes, then closes the connection
  --drop N             the same for the first N GETs of each blob
  --ignore-range       answer Range requests with the whole blob (200)
  --slow SECONDS       pause mid-blob, so concurrent transfers overlap
  --expire-token-once  the first blob GET with a valid token finds it expired
                       (401 and a new challenge); /token then hands out a new one

Every request is logged as a JSON line to --log: path, range, authorization
kind, response status, and how many blob transfers were in flight at its start.
"""
import argparse
import base64
import hashlib
import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

def new_token():
    return "septa-test-token-" + hashlib.sha256(os.urandom(16)).hexdigest()[:16]


TOKEN = new_token()
expired = False

p = argparse.ArgumentParser()
p.add_argument("--layout", required=True)
p.add_argument("--port-file", required=True)
p.add_argument("--log", required=True)
p.add_argument("--auth", choices=["none", "bearer", "basic"], default="none")
p.add_argument("--user", default=None, help="USER:PASS")
p.add_argument("--drop-once", action="store_const", const=1, dest="drop", default=0)
p.add_argument("--drop", type=int, dest="drop")
p.add_argument("--ignore-range", action="store_true")
p.add_argument("--slow", type=float, default=0.0)
p.add_argument("--expire-token-once", action="store_true")
args = p.parse_args()

lock = threading.Lock()
in_flight = 0
dropped = {}  # blob digest -> GETs cut short so far
index = json.load(open(os.path.join(args.layout, "index.json")))
tags = {}
for m in index["manifests"]:
    name = m.get("annotations", {}).get("org.opencontainers.image.ref.name", "")
    # "repo:tag" or a bare tag: either way the tag is what follows the last ':'.
    tags[name.rsplit(":", 1)[-1]] = m


def blob_path(digest):
    algo, _, hexd = digest.partition(":")
    if algo != "sha256" or len(hexd) != 64 or not all(c in "0123456789abcdef" for c in hexd):
        return None
    path = os.path.join(args.layout, "blobs", "sha256", hexd)
    return path if os.path.isfile(path) else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def log(self, status, flight):
        auth = self.headers.get("Authorization", "")
        entry = {
            "path": self.path,
            "range": self.headers.get("Range"),
            "auth": auth.split(" ")[0] if auth else None,
            "status": status,
            "in_flight": flight,
        }
        with lock:
            with open(args.log, "a") as f:
                f.write(json.dumps(entry) + "\n")

    def reply(self, status, body=b"", ctype="application/json", extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def basic_ok(self):
        if not args.user:
            return True
        want = "Basic " + base64.b64encode(args.user.encode()).decode()
        return self.headers.get("Authorization", "") == want

    def authorized(self, repo, blob=False):
        global TOKEN, expired
        host = "127.0.0.1:%d" % self.server.server_address[1]
        if args.auth == "bearer":
            ok = self.headers.get("Authorization", "") == "Bearer " + TOKEN
            with lock:
                if ok and blob and args.expire_token_once and not expired:
                    expired, ok, TOKEN = True, False, new_token()
            if ok:
                return True
            chal = 'Bearer realm="http://%s/token",service="septa-test"' % host
            if repo:
                chal += ',scope="repository:%s:pull"' % repo
            self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', extra={"WWW-Authenticate": chal})
            self.log(401, 0)
            return False
        if args.auth == "basic":
            if self.basic_ok():
                return True
            self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                       extra={"WWW-Authenticate": 'Basic realm="septa-test"'})
            self.log(401, 0)
            return False
        return True

    def do_GET(self):
        global in_flight
        path = self.path.split("?")[0]
        if path == "/token":
            if not self.basic_ok():
                self.reply(401, b"{}", extra={"WWW-Authenticate": 'Basic realm="token"'})
                self.log(401, 0)
                return
            self.reply(200, json.dumps({"token": TOKEN}).encode())
            self.log(200, 0)
            return
        parts = path.split("/")
        if path in ("/v2", "/v2/"):
            if self.authorized(None):
                self.reply(200, b"{}")
                self.log(200, 0)
            return
        if len(parts) < 5 or parts[1] != "v2" or parts[-2] not in ("manifests", "blobs"):
            self.reply(404, b"{}")
            self.log(404, 0)
            return
        repo, kind, ref = "/".join(parts[2:-2]), parts[-2], parts[-1]
        if not self.authorized(repo, kind == "blobs"):
            return
        if kind == "manifests":
            desc = tags.get(ref) or next((m for m in index["manifests"] if m["digest"] == ref), None)
            bp = blob_path(desc["digest"]) if desc else blob_path(ref)
            if not bp:
                self.reply(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
                self.log(404, 0)
                return
            data = open(bp, "rb").read()
            mt = json.loads(data).get("mediaType", "application/vnd.oci.image.manifest.v1+json")
            self.reply(200, data, ctype=mt)
            self.log(200, 0)
            return
        bp = blob_path(ref)
        if not bp:
            self.reply(404, b'{"errors":[{"code":"BLOB_UNKNOWN"}]}')
            self.log(404, 0)
            return
        data = open(bp, "rb").read()
        start, status, extra = 0, 200, {}
        rng = self.headers.get("Range")
        if rng and not args.ignore_range:
            if not rng.startswith("bytes=") or not rng[6:].rstrip("-").isdigit():
                self.reply(416, b"{}")
                self.log(416, 0)
                return
            start = int(rng[6:].split("-")[0])
            if start >= len(data):
                self.reply(416, b"{}", extra={"Content-Range": "bytes */%d" % len(data)})
                self.log(416, 0)
                return
            status = 206
            extra["Content-Range"] = "bytes %d-%d/%d" % (start, len(data) - 1, len(data))
        body = data[start:]
        with lock:
            in_flight += 1
            flight = in_flight
            drop = dropped.get(ref, 0) < args.drop
            if drop:
                dropped[ref] = dropped.get(ref, 0) + 1
        try:
            self.log(status, flight)
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            for k, v in extra.items():
                self.send_header(k, v)
            self.end_headers()
            half = len(body) // 2
            self.wfile.write(body[:half])
            self.wfile.flush()
            if args.slow:
                time.sleep(args.slow)
            if drop:
                # The connection dies mid-blob: the client holds half of it.
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(body[half:])
        finally:
            with lock:
                in_flight -= 1


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(args.port_file + ".tmp", args.port_file)
srv.serve_forever()
