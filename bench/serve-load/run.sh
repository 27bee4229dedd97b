#!/usr/bin/env bash
# The scheduling benchmark of `drorch serve` (bench/README.md, "drorch serve: 1,000 policies"):
#   bench/serve-load/run.sh sqlite   [POLICIES] [MINUTES]
#   bench/serve-load/run.sh postgres [POLICIES] [MINUTES]   # a throw-away PostgreSQL under WORK/pg
# Prints the figures as JSON (also written to WORK/<catalog>.json). WORK: $BENCH_WORK or
# /work/bench-data/serve-load. PostgreSQL: the Debian postgresql package's initdb/pg_ctl.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
catalog="${1:?sqlite or postgres}"; policies="${2:-1000}"; minutes="${3:-5}"
work="${BENCH_WORK:-/work/bench-data/serve-load}"
mkdir -p "$work"
# SERVE_LOAD_DLL: run a copy built earlier (e.g. a before/after comparison) instead of building this one.
dll="${SERVE_LOAD_DLL:-$here/bin/Release/net10.0/DrOrchestrator.Bench.ServeLoad.dll}"
[ -n "${SERVE_LOAD_DLL:-}" ] || dotnet build "$here" -c Release -nologo -clp:ErrorsOnly >&2
rm -rf "$work/$catalog"
case "$catalog" in
  sqlite)
    dotnet "$dll" "$work/sqlite" "$policies" "$minutes" | tee "$work/sqlite.json"
    ;;
  postgres)
    bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    pg="$work/pg"; rm -rf "$pg"
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    export DRORCH_BENCH_PG_PASSWORD=bench
    as=(); if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); fi   # initdb refuses to run as root
    mkdir -p "$pg"; [ ${#as[@]} -eq 0 ] || chown postgres: "$pg"
    "${as[@]}" "$bin/initdb" -D "$pg/data" -U drorch --auth=trust >/dev/null
    "${as[@]}" "$bin/pg_ctl" -D "$pg/data" -o "-p $port -k $pg -c listen_addresses=127.0.0.1 -c max_connections=200" -l "$pg/log" -w start >/dev/null
    trap '"${as[@]}" "$bin/pg_ctl" -D "$pg/data" -m fast stop >/dev/null' EXIT
    "$bin/createdb" -h 127.0.0.1 -p "$port" -U drorch catalog
    dotnet "$dll" "$work/postgres" "$policies" "$minutes" postgres \
      "Host=127.0.0.1;Port=$port;Username=drorch;Database=catalog" DRORCH_BENCH_PG_PASSWORD | tee "$work/postgres.json"
    ;;
  *) echo "usage: $0 sqlite|postgres [POLICIES] [MINUTES]" >&2; exit 2 ;;
esac
