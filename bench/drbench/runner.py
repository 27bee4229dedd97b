"""The round loop and the step sequence each tool goes through.

Methodology (why): the machine is shared and timings drift by up to ±40 % within an hour, so
the two tools are measured in adjacent slots on the same data, many times, and compared
by the ratio of their medians.  Within a round the datasets run one after another and, for
each dataset, both tools run back to back; the order of the tools flips every round
(drorch→restic, restic→drorch, …) so a slow drift does not always hit the same tool second.
Every timed backup is preceded by reading the whole input (the machine evicts page cache
that has been idle for ~60 s), every restore/check by reading the whole repository, so
both tools start from a warm cache and measure their own work, not the disk's.

Nothing is deleted between timed steps: a finished run's directory (repository, restore tree)
is moved to a graveyard, emptied only at the end, or when free space runs low and then
followed by a 65 s pause.  Deleting a 2,000-file restore tree seconds before the other tool's
timed step distorted that step twice over: (1) on ext4 without a journal (this machine's
root) every new inode is found by scanning past the inodes freed in the last 60 s
(ext4 recently_deleted) — 6-15 % of a restore's CPU; (2) the 2 GiB of page cache it freed was
handed straight to the next writer, which a restore on a real host does not get (on this VM
untouched free memory is returned to the hypervisor, and each page written then costs a
hypervisor fault).  See bench/README.md, "Methodology".
"""
from __future__ import annotations

import os
import shutil
import time

from . import dataset as dsmod
from .measure import Measurement, ToolFailed, run_timed, tree_usage, warm
from .tools import Target

MIXED_STEPS = ("backup-initial", "snapshots", "backup-nochange", "backup-1pct", "restore",
               "check-read-data")
SMALL_STEPS = ("backup-initial", "backup-nochange")
CLOUD_STEPS = ("backup-initial", "restore")
SCALE_STEPS = ("backup-initial", "backup-nochange", "restore-one", "restore")
# issue 17: a full drill (restore + verify every file) against restic restore + sha256sum -c
DRILL_STEPS = ("backup-initial", "drill")

# sequences whose repository is on an emulator, and which one (s3: s3rver, azure: Azurite)
EMULATED = {"cloud": "s3", "azure": "azure", "drill-cloud": "s3"}
# sequences that run on the mixed dataset
ON_MIXED = {"cloud", "azure", "drill", "drill-cloud"}


