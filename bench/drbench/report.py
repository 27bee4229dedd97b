"""Turning per-round measurements into the side-by-side table.

Every figure is the median over rounds (min–max in brackets, so drift is visible) and the
ratio is median(drorch) / median(restic) from the same run.  Each figure's label says
which direction is better: ↓ lower is better (times, memory, bytes, objects), ↑ higher is
better (throughputs).  The "favours" column reads the ratio for you (≈ within ±5 %).
"""
from __future__ import annotations

import statistics

MIB, GIB = 2**20, 2**30

_COMMON = [
    ("wall s ↓", lambda m: m["wall_s"], "lower"),
    ("CPU user+sys s ↓", lambda m: m["cpu_s"], "lower"),
    ("peak RSS MiB ↓", lambda m: m["maxrss_kib"] / 1024, "lower"),
]
_REPO = [
    ("repo size MiB ↓", lambda m: m["repo_bytes"] / MIB, "lower"),
    ("repo objects ↓", lambda m: m["repo_objects"], "lower"),
]


def _throughput(m: dict, extra_s: float = 0.0) -> float:
    """Source MiB per second of the step's wall time (plus extra_s)."""
    return m["extra"]["src_bytes"] / MIB / (m["wall_s"] + extra_s)


def _until_on_disk(m: dict) -> float | None:
    """Restore throughput counting the sync() right after the tool exits (runner.Session.restore);
    None for results recorded before that was measured."""
    flush = m["extra"].get("flush_s")
    return None if flush is None else _throughput(m, flush)


_EXTRA = {
    "backup-initial": [("throughput MiB/s ↑", _throughput, "higher")],
    "backup-nochange": [("files/s ↑", lambda m: m["extra"]["src_files"] / m["wall_s"], "higher")],
    "restore": [("throughput MiB/s ↑", _throughput, "higher"),
                ("throughput until on disk MiB/s ↑", _until_on_disk, "higher")],
    "check-read-data": [("repo read MiB/s ↑", lambda m: m["repo_bytes"] / MIB / m["wall_s"], "higher")],
    "drill": [("restored + verified MiB/s ↑", _throughput, "higher"),
              ("RTO the drill recorded s ↓ (drorch only)", lambda m: m["extra"].get("rto_s"), "lower")],
}
_OBJECTS_PER_GIB = ("objects per GiB of new data ↓",
                    lambda m: m["repo_objects"] / (m["extra"]["src_bytes"] / GIB), "lower")
_SERVER_CPU = ("emulator CPU s ↓", lambda m: m["extra"].get("server_cpu_s", 0.0), "lower")
TITLES = {"mixed": "mixed (local repository)", "small": "small files (local repository)",
          "scale": "scale: many small files in 4 levels of directories (local repository)",
          "cloud": "mixed to s3rver (S3 emulator)",
          "drill": "drill of mixed from a local repository (drorch drill vs restic restore + sha256sum -c)",
          "drill-cloud": "drill of mixed from s3rver (drorch drill vs restic restore + sha256sum -c)",
          "azure": "mixed to Azurite (Azure Blob emulator; drorch only — restic 0.14 cannot reach it)"}


def figures(seq: str, step: str) -> list:
    out = list(_COMMON) + _EXTRA.get(step, [])
    if (seq == "small" and step == "backup-initial") or (seq == "scale" and step.startswith("backup")):
        out.append(("files/s ↑", lambda m: m["extra"]["src_files"] / m["wall_s"], "higher"))
    if step.startswith("backup"):
        out += _REPO
    if seq in ("cloud", "azure", "drill-cloud"):
        out += ([_OBJECTS_PER_GIB] if step == "backup-initial" else []) + [_SERVER_CPU]
    return out


def summarise(records: list, plan: list, steps_of: dict) -> list:
    rows = []
    for seq in plan:
        for step in steps_of[seq]:
            for label, fn, better in figures(seq, step):
                row = {"sequence": seq, "step": step, "figure": label, "better": better}
                for tool in ("drorch", "restic"):
                    vals = [v for r in records if r["sequence"] == seq and r["tool"] == tool
                            for m in r["steps"] if m["step"] == step for v in [fn(m)] if v is not None]
                    failed = any(r["error"] for r in records if r["sequence"] == seq and r["tool"] == tool)
                    row[tool] = {"median": statistics.median(vals) if vals else None,
                                 "min": min(vals) if vals else None, "max": max(vals) if vals else None,
                                 "n": len(vals), "failed": failed and len(vals) < _rounds(records, seq, tool)}
                d, r = row["drorch"]["median"], row["restic"]["median"]
                row["ratio"] = d / r if d is not None and r else None
                rows.append(row)
    return rows


def _rounds(records: list, seq: str, tool: str) -> int:
    return sum(1 for r in records if r["sequence"] == seq and r["tool"] == tool)


def _fmt(v: float | None) -> str:
    if v is None:
        return "—"
    if abs(v) >= 1000 or isinstance(v, int):
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def _cell(c: dict) -> str:
    if c["median"] is None:
        return "FAILED" if c["failed"] else "—"
    s = _fmt(c["median"])
    if c["n"] > 1:
        s += f" ({_fmt(c['min'])}–{_fmt(c['max'])})"
    return s + (" (some rounds FAILED)" if c["failed"] else "")


