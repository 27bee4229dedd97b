#!/usr/bin/env python3
"""The growth curve of issue 14: no-change re-backup and one-file restore over the `scale`
family (100,000 / 300,000 / 1,000,000 files), for several drorch builds and restic.

Per scale, each tool gets one repository and one initial backup (timed, reported once); then
ROUNDS rounds alternate the tool order (a, b, c / c, b, a / ...) and time, per tool, a no-change
re-backup and a restore of one file (`--include`, verified by SHA-256, nothing else restored).
Medians and min-max per (scale, tool, step) are printed and written to WORK/curve.json.
Same data, same methodology as bench.py (warm page cache, sync before each timed step).

    python3 bench/curve.py --scales 0.1,0.3 --drorch new=PATH --drorch base=PATH2 --rounds 3
"""
from __future__ import annotations

import argparse
import json
import os
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
    p.add_argument("--scales", default="0.1,0.3", help="comma-separated scale factors (1.0 = 1,000,000 files)")
    p.add_argument("--drorch", action="append", default=[], help="LABEL=PATH of a drorch build (repeatable)")
    p.add_argument("--no-restic", action="store_true")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--full-restore-scales", default="",
                   help="comma-separated scales at which each round also times a full restore (verified file by file)")
    p.add_argument("--work", default=os.path.join(HERE, "work"))
    a = p.parse_args()
    tool_list = []
    for spec in a.drorch:
        label, _, path = spec.partition("=")
        t = tools.Drorch(os.path.abspath(path))
        t.name = f"drorch-{label}"
        tool_list.append(t)
    if not a.no_restic:
        tool_list.append(tools.Restic(tools.find_restic(None)))
    full_at = {float(x) for x in a.full_restore_scales.split(",") if x}
    results = []
    graveyard = runner.Graveyard(os.path.join(a.work, "graveyard"), log)
    for scale in (float(s) for s in a.scales.split(",")):
        ds = dataset.prepare(a.work, "scale", scale, True, log)
        sessions = []
        for t in tool_list:
            rdir = os.path.join(a.work, "runs", f"curve-s{scale:g}-{t.name}")
            if os.path.exists(rdir):
                graveyard.bury(rdir)
            os.makedirs(rdir)
            s = runner.Session(t, ds, rdir, Target(local_dir=os.path.join(rdir, "repo")), log)
            s.setup()
            s.backup("backup-initial")
            sessions.append(s)
        for r in range(a.rounds):
            order = sessions if r % 2 == 0 else sessions[::-1]
            for s in order:
                log(f"scale {scale:g} round {r + 1}: {s.tool.name}")
                s.backup("backup-nochange")
                one = os.path.join(s.rdir, "restore-one")
                if os.path.exists(one):
                    graveyard.bury(one)
                try:
                    s.restore_one()
                except ToolFailed as e:
                    log(f"    FAILED: {e}")
                if scale in full_at:
                    full = os.path.join(s.rdir, "restore")
                    if os.path.exists(full):
                        graveyard.bury(full)
                    try:
                        s.restore(s.ds.digests)
                    except ToolFailed as e:
                        log(f"    FAILED: {e}")
        for s in sessions:
            for step in ("backup-initial", "backup-nochange", "restore-one", "restore"):
                ms = [m for m in s.steps if m.step == step]
                if not ms:
                    continue
                row = {"scale": scale, "files": len(ds.files), "tool": s.tool.name, "step": step, "n": len(ms)}
                for fig, fn in (("wall_s", lambda m: m.wall_s), ("cpu_s", lambda m: m.cpu_s), ("rss_mib", lambda m: m.maxrss_kib / 1024)):
                    vals = [fn(m) for m in ms]
                    row[fig] = {"median": statistics.median(vals), "min": min(vals), "max": max(vals)}
                results.append(row)
                log(f"{len(ds.files):>9,} files {s.tool.name:14s} {step:16s} wall {row['wall_s']['median']:7.2f} s "
                    f"({row['wall_s']['min']:.2f}-{row['wall_s']['max']:.2f})  cpu {row['cpu_s']['median']:7.2f} s  "
                    f"rss {row['rss_mib']['median']:6.1f} MiB  n={len(ms)}")
        with open(os.path.join(a.work, "curve.json"), "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
