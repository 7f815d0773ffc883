#!/usr/bin/env bash
# Usage: tests/services.sh CMD [ARGS...]
#
# Runs CMD against a throw-away PostgreSQL and a throw-away Redis, each on a spare loopback port,
# then stops both and deletes their data EVEN WHEN CMD FAILS. Exits with CMD's exit code.
# It never touches a server it did not start (so the machine's own 5432/6379 are left alone).
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 64
fi

log() { echo "services.sh: $*" >&2; }

# --- PostgreSQL server binaries: pg_config's bindir when it has initdb (Debian's pg_config from
# libpq-dev may point elsewhere), else the highest /usr/lib/postgresql/*/bin.
PG_BIN=""
if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    PG_BIN="$(pg_config --bindir)"
else
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
        [ -x "$dir/initdb" ] && PG_BIN="$dir"
    done
fi
if [ -z "$PG_BIN" ]; then
    log "PostgreSQL server binaries (initdb, pg_ctl) not found; run 'make system-deps'."
    exit 127
fi
for tool in redis-server redis-cli; do
    command -v "$tool" >/dev/null 2>&1 || { log "$tool not found; run 'make system-deps'."; exit 127; }
done

# initdb/pg_ctl refuse to run as root, so as root they run as the 'postgres' system user.
if [ "$(id -u)" -eq 0 ]; then
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi

# Everything lives in one temp dir so a single rm -rf cleans up.
WORKDIR="$(mktemp -d "${TMPDIR:-/tmp}/jianyi-services.XXXXXX")"
PGDATA_DIR="$WORKDIR/pg"
PG_LOG="$WORKDIR/postgres.log"
REDIS_DIR="$WORKDIR/redis"
mkdir -p "$REDIS_DIR"
if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$WORKDIR"
fi

PG_STARTED=0
REDIS_PID=""

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    if [ -n "$REDIS_PID" ] && kill -0 "$REDIS_PID" 2>/dev/null; then
        kill "$REDIS_PID" 2>/dev/null
        wait "$REDIS_PID" 2>/dev/null
    fi
    # "immediate" is fine: the data is thrown away anyway.
    if [ "$PG_STARTED" -eq 1 ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w stop >/dev/null 2>&1
    fi
    rm -rf "$WORKDIR"
    exit "$rc"
}
trap cleanup EXIT
# Signals: exit with the conventional 128+N code, which runs the EXIT trap above.
trap 'exit 130' INT
trap 'exit 143' TERM

# A random port in 20000-60999 that nothing answers on. Bash's /dev/tcp avoids needing extra
# tools; a lost race is handled by retrying the server start with another port.
pick_port() {
    local port
    while :; do
        port=$((20000 + (RANDOM * 32768 + RANDOM) % 41000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
}

# --- PostgreSQL: trust auth on loopback only; durability off because the data is disposable.
as_pg "$PG_BIN/initdb" -D "$PGDATA_DIR" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
    --no-sync >"$WORKDIR/initdb.log" 2>&1 || { cat "$WORKDIR/initdb.log" >&2; exit 1; }
cat >>"$PGDATA_DIR/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PGDATA_DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF

PG_PORT=""
PG_STARTED=1  # from here on, cleanup must try to stop it
for _ in 1 2 3 4 5; do
    port="$(pick_port)"
    if as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PG_LOG" -o "-p $port" -w -t 30 start \
        >/dev/null 2>&1; then
        PG_PORT="$port"
        break
    fi
    # Maybe the port was taken meanwhile; make sure nothing half-started lingers, then retry.
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w stop >/dev/null 2>&1 || true
done
if [ -z "$PG_PORT" ]; then
    log "PostgreSQL did not start:"
    cat "$PG_LOG" >&2 2>/dev/null
    exit 1
fi
for _ in $(seq 1 60); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && break
    sleep 0.5
done
"$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" || { log "PostgreSQL not ready"; exit 1; }
# The app database; pytest-django creates test_jianyi itself (postgres is a superuser).
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres jianyi

# --- Redis: no persistence; run in the foreground of a background job so we own its pid.
REDIS_PORT=""
for _ in 1 2 3 4 5; do
    port="$(pick_port)"
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
        --dir "$REDIS_DIR" --logfile "$WORKDIR/redis.log" </dev/null &
    REDIS_PID=$!
    for _ in $(seq 1 100); do
        kill -0 "$REDIS_PID" 2>/dev/null || break  # died (port taken?) -> try another port
        if [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = "PONG" ]; then
            REDIS_PORT="$port"
            break 2
        fi
        sleep 0.1
    done
    kill "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
    REDIS_PID=""
done
if [ -z "$REDIS_PORT" ]; then
    log "Redis did not start:"
    cat "$WORKDIR/redis.log" >&2 2>/dev/null
    exit 1
fi

# What config.settings.* read.
export POSTGRES_DB=jianyi
export POSTGRES_USER=postgres
export POSTGRES_PASSWORD=
export POSTGRES_HOST=127.0.0.1
export POSTGRES_PORT="$PG_PORT"
export CELERY_BROKER_URL="redis://127.0.0.1:$REDIS_PORT/0"
export REDIS_URL="$CELERY_BROKER_URL"

log "PostgreSQL on 127.0.0.1:$PG_PORT, Redis on 127.0.0.1:$REDIS_PORT (data in $WORKDIR)"

# Run CMD in the foreground (keeps stdin/tty for debuggers); capture its status without set -e.
set +e
"$@"
rc=$?
set -e
exit "$rc"
