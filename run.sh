#!/usr/bin/env bash
# Continuum's two entry points, for a fresh Debian machine (as root) or a dev box:
#   ./run.sh serve   install, create the database and a demo login, start the app
#   ./run.sh test    install what the tests need (PostgreSQL, Redis, Chromium) and run them all
set -euo pipefail
cd "$(dirname "$0")"

VENV=.venv
PY="$VENV/bin/python"
APT_UPDATED=0

apt_install() {
  # Installs Debian packages only when a command they provide is missing.
  if [ "$APT_UPDATED" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_python() {
  if ! command -v python3 >/dev/null || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    apt_install python3 python3-venv python3-pip
  fi
  if [ ! -x "$PY" ]; then
    python3 -m venv "$VENV"
  fi
  "$PY" -m pip install -q --disable-pip-version-check -r "$1"
}

ensure_postgres() {
  if ! command -v pg_lsclusters >/dev/null; then
    apt_install postgresql
    FRESH_POSTGRES=1
  fi
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start
    for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  if [ "${FRESH_POSTGRES:-0}" = 1 ]; then
    su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\""
  fi
}

ensure_redis() {
  if ! command -v redis-server >/dev/null; then
    apt_install redis-server
  fi
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" \
      --appendonly no --dir /var/lib/redis --logfile /var/log/redis/continuum.log
    for _ in $(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
  fi
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    apt_install chromium fonts-dejavu-core
  fi
}

ensure_openssl() {
  # The emulator's TLS mode makes its self-signed certificate with openssl.
  if ! command -v openssl >/dev/null; then
    apt_install openssl
  fi
}

again_alone() {
  # Runs a pass's failed tests again in one process; on success, notes them as
  # flaky. Arguments: the pass's pytest cache, then its pytest command.
  local cache=$1
  shift
  echo "== Failed under load, run again alone =="
  "$PY" -c 'import json, sys; print("\n".join(json.load(open(sys.argv[1]))))' \
    "$cache/v/cache/lastfailed" | tee artifacts/failed-under-load.txt
  "$@" --last-failed --last-failed-no-failures none || return
  cat artifacts/failed-under-load.txt >>artifacts/flaky-under-load.txt
}

serve() {
  ensure_python requirements.txt
  export DJANGO_DEBUG="${DJANGO_DEBUG:-1}"
  "$PY" manage.py migrate --noinput
  "$PY" manage.py ensure_demo_user
  local emulator_pid=""
  if [ -z "${GEMINI_API_KEY:-}" ] && [ -z "${LIVE_API_BASE:-}" ]; then
    "$PY" manage.py live_emulator --host 127.0.0.1 --port 8765 &
    emulator_pid=$!
    # Expanded now: the trap runs after this function's locals are gone.
    trap "kill $emulator_pid 2>/dev/null || true" EXIT
  fi
  echo "Continuum is starting at http://127.0.0.1:8000/"
  "$PY" -m daphne -b 127.0.0.1 -p 8000 config.asgi:application
}

run_tests() {
  ensure_python requirements-dev.txt
  ensure_postgres
  ensure_redis
  ensure_chromium
  ensure_openssl
  # Node runs the page's JavaScript lint and unit tests.
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    apt_install nodejs npm
  fi
  export PLAYWRIGHT_CHROMIUM_EXECUTABLE=/usr/bin/chromium
  mkdir -p artifacts
  "$PY" -m ruff check .
  "$PY" -m mypy
  DJANGO_DEBUG=0 DJANGO_SECRET_KEY=check "$PY" manage.py makemigrations --check --dry-run

  echo "== The page's JavaScript: ESLint and Node unit tests =="
  # node_modules is installed again only when the lock file changed since.
  if ! cmp -s package-lock.json node_modules/.installed-package-lock.json; then
    npm ci --no-audit --no-fund
    cp package-lock.json node_modules/.installed-package-lock.json
  fi
  npx eslint static/js tests/js
  node --test tests/js/

  # The two passes run side by side: the suite waits on sockets and timers more
  # than it computes, so two cores carry both. Each is split over processes (each
  # test module whole in one): TEST_PROCESSES for the SQLite pass and
  # TEST_PROCESSES_POSTGRES for the other (0 runs a pass in one process). The
  # PostgreSQL + Redis pass's report follows the SQLite pass's.
  local sqlite_run=(env -u DATABASE_URL -u REDIS_URL "$PY" -m pytest
    -o cache_dir=.pytest_cache/sqlite)
  # Tests marked same_on_every_backend run once, in the SQLite pass: the browser
  # tests (the page is the same whatever database serves it), the Live library
  # (no Django in it), and what sets up its own database (benchmarks, settings).
  local postgres_run=(env
    "DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/continuum}"
    "REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"
    "$PY" -m pytest -o cache_dir=.pytest_cache/postgres -m "not same_on_every_backend")
  local postgres_log=artifacts/postgres-redis-pass.log

  "${postgres_run[@]}" -n "${TEST_PROCESSES_POSTGRES:-2}" --dist loadfile "$@" \
    >"$postgres_log" 2>&1 &
  local postgres_pid=$!
  # Expanded now: the trap runs after this function's locals are gone.
  trap "kill $postgres_pid 2>/dev/null || true" EXIT

  echo "== Suite on SQLite with the in-memory channel layer =="
  local sqlite_status=0
  "${sqlite_run[@]}" -n "${TEST_PROCESSES:-3}" --dist loadfile "$@" || sqlite_status=$?

  local postgres_status=0
  wait "$postgres_pid" || postgres_status=$?
  echo "== Suite on PostgreSQL with the Redis channel layer (what depends on them) =="
  cat "$postgres_log"

  # A test that failed under the load of both passes runs once more, alone, on
  # the machine they left quiet: one that fails again fails the command, and one
  # that passes then is named as flaky under load (artifacts/flaky-under-load.txt).
  : >artifacts/flaky-under-load.txt
  if [ "$sqlite_status" -eq 1 ]; then
    again_alone .pytest_cache/sqlite "${sqlite_run[@]}" "$@" && sqlite_status=0
  fi
  if [ "$postgres_status" -eq 1 ]; then
    again_alone .pytest_cache/postgres "${postgres_run[@]}" "$@" && postgres_status=0
  fi
  [ "$postgres_status" -eq 5 ] && postgres_status=0  # 5: nothing left to run
  if [ -s artifacts/flaky-under-load.txt ]; then
    echo "Flaky under load (failed beside the other tests, passed alone):"
    cat artifacts/flaky-under-load.txt
  fi
  if [ "$sqlite_status" -ne 0 ] || [ "$postgres_status" -ne 0 ]; then
    echo "Failed: SQLite pass exit $sqlite_status, PostgreSQL + Redis pass exit $postgres_status" >&2
    return 1
  fi
}

case "${1:-}" in
  serve) shift; serve "$@" ;;
  test) shift; run_tests "$@" ;;
  *) echo "usage: ./run.sh serve | ./run.sh test [pytest args]" >&2; exit 2 ;;
esac
