#!/usr/bin/env bash
# Usage: scripts/with-postgres.sh CMD [ARGS...]
#
# Start a throwaway PostgreSQL cluster, run CMD with DATABASE_URL pointing at it, then always stop the
# cluster and delete it, and exit with CMD's exit code.
#
# - The cluster lives in a fresh temp dir, listens on a free loopback port picked by the kernel and on a
#   unix socket inside that dir, so two runs at once never meet.
# - PostgreSQL refuses to run as root: when we are root, initdb and the server run as the `postgres`
#   system user (created by Debian's postgresql package) or, failing that, `nobody`.
# - Durability is off (fsync, synchronous_commit, full_page_writes): the data is thrown away anyway.
# - The role is a superuser with a random password (scram over TCP), so pytest-django can create and
#   drop test_<name> databases.
#
# Environment: PG_BIN (directory with initdb/pg_ctl; default: newest /usr/lib/postgresql/*/bin),
# PG_TMP_PARENT (where the temp dir goes; default /tmp, which any user can reach).
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 64
fi

find_pg_bin() {
    if [[ -n "${PG_BIN:-}" ]]; then
        echo "$PG_BIN"
        return
    fi
    local newest
    newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n "$newest" && -x "$newest/initdb" ]]; then
        echo "$newest"
    elif command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
    else
        echo "error: PostgreSQL server binaries (initdb, pg_ctl) not found; run scripts/ensure-system-deps.sh" >&2
        return 1
    fi
}

PG_BIN=$(find_pg_bin)
PYTHON_FOR_PORT=$(command -v python3 || command -v python || true)
if [[ -z "$PYTHON_FOR_PORT" ]]; then
    echo "error: python3 is needed to pick a free port" >&2
    exit 1
fi

# Who runs the server: ourselves, or an unprivileged user when we are root.
run_as=()
if [[ $(id -u) -eq 0 ]]; then
    pg_user=""
    for candidate in postgres nobody; do
        if id -u "$candidate" >/dev/null 2>&1; then
            pg_user=$candidate
            break
        fi
    done
    if [[ -z "$pg_user" ]]; then
        echo "error: running as root and neither a 'postgres' nor a 'nobody' user exists" >&2
        exit 1
    fi
    if command -v runuser >/dev/null 2>&1; then
        run_as=(runuser -u "$pg_user" --)
    else
        run_as=(su -s /bin/sh "$pg_user" -c '"$0" "$@"')
    fi
fi

pg() {
    # Run a PostgreSQL binary as the cluster owner, from a directory that user can read.
    (cd / && "${run_as[@]}" "$PG_BIN/$1" "${@:2}")
}

TMP_PARENT=${PG_TMP_PARENT:-/tmp}
WORKDIR=$(mktemp -d "$TMP_PARENT/crisisdesk-pg.XXXXXXXX")
DATADIR="$WORKDIR/data"
LOGFILE="$WORKDIR/server.log"
child_pid=""
started=0

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n "$child_pid" ]] && kill -0 "$child_pid" 2>/dev/null; then
        kill -TERM "$child_pid" 2>/dev/null || true
        wait "$child_pid" 2>/dev/null || true
    fi
    if [[ $started -eq 1 ]]; then
        # immediate: nothing to flush, the cluster is deleted next.
        pg pg_ctl stop -D "$DATADIR" -m immediate -w -t 30 >/dev/null 2>&1 || true
    fi
    rm -rf "$WORKDIR"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

chmod 0700 "$WORKDIR"
if [[ ${#run_as[@]} -gt 0 ]]; then
    chown "$pg_user" "$WORKDIR"
fi

DB_USER=crisisdesk
DB_NAME=crisisdesk
DB_PASSWORD=$("$PYTHON_FOR_PORT" -c 'import secrets; print(secrets.token_hex(16))')
PWFILE="$WORKDIR/pwfile"
printf '%s\n' "$DB_PASSWORD" >"$PWFILE"
if [[ ${#run_as[@]} -gt 0 ]]; then
    chown "$pg_user" "$PWFILE"
fi
chmod 0600 "$PWFILE"

pg initdb -D "$DATADIR" -U "$DB_USER" --pwfile="$PWFILE" -E UTF8 --locale=C.UTF-8 \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 --no-sync >"$WORKDIR/initdb.log" 2>&1 || {
    echo "error: initdb failed:" >&2
    cat "$WORKDIR/initdb.log" >&2
    exit 1
}
rm -f "$PWFILE"

free_port() {
    "$PYTHON_FOR_PORT" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# The port is free when picked but another process could take it before the server binds: retry.
for attempt in 1 2 3 4 5; do
    PORT=$(free_port)
    {
        echo "port = $PORT"
        echo "listen_addresses = '127.0.0.1'"
        echo "unix_socket_directories = '$WORKDIR'"
        echo "fsync = off"
        echo "synchronous_commit = off"
        echo "full_page_writes = off"
        echo "max_connections = 200"
        echo "log_min_messages = warning"
    } >"$DATADIR/postgresql.auto.conf"
    if pg pg_ctl start -D "$DATADIR" -l "$LOGFILE" -w -t 60 >/dev/null 2>&1; then
        started=1
        break
    fi
    echo "PostgreSQL did not start on port $PORT (attempt $attempt); server log:" >&2
    tail -n 20 "$LOGFILE" >&2 || true
done
if [[ $started -ne 1 ]]; then
    echo "error: could not start PostgreSQL" >&2
    exit 1
fi

PGPASSWORD=$DB_PASSWORD "$PG_BIN/createdb" -h 127.0.0.1 -p "$PORT" -U "$DB_USER" "$DB_NAME"

export DATABASE_URL="postgres://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/$DB_NAME"
# The server log, for a tool counting statements with log_statement (manage.py bench).
export CRISISDESK_PG_LOG="$LOGFILE"
echo "with-postgres: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (data in $DATADIR)"

# CMD runs in the background so a TERM to this script is forwarded and the cluster still gets removed;
# `<&0` keeps our stdin (a background job would otherwise read /dev/null).
set +e
"$@" <&0 &
child_pid=$!
wait "$child_pid"
rc=$?
child_pid=""
set -e
exit "$rc"
