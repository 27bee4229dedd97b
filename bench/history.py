#!/usr/bin/env python3
"""History does not slow a run down: drorch's no-change re-backup of the `mixed` set in a
repository holding one earlier snapshot against one holding 1,000 more (issue 14).

Two repositories get the same initial backup of `mixed`; the second then receives COUNT small
snapshots of another source (written directly as snapshot objects by bench/index-scale's
`history` command: one repository write each, instead of COUNT drorch runs). Then no-change
re-backups alternate between the two (A, B, B, A, ...) for ROUNDS rounds each; medians and the
ratio B/A are printed. Needs the `mixed` dataset (run bench.py once) and a drorch build.

    python3 bench/history.py --drorch PATH --index-scale PATH/DrOrchestrator.Bench.IndexScale.dll
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from drbench import dataset, measure, tools  # noqa: E402
from drbench.tools import Target  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--drorch", required=True)
    p.add_argument("--index-scale", required=True, help="DrOrchestrator.Bench.IndexScale.dll")
    p.add_argument("--work", default=os.path.join(HERE, "work"))
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args()
    ds = dataset.prepare(a.work, "mixed", 1.0, True, print)
    base = os.path.join(a.work, "history")
    shutil.rmtree(base, ignore_errors=True)
    sessions = {}
    for name in ("one", "many"):
        rdir = os.path.join(base, name)
        os.makedirs(rdir)
        tool = tools.Drorch(os.path.abspath(a.drorch))
        for i, argv in enumerate(tool.setup(rdir, "mixed", ds.root, Target(local_dir=os.path.join(rdir, "repo")))):
            measure.run_timed(f"setup{i}", argv, tool.env, os.path.join(rdir, "logs"))
        m = measure.run_timed("backup-initial", tool.backup(ds.root), tool.env, os.path.join(rdir, "logs"))
        print(f"{name}: initial backup {m.wall_s:.1f} s", flush=True)
        sessions[name] = (tool, rdir)
    out = subprocess.run(["dotnet", a.index_scale, "history", os.path.join(base, "many", "repo"), str(a.count)],
                         capture_output=True, text=True, check=True)
    print(out.stdout.strip(), flush=True)
    results = {"one": [], "many": []}
    for r in range(a.rounds):
        for name in (("one", "many") if r % 2 == 0 else ("many", "one")):
            tool, rdir = sessions[name]
            measure.warm([ds.root])
            os.sync()
            m = measure.run_timed(f"nochange-{r}", tool.backup(ds.root), tool.env, os.path.join(rdir, "logs"))
            results[name].append(m)
            print(f"round {r + 1} {name:4s}: wall {m.wall_s:6.2f} s  cpu {m.cpu_s:6.2f} s  rss {m.maxrss_kib / 1024:6.1f} MiB", flush=True)
    med = {n: (statistics.median(x.wall_s for x in v), statistics.median(x.cpu_s for x in v)) for n, v in results.items()}
    print(f"median no-change backup, 1 snapshot before: wall {med['one'][0]:.2f} s, cpu {med['one'][1]:.2f} s; "
          f"{a.count} more snapshots: wall {med['many'][0]:.2f} s, cpu {med['many'][1]:.2f} s; "
          f"ratio wall {med['many'][0] / med['one'][0]:.2f}, cpu {med['many'][1] / med['one'][1]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
