"""A private s3rver (S3 emulator, from tests/node_modules) per cloud run.

Each (tool, round) gets a fresh s3rver process on a free port with a fresh directory, so
object counts and bytes are exactly what that one tool wrote.  s3rver stores every object
as `<key>._S3rver_object` next to metadata side files; only the former are counted.
The server's own CPU is not part of the tool's rusage; it is reported separately
(server_cpu_s) because a chattier client costs the server too.

s3rver is served over TLS with a self-signed certificate made once per work dir: real
clouds are https, and over plain http restic's S3 client (minio-go) switches to aws-chunked
streaming signatures, whose chunk framing s3rver 3.7 stores verbatim inside the object
(restic then fails with "Unmarshal: invalid character"). Both tools trust the certificate:
restic via --cacert, drorch (.NET on Linux, OpenSSL trust store) via SSL_CERT_FILE.
"""
from __future__ import annotations

import os
import socket
import subprocess
import time

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


class S3rver:
    def __init__(self, js: str, directory: str, tls: tuple):
        self.directory = directory
        self.key, self.secret, self.bucket = KEY, SECRET, BUCKET
        self.cert = tls[1]
        port = _free_port()
        self.url = f"https://127.0.0.1:{port}"
        os.makedirs(directory, exist_ok=True)
        self._log = open(os.path.join(os.path.dirname(directory), "s3rver.log"), "wb")
        self.proc = subprocess.Popen(
            ["node", "--openssl-legacy-provider", js, "--address", "127.0.0.1", "--port", str(port),
             "--directory", directory, "--silent", "--configure-bucket", BUCKET,
             "--key", tls[0], "--cert", tls[1]],
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
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return 0.0

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