class Session:
    """State for one tool on one dataset in one round: its private dir, target and logs."""

    def __init__(self, tool, ds, rdir: str, target: Target, log):
        self.tool, self.ds, self.rdir, self.target, self.log = tool, ds, rdir, target, log
        self.logs = os.path.join(rdir, "logs")
        self.steps: list = []

    def setup(self) -> None:
        for i, argv in enumerate(self.tool.setup(self.rdir, self.ds.name, self.ds.root, self.target)):
            run_timed(f"setup{i}", argv, self.tool.env, self.logs)

    def _record(self, m: Measurement, warm_s: float) -> Measurement:
        m.repo_bytes, m.repo_objects = self.target.usage()
        m.extra.update(warm_s=round(warm_s, 3), src_bytes=self.ds.total_bytes,
                       src_files=len(self.ds.files))
        catalog = os.path.join(self.rdir, "catalog.db")
        if os.path.exists(catalog):
            m.extra["catalog_bytes"] = os.path.getsize(catalog)
        self.steps.append(m)
        self.log(f"    {self.tool.name:7s} {m.step:16s} wall {m.wall_s:8.2f} s  cpu {m.cpu_s:8.2f} s  "
                 f"rss {m.maxrss_kib / 1024:7.1f} MiB  repo {m.repo_bytes / 2**20:9.1f} MiB "
                 f"in {m.repo_objects} objects")
        return m

    def _timed(self, step: str, argv: list) -> Measurement:
        server = self.target.server
        # flush dirty pages left by the previous step (e.g. a deleted restore tree) so their
        # write-back does not land inside this tool's timing
        os.sync()
        before = server.cpu_s() if server else 0.0
        m = run_timed(step, argv, self.tool.env, self.logs)
        if server:
            m.extra["server_cpu_s"] = round(server.cpu_s() - before, 3)
        return m

    def backup(self, step: str) -> Measurement:
        warm_s = warm([self.ds.root])
        return self._record(self._timed(step, self.tool.backup(self.ds.root)), warm_s)

    def restore(self, expected: dict) -> Measurement:
        dst = os.path.join(self.rdir, "restore")
        os.makedirs(dst)  # the run's directory is new (see _run_one), so this is too
        warm_s = warm(self.target.warm_paths())
        m = self._timed("restore", self.tool.restore(dst))
        # A tool may exit with much of the restore still dirty in the page cache (restic leaves
        # all of it; drorch writes back as it goes). How long until it is all on disk is timed
        # right after, so "restored" can also be read as "durable" (report: "until on disk").
        t0 = time.perf_counter()
        os.sync()
        m.extra["flush_s"] = round(time.perf_counter() - t0, 3)
        self._record(m, warm_s)
        t0 = time.perf_counter()
        m.extra["verified_files"] = verify_restore(dst, self.ds, expected)
        m.extra["verify_s"] = round(time.perf_counter() - t0, 3)
        # the tree stays until the run's directory goes to the graveyard (see the module doc)
        return m

    def restore_one(self) -> Measurement:
        """Restore of a single file chosen deterministically from the middle of the set (the
        incident case: one file back from a big server); verified: that file, nothing else."""
        spec = self.ds.files[len(self.ds.files) // 2 + 7]
        dst = os.path.join(self.rdir, "restore-one")
        os.makedirs(dst)
        warm_s = warm(self.target.warm_paths())
        m = self._timed("restore-one", self.tool.restore_one(dst, self.ds.root, spec.rel))
        self._record(m, warm_s)
        found = [os.path.join(d, n) for d, _, names in os.walk(dst) for n in names]
        if len(found) != 1 or not found[0].endswith("/" + spec.rel):
            raise ToolFailed(f"restore-one verification: expected only {spec.rel}, found {found[:3]} "
                             f"({len(found)} files)")
        if dsmod.sha256_file(found[0]) != self.ds.digests[spec.rel]:
            raise ToolFailed(f"restore-one verification: {found[0]} has the wrong SHA-256")
        return m

    def snapshots(self) -> Measurement:
        """A trivial command: the fixed cost of one invocation (process start-up, opening the
        catalog or repository), which every other figure includes once."""
        return self._record(self._timed("snapshots", self.tool.snapshots()), 0.0)

    def drill(self) -> Measurement:
        """A full restore drill: restore the newest snapshot into a fresh directory and verify
        the SHA-256 of every restored file (drorch: `drill --json`, which also re-reads every file
        and removes its sandbox; restic: `restore latest` then `sha256sum -c` over the restored
        tree, one timed shell step).  Verified afterwards, untimed: drorch's own report must say
        passed with every file and byte; restic's tree must hold exactly the dataset's files."""
        dst = os.path.join(self.rdir, "drill")
        os.makedirs(dst)
        argv = self.tool.drill(dst, self.ds, self.rdir)
        warm_s = warm(self.target.warm_paths())
        m = self._timed("drill", argv)
        self._record(m, warm_s)
        m.extra.update(self.tool.drill_verified(dst, self.ds, self.logs))
        return m

    def check(self) -> Measurement:
        warm_s = warm(self.target.warm_paths())
        return self._record(self._timed("check-read-data", self.tool.check()), warm_s)


def run_mixed(s: Session) -> None:
    s.setup()
    s.backup("backup-initial")
    s.snapshots()
    s.backup("backup-nochange")
    changed = dsmod.modify_one_percent(s.ds, s.log)
    try:
        s.backup("backup-1pct")
        s.restore(dict(s.ds.digests, **changed))
        s.check()
    finally:
        dsmod.undo_modifications(s.ds, s.log)


def run_small(s: Session) -> None:
    s.setup()
    s.backup("backup-initial")
    s.backup("backup-nochange")


def run_scale(s: Session) -> None:
    s.setup()
    s.backup("backup-initial")
    s.backup("backup-nochange")
    s.restore_one()
    s.restore(s.ds.digests)


def run_cloud(s: Session) -> None:
    s.setup()
    s.backup("backup-initial")
    s.restore(s.ds.digests)


def run_drill(s: Session) -> None:
    s.setup()
    s.backup("backup-initial")
    s.drill()


def verify_restore(dst: str, ds, expected: dict) -> int:
    """Every file came back with the expected SHA-256 and nothing extra appeared.
    Tools differ in where they put the tree (restic: DST/<absolute source path>), so the
    restored root is found by looking for the first dataset file."""
    first = ds.files[0].rel
    root = None
    for dirpath, _, _ in os.walk(dst):
        if os.path.isfile(os.path.join(dirpath, first)):
            root = dirpath
            break
    if root is None:
        raise ToolFailed(f"restore verification: {first} not found anywhere under {dst}")
    _, count = tree_usage(root)
    if count != len(ds.files):
        raise ToolFailed(f"restore verification: {count} files under {root}, expected {len(ds.files)}")
    for spec in ds.files:
        got = dsmod.sha256_file(os.path.join(root, spec.rel))
        if got != expected[spec.rel]:
            raise ToolFailed(f"restore verification: {spec.rel} has sha256 {got}, "
                             f"expected {expected[spec.rel]}")
    return len(ds.files)


SEQUENCES = {"mixed": (run_mixed, MIXED_STEPS), "small": (run_small, SMALL_STEPS), "scale": (run_scale, SCALE_STEPS),
             "cloud": (run_cloud, CLOUD_STEPS), "azure": (run_cloud, CLOUD_STEPS),
             "drill": (run_drill, DRILL_STEPS), "drill-cloud": (run_drill, DRILL_STEPS)}

# restic 0.14 cannot address Azurite (it builds https://ACCOUNT.blob.core.windows.net URLs), so
# the Azure sequence runs drorch alone; the report sets it beside restic's s3rver figures.
DRORCH_ONLY = {"azure"}


def run_all(tools: list, datasets: dict, plan: list, rounds: int, work: str, keep: bool,
            cloud_factory, log) -> list:
    """plan: list of sequence names ("mixed", "small", "cloud").  Returns one record per
    (round, sequence, tool)."""
    records = []
    graveyard = Graveyard(os.path.join(work, "graveyard"), log)
    for r in range(rounds):
        order = tools if r % 2 == 0 else list(reversed(tools))
        for seq in plan:
            ds = datasets["mixed" if seq in ON_MIXED else seq]
            for tool in (t for t in order if seq not in DRORCH_ONLY or t.name == "drorch"):
                log(f"round {r + 1}/{rounds} {seq}: {tool.name}")
                graveyard.make_room()
                records.append(_run_one(tool, ds, seq, r, work, keep, cloud_factory, log, graveyard))
    graveyard.empty()
    return records


class Graveyard:
    """Where finished runs' files wait to be deleted, so no deletion lands shortly before a
    timed step (see the module doc)."""

    # a run needs at most a 2 GiB restore tree, a ~1.3 GiB repository and the tools' caches
    # (the 1,000,000-file scale set: a 4.3 GiB restore tree (~8 GiB on disk) and a 4.5 GiB repository)
    MIN_FREE_BYTES = 20 * 2**30
    # ext4 stops scanning past a freed inode 60 s after its deletion (recently_deleted)
    AFTER_EMPTY_S = 65

    def __init__(self, path: str, log):
        self.path, self.log = path, log
        self.empty()

    def bury(self, p: str) -> None:
        os.rename(p, os.path.join(self.path, f"{time.time_ns()}-{os.path.basename(p)}"))

    def make_room(self) -> None:
        free = shutil.disk_usage(self.path).free
        if free >= self.MIN_FREE_BYTES or not os.listdir(self.path):
            return
        self.log(f"  {free / 2**30:.1f} GiB free: emptying the graveyard, then {self.AFTER_EMPTY_S} s pause")
        self.empty()
        time.sleep(self.AFTER_EMPTY_S)

    def empty(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        os.makedirs(self.path)


def _run_one(tool, ds, seq: str, r: int, work: str, keep: bool, cloud_factory, log, graveyard) -> dict:
    rdir = os.path.join(work, "runs", f"{seq}-r{r + 1}-{tool.name}")
    if os.path.exists(rdir):
        graveyard.bury(rdir)  # left by an earlier invocation (its logs, or all of it with --keep)
    os.makedirs(rdir)
    server = cloud_factory(seq, os.path.join(rdir, "server")) if seq in EMULATED else None
    if server is None:
        target = Target(local_dir=os.path.join(rdir, "repo"))
    else:
        target = Target(s3=server) if EMULATED[seq] == "s3" else Target(azure=server)
    s = Session(tool, ds, rdir, target, log)
    rec = {"round": r + 1, "sequence": seq, "tool": tool.name, "started": time.time(), "error": None}
    try:
        SEQUENCES[seq][0](s)
    except ToolFailed as e:
        rec["error"] = str(e)
        log(f"    {tool.name} FAILED: {e}  (logs: {s.logs})")
    finally:
        if server:
            server.stop()
        if not keep:
            _cleanup(rdir, graveyard)
    rec["steps"] = [m.to_json() for m in s.steps]
    return rec


def _cleanup(rdir: str, graveyard: Graveyard) -> None:
    # keep the logs (small, useful after a failure), bury repositories, caches and restore trees
    for name in os.listdir(rdir):
        if name != "logs":
            graveyard.bury(os.path.join(rdir, name))
