#!/usr/bin/env bash
# `make run`: upgrade the schema, seed the demo regency into an empty database, start a private Redis (when
# redis-server is on PATH and no REDIS_URL is given), the RQ worker and gunicorn; wait for /healthz; print the URL
# and the demo logins. Ctrl-C (or TERM) stops everything this script started.
#
# Environment: PORT (5000), PYTHON (.venv/bin/python), REDIS_URL / SISUMAKER_REDIS_URL (use that Redis instead of
# a private one), SISUMAKER_INSTANCE_PATH (instance/), SISUMAKER_DEMO_PASSWORD (sisumaker-demo), and any other
# SISUMAKER_* setting. `make run` sets SISUMAKER_ENV_NAME=development: the demo is a development install.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PY="${PYTHON:-$ROOT/.venv/bin/python}"
PORT="${PORT:-5000}"
INSTANCE="${SISUMAKER_INSTANCE_PATH:-$ROOT/instance}"
RUN="$INSTANCE/run"
FLASK=("$PY" -m flask --app sisumaker)

export SISUMAKER_ENV_NAME="${SISUMAKER_ENV_NAME:-development}"
export SISUMAKER_PUBLIC_BASE_URL="${SISUMAKER_PUBLIC_BASE_URL:-http://localhost:$PORT}"
export PYTHONUNBUFFERED=1
# Letters are dated in WIB. Without the system tz database (minimal containers) the POSIX form gives the same
# clock: Indonesia has no daylight saving time.
if [ -e /usr/share/zoneinfo/Asia/Jakarta ]; then export TZ=Asia/Jakarta; else export TZ=WIB-7; fi

