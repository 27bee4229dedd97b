"""Running one tool invocation and measuring it.

Each figure comes from the kernel, not from the tool: wall time is perf_counter around
fork..wait4, CPU (user+sys) comes from the rusage that wait4 returns for that child (it
also covers grandchildren the child waited for, so a tool that forks helpers is not
flattered).  Output goes to log files, never a pipe, so a chatty tool cannot block on a
full pipe and distort its own time.

Peak RSS needs care: Linux carries a process's RSS high-water mark across exec, and a
child forked (or vforked) from this harness starts with the harness's RSS (~90 MiB once
the 100,000-file manifest is loaded), so ru_maxrss of a direct child is floored there.  The
tool is therefore started through GNU time (`/usr/bin/time -f %M`, Debian package `time`),
a ~2 MiB process whose own child's ru_maxrss is the tool's true peak.  Without it the
harness falls back to the floored figure and says so in the report.
"""
from __future__ import annotations

import os
import subprocess
import time
from dataclasses import asdict, dataclass, field


@dataclass
class Measurement:
    step: str
    wall_s: float
    user_s: float
    sys_s: float
    maxrss_kib: int
    rc: int
    repo_bytes: int = 0
    repo_objects: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def cpu_s(self) -> float:
        return self.user_s + self.sys_s

    def to_json(self) -> dict:
        d = asdict(self)
        d["cpu_s"] = self.cpu_s
        return d


class ToolFailed(Exception):
    pass


GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
RSS_SOURCE = ("GNU time %M of the tool process" if GNU_TIME else
              "wait4 ru_maxrss, floored at the harness's own RSS (install `time` for exact figures)")


# CPUs the timed tools may run on (taskset list, e.g. "0"); None = anywhere. Set by --pin-emulator.
TOOL_CPUS = None


def run_timed(step: str, argv: list, env: dict, log_dir: str) -> Measurement:
    os.makedirs(log_dir, exist_ok=True)
    out_path = os.path.join(log_dir, f"{step}.out")
    err_path = os.path.join(log_dir, f"{step}.err")
    rss_path = os.path.join(log_dir, f"{step}.rss")
    if TOOL_CPUS is not None:
        argv = ["taskset", "-c", TOOL_CPUS, *argv]  # taskset execs the tool: time and RSS stay the tool's
    full = [GNU_TIME, "-f", "%M", "-o", rss_path, *argv] if GNU_TIME else argv
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(full, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from waiting again
    maxrss = _gnu_time_rss(rss_path) if GNU_TIME else ru.ru_maxrss
    m = Measurement(step, wall, ru.ru_utime, ru.ru_stime, maxrss, proc.returncode)
    if m.rc != 0:
        raise ToolFailed(f"{step}: `{' '.join(argv)}` exited {m.rc}: {_tail(err_path, out_path)}")
    return m


def _gnu_time_rss(path: str) -> int:
    # GNU time writes "Command exited with non-zero status N" before the format on failure
    try:
        with open(path) as f:
            return int(f.read().split()[-1])
    except (OSError, ValueError, IndexError):
        return 0


def _tail(*paths: str) -> str:
    for p in paths:
        try:
            with open(p, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 600))
                text = f.read().decode(errors="replace").strip()
        except OSError:
            continue
        if text:
            return " | ".join(text.splitlines()[-3:])
    return "(no output)"


def tree_usage(path: str) -> tuple:
    """(apparent bytes, file count) of a directory — what a cloud bucket would bill."""
    total = count = 0
    for dirpath, _, names in os.walk(path):
        for n in names:
            try:
                total += os.lstat(os.path.join(dirpath, n)).st_size
                count += 1
            except OSError:
                pass
    return total, count


def warm(paths: list) -> float:
    """Read every file under `paths` once so the page cache is warm for whichever tool runs
    next (the shared machine evicts idle cache within ~60 s).  Returns seconds spent."""
    t0 = time.perf_counter()
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    for root in paths:
        for dirpath, _, names in os.walk(root):
            for n in names:
                try:
                    with open(os.path.join(dirpath, n), "rb", buffering=0) as f:
                        while f.readinto(view):
                            pass
                except OSError:
                    pass
    return time.perf_counter() - t0
