#!/usr/bin/env python3
"""Full restores only, alternating tools, from repositories `curve.py` already made (issue 14).

`curve.py --full-restore-scales 1` times the full restore of 1,000,000 files, but it first makes
a new repository and initial backup per tool and times a re-backup and a one-file restore every
round (an hour and a half on this host). This script reuses the repositories of an earlier
curve run (WORK/runs/curve-s{SCALE}-drorch-{LABEL} and -restic) and times only the full
restore, verified file by file against the dataset's manifest, so a change to the restore can be
measured at 1M files in a few rounds. Each drorch build gets its own config and a copy of the
curve run's catalog in OUT (the repositories are only read; restic takes its usual
non-exclusive lock). Same methodology as bench.py: warm repository, sync before each timed
step, tool order flipped every round; a restored tree is deleted after its verification and
followed by a 65 s pause (ext4's recently-deleted inode scan, see drbench/runner.py).

    python3 bench/full-restore.py --scale 1 --rounds 2 --drorch new=PATH [--drorch base=PATH2] \\
        --repo-of main --work /work/bench-data/scale --out /work/bench-data/me/full-s1
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from drbench import dataset, runner, tools  # noqa: E402
from drbench.measure import ToolFailed  # noqa: E402
from drbench.tools import Target  # noqa: E402


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {msg}", flush=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--drorch", action="append", default=[], help="LABEL=PATH of a drorch build (repeatable)")
    p.add_argument("--repo-of", default="main", help="LABEL of the curve run whose drorch repository all drorch builds restore from")
    p.add_argument("--no-restic", action="store_true")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--work", default=os.path.join(HERE, "work"), help="curve.py's WORK (datasets/ and runs/)")
    p.add_argument("--out", required=True, help="this script's own directory (configs, catalogs, logs, restores)")
    a = p.parse_args()
    ds = dataset.prepare(a.work, "scale", a.scale, True, log)
    source_run = os.path.join(a.work, "runs", f"curve-s{a.scale:g}-drorch-{a.repo_of}")
    os.makedirs(a.out, exist_ok=True)
    sessions = []
    for spec in a.drorch:
        label, _, path = spec.partition("=")
        t = tools.Drorch(os.path.abspath(path))
        t.name = f"drorch-{label}"
        rdir = os.path.join(a.out, t.name)
        os.makedirs(rdir, exist_ok=True)
        shutil.copy(os.path.join(source_run, "catalog.db"), os.path.join(rdir, "catalog.db"))
        t.policy = f"bench-{ds.name}"
        t.config = os.path.join(rdir, "drorch.json")
        t.env = dict(os.environ, DRORCH_REPOSITORY_KEY=tools.PASSWORD, DOTNET_CLI_TELEMETRY_OPTOUT="1", DOTNET_NOLOGO="1",
                     XDG_CACHE_HOME=os.path.join(rdir, "xdg"))
        with open(t.config, "w") as f:
            json.dump({"Catalog": {"Provider": "Sqlite", "ConnectionString": f"Data Source={os.path.join(rdir, 'catalog.db')}"},
                       "RepositoryKey": {"EnvironmentVariable": "DRORCH_REPOSITORY_KEY"},
                       "Targets": {"bench": {"Type": "local", "Path": os.path.join(source_run, "repo")}},
                       "Logging": {"LogLevel": {"Default": "Warning"}}}, f, indent=2)
        sessions.append(runner.Session(t, ds, rdir, Target(local_dir=os.path.join(source_run, "repo")), log))
    if not a.no_restic:
        t = tools.Restic(tools.find_restic(None))
        restic_run = os.path.join(a.work, "runs", f"curve-s{a.scale:g}-restic")
        rdir = os.path.join(a.out, t.name)
        os.makedirs(rdir, exist_ok=True)
        cache = os.path.join(rdir, "restic-cache")
        if not os.path.exists(cache):
            shutil.copytree(os.path.join(restic_run, "restic-cache"), cache)
        t.repo = os.path.join(restic_run, "repo")
        t.env = dict(os.environ, RESTIC_PASSWORD=tools.PASSWORD, RESTIC_CACHE_DIR=cache)
        sessions.append(runner.Session(t, ds, rdir, Target(local_dir=t.repo), log))

    # one untimed warm-up per drorch build: writes its local index cache, as any earlier run on a host would
    for s in sessions:
        if s.tool.name.startswith("drorch"):
            runner.run_timed("warm-up", s.tool.snapshots(), s.tool.env, s.logs)

    rows = []
    for r in range(a.rounds):
        for s in (sessions if r % 2 == 0 else sessions[::-1]):
            dst = os.path.join(s.rdir, "restore")
            shutil.rmtree(dst, ignore_errors=True)
            load_before = os.getloadavg()[0]
            log(f"round {r + 1}: {s.tool.name} (load {load_before:.1f})")
            try:
                m = s.restore(ds.digests)
                m.extra.update(load_before=load_before, load_after=os.getloadavg()[0], round=r + 1)
                rows.append({"tool": s.tool.name, **m.to_json()})
            except ToolFailed as e:
                log(f"    FAILED: {e}")
            shutil.rmtree(dst, ignore_errors=True)
            time.sleep(runner.Graveyard.AFTER_EMPTY_S)
        with open(os.path.join(a.out, "full-restore.json"), "w") as f:
            json.dump(rows, f, indent=1)
    for s in sessions:
        ms = [x for x in rows if x["tool"] == s.tool.name]
        if ms:
            med = {k: statistics.median(x[k] for x in ms) for k in ("wall_s", "cpu_s", "maxrss_kib")}
            loads = [x["extra"]["load_before"] for x in ms]
            log(f"{len(ds.files):>9,} files {s.tool.name:14s} full restore  wall {med['wall_s']:7.1f} s  cpu {med['cpu_s']:7.1f} s  "
                f"peak {med['maxrss_kib'] / 1024:7.1f} MiB  n={len(ms)}  load {min(loads):.0f}-{max(loads):.0f}  "
                f"each: " + ", ".join(f"{x['wall_s']:.0f}s/{x['cpu_s']:.0f}cpu/{x['maxrss_kib'] / 1024:.0f}MiB" for x in ms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
