"""A private s3rver (S3 emulator) or Azurite (Azure Blob emulator), from tests/node_modules, per cloud run.

Each (tool, round) gets a fresh s3rver process on a free port with a fresh directory, so
object counts and bytes are exactly what that one tool wrote.  s3rver stores every object
as `<key>._S3rver_object` next to metadata side files; only the former are counted.
The server's own CPU is not part of the tool's rusage; it is reported separately
(server_cpu_s) because a chattier client costs the server too.

s3rver is served over TLS with a self-signed certificate made once per work dir: real
clouds are https, and over plain http restic's S3 client (minio-go) switches to aws-chunked
streaming signatures, whose chunk framing s3rver 3.7 stores verbatim inside the object
(restic then fails with "Unmarshal: invalid character"). Both tools trust that certificate
alone: restic via --cacert, drorch via the target's CaCertificateFile.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import os
import re
import socket
import subprocess
import time
import urllib.parse
from email.utils import formatdate

KEY = SECRET = "S3RVER"
BUCKET = "bench"


def s3rver_js(repo_root: str, explicit: str | None) -> str:
    js = explicit or os.path.join(repo_root, "tests", "node_modules", "s3rver", "bin", "s3rver.js")
    if not os.path.isfile(js):
        raise SystemExit(f"{js} not found: run `npm ci --prefix tests` in {repo_root} first "
                         "(or pass --s3rver PATH/TO/s3rver.js)")
    return os.path.abspath(js)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tls_files(work: str) -> tuple:
    """(key.pem, cert.pem) for 127.0.0.1, made once with openssl and reused."""
    d = os.path.join(work, "s3rver-tls")
    key, cert = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
    if not (os.path.isfile(key) and os.path.isfile(cert)):
        os.makedirs(d, exist_ok=True)
        proc = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                               "-out", cert, "-days", "3650", "-subj", "/CN=127.0.0.1",
                               "-addext", "subjectAltName=IP:127.0.0.1"], capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"openssl could not make the s3rver certificate: {proc.stderr.strip()}")
    return key, cert


# CPUs the emulators run on (taskset list, e.g. "1"); None = anywhere. Set by --pin-emulator.
EMULATOR_CPUS = None


def _pinned() -> list:
    return ["taskset", "-c", EMULATOR_CPUS] if EMULATOR_CPUS is not None else []


class S3rver:
    def __init__(self, js: str, directory: str, tls: tuple | None):
        """tls None: plain http (drorch alone can use it; the stall bench puts its proxy there)."""
        self.directory = directory
        self.key, self.secret, self.bucket = KEY, SECRET, BUCKET
        self.cert = tls[1] if tls else None
        port = _free_port()
        self.port = port
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        os.makedirs(directory, exist_ok=True)
        self._log = open(os.path.join(os.path.dirname(directory), "s3rver.log"), "wb")
        self.proc = subprocess.Popen(
            [*_pinned(), "node", "--openssl-legacy-provider", js, "--address", "127.0.0.1", "--port", str(port),
             "--directory", directory, "--silent", "--configure-bucket", BUCKET,
             *(["--key", tls[0], "--cert", tls[1]] if tls else [])],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self._wait_ready(port)

    def _wait_ready(self, port: int) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"s3rver exited with {self.proc.returncode}; see {self._log.name}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    # the bucket is configured right after listen(); give it a moment
                    if os.path.isdir(os.path.join(self.directory, BUCKET)):
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"s3rver did not accept connections on port {port} within 30 s")

    def usage(self) -> tuple:
        total = count = 0
        for dirpath, _, names in os.walk(self.directory):
            for n in names:
                if n.endswith("._S3rver_object"):
                    total += os.path.getsize(os.path.join(dirpath, n))
                    count += 1
        return total, count

    def cpu_s(self) -> float:
        return _proc_cpu_s(self.proc.pid)

    def stop(self) -> None:
        _stop(self.proc)
        self._log.close()


# --- Azurite (Azure Blob emulator) --------------------------------------------------------------

AZ_ACCOUNT = "devstoreaccount1"
# Azurite's well-known development key (public, documented by Microsoft; not a secret).
AZ_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
AZ_CONTAINER = "bench"


def azurite_js(repo_root: str) -> str:
    js = os.path.join(repo_root, "tests", "node_modules", "azurite", "dist", "src", "blob", "main.js")
    if not os.path.isfile(js):
        raise SystemExit(f"{js} not found: run `npm ci --prefix tests` in {repo_root} first")
    return js


class Azurite:
    """A private Azurite blob service per run (plain http on 127.0.0.1, as the tests use it).

    Started like the test fixture: --skipApiVersionCheck because Azure.Storage.Blobs 12.30
    sends a newer API version than Azurite 3.37 knows. The container is created here through
    the REST API (drorch expects an existing container, as in production). Objects are
    counted through List Blobs; bytes are the sizes it reports.
    """

    def __init__(self, js: str, directory: str):
        self.directory = directory
        port = _free_port()
        self.port = port
        self.endpoint = f"http://127.0.0.1:{port}/{AZ_ACCOUNT}"
        self.connection_string = (f"DefaultEndpointsProtocol=http;AccountName={AZ_ACCOUNT};"
                                  f"AccountKey={AZ_KEY};BlobEndpoint={self.endpoint};")
        self.container = AZ_CONTAINER
        os.makedirs(directory, exist_ok=True)
        self._log = open(os.path.join(os.path.dirname(directory), "azurite.log"), "wb")
        self.proc = subprocess.Popen(
            [*_pinned(), "node", js, "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", directory,
             "--skipApiVersionCheck", "--disableTelemetry", "--silent"],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self._wait_ready()
        status, body = self._request("PUT", f"/{AZ_CONTAINER}", {"restype": "container"})
        if status not in (201, 409):
            self.stop()
            raise SystemExit(f"Azurite refused to create container {AZ_CONTAINER}: {status} {body[:200]!r}")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"Azurite exited with {self.proc.returncode}; see {self._log.name}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"Azurite did not accept connections on port {self.port} within 30 s")

    def _request(self, verb: str, path: str, query: dict) -> tuple:
        """One Shared Key-signed request (the emulator's path-style URLs sign /account/account/…)."""
        headers = {"x-ms-date": formatdate(usegmt=True), "x-ms-version": "2021-08-06"}
        canon_headers = "".join(f"{k}:{v}\n" for k, v in sorted(headers.items()))
        canon_resource = f"/{AZ_ACCOUNT}/{AZ_ACCOUNT}{path}" + "".join(
            f"\n{k}:{v}" for k, v in sorted(query.items()))
        # Content-Length is signed as "" when zero (API versions since 2015-02-21); bodies are empty here.
        to_sign = "\n".join([verb, "", "", "", "", "", "", "", "", "", "", ""]) + "\n" + canon_headers + canon_resource
        sig = base64.b64encode(hmac.new(base64.b64decode(AZ_KEY), to_sign.encode(), hashlib.sha256).digest()).decode()
        headers["Authorization"] = f"SharedKey {AZ_ACCOUNT}:{sig}"
        if verb == "PUT":
            headers["Content-Length"] = "0"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(verb, f"/{AZ_ACCOUNT}{path}?" + urllib.parse.urlencode(query), headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def usage(self) -> tuple:
        """(bytes, objects) of committed blobs in the container, via List Blobs (paged)."""
        total = count = 0
        marker = ""
        while True:
            query = {"restype": "container", "comp": "list", "maxresults": "5000"}
            if marker:
                query["marker"] = marker
            status, body = self._request("GET", f"/{AZ_CONTAINER}", query)
            if status != 200:
                raise SystemExit(f"Azurite List Blobs failed: {status} {body[:200]!r}")
            text = body.decode()
            sizes = re.findall(r"<Content-Length>(\d+)</Content-Length>", text)
            total += sum(int(s) for s in sizes)
            count += len(sizes)
            m = re.search(r"<NextMarker>([^<]+)</NextMarker>", text)
            if not m:
                return total, count
            marker = m.group(1)

    def cpu_s(self) -> float:
        return _proc_cpu_s(self.proc.pid)

    def stop(self) -> None:
        _stop(self.proc)
        self._log.close()


def _proc_cpu_s(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _stop(proc) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