say() { printf '%s\n' "$*"; }
die() { printf 'make run: %s\n' "$*" >&2; exit 1; }
rel() { case "$1" in "$ROOT"/*) printf '%s' "${1#"$ROOT"/}" ;; *) printf '%s' "$1" ;; esac; }

[ -x "$PY" ] || die "$PY not found; start with 'make run' (it creates .venv)."
# the demo secrets: environment first, else the defaults in sisumaker/config.py
{ read -r default_password; read -r default_passphrase; } < <("$PY" -c 'from sisumaker.config import Defaults as D
print(D.DEMO_PASSWORD); print(getattr(D, "DEMO_SIGNING_PASSPHRASE", ""))')
DEMO_PASSWORD="${SISUMAKER_DEMO_PASSWORD:-$default_password}"
DEMO_SIGNING_PASSPHRASE="${SISUMAKER_DEMO_SIGNING_PASSPHRASE:-$default_passphrase}"
case "$PORT" in '' | *[!0-9]*) die "PORT must be a number, got '$PORT'." ;; esac
mkdir -p "$RUN"

# --- one run per instance folder; leftovers of a killed run are stopped -------------------------------------
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
cmdline_has() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q -- "$2"; }

if [ -f "$RUN/make-run.pid" ]; then
    old="$(cat "$RUN/make-run.pid" 2>/dev/null || true)"
    if alive "$old" && cmdline_has "$old" "run.sh"; then
        die "Sisumaker is already running from $(rel "$INSTANCE") (pid $old). Stop it with Ctrl-C first."
    fi
fi
for name in web:gunicorn worker:worker redis:redis-server; do
    f="$RUN/${name%%:*}.pid"
    [ -f "$f" ] || continue
    old="$(cat "$f" 2>/dev/null || true)"
    if alive "$old" && cmdline_has "$old" "${name#*:}"; then
        say "Stopping a leftover ${name%%:*} process from an earlier run (pid $old)."
        kill -TERM -- "-$old" 2>/dev/null || kill -TERM "$old" 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do alive "$old" || break; sleep 0.5; done
        kill -KILL -- "-$old" 2>/dev/null || kill -KILL "$old" 2>/dev/null || true
    fi
    rm -f "$f"
done
echo $$ >"$RUN/make-run.pid"

"$PY" - "$PORT" <<'EOF' || die "port $PORT on 127.0.0.1 is in use; choose another one: PORT=5001 make run"
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
EOF

# --- start/stop helpers ------------------------------------------------------------------------------------
# Each child runs in its own session (setsid), so it is the leader of a process group we can stop as a whole,
# and a Ctrl-C reaches only this script, which then stops the children in order.
if command -v setsid >/dev/null 2>&1; then SETSID=(setsid); else SETSID=(); fi
WEB_PID="" WORKER_PID="" REDIS_PID="" REDIS_SOCK=""

start() {  # start NAME LOGFILE CMD...; sets STARTED_PID
    local name="$1" log="$2"; shift 2
    "${SETSID[@]}" "$@" >>"$log" 2>&1 </dev/null &
    STARTED_PID=$!
    echo "$STARTED_PID" >"$RUN/$name.pid"
}

group_alive() { kill -0 -- "-$1" 2>/dev/null || alive "$1"; }

stop() {  # stop PID:NAME...: TERM the leaders (graceful), after 5 s their whole groups, after 10 s KILL
    local item pid i left
    for item in "$@"; do pid="${item%%:*}"; [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; done
    for i in $(seq 1 40); do
        left=0
        for item in "$@"; do pid="${item%%:*}"; [ -n "$pid" ] && group_alive "$pid" && left=1; done
        [ "$left" = 0 ] && break
        if [ "$i" = 20 ]; then
            for item in "$@"; do pid="${item%%:*}"; [ -n "$pid" ] && kill -TERM -- "-$pid" 2>/dev/null; done
        fi
        sleep 0.25
    done
    for item in "$@"; do
        pid="${item%%:*}"
        [ -n "$pid" ] || continue
        if group_alive "$pid"; then
            say "  ${item#*:} did not stop in 10 s; killing it."
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
        fi
        wait "$pid" 2>/dev/null
        rm -f "$RUN/${item#*:}.pid"
    done
    return 0
}

CLEANED=0
cleanup() {
    [ "$CLEANED" = 1 ] && return 0
    CLEANED=1
    set +e
    if [ -n "$WEB_PID$WORKER_PID$REDIS_PID" ]; then say ""; say "Stopping Sisumaker ..."; fi
    stop "$WEB_PID:web" "$WORKER_PID:worker"  # the worker finishes its job while Redis is still up
    stop "$REDIS_PID:redis"
    [ -n "$REDIS_SOCK" ] && rm -f "$REDIS_SOCK"
    rm -f "$RUN/make-run.pid"
    if [ -n "$WEB_PID$WORKER_PID$REDIS_PID" ]; then
        say "Stopped:${WEB_PID:+ web server}${WORKER_PID:+, worker}${REDIS_PID:+, private Redis}."
    fi
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 129' HUP
trap cleanup EXIT

tail_log() { say "--- last lines of $(rel "$1") ---"; tail -n "${2:-25}" "$1" 2>/dev/null || true; say "---"; }

# --- database ----------------------------------------------------------------------------------------------
say "Upgrading the database schema ..."
"${FLASK[@]}" db upgrade >"$RUN/migrate.log" 2>&1 || { tail_log "$RUN/migrate.log" 40; die "schema upgrade failed."; }
say "Loading the demo regency if the database is empty ..."
"${FLASK[@]}" seed-demo --if-empty || die "loading the demo regency failed."

# --- Redis: the given one, a private one on a unix socket in the instance folder, or none ------------------
redis_ping() {
    "$PY" - "$1" <<'EOF' >/dev/null 2>&1
import sys
from redis import Redis
Redis.from_url(sys.argv[1], socket_connect_timeout=1, socket_timeout=2).ping()
EOF
}

QUEUE_NOTE=""
GIVEN_REDIS="${SISUMAKER_REDIS_URL:-${REDIS_URL:-}}"
if [ -n "$GIVEN_REDIS" ]; then
    redis_ping "$GIVEN_REDIS" || die "the Redis at $GIVEN_REDIS does not answer. Start it, or unset REDIS_URL to use a private one."
    QUEUE_NOTE="Redis: $GIVEN_REDIS (given by the environment)"
elif command -v redis-server >/dev/null 2>&1; then
    REDIS_SOCK="$INSTANCE/redis.sock"
    if [ "${#REDIS_SOCK}" -le 100 ]; then
        rm -f "$REDIS_SOCK"
        REDIS_ARGS=(--port 0 --unixsocket "$REDIS_SOCK" --unixsocketperm 700)
        GIVEN_REDIS="unix://$REDIS_SOCK"
        QUEUE_NOTE="Redis: private redis-server on $(rel "$REDIS_SOCK")"
    else  # a unix socket path must stay under ~107 bytes: use a free loopback port instead
        free_port="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
        REDIS_SOCK=""
        REDIS_ARGS=(--port "$free_port" --bind 127.0.0.1)
        GIVEN_REDIS="redis://127.0.0.1:$free_port/0"
        QUEUE_NOTE="Redis: private redis-server on 127.0.0.1:$free_port"
    fi
    : >"$RUN/redis.log"
    start redis "$RUN/redis.log" redis-server "${REDIS_ARGS[@]}" --save "" --appendonly no --daemonize no \
        --dir "$RUN" --pidfile "$RUN/redis.pid" --logfile ""
    REDIS_PID=$STARTED_PID
    for _ in $(seq 1 40); do redis_ping "$GIVEN_REDIS" && break; alive "$REDIS_PID" || break; sleep 0.25; done
    redis_ping "$GIVEN_REDIS" || { tail_log "$RUN/redis.log"; die "the private redis-server did not start."; }
    export REDIS_URL="$GIVEN_REDIS"
    unset SISUMAKER_REDIS_URL
fi
if [ -n "$GIVEN_REDIS" ] && [ -z "${SISUMAKER_RATELIMIT_STORAGE_URI:-}" ]; then
    # the rate limiter (`limits`) spells a unix socket redis+unix://, redis-py spells it unix://
    case "$GIVEN_REDIS" in unix://*) export SISUMAKER_RATELIMIT_STORAGE_URI="redis+$GIVEN_REDIS" ;; esac
fi

# --- worker and web server ---------------------------------------------------------------------------------
if [ -n "$GIVEN_REDIS" ]; then
    say "Starting the RQ worker ..."
    : >"$RUN/worker.log"
    start worker "$RUN/worker.log" "${FLASK[@]}" worker
    WORKER_PID=$STARTED_PID
else
    QUEUE_NOTE="NO REDIS: redis-server is not on PATH and REDIS_URL is unset, so background jobs run in-process
  inside the web server and no worker is started (fine for a look around; install redis-server for the
  real queue: sudo apt-get install redis-server)."
    say "!! $QUEUE_NOTE"
fi

say "Starting the web server (gunicorn) on 127.0.0.1:$PORT ..."
: >"$RUN/web.log"
start web "$RUN/web.log" "$PY" -m gunicorn --chdir "$ROOT" -w 2 --threads 4 -b "127.0.0.1:$PORT" \
    --graceful-timeout 5 --no-control-socket --access-logfile - --error-logfile - wsgi:app
WEB_PID=$STARTED_PID

# --- wait for /healthz -------------------------------------------------------------------------------------
health() {  # prints the JSON; exit 0 = ok, 2 = answered but degraded, 1 = no answer
    "$PY" - "http://127.0.0.1:$PORT/healthz" <<'EOF'
import json, sys, urllib.error, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=3) as r:
        body = r.read()
except urllib.error.HTTPError as e:
    body = e.read()
except OSError:
    sys.exit(1)
try:
    report = json.loads(body)
except ValueError:
    sys.exit(1)
print(", ".join(f"{k} {v}" for k, v in report.items() if k != "status"))
sys.exit(0 if report.get("status") == "ok" else 2)
EOF
}

check_children() {
    local pid name
    for name in web worker redis; do
        case $name in web) pid=$WEB_PID ;; worker) pid=$WORKER_PID ;; redis) pid=$REDIS_PID ;; esac
        if [ -n "$pid" ] && ! alive "$pid"; then
            tail_log "$RUN/$name.log"
            die "the $name process stopped unexpectedly (log: $(rel "$RUN/$name.log"))."
        fi
    done
}

HEALTH="" rc=1
for _ in $(seq 1 120); do
    check_children
    rc=0; HEALTH="$(health)" || rc=$?
    [ "$rc" = 0 ] && break
    sleep 0.5
done
if [ "$rc" = 1 ]; then tail_log "$RUN/web.log"; die "the web server did not answer /healthz within 60 s."; fi

URL="http://localhost:$PORT/"
cat <<EOF

================================================================================
  Sisumaker is running:  $URL
================================================================================
  Health: $HEALTH$( [ "$rc" = 2 ] && printf '   (DEGRADED: see %s)' "$(rel "$RUN")/*.log" )
  $QUEUE_NOTE
  Database: $( [ -n "${SISUMAKER_DATABASE_URL:-}" ] && echo "SISUMAKER_DATABASE_URL" || echo "$(rel "$INSTANCE")/sisumaker.sqlite" )

  Demo logins (password for all: $DEMO_PASSWORD)
    bupati                  Bupati
    wabup                   Wakil Bupati
    sekda                   Sekretaris Daerah
    kadis.diskominfosatik   Kepala Diskominfosatik
    kadis.dinkes            Kepala Dinas Kesehatan
    tu.diskominfosatik      clerk (agendaris) of Diskominfosatik
    camat.pulo-ampel        Camat Pulo Ampel
    tu.kec.pulo-ampel       clerk (agendaris) of Kecamatan Pulo Ampel
    admin                   Sisumaker administrator
  Every position has a demo user; README.md lists the username patterns.
$( [ -n "$DEMO_SIGNING_PASSPHRASE" ] && printf '\n  Signing (TTE) passphrase of bupati, sekda, kadis.dinkes and camat.pulo-ampel: %s\n  (documents wait for the Sekda under "Tanda Tangan")\n' "$DEMO_SIGNING_PASSPHRASE")

  Open the URL as http://localhost (or 127.0.0.1): session cookies are Secure, which browsers accept only
  over HTTPS and on localhost.
  Logs: $(rel "$RUN")/web.log, worker.log, redis.log      Press Ctrl-C to stop.
================================================================================
EOF

# --- stay in the foreground until Ctrl-C or a child dies ---------------------------------------------------
while true; do
    check_children
    sleep 1 &
    wait $! || true
done
