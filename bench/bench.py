#!/usr/bin/env python3
"""drorch vs restic benchmark: same data, same run, side by side.  See bench/README.md.

    python3 bench/bench.py                      # full run: mixed + small, 3 rounds each
    python3 bench/bench.py --scale 0.1 --rounds 1   # quick smoke run (~200 MiB / 10k files)
    python3 bench/bench.py --cloud s3 --only cloud  # mixed set to a local s3rver

Stdlib only (Python >= 3.10).  Exit code 0 when every step of every tool succeeded.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from drbench import cloud, dataset, measure, report, runner, tools  # noqa: E402

REPO_ROOT = os.path.dirname(HERE)


def parse_args(argv: list) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", choices=("mixed", "small", "cloud", "azure", "scale", "drill", "drill-cloud"), action="append",
                   help="run only these sequences (repeatable); default: mixed and small, "
                        "plus cloud (s3) / azure when --cloud names them")
    p.add_argument("--rounds", type=int, default=3, help="rounds per tool (default 3)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="dataset scale: 1.0 = 2 GiB/2,000 files + 100,000 small files; "
                        "0.1 for a quick run")
    p.add_argument("--work", default=os.path.join(HERE, "work"),
                   help="work dir for datasets, repositories, logs (default bench/work)")
    p.add_argument("--skip-generate", action="store_true",
                   help="fail instead of generating when a dataset is missing or stale")
    p.add_argument("--drorch", help="drorch executable (default: dotnet publish the CLI "
                                    "into WORK/drorch-bin and use that)")
    p.add_argument("--restic", help="restic executable (default: restic on PATH)")
    p.add_argument("--tools", default="drorch,restic",
                   help="comma-separated tools to run (default drorch,restic)")
    p.add_argument("--cloud", choices=("s3", "azure"), action="append",
                   help="also benchmark backup+restore of the mixed set to a local s3rver (s3, side by "
                        "side with restic) or Azurite (azure, drorch only: restic 0.14 cannot reach it); "
                        "repeatable; needs `npm ci --prefix tests`")
    p.add_argument("--s3rver", help="s3rver.js to start for --cloud s3 "
                                    "(default tests/node_modules/s3rver/bin/s3rver.js)")
    p.add_argument("--pin-emulator", action="store_true",
                   help="run the emulators on CPU 1 and the timed tools on CPU 0 (taskset), so a tool "
                        "does not share its CPU with the server, as against a real cloud; use with --only cloud/azure")
    p.add_argument("--keep", action="store_true", help="keep repositories after each run")
    p.add_argument("--results", default=os.path.join(HERE, "results"),
                   help="where latest.md/latest.json go (default bench/results)")
    a = p.parse_args(argv)
    if a.rounds < 1 or a.scale <= 0:
        p.error("--rounds must be >= 1 and --scale > 0")
    a.tools = [t.strip() for t in a.tools.split(",") if t.strip()]
    if not set(a.tools) <= {"drorch", "restic"} or not a.tools:
        p.error("--tools takes drorch and/or restic")
    a.cloud = a.cloud or []
    a.plan = a.only or (["mixed", "small"] + (["cloud"] if "s3" in a.cloud else [])
                        + (["azure"] if "azure" in a.cloud else []))
    if ("cloud" in a.plan or "drill-cloud" in a.plan) and not a.cloud:
        a.cloud = "s3"
    a.plan = list(dict.fromkeys(a.plan))
    return a


def log(msg: str) -> None:
    print(f"[{datetime.datetime.now(datetime.timezone.utc):%H:%M:%S}] {msg}", flush=True)


def make_tools(a: argparse.Namespace) -> list:
    out = []
    for name in a.tools:
        if name == "drorch":
            exe = os.path.abspath(a.drorch) if a.drorch else tools.build_drorch(
                REPO_ROOT, os.path.join(a.work, "drorch-bin"), log)
            out.append(tools.Drorch(exe))
        else:
            out.append(tools.Restic(tools.find_restic(a.restic)))
    return out


def git_head() -> str:
    try:
        return subprocess.run(["git", "-C", REPO_ROOT, "log", "-1", "--format=%h %s"],
                              capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def main(argv: list) -> int:
    a = parse_args(argv)
    t0 = time.perf_counter()
    a.work = os.path.abspath(a.work)
    os.makedirs(a.work, exist_ok=True)
    if a.pin_emulator:
        if (os.cpu_count() or 1) < 2:
            raise SystemExit("--pin-emulator needs at least 2 CPUs")
        measure.TOOL_CPUS, cloud.EMULATOR_CPUS = "0", "1"
    tool_objs = make_tools(a)
    js = cloud.s3rver_js(REPO_ROOT, a.s3rver) if "cloud" in a.plan or "drill-cloud" in a.plan else None
    tls = cloud.tls_files(a.work) if js else None
    az_js = cloud.azurite_js(REPO_ROOT) if "azure" in a.plan else None
    needed = {"mixed" if s in runner.ON_MIXED else s for s in a.plan}
    datasets = {n: dataset.prepare(a.work, n, a.scale, a.skip_generate, log) for n in ("mixed", "small", "scale")
                if n in needed}
    records = runner.run_all(tool_objs, datasets, a.plan, a.rounds, a.work, a.keep,
                             lambda seq, d: cloud.S3rver(js, d, tls) if runner.EMULATED[seq] == "s3" else cloud.Azurite(az_js, d), log)
    steps_of = {"mixed": runner.MIXED_STEPS, "small": runner.SMALL_STEPS, "scale": runner.SCALE_STEPS,
                "cloud": runner.CLOUD_STEPS,
                "azure": runner.CLOUD_STEPS, "drill": runner.DRILL_STEPS, "drill-cloud": runner.DRILL_STEPS}
    rows = report.summarise(records, a.plan, steps_of)
    by_name = {t.name: t for t in tool_objs}
    meta = {
        "finished_utc": f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}",
        "rounds": a.rounds, "scale": a.scale, "plan": a.plan,
        "order": "single tool" if len(tool_objs) == 1 else " / ".join("→".join(t.name for t in (tool_objs if r % 2 == 0 else tool_objs[::-1]))
                            for r in range(min(2, a.rounds))) + (" / …" if a.rounds > 2 else ""),
        "drorch": (f"{by_name['drorch'].exe} ({git_head()})" if "drorch" in by_name else "not run"),
        "restic": by_name["restic"].version() if "restic" in by_name else "not run",
        "peak_rss": measure.RSS_SOURCE,
        "machine": f"{platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
                   + (" — pinned: tools on CPU 0, emulators on CPU 1" if a.pin_emulator else ""),
        "total_s": time.perf_counter() - t0,
        "errors": [f"round {r['round']} {r['sequence']} {r['tool']}: {r['error']}" for r in records if r["error"]],
    }
    ds_info = {n: {"files": len(d.files), "bytes": d.total_bytes, "root": d.root} for n, d in datasets.items()}
    md = report.markdown(rows, meta, ds_info)
    os.makedirs(a.results, exist_ok=True)
    with open(os.path.join(a.results, "latest.md"), "w") as f:
        f.write(md)
    with open(os.path.join(a.results, "latest.json"), "w") as f:
        json.dump({"meta": meta, "datasets": ds_info, "summary": rows, "records": records}, f, indent=1)
    print("\n" + md)
    log(f"wrote {a.results}/latest.md and latest.json")
    return 1 if meta["errors"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
