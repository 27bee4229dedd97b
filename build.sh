#!/usr/bin/env bash
# DrOrchestrator developer entry point.
#   ./build.sh quickstart   build and run the embedded demo (SQLite catalog, local target; no service needed)
#   ./build.sh serve-demo   run `drorch serve` on the embedded default with a demo policy backing up every 20 s
#   ./build.sh test         install everything the tests need (Debian packages, npm emulators), build, run ALL tests
#   ./build.sh deps         only the installation step of `test`
#   ./build.sh install [PREFIX]  publish drorch as it ships (self-contained, composite ReadyToRun, linux-x64) into PREFIX/lib/drorch
#                                and link PREFIX/bin/drorch (PREFIX: /usr/local as root, else ~/.local)
#   ./build.sh publish [DIR [install]]  only the publish step: the checkout's build (framework-dependent
#                           ReadyToRun, artifacts/drorch: what ./drorch runs), or with `install` the shipped one
# The test run prints a final "N passed, N failed" line and exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_deps() {
  # Real servers for the integration tests, never mocks: PostgreSQL (catalog on Npgsql, the
  # PostgreSQL source with pg_dump/psql/pgbench), MariaDB (server and client tools for the
  # MariaDB source), Node.js for the pinned Azurite and s3rver emulators
  # (tests/package.json + lock file), acl.
  local need=()
  command -v dotnet >/dev/null || { echo "error: the .NET 10 SDK is required (dotnet not on PATH)" >&2; exit 1; }
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  ls /usr/lib/postgresql/*/bin/pgbench >/dev/null 2>&1 || need+=(postgresql-contrib)
  command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
  command -v mariadb-dump >/dev/null || need+=(mariadb-client)
  command -v node >/dev/null || need+=(nodejs)
  command -v npm >/dev/null || need+=(npm)
  # setfacl/getfacl: the file-system fidelity test sets and compares POSIX ACLs.
  command -v setfacl >/dev/null || need+=(acl)
  # Headless Chromium renders the status page in the Server tests (dump-dom + screenshot).
  command -v chromium >/dev/null || need+=(chromium)
  if [ ${#need[@]} -gt 0 ]; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
  fi
  if [ -f tests/package-lock.json ]; then
    npm ci --prefix tests --no-audit --no-fund --loglevel=error
  fi
  dotnet tool restore >/dev/null 2>&1 || true
}

# The build users install is the build the benchmark measures (bench/drbench/tools.py,
# docs/decisions.md §49, §77): self-contained, one composite ReadyToRun image of drorch and the
# .NET runtime for linux-x64, so a command neither JIT-compiles the generic code shared between
# our assemblies and the framework nor needs a .NET runtime installed (a database backup spends
# ~19 % less CPU than with a framework-dependent ReadyToRun build). It takes ~3 min to compile, so
# the checkout's ./drorch (quickstart, serve-demo) runs the framework-dependent ReadyToRun build
# ("publish"), which compiles in under a minute and behaves the same.
publish_drorch() {
  local out="${1:-artifacts/drorch}" kind="${2:-launcher}"
  if [ "$kind" = install ]; then
    # Its own obj/bin tree (--artifacts-path): a composite compile leaves intermediate files that
    # a later framework-dependent publish in the shared obj/ would pick up, and that build aborts.
    local scratch; scratch="$(mktemp -d)"
    dotnet publish src/DrOrchestrator.Cli -c Release -r linux-x64 --self-contained true --artifacts-path "$scratch" \
      -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true -o "$out" -nologo -clp:ErrorsOnly >&2 \
      || { rm -rf "$scratch"; return 1; }
    rm -rf "$scratch"
  else
    dotnet publish src/DrOrchestrator.Cli -c Release -r linux-x64 --self-contained false \
      -p:PublishReadyToRun=true -o "$out" -nologo -clp:ErrorsOnly >&2
  fi
  touch "$out/.published"
}

install_drorch() {
  local prefix="${1:-}"
  if [ -z "$prefix" ]; then
    if [ "$(id -u)" = 0 ]; then prefix=/usr/local; else prefix="$HOME/.local"; fi
  fi
  local lib="$prefix/lib/drorch"
  local staging; staging="$(mktemp -d)"
  publish_drorch "$staging" install
  # Replace the old installation whole: a file left from an older version would be loaded.
  mkdir -p "$prefix/lib" "$prefix/bin"
  rm -rf "$lib.new" && mv "$staging" "$lib.new" && chmod 0755 "$lib.new"
  rm -rf "$lib" && mv "$lib.new" "$lib"
  ln -sfn "$lib/drorch" "$prefix/bin/drorch"
  echo "installed $prefix/bin/drorch -> $lib/drorch ($("$prefix/bin/drorch" --version))"
  case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "note: $prefix/bin is not on PATH" ;; esac
}

run_tests() {
  install_deps
  dotnet build DrOrchestrator.sln -c Release -nologo -clp:ErrorsOnly
  local results=TestResults
  rm -rf "$results"
  local status=0
  # One test project at a time: the server fixtures (PostgreSQL, Azurite, s3rver) are heavy on a
  # 2-core machine, and sequential runs keep timings and logs readable. Only tests/*.Tests are
  # test projects (Directory.Build.props marks them); tests/DrOrchestrator.Testing is the shared
  # library of test doubles and has no tests to run (it would only report "no test results").
  for project in tests/*.Tests/*.csproj; do
    local name; name=$(basename "$project" .csproj)
    echo "== $name"
    dotnet test "$project" -c Release --no-build -nologo \
      --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
      --results-directory "$results" || status=1
    [ -f "$results/$name.trx" ] || { echo "error: $name produced no test results" >&2; status=1; }
  done
  local passed=0 failed=0
  for trx in "$results"/*.trx; do
    [ -f "$trx" ] || continue
    local counters; counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    local p f e
    p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
    e=$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters")
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0} + ${e:-0}))
  done
  [ "$passed" -gt 0 ] || status=1
  echo "$passed passed, $failed failed"
  return $status
}

case "${1:-}" in
  quickstart)
    exec ./drorch quickstart "${@:2}"
    ;;
  serve-demo)
    drorch=(./drorch)
    mkdir -p data/demo-source
    [ -f data/repository.key ] || (umask 077 && head -c 32 /dev/urandom | base64 > data/repository.key)
    [ -f data/demo-source/file1.bin ] || for i in $(seq 1 20); do head -c 262144 /dev/urandom > "data/demo-source/file$i.bin"; done
    cat > data/demo-policy.yaml <<EOF
name: demo
sources: [{ type: files, paths: ["$PWD/data/demo-source"] }]
targets: [{ name: local, role: primary }]
schedule: { cron: "0/20 * * * * ?", timeZone: UTC }
rpo: 1h
rto: 1h
retention: { keepLast: 10 }
EOF
    "${drorch[@]}" policy apply data/demo-policy.yaml
    export DRORCH_DEMO_KEY="${DRORCH_DEMO_KEY:-demo-admin-key}"
    export DRORCH__Server__ApiKeys__0__Name=demo DRORCH__Server__ApiKeys__0__Role=Admin DRORCH__Server__ApiKeys__0__EnvironmentVariable=DRORCH_DEMO_KEY
    export DRORCH__Logging__LogLevel__DrOrchestrator=Information
    exec "${drorch[@]}" serve
    ;;
  test) run_tests ;;
  install) install_drorch "${2:-}" ;;
  publish) publish_drorch "${2:-artifacts/drorch}" "${3:-launcher}" ;;
  deps) install_deps ;;
  *) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
