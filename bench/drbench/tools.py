"""The two tools under test, driven through their ordinary command lines.

Each tool gets, per (dataset, round), a fresh private directory holding its repository (or,
for --cloud, a fresh s3rver directory) and its own state: restic's cache (RESTIC_CACHE_DIR,
left enabled because it is restic's normal behaviour) or drorch's config + SQLite catalog.
Set-up commands (`restic init`, `drorch policy apply`) are not timed; the repository
initialisation drorch does inside its first backup is, because that is how drorch works.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess

from .measure import ToolFailed, tree_usage

PASSWORD = "bench-not-a-secret"


class Target:
    """Where a repository lives: a local directory, a bucket on a local s3rver, or a container
    on a local Azurite."""

    def __init__(self, local_dir: str | None = None, s3=None, azure=None):
        self.local_dir = local_dir
        self.s3 = s3  # drbench.cloud.S3rver or None
        self.azure = azure  # drbench.cloud.Azurite or None

    @property
    def server(self):
        """The emulator process behind the target, if any (its CPU is reported separately)."""
        return self.s3 or self.azure

    def usage(self) -> tuple:
        if self.server is not None:
            return self.server.usage()
        return tree_usage(self.local_dir)

    def warm_paths(self) -> list:
        return [self.server.directory if self.server is not None else self.local_dir]


class Restic:
    name = "restic"

    def __init__(self, exe: str):
        self.exe = exe
        self.env = {}
        self.repo = ""
        self.flags: list = []

    def version(self) -> str:
        return subprocess.run([self.exe, "version"], capture_output=True, text=True).stdout.strip()

    def setup(self, rdir: str, dataset: str, src: str, target: Target) -> list:
        env = dict(os.environ, RESTIC_PASSWORD=PASSWORD,
                   RESTIC_CACHE_DIR=os.path.join(rdir, "restic-cache"))
        if target.s3 is not None:
            self.repo = f"s3:{target.s3.url}/{target.s3.bucket}/restic"
            self.flags = ["--cacert", target.s3.cert]
            env.update(AWS_ACCESS_KEY_ID=target.s3.key, AWS_SECRET_ACCESS_KEY=target.s3.secret)
        else:
            self.repo = target.local_dir
            self.flags = []
        self.env = env
        return [self._cmd("init")]

    def _cmd(self, *args: str) -> list:
        return [self.exe, "-r", self.repo, *self.flags, *args]

    def backup(self, src: str) -> list:
        return self._cmd("backup", src)

    def restore(self, dst: str) -> list:
        return self._cmd("restore", "latest", "--target", dst)

    def restore_one(self, dst: str, src: str, rel: str) -> list:
        # restic matches --include against the absolute path the snapshot recorded
        return self._cmd("restore", "latest", "--target", dst, "--include", os.path.join(src, rel))

    def check(self) -> list:
        return self._cmd("check", "--read-data")

    def drill(self, dst: str, ds, rdir: str) -> list:
        # The drill restic users script: restore, then check every file against the checksums
        # recorded at backup time (written here, untimed, from the dataset's manifest).
        sums = os.path.join(rdir, "sha256sums")
        with open(sums, "w") as f:
            f.writelines(f"{ds.digests[spec.rel]}  {spec.rel}\n" for spec in ds.files)
        restored = dst + ds.root  # restic restores to DST/<absolute source path>
        script = 'restored=$1; sums=$2; shift 2; "$@" && cd "$restored" && exec sha256sum --quiet --strict -c "$sums"'
        return ["sh", "-c", script, "sh", restored, sums, *self._cmd("restore", "latest", "--target", dst)]

    def drill_verified(self, dst: str, ds, logs: str) -> dict:
        _, count = tree_usage(dst + ds.root)
        if count != len(ds.files):
            raise ToolFailed(f"drill verification: {count} files restored, expected {len(ds.files)}")
        return {"verified_files": count}

    def snapshots(self) -> list:
        return self._cmd("snapshots")


class Drorch:
    name = "drorch"

    def __init__(self, exe: str):
        self.exe = exe
        self.env = {}
        self.config = ""
        self.policy = ""

    def version(self) -> str:
        try:
            out = subprocess.run([self.exe, "--version"], capture_output=True, text=True, timeout=60)
            return out.stdout.strip() or out.stderr.strip()[:80]
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"unknown ({e})"

    def setup(self, rdir: str, dataset: str, src: str, target: Target) -> list:
        self.policy = f"bench-{dataset}"
        env = dict(os.environ, DRORCH_REPOSITORY_KEY=PASSWORD, DOTNET_CLI_TELEMETRY_OPTOUT="1",
                   DOTNET_NOLOGO="1")
        if target.s3 is not None:
            tgt = {"Type": "s3", "ServiceUrl": target.s3.url, "ForcePathStyle": True,
                   "Bucket": target.s3.bucket, "Prefix": "drorch",
                   "AccessKeyIdEnvironmentVariable": "S3_KEY",
                   "SecretAccessKeyEnvironmentVariable": "S3_SECRET",
                   "DisableChunkEncoding": True,
                   # trust the emulator's self-signed certificate, as restic does with --cacert
                   "CaCertificateFile": target.s3.cert}
            env.update(S3_KEY=target.s3.key, S3_SECRET=target.s3.secret)
        elif target.azure is not None:
            # MD5 upload checksums: Azurite stores CRC64-framed bodies verbatim (see the tests' fixture).
            tgt = {"Type": "azure", "Container": target.azure.container, "Prefix": "drorch",
                   "ConnectionStringEnvironmentVariable": "AZURE_CONNECTION_STRING", "UploadChecksum": "MD5"}
            env.update(AZURE_CONNECTION_STRING=target.azure.connection_string)
        else:
            tgt = {"Type": "local", "Path": target.local_dir}
        self.env = env
        self.config = os.path.join(rdir, "drorch.json")
        with open(self.config, "w") as f:
            json.dump({"Catalog": {"Provider": "Sqlite",
                                   "ConnectionString": f"Data Source={os.path.join(rdir, 'catalog.db')}"},
                       "RepositoryKey": {"EnvironmentVariable": "DRORCH_REPOSITORY_KEY"},
                       "Targets": {"bench": tgt},
                       "Drill": {"Root": os.path.join(rdir, "drill")},
                       "Logging": {"LogLevel": {"Default": "Warning"}}}, f, indent=2)
        return [[self.exe, "--config", self.config, "policy", "apply", self._write_policy(rdir, src)]]

    def _write_policy(self, rdir: str, src: str) -> str:
        path = os.path.join(rdir, "policy.yaml")
        with open(path, "w") as f:
            f.write(f"name: {self.policy}\n"
                    f"sources:\n  - type: files\n    paths: [{json.dumps(src)}]\n"
                    "targets:\n  - name: bench\n    role: primary\n"
                    'schedule:\n  cron: "0 0 2 * * ?"\n  timeZone: UTC\n'
                    "rpo: 24h\nrto: 1h\nretention:\n  keepLast: 7\n")
        return path

    def backup(self, src: str) -> list:
        return [self.exe, "--config", self.config, "backup", self.policy]

    def restore(self, dst: str) -> list:
        return [self.exe, "--config", self.config, "restore", self.policy, "--to", dst]

    def restore_one(self, dst: str, src: str, rel: str) -> list:
        # drorch stores a source under its last path segment
        return [self.exe, "--config", self.config, "restore", self.policy, "--to", dst,
                "--include", f"{os.path.basename(src)}/{rel}"]

    def check(self) -> list:
        return [self.exe, "--config", self.config, "check", "bench", "--read-data"]

    def drill(self, dst: str, ds, rdir: str) -> list:
        # the sandbox is made (and removed) by drorch under Drill:Root, which setup points at dst
        return [self.exe, "--config", self.config, "drill", self.policy, "--json"]

    def drill_verified(self, dst: str, ds, logs: str) -> dict:
        """drorch's own drill report (stdout) must say passed with every file and byte, and the
        sandbox must be gone."""
        with open(os.path.join(logs, "drill.out")) as f:
            results = json.load(f)
        if len(results) != 1:
            raise ToolFailed(f"drill verification: {len(results)} targets drilled, expected 1")
        r = results[0]
        if (r["outcome"], r["filesVerified"], r["bytesRestored"]) != ("passed", len(ds.files), ds.total_bytes):
            raise ToolFailed(f"drill verification: {r['outcome']}, {r['filesVerified']} files, {r['bytesRestored']} bytes verified; "
                             f"expected passed, {len(ds.files)} files, {ds.total_bytes} bytes")
        if os.listdir(dst):
            raise ToolFailed(f"drill verification: the sandbox was left in {dst}")
        return {"verified_files": r["filesVerified"], "rto_s": r["rtoAchievedSeconds"],
                "drill_restore_s": r["restoreSeconds"], "drill_verify_s": r["verifySeconds"]}

    def snapshots(self) -> list:
        return [self.exe, "--config", self.config, "snapshots", self.policy]


def build_drorch(repo_root: str, out_dir: str, log) -> str:
    """Publishes drorch into out_dir exactly as `./build.sh install` ships it; returns the executable."""
    # The shipped build (self-contained, composite ReadyToRun for linux-x64: docs/decisions.md
    # §49, §77) comes from build.sh itself, so the benchmark cannot drift from what users install.
    log(f"building drorch: ./build.sh publish {out_dir} install (self-contained, composite ReadyToRun; ~3 min)")
    proc = subprocess.run(["bash", os.path.join(repo_root, "build.sh"), "publish", out_dir, "install"],
                          cwd=repo_root, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise SystemExit(f"dotnet publish failed (exit {proc.returncode}):\n{tail}\n"
                         "Fix the build, pass --drorch PATH, or run with --tools restic.")
    exe = os.path.join(out_dir, "drorch")
    if not os.access(exe, os.X_OK):
        raise SystemExit(f"dotnet publish succeeded but {exe} is missing")
    return exe


def find_restic(explicit: str | None) -> str:
    exe = explicit or shutil.which("restic")
    if not exe or not os.access(exe, os.X_OK):
        raise SystemExit("restic not found: apt-get install restic (or pass --restic PATH)")
    return exe
