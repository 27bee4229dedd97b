#!/usr/bin/env python3
"""Issue 19 item 4: a backup and a restore through a link that stalls one response in ten,
against the same backup and restore through the same proxy without faults.

    flock /work/bench.lock python3 bench/stall.py --work /work/bench-data/h-hedge/stall
    python3 bench/stall.py --backend s3 --backend azure --rounds 5 --modes unpinned,pinned

Each round runs, in alternating order, a fault-free backup (through a proxy that forwards every
response) and a stalled backup (through a proxy that never forwards every Nth response), each to
a repository of its own so both upload everything, then the restore of each repository through
its proxy. Every restore is checked byte for byte (SHA-256 of every file against the source),
untimed. Modes: `unpinned` (everything anywhere), `pinned` (emulator and proxies on CPU 1,
drorch on CPU 0, as `bench.py --pin-emulator`). drorch runs with the target's default
Timeouts, Retry and Hedging (what an admin gets), unless --no-hedging (the reference: stalls
end only at Timeouts:Request). By default each repository is set up untimed (`target init`, `policy apply`:
config, key and the day's system record), so the timed backup is a first backup into an existing
repository; --fresh-repository times the repository's creation too. The figures are medians of the wall times over the rounds and the
ratio stalled / fault-free of those medians; the issue's bound is 3x. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from drbench import cloud, measure, tools  # noqa: E402

KEY = "bench-not-a-secret"


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", default=os.path.join(HERE, "work", "stall"))
    p.add_argument("--backend", choices=("s3", "azure"), action="append")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--modes", default="unpinned,pinned", help="comma list of unpinned, pinned")
    p.add_argument("--every", type=int, default=10, help="stall every Nth response of the stalled proxy")
    p.add_argument("--files", type=int, default=12, help="large random files in the source")
    p.add_argument("--file-mib", type=int, default=8)
    p.add_argument("--pack-mib", type=int, default=8, help="Repository:PackSize (the tests' 8 MiB)")
    p.add_argument("--no-hedging", action="store_true", help="Targets:<name>:Hedging:Enabled false (the reference)")
    p.add_argument("--verbose", action="store_true", help="drorch --verbose: its log (hedges sent, who won) in each step's .err; for diagnosis, not figures")
    p.add_argument("--fresh-repository", action="store_true",
                   help="the timed backup also creates the repository (config, key, the first system record); "
                        "default: `target init` and `policy apply` set it up untimed, as an admin does before the first scheduled run")
    p.add_argument("--drorch", help="an existing drorch executable (default: dotnet publish into WORK)")
    a = p.parse_args()
    a.backend = a.backend or ["s3"]
    a.modes = [m.strip() for m in a.modes.split(",") if m.strip()]
    return a


def make_source(work: str, files: int, mib: int) -> str:
    """Random (incompressible, undeduplicable) files, made once per size."""
    src = os.path.join(work, f"source-{files}x{mib}", "source")
    done = src + ".done"
    if os.path.exists(done):
        return src
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(os.path.join(src, "db"))
    rng = random.Random(19)
    for i in range(files):
        with open(os.path.join(src, "db", f"large-{i}.bin"), "wb") as f:
            f.write(rng.randbytes(mib * 1024 * 1024 + i))
    for i in range(6):
        with open(os.path.join(src, "db", f"part-{i}.bin"), "wb") as f:
            f.write(rng.randbytes(700_000 + i))
    with open(os.path.join(src, "notes.txt"), "w") as f:
        f.write("three-two-one\n" * 5000)
    open(done, "w").close()
    return src


def digests(root: str) -> dict:
    out = {}
    for dirpath, _, names in os.walk(root):
        for n in names:
            path = os.path.join(dirpath, n)
            h = hashlib.sha256()
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
            out[os.path.relpath(path, root)] = h.hexdigest()
    return out


class StallProxy:
    """bench/drbench/stallproxy.py as a process, pinned like the emulator."""

    def __init__(self, upstream: int, every: int, directory: str):
        os.makedirs(directory, exist_ok=True)
        port_file = os.path.join(directory, "port")
        if os.path.exists(port_file):
            os.remove(port_file)
        self.log_path = os.path.join(directory, "responses.log")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [*cloud._pinned(), sys.executable, os.path.join(HERE, "drbench", "stallproxy.py"),
             "--upstream", str(upstream), "--every", str(every), "--port-file", port_file],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the stall proxy did not start; see {self.log_path}")
            time.sleep(0.05)
        with open(port_file) as f:
            self.port = int(f.read())

    def lines(self) -> list:
        with open(self.log_path) as f:
            return f.read().splitlines()

    def stop(self) -> None:
        cloud._stop(self.proc)
        self._log.close()


def write_config(rdir: str, backend: str, server, proxy_port: int, prefix: str, src: str, a) -> tuple:
    os.makedirs(rdir, exist_ok=True)
    env = dict(os.environ, DRORCH_REPOSITORY_KEY=KEY, DOTNET_CLI_TELEMETRY_OPTOUT="1", DOTNET_NOLOGO="1")
    if backend == "s3":
        target = {"Type": "s3", "ServiceUrl": f"http://127.0.0.1:{proxy_port}", "ForcePathStyle": True,
                  "Bucket": server.bucket, "Prefix": prefix, "AccessKeyIdEnvironmentVariable": "S3_KEY",
                  "SecretAccessKeyEnvironmentVariable": "S3_SECRET", "DisableChunkEncoding": True}
        env.update(S3_KEY=server.key, S3_SECRET=server.secret)
    else:
        target = {"Type": "azure", "Container": server.container, "Prefix": prefix,
                  "ConnectionStringEnvironmentVariable": "AZURE_CONNECTION_STRING", "UploadChecksum": "MD5"}
        env.update(AZURE_CONNECTION_STRING=server.connection_string.replace(
            f"127.0.0.1:{server.port}", f"127.0.0.1:{proxy_port}"))
    if a.no_hedging:
        target["Hedging"] = {"Enabled": False}
    config = os.path.join(rdir, "drorch.json")
    with open(config, "w") as f:
        json.dump({"Catalog": {"Provider": "Sqlite", "ConnectionString": f"Data Source={os.path.join(rdir, 'catalog.db')}"},
                   "RepositoryKey": {"EnvironmentVariable": "DRORCH_REPOSITORY_KEY"},
                   "Repository": {"PackSize": a.pack_mib * 1024 * 1024},
                   "Targets": {"bench": target}}, f, indent=2)
    policy = os.path.join(rdir, "policy.yaml")
    with open(policy, "w") as f:
        f.write(f"name: stall\nsources:\n  - type: files\n    paths: [{json.dumps(src)}]\n"
                "targets:\n  - name: bench\n    role: primary\n"
                'schedule:\n  cron: "0 0 2 * * ?"\n  timeZone: UTC\nrpo: 24h\nrto: 1h\nretention:\n  keepLast: 7\n')
    return config, policy, env


def load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main() -> None:
    a = parse()
    os.makedirs(a.work, exist_ok=True)
    exe = a.drorch or tools.build_drorch(REPO_ROOT, os.path.join(a.work, "drorch-bin"), print)
    src = make_source(a.work, a.files, a.file_mib)
    expected = digests(src)
    source_mib = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(src) for n in ns) / 2**20
    print(f"source: {len(expected)} files, {source_mib:.1f} MiB; packs {a.pack_mib} MiB; stall every {a.every}th response; "
          f"hedging {'off' if a.no_hedging else 'on (defaults)'}", flush=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    rows = []
    for mode in a.modes:
        cloud.EMULATOR_CPUS, measure.TOOL_CPUS = ("1", "0") if mode == "pinned" else (None, None)
        for backend in a.backend:
            base = os.path.join(a.work, "runs", stamp, f"{mode}-{backend}")
            server = (cloud.S3rver(cloud.s3rver_js(REPO_ROOT, None), os.path.join(base, "server", "data"), None)
                      if backend == "s3" else cloud.Azurite(cloud.azurite_js(REPO_ROOT), os.path.join(base, "server", "data")))
            proxies = {}
            try:
                proxies = {"clean": StallProxy(server.port, 0, os.path.join(base, "proxy-clean")),
                           "stalled": StallProxy(server.port, a.every, os.path.join(base, "proxy-stalled"))}
                for r in range(a.rounds):
                    order = ["clean", "stalled"] if r % 2 == 0 else ["stalled", "clean"]
                    runs = {}
                    for variant in order:
                        rdir = os.path.join(base, f"r{r}-{variant}")
                        runs[variant] = write_config(rdir, backend, server, proxies[variant].port, f"r{r}-{variant}", src, a)
                        config, policy, env = runs[variant]
                        if not a.fresh_repository:
                            # Untimed, through the variant's proxy: the repository exists and holds the day's
                            # system record (written by `policy apply`) before the timed backup, as for any
                            # scheduled run; the timed backup then writes packs, indexes and its snapshot.
                            subprocess.run([exe, "--config", config, "target", "init", "bench"], env=env, check=True,
                                           capture_output=True)
                        subprocess.run([exe, "--config", config, "policy", "apply", policy], env=env, check=True,
                                       capture_output=True)
                    for step in ("backup", "restore"):
                        for variant in order:
                            config, _, env = runs[variant]
                            rdir = os.path.dirname(config)
                            dst = os.path.join(rdir, "restored")
                            argv = ([exe, "--config", config, "backup", "stall"] if step == "backup"
                                    else [exe, "--config", config, "restore", "stall", "--to", dst]) + (["--verbose"] if a.verbose else [])
                            if step == "backup":
                                measure.warm([src])
                            before, avg = len(proxies[variant].lines()), load()
                            m = measure.run_timed(f"{step}-{variant}", argv, env, os.path.join(rdir, "logs"))
                            seen = proxies[variant].lines()[before:]
                            if step == "restore":
                                got = digests(os.path.join(dst, "source"))
                                if got != expected:
                                    raise SystemExit(f"restore {mode} {backend} r{r} {variant}: restored files differ from the source")
                                shutil.rmtree(dst)
                            row = {"mode": mode, "backend": backend, "round": r, "step": step, "variant": variant,
                                   "wall_s": round(m.wall_s, 3), "cpu_s": round(m.cpu_s, 3), "responses": len(seen),
                                   "stalls": sum(1 for s in seen if s.endswith(" stall")), "load": avg,
                                   "verified_files": len(expected) if step == "restore" else None}
                            rows.append(row)
                            print(json.dumps(row), flush=True)
            finally:
                for p in proxies.values():
                    p.stop()
                server.stop()
    report(rows, a, stamp)


def report(rows: list, a, stamp: str) -> None:
    lines = [f"# issue 19 stall bench {stamp} UTC: every {a.every}th response stalled, "
             f"{a.files} x {a.file_mib} MiB + small files, {a.pack_mib} MiB packs, hedging {'off' if a.no_hedging else 'on'}, "
             f"{a.rounds} rounds, {'the backup creates the repository' if a.fresh_repository else 'repositories set up untimed (target init, policy apply)'}", "",
             "| mode | backend | step | fault-free median s | stalled median s | ratio (bound 3x) | stalls / responses (stalled runs) | per-round ratios | load (1/5/15) |",
             "|---|---|---|---:|---:|---:|---|---|---|"]
    keys = sorted({(r["mode"], r["backend"], r["step"]) for r in rows}, key=lambda k: (a.modes.index(k[0]), k[1], k[2]))
    for mode, backend, step in keys:
        sel = [r for r in rows if (r["mode"], r["backend"], r["step"]) == (mode, backend, step)]
        clean = {r["round"]: r["wall_s"] for r in sel if r["variant"] == "clean"}
        stalled = {r["round"]: r["wall_s"] for r in sel if r["variant"] == "stalled"}
        sr = [r for r in sel if r["variant"] == "stalled"]
        cm, sm = statistics.median(clean.values()), statistics.median(stalled.values())
        per_round = ", ".join(f"{stalled[i] / clean[i]:.2f}" for i in sorted(clean) if i in stalled)
        loads = f"{sel[0]['load']} … {sel[-1]['load']}"
        lines.append(f"| {mode} | {backend} | {step} | {cm:.2f} | {sm:.2f} | **{sm / cm:.2f}x** | "
                     f"{'+'.join(str(r['stalls']) for r in sr)} / {'+'.join(str(r['responses']) for r in sr)} | {per_round} | {loads} |")
    text = "\n".join(lines) + "\n"
    print(text)
    out = os.path.join(a.work, f"stall-{stamp}")
    with open(out + ".md", "w") as f:
        f.write(text)
    with open(out + ".json", "w") as f:
        json.dump(rows, f, indent=1)
    print(f"written to {out}.md and .json")


if __name__ == "__main__":
    main()