def _favours(row: dict) -> str:
    q = row["ratio"]
    if q is None:
        return ""
    if 0.95 <= q <= 1.05:
        return "≈"
    drorch_better = q < 1 if row["better"] == "lower" else q > 1
    return "drorch" if drorch_better else "restic"


HEADLINES = [("small", "backup-nochange", "wall s ↓", "small files, no-change re-backup (the issue's target)"),
             ("mixed", "backup-initial", "throughput MiB/s ↑", "mixed, initial backup"),
             ("mixed", "backup-1pct", "wall s ↓", "mixed, backup after 1 % change"),
             ("mixed", "restore", "throughput MiB/s ↑", "mixed, restore"),
             ("mixed", "restore", "throughput until on disk MiB/s ↑", "mixed, restore until on disk (incl. sync)"),
             ("mixed", "check-read-data", "wall s ↓", "mixed, check --read-data"),
             ("mixed", "backup-initial", "repo size MiB ↓", "mixed, repository size"),
             ("mixed", "snapshots", "wall s ↓", "fixed cost of one command (`snapshots`)"),
             ("cloud", "backup-initial", "throughput MiB/s ↑", "S3 (s3rver), initial backup"),
             ("cloud", "restore", "throughput MiB/s ↑", "S3 (s3rver), restore"),
             ("cloud", "restore", "throughput until on disk MiB/s ↑", "S3 (s3rver), restore until on disk (incl. sync)"),
             ("cloud", "backup-initial", "objects per GiB of new data ↓", "S3, objects per GiB"),
             ("drill", "drill", "wall s ↓", "drill, restore + verify every file, local (issue 17 target: ratio ≤ 0.40)"),
             ("drill-cloud", "drill", "wall s ↓", "drill, restore + verify every file, from s3rver")]


def _azure_headlines(rows: list) -> list:
    """Azurite has no restic column: its drorch figures are set beside restic's to s3rver."""
    out = []
    for step in ("backup-initial", "restore"):
        az = next((r for r in rows if (r["sequence"], r["step"], r["figure"]) == ("azure", step, "throughput MiB/s ↑")), None)
        s3 = next((r for r in rows if (r["sequence"], r["step"], r["figure"]) == ("cloud", step, "throughput MiB/s ↑")), None)
        if az is None or az["drorch"]["median"] is None:
            continue
        line = f"- Azure (Azurite), {step}: throughput MiB/s ↑ drorch {_fmt(az['drorch']['median'])}"
        if s3 is not None and s3["restic"]["median"]:
            line += (f"; restic to s3rver in the same run {_fmt(s3['restic']['median'])} "
                     f"→ ratio {az['drorch']['median'] / s3['restic']['median']:.2f}")
        out.append(line)
    return out


def _headlines(rows: list) -> list:
    out = []
    for seq, step, figure, title in HEADLINES:
        for row in rows:
            if (row["sequence"], row["step"], row["figure"]) == (seq, step, figure) and row["ratio"]:
                out.append(f"- {title}: {figure} drorch {_fmt(row['drorch']['median'])} vs restic "
                           f"{_fmt(row['restic']['median'])} → ratio {row['ratio']:.2f} "
                           f"({'about equal' if _favours(row) == '≈' else 'favours ' + _favours(row)})")
    return out


def markdown(rows: list, meta: dict, datasets: dict) -> str:
    lines = [f"# drorch vs restic — {meta['finished_utc']}", "",
             f"- rounds: {meta['rounds']} per tool, tool order alternating per round "
             f"({meta['order']}); figures are medians (min–max over rounds)",
             f"- drorch: {meta['drorch']}", f"- restic: {meta['restic']}",
             f"- machine: {meta['machine']}", f"- peak RSS from: {meta['peak_rss']}",
             f"- total benchmark wall time: {meta['total_s'] / 60:.1f} min",
             "- ratio = median(drorch) / median(restic); ↓ lower is better, ↑ higher is better", ""]
    for name, info in datasets.items():
        lines.append(f"- dataset `{name}`: {info['files']:,} files, {info['bytes'] / GIB:.2f} GiB "
                     f"at {info['root']}")
    heads = _headlines(rows) + _azure_headlines(rows)
    if heads:
        lines += ["", "## Headlines", ""] + heads
    seqs = list(dict.fromkeys(r["sequence"] for r in rows))
    for seq in seqs:
        lines += ["", f"## {TITLES.get(seq, seq)}", "",
                  "| step | figure | drorch | restic | drorch/restic | favours |",
                  "|---|---|---:|---:|---:|---|"]
        for row in (r for r in rows if r["sequence"] == seq):
            ratio = "—" if row["ratio"] is None else f"{row['ratio']:.2f}"
            lines.append(f"| {row['step']} | {row['figure']} | {_cell(row['drorch'])} | "
                         f"{_cell(row['restic'])} | {ratio} | {_favours(row)} |")
    if meta.get("errors"):
        lines += ["", "## Failures", ""] + [f"- {e}" for e in meta["errors"]]
    return "\n".join(lines) + "\n"
