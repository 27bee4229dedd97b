#!/usr/bin/env python3
"""Lifecycle benchmarks of issue 18: `prune` against `restic forget --prune`, and `catalog rebuild`
of a repository holding 10,000 snapshots (local and s3rver).

    python3 bench/lifecycle.py prune --drorch PATH [--drorch-base PATH] [--work /work/bench-data/prune] [--scale 0.25] [--snapshots 20] [--rounds 3] [--reuse-history]
    python3 bench/lifecycle.py rebuild --drorch PATH --index-scale DLL [--work /work/bench-data/rebuild] [--count 10000] [--rounds 3] [--cloud s3]

prune: one history per tool — SNAPSHOTS backups of a private copy of the `mixed` set, ~5 % of its
files rewritten, a few deleted and a few added between backups (the same changes for both
tools) — then per round a fresh copy of each repository (hard links; drorch's catalog copied) is
pruned with the same retention (keepLast 5) and the same unused-space allowance (10 %; drorch with
`Prune:GracePeriod` 0 so one prune deletes what it marks, as restic's does). Rounds alternate
which tool goes first; medians of wall, CPU (user+sys) and peak RSS (GNU time), and the
repository size after, are printed with the ratio drorch ÷ restic. --drorch-base adds an older
drorch build as a third tool on the same copies (before/after in one run, rotating order);
--reuse-history keeps the histories of an earlier run (same scale and count) instead of
backing the 20 snapshots up again.

rebuild: drorch backs a tiny tree up once (which writes the first system record), index-scale's
`history` adds COUNT snapshot objects of another policy, and each round deletes the catalog and
times `catalog rebuild --from bench`: every snapshot is listed and read, and COUNT of them are
"after the record" (the worst case). Then a record holding all of them is written
(`catalog backup`) and the rebuild is timed again (the usual case: the record restores them,
the repository is only compared). With --cloud s3 the repository is uploaded to a private
s3rver (boto3) and the same is timed from there.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from drbench import cloud, dataset, measure  # noqa: E402
from drbench.tools import PASSWORD  # noqa: E402

KEEP_LAST = 5


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def loadavg() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def drorch_config(rdir: str, target: dict, extra: dict | None = None) -> str:
    config = {"Catalog": {"Provider": "Sqlite", "ConnectionString": "Data Source=catalog.db"},
              "RepositoryKey": {"EnvironmentVariable": "DRORCH_REPOSITORY_KEY"},
              "Targets": {"bench": target},
              "Prune": {"GracePeriod": "00:00:00", "MaxUnused": "10%"},
              "Logging": {"LogLevel": {"Default": "Warning"}}}
    config.update(extra or {})
    path = os.path.join(rdir, "drorch.json")
    with open(path, "w") as f:
        json.dump(config, f, indent=2)
    return path


def write_policy(rdir: str, name: str, src: str) -> str:
    path = os.path.join(rdir, "policy.yaml")
    with open(path, "w") as f:
        f.write(f"name: {name}\nsources:\n  - type: files\n    paths: [{json.dumps(src)}]\n"
                "targets:\n  - name: bench\n    role: primary\n"
                'schedule:\n  cron: "0 0 2 * * ?"\n  timeZone: UTC\n'
                f"rpo: 24h\nrto: 1h\nretention:\n  keepLast: {KEEP_LAST}\n")
    return path


def env() -> dict:
    return dict(os.environ, DRORCH_REPOSITORY_KEY=PASSWORD, RESTIC_PASSWORD=PASSWORD,
                DOTNET_CLI_TELEMETRY_OPTOUT="1", DOTNET_NOLOGO="1")


def run(argv: list, e: dict, cwd: str | None = None) -> None:
    proc = subprocess.run(argv, env=e, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"`{' '.join(argv)}` exited {proc.returncode}: {proc.stderr.strip()[-800:]}")


def change_tree(src: str, step: int) -> None:
    """~5 % of the files rewritten with new content, 2 deleted, 2 added: the same for both tools."""
    rng = random.Random(0x50524E + step)
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(src) for f in fs)
    for path in rng.sample(files, max(1, len(files) // 20)):
        size = os.path.getsize(path)
        with open(path, "wb") as f:
            f.write(rng.randbytes(size))
    for path in rng.sample(files, 2):
        if os.path.exists(path):
            os.remove(path)
    for i in range(2):
        with open(os.path.join(src, f"added-{step}-{i}.bin"), "wb") as f:
            f.write(rng.randbytes(rng.randint(1 << 16, 4 << 20)))


def du(path: str) -> int:
    return measure.tree_usage(path)[0]


def prune(a) -> int:
    base = os.path.join(a.work, "prune-run")
    e = env()
    hist = {t: os.path.join(base, "history", t) for t in ("drorch", "restic")}
    if a.reuse_history and all(os.path.isdir(os.path.join(d, "repo")) for d in hist.values()):
        log(f"reusing the histories in {os.path.join(base, 'history')}")
        return prune_rounds(a, base, hist, e)
    ds = dataset.prepare(a.work, "mixed", a.scale, False, log)
    shutil.rmtree(base, ignore_errors=True)
    src = os.path.join(base, "src")
    log(f"copying {ds.root} to {src}")
    shutil.copytree(ds.root, src)
    for d in hist.values():
        os.makedirs(d)
    config = drorch_config(hist["drorch"], {"Type": "local", "Path": "repo"})
    run([a.drorch, "--config", config, "policy", "apply", write_policy(hist["drorch"], "bench-prune", src)], e)
    restic_env = dict(e, RESTIC_CACHE_DIR=os.path.join(hist["restic"], "cache"))
    run([a.restic, "-r", os.path.join(hist["restic"], "repo"), "init"], restic_env)
    for step in range(a.snapshots):
        if step:
            change_tree(src, step)
        run([a.drorch, "--config", config, "backup", "bench-prune"], e)
        run([a.restic, "-r", os.path.join(hist["restic"], "repo"), "backup", src], restic_env)
        log(f"history: snapshot {step + 1}/{a.snapshots} on both (load {loadavg()})")
    return prune_rounds(a, base, hist, e)


def prune_rounds(a, base: str, hist: dict, e: dict) -> int:
    sizes_before = {t: du(os.path.join(hist[t], "repo")) for t in hist}
    builds = {"drorch": a.drorch, **({"drorch-base": a.drorch_base} if a.drorch_base else {})}
    tools = [*builds, "restic"]
    results = {t: [] for t in tools}
    for r in range(a.rounds):
        # Rotate which tool goes first; with two tools this alternates.
        order = tools[r % len(tools):] + tools[:r % len(tools)]
        for tool in order:
            source = "restic" if tool == "restic" else "drorch"
            rdir = os.path.join(base, f"round{r}", tool)
            shutil.rmtree(rdir, ignore_errors=True)
            os.makedirs(rdir)
            subprocess.run(["cp", "-al", os.path.join(hist[source], "repo"), os.path.join(rdir, "repo")], check=True)
            if source == "drorch":
                for f in os.listdir(hist[source]):
                    if f.startswith(("catalog.db", "drorch.json")):
                        shutil.copy2(os.path.join(hist[source], f), rdir)
                argv = [builds[tool], "--config", os.path.join(rdir, "drorch.json"), "prune", "bench-prune"]
                tool_env = e
            else:
                shutil.copytree(os.path.join(hist[source], "cache"), os.path.join(rdir, "cache"))
                argv = [a.restic, "-r", os.path.join(rdir, "repo"), "forget", "--keep-last", str(KEEP_LAST),
                        "--prune", "--max-unused", "10%"]
                tool_env = dict(e, RESTIC_CACHE_DIR=os.path.join(rdir, "cache"))
            measure.warm([os.path.join(rdir, "repo")])
            load = loadavg()
            m = measure.run_timed(f"prune-{r}", argv, tool_env, os.path.join(rdir, "logs"))
            m.repo_bytes = du(os.path.join(rdir, "repo"))
            results[tool].append((m, load))
            log(f"round {r}: {tool} prune {m.wall_s:.1f} s wall, {m.cpu_s:.1f} s CPU, {m.maxrss_kib / 1024:.0f} MiB, "
                f"repo {sizes_before[source] / 2**20:.0f} → {m.repo_bytes / 2**20:.0f} MiB (load {load})")
            shutil.rmtree(rdir)
    report("prune", results, {t: f"{sizes_before[t] / 2**20:.0f} MiB before" for t in hist})
    return 0


def report(what: str, results: dict, notes: dict) -> None:
    def med(tool, f):
        return statistics.median(f(m) for m, _ in results[tool])
    rows = [("wall s ↓", lambda m: m.wall_s), ("CPU s ↓", lambda m: m.cpu_s),
            ("peak RSS MiB ↓", lambda m: m.maxrss_kib / 1024), ("repository after MiB", lambda m: m.repo_bytes / 2**20)]
    drorchs = [t for t in results if t != "restic"]
    print(f"\n{what}: medians of {len(results['restic'])} rounds, order rotated")
    print("| figure | " + " | ".join([*drorchs, "restic"]) + " | " + " | ".join(f"{t} ÷ restic" for t in drorchs) + " |")
    print("|---|" + "---:|" * (2 * len(drorchs) + 1))
    for name, f in rows:
        r = med("restic", f)
        d = [med(t, f) for t in drorchs]
        print(f"| {name} | " + " | ".join(f"{x:.2f}" for x in [*d, r]) + " | "
              + " | ".join(f"{x / r if r else float('nan'):.2f}" for x in d) + " |")
    print("load averages at the start of each timed run: " + "; ".join(
        f"{t}: {', '.join(l.split()[0] for _, l in results[t])}" for t in results))
    for t, n in notes.items():
        print(f"{t}: {n}")


def rebuild(a) -> int:
    base = os.path.join(a.work, "rebuild-run")
    shutil.rmtree(base, ignore_errors=True)
    rdir = os.path.join(base, "local")
    src = os.path.join(base, "src")
    os.makedirs(rdir)
    os.makedirs(src)
    with open(os.path.join(src, "a.txt"), "w") as f:
        f.write("rebuild bench\n")
    e = env()
    config = drorch_config(rdir, {"Type": "local", "Path": "repo"})
    run([a.drorch, "--config", config, "policy", "apply", write_policy(rdir, "bench-rebuild", src)], e)
    run([a.drorch, "--config", config, "backup", "bench-rebuild"], e)
    out = subprocess.run(["dotnet", a.index_scale, "history", os.path.join(rdir, "repo"), str(a.count)],
                         capture_output=True, text=True, check=True)
    log(out.stdout.strip())
    targets = {"local": (rdir, config)}
    server = None
    if "s3" in a.cloud:
        tls = cloud.tls_files(a.work)
        server = cloud.S3rver(cloud.s3rver_js(os.path.dirname(HERE), None), os.path.join(base, "s3rver", "data"), tls)
        upload(os.path.join(rdir, "repo"), server)
        sdir = os.path.join(base, "s3")
        os.makedirs(sdir)
        sconfig = drorch_config(sdir, {"Type": "s3", "ServiceUrl": server.url, "ForcePathStyle": True, "Bucket": server.bucket,
                                       "Prefix": "drorch", "AccessKeyIdEnvironmentVariable": "S3_KEY",
                                       "SecretAccessKeyEnvironmentVariable": "S3_SECRET", "DisableChunkEncoding": True,
                                       "CaCertificateFile": server.cert})
        e.update(S3_KEY=server.key, S3_SECRET=server.secret)
        targets["s3"] = (sdir, sconfig)
    try:
        for case in ("after-record", "in-record"):
            results = {t: [] for t in targets}
            for r in range(a.rounds):
                for t in (list(targets) if r % 2 == 0 else list(reversed(targets))):
                    tdir, tconfig = targets[t]
                    for f in os.listdir(tdir):
                        if f.startswith("catalog.db"):
                            os.remove(os.path.join(tdir, f))
                    load = loadavg()
                    m = measure.run_timed(f"rebuild-{case}-{r}", [a.drorch, "--config", tconfig, "catalog", "rebuild", "--from", "bench", "--json"],
                                          e, os.path.join(tdir, "logs"))
                    with open(os.path.join(tdir, "logs", f"rebuild-{case}-{r}.out")) as f:
                        info = json.load(f)
                    results[t].append((m, load))
                    log(f"{case} round {r}: {t}: {m.wall_s:.1f} s wall, {m.cpu_s:.1f} s CPU, {m.maxrss_kib / 1024:.0f} MiB; "
                        f"{info['snapshots']} snapshots from the record, {len(info['addedFromRepository'])} added from the repository (load {load})")
            print(f"\ncatalog rebuild of {a.count + 1} snapshots, {case}: medians of {a.rounds} rounds")
            print("| target | wall s | CPU s | peak RSS MiB | loads |\n|---|---:|---:|---:|---|")
            for t, ms in results.items():
                print(f"| {t} | {statistics.median(m.wall_s for m, _ in ms):.1f} | {statistics.median(m.cpu_s for m, _ in ms):.1f} | "
                      f"{statistics.median(m.maxrss_kib for m, _ in ms) / 1024:.0f} | {', '.join(l.split()[0] for _, l in ms)} |")
            if case == "after-record":
                # a record holding every snapshot, on each target (the local one is uploaded again for s3)
                run([a.drorch, "--config", config, "catalog", "backup"], e)
                if server is not None:
                    upload(os.path.join(rdir, "repo"), server)
    finally:
        if server is not None:
            server.stop()
    return 0


def upload(repo: str, server) -> None:
    import boto3  # only for --cloud s3
    from concurrent.futures import ThreadPoolExecutor
    from botocore.config import Config
    # No aws-chunked bodies with trailing checksums: s3rver would store their framing verbatim.
    s3 = boto3.client("s3", endpoint_url=server.url, aws_access_key_id=server.key, aws_secret_access_key=server.secret,
                      region_name="us-east-1", verify=server.cert,
                      config=Config(request_checksum_calculation="when_required", response_checksum_validation="when_required"))
    files = [os.path.join(d, f) for d, _, fs in os.walk(repo) for f in fs]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda p: s3.upload_file(p, server.bucket, "drorch/" + os.path.relpath(p, repo)), files))
    log(f"uploaded {len(files)} objects to s3rver in {time.perf_counter() - t0:.0f} s")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="what", required=True)
    pr = sub.add_parser("prune")
    pr.add_argument("--drorch", required=True)
    pr.add_argument("--restic", default=shutil.which("restic") or "restic")
    pr.add_argument("--work", default="/work/bench-data/prune")
    pr.add_argument("--scale", type=float, default=0.25)
    pr.add_argument("--snapshots", type=int, default=20)
    pr.add_argument("--rounds", type=int, default=3)
    pr.add_argument("--drorch-base", help="an older drorch build, timed as a third tool (before/after)")
    pr.add_argument("--reuse-history", action="store_true", help="keep the histories of an earlier run")
    rb = sub.add_parser("rebuild")
    rb.add_argument("--drorch", required=True)
    rb.add_argument("--index-scale", required=True, help="DrOrchestrator.Bench.IndexScale.dll")
    rb.add_argument("--work", default="/work/bench-data/rebuild")
    rb.add_argument("--count", type=int, default=10000)
    rb.add_argument("--rounds", type=int, default=3)
    rb.add_argument("--cloud", action="append", default=[], choices=["s3"])
    a = p.parse_args()
    log(f"load average at start: {loadavg()}")
    return prune(a) if a.what == "prune" else rebuild(a)


if __name__ == "__main__":
    sys.exit(main())
