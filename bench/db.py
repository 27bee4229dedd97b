#!/usr/bin/env python3
"""Database benchmark (issue 16): drorch's PostgreSQL source against the server's own tools.

On a private PostgreSQL server (initdb into WORK/pg, 127.0.0.1, a free port, fsync off for both
tools alike) holding a `pgbench -i -s SCALE` database, alternating rounds of:

  backup   `pg_dump -Fc -f FILE`              vs  `drorch backup` (fresh repository each round:
                                                   an initial backup; dump streamed + fingerprint)
  size     the -Fc file's bytes               vs  the repository's bytes after that backup
  restore  `pg_restore -j2 -d NEW FILE`       vs  `drorch restore --to-db NEW` (psql of the stored
           (NEW created untimed)                   dump + the fingerprint re-computed and compared)

The reference tools do no fingerprint check, so their times are the lower bound the issue asks
drorch to match while doing one. Wall, CPU (user+sys of the tool and the children it waited
for), the server's CPU meanwhile (postmaster, its reaped backends and live children, from /proc)
and peak RSS per step; medians over rounds
and same-run ratios (drorch / reference). Results: stdout and WORK/db-latest.md.

    python3 bench/db.py --scale 50 --rounds 3 [--drorch PATH] [--work DIR] [--split-table-bytes N]
                        [--also-unsplit] [--baseline PATH]

--baseline PATH (repeatable) runs other drorch builds (e.g. published from the commits before a
change) in the same rounds, so a before/after comparison shares the host's conditions; the column
is named after the executable's directory. The order of the tools rotates round by round, so no
tool always runs in the same position (after the same other one).
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from drbench.measure import Measurement, run_timed, tree_usage  # noqa: E402
from drbench.tools import build_drorch  # noqa: E402

USER = "bench"


def pg_bindir() -> str:
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
        if os.path.exists(os.path.join(out, "initdb")):
            return out
    except (OSError, subprocess.CalledProcessError):
        pass
    versions = sorted((d for d in os.listdir("/usr/lib/postgresql") if d.isdigit()), key=int, reverse=True)
    for v in versions:
        b = f"/usr/lib/postgresql/{v}/bin"
        if os.path.exists(os.path.join(b, "initdb")):
            return b
    raise SystemExit("PostgreSQL server binaries not found: apt-get install postgresql postgresql-contrib")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, work: str, bindir: str):
        self.root = os.path.join(work, "pg")
        self.bindir = bindir
        self.password = secrets.token_hex(16)
        self.port = free_port()
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.env = dict(os.environ, PGPASSWORD=self.password)

    def tool(self, name: str) -> str:
        return os.path.join(self.bindir, name)

    def start(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        os.makedirs(os.path.join(self.root, "sock"))
        pw = os.path.join(self.root, "pw")
        with open(pw, "w") as f:
            f.write(self.password)
        if self.run_as:
            subprocess.run(["chown", "-R", "postgres:", self.root], check=True)
        data = os.path.join(self.root, "data")
        subprocess.run([*self.run_as, self.tool("initdb"), "-D", data, "-U", USER, f"--pwfile={pw}",
                        "--auth=scram-sha-256", "-E", "UTF8", "--no-sync"], check=True, capture_output=True)
        opts = (f"-p {self.port} -k {os.path.join(self.root, 'sock')} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c full_page_writes=off -c max_wal_size=4GB -c shared_buffers=256MB")
        subprocess.run([*self.run_as, self.tool("pg_ctl"), "-D", data, "-l", os.path.join(self.root, "log"),
                        "-w", "-t", "120", "-o", opts, "start"], check=True, capture_output=True)

    def stop(self) -> None:
        subprocess.run([*self.run_as, self.tool("pg_ctl"), "-D", os.path.join(self.root, "data"), "-m", "immediate",
                        "-w", "stop"], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def cpu_s(self) -> float:
        """CPU seconds of the server so far: the postmaster (with the backends it reaped) plus its live children."""
        with open(os.path.join(self.root, "data", "postmaster.pid")) as f:
            pid = int(f.readline())
        tick = os.sysconf("SC_CLK_TCK")

        def fields(p: int) -> list:
            with open(f"/proc/{p}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()

        main = fields(pid)
        total = sum(int(x) for x in main[11:15])  # utime stime cutime cstime
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) != pid:
                try:
                    child = fields(int(entry))
                except OSError:
                    continue
                if int(child[1]) == pid:  # ppid
                    total += int(child[11]) + int(child[12])
        return total / tick

    def conn(self, db: str) -> list:
        return ["-h", "127.0.0.1", "-p", str(self.port), "-U", USER, "-d", db]

    def sql(self, db: str, statement: str) -> str:
        return subprocess.run([self.tool("psql"), *self.conn(db), "-XAtq", "-c", statement], env=self.env,
                              check=True, capture_output=True, text=True).stdout.strip()


def drorch_setup(exe: str, rdir: str, server: Server, split_table_bytes: int | None) -> dict:
    os.makedirs(rdir, exist_ok=True)
    env = dict(os.environ, DRORCH_REPOSITORY_KEY="bench-password", BENCH_PG_PASSWORD=server.password,
               DOTNET_CLI_TELEMETRY_OPTOUT="1", DOTNET_NOLOGO="1")
    config = os.path.join(rdir, "drorch.json")
    with open(config, "w") as f:
        json.dump({"Catalog": {"Provider": "Sqlite", "ConnectionString": f"Data Source={os.path.join(rdir, 'catalog.db')}"},
                   "RepositoryKey": {"EnvironmentVariable": "DRORCH_REPOSITORY_KEY"},
                   "Targets": {"bench": {"Type": "local", "Path": os.path.join(rdir, "repo")}},
                   "Logging": {"LogLevel": {"Default": "Warning"}},
                   **({} if split_table_bytes is None else {"Sources": {"Postgres": {"SplitTableBytes": split_table_bytes}}})}, f, indent=2)
    policy = os.path.join(rdir, "policy.yaml")
    with open(policy, "w") as f:
        f.write("name: bench-db\nsources:\n  - type: postgres\n    name: pg\n    host: 127.0.0.1\n"
                f"    port: {server.port}\n    user: {USER}\n    databases: [bench]\n"
                "    passwordEnvironmentVariable: BENCH_PG_PASSWORD\n"
                "targets:\n  - name: bench\n    role: primary\n"
                'schedule:\n  cron: "0 0 2 * * ?"\n  timeZone: UTC\nrpo: 24h\nrto: 1h\n')
    # Set up as an admin would, untimed: the target is initialized, then the policy applied (which
    # writes the day's system record, README "The system record"). The timed backup is then the
    # database's first backup into an existing repository, as the scheduled run would be — not the
    # creation of a repository (key derivation, config) plus the system record, which pg_dump has no
    # counterpart for and which happen once per repository and once a day.
    subprocess.run([exe, "--config", config, "target", "init", "bench"], env=env, check=True, capture_output=True)
    subprocess.run([exe, "--config", config, "policy", "apply", policy], env=env, check=True, capture_output=True)
    return {"env": env, "config": config}


def median(values: list) -> float:
    return statistics.median(values) if values else float("nan")


def timed_with_server(server: Server, step: str, argv: list, env: dict, logs: str) -> Measurement:
    """run_timed, plus the CPU the server spent meanwhile (COPY text, md5 of the fingerprint, index builds)."""
    before = server.cpu_s()
    m = run_timed(step, argv, env, logs)
    m.extra["server_cpu_s"] = server.cpu_s() - before
    return m


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=int, default=50, help="pgbench -s (default 50: 5,000,000 accounts, ~750 MB)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--work", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "work", "db"))
    ap.add_argument("--drorch", help="an existing drorch executable (default: dotnet publish into WORK/drorch-bin)")
    ap.add_argument("--split-table-bytes", type=int, help="drorch's Sources:Postgres:SplitTableBytes (0: never split a table; default: drorch's)")
    ap.add_argument("--also-unsplit", action="store_true",
                    help="each round also runs drorch with SplitTableBytes 0 (column 'drorch, unsplit'): the gain of splitting, same run")
    ap.add_argument("--baseline", action="append", default=[],
                    help="another drorch executable, run in the same rounds (column: its directory's name): before/after in one run; repeatable")
    args = ap.parse_args()

    repo_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.makedirs(args.work, exist_ok=True)
    log = lambda msg: print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)  # noqa: E731
    exe = args.drorch or build_drorch(repo_root, os.path.join(args.work, "drorch-bin"), log)
    server = Server(args.work, pg_bindir())
    log(f"PostgreSQL from {server.bindir} on 127.0.0.1:{server.port}; pgbench -i -s {args.scale}")
    server.start()
    baselines = {f"baseline{i}": path for i, path in enumerate(args.baseline)}
    tools = ["ref", "drorch", *(["unsplit"] if args.also_unsplit else []), *baselines]
    names = {"drorch": "drorch", "unsplit": "drorch, unsplit",
             **{key: os.path.basename(os.path.dirname(os.path.abspath(path))) for key, path in baselines.items()}}
    results: dict = {t: {} for t in tools}
    try:
        subprocess.run([server.tool("createdb"), *server.conn("postgres")[:-2], "bench"], env=server.env, check=True)
        subprocess.run([server.tool("pgbench"), *server.conn("bench")[:-2], "-i", "-s", str(args.scale), "-q", "bench"],
                       env=server.env, check=True, capture_output=True)
        db_bytes = int(server.sql("bench", "SELECT pg_database_size('bench')"))
        log(f"database bench: {db_bytes / 2**20:.0f} MiB")

        for r in range(args.rounds):
            # Rotated (and reversed every other round): with three tools or more, a plain alternation
            # would leave the middle one always between the same two.
            rotated = tools[r % len(tools):] + tools[:r % len(tools)]
            order = rotated if r % 2 == 0 else list(reversed(rotated))
            for tool in order:
                rdir = os.path.join(args.work, f"r{r}-{tool}")
                shutil.rmtree(rdir, ignore_errors=True)
                os.makedirs(rdir)
                logs = os.path.join(rdir, "logs")
                target_db = f"restored_{r}_{tool}"
                if tool == "ref":
                    dump = os.path.join(rdir, "bench.dump")
                    subprocess.run(["sync"])
                    b = timed_with_server(server, "backup", [server.tool("pg_dump"), *server.conn("bench"), "-Fc", "-f", dump], server.env, logs)
                    size = os.path.getsize(dump)
                    server.sql("postgres", f"CREATE DATABASE {target_db}")
                    subprocess.run(["sync"])
                    rs = timed_with_server(server, "restore", [server.tool("pg_restore"), *server.conn(target_db), "-j2", dump], server.env, logs)
                else:
                    exe_t = baselines.get(tool, exe)
                    d = drorch_setup(exe_t, rdir, server, 0 if tool == "unsplit" else args.split_table_bytes)
                    subprocess.run(["sync"])
                    b = timed_with_server(server, "backup", [exe_t, "--config", d["config"], "--verbose", "backup", "bench-db"], d["env"], logs)
                    size, _ = tree_usage(os.path.join(rdir, "repo"))
                    subprocess.run(["sync"])
                    rs = timed_with_server(server, "restore", [exe_t, "--config", d["config"], "--verbose", "restore", "bench-db", "--to-db",
                                               f"host=127.0.0.1 port={server.port} user={USER} database={target_db}",
                                               "--password-env", "BENCH_PG_PASSWORD"], d["env"], logs)
                accounts = int(server.sql(target_db, "SELECT count(*) FROM pgbench_accounts"))
                if accounts != args.scale * 100_000:
                    raise SystemExit(f"{tool} round {r}: restored pgbench_accounts has {accounts} rows, expected {args.scale * 100_000}")
                server.sql("postgres", f"DROP DATABASE {target_db}")
                for step, m in (("backup", b), ("restore", rs)):
                    results[tool].setdefault(step, []).append(m)
                results[tool].setdefault("size", []).append(size)
                load = os.getloadavg()[0]
                results[tool].setdefault("load", []).append(load)
                log(f"round {r} {tool}: backup {b.wall_s:.2f} s ({b.cpu_s:.2f} CPU-s, server {b.extra['server_cpu_s']:.2f} CPU-s, {b.maxrss_kib / 1024:.0f} MiB), "
                    f"stored {size / 2**20:.1f} MiB, restore {rs.wall_s:.2f} s ({rs.cpu_s:.2f} CPU-s, server {rs.extra['server_cpu_s']:.2f} CPU-s, "
                    f"{rs.maxrss_kib / 1024:.0f} MiB), load {load:.1f}")
                # drorch runs with --verbose: its stderr holds the source's Debug lines, when each dump/restore step ended.
                shutil.copytree(logs, os.path.join(args.work, "logs", f"r{r}-{tool}"), dirs_exist_ok=True)
                shutil.rmtree(rdir, ignore_errors=True)
    finally:
        server.stop()

    rows = []
    figures = (("wall s", lambda m: m.wall_s), ("CPU s", lambda m: m.cpu_s),
               ("server CPU s", lambda m: m.extra["server_cpu_s"]), ("peak RSS MiB", lambda m: m.maxrss_kib / 1024))
    for step in ("backup", "restore"):
        for fig, get in figures:
            rows.append((f"{step}, {fig}", [median([get(m) for m in results[t][step]]) for t in tools]))
    rows.append(("stored MiB", [median(results[t]["size"]) / 2**20 for t in tools]))
    rows.append(("load average (1 min) at the step's end", [median(results[t]["load"]) for t in tools]))
    load = os.getloadavg()
    header = "| figure (median) | reference |" + "".join(f" {names[t]} | ratio |" for t in tools[1:])
    lines = [f"# Database benchmark — pgbench -s {args.scale} ({db_bytes / 2**20:.0f} MiB), {args.rounds} alternating rounds, "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}",
             "", "reference: `pg_dump -Fc` / `pg_restore -j2` (no fingerprint check); drorch: `backup` / `restore --to-db` (fingerprint verified)"
             + ("" if args.split_table_bytes is None else f"; SplitTableBytes {args.split_table_bytes}")
             + ("; unsplit: SplitTableBytes 0" if args.also_unsplit else "")
             + "".join(f"; {names[key]}: {path}" for key, path in baselines.items()), "",
             header, "|---|---:|" + "---:|---:|" * (len(tools) - 1)]
    for name, values in rows:
        ref = values[0]
        lines.append(f"| {name} | {ref:.2f} | " + " | ".join(f"{v:.2f} | {v / ref:.2f}" for v in values[1:]) + " |")
    # The same-run ratios round by round (each tool's step next to the reference's of the same round):
    # on a shared host the load moves between rounds, so these pairings are steadier than the medians' ratio.
    lines.append("")
    for t in tools[1:]:
        for step in ("backup", "restore"):
            ratios = [m.wall_s / ref.wall_s for m, ref in zip(results[t][step], results["ref"][step])]
            lines.append(f"- {names[t]} {step} wall / reference, per round: "
                         + ", ".join(f"{x:.2f}" for x in ratios) + f" (median {median(ratios):.2f})")
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(args.work, "db-latest.md"), "w") as f:
        f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
