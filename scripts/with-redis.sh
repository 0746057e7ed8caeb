#!/usr/bin/env bash
# Usage: scripts/with-redis.sh CMD [ARGS...]
#
# Start a throwaway Redis server (Debian's redis-server), run CMD with CRISISDESK_TEST_REDIS_URL pointing
# at it, then always stop the server and delete its directory, and exit with CMD's exit code.
#
# - Listens on a free loopback port picked by the kernel (no unix socket, no other interface), so two
#   runs at once never meet; persistence is off (nothing is written to disk).
# - The variable is CRISISDESK_TEST_REDIS_URL, not REDIS_URL: the rest of the suite keeps running its
#   tasks eagerly; only the end-to-end worker tests (crisisdesk/webhooks/tests/test_worker.py) use it.
# - 64 databases: under `pytest -n` each xdist worker uses its own (crisisdesk/testing/worker.py,
#   redis_database_index), so parallel workers never flush or consume each other's keys and queues.
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 64
fi

REDIS_SERVER=${REDIS_SERVER:-$(command -v redis-server || true)}
if [[ -z "$REDIS_SERVER" ]]; then
    echo "error: redis-server not found; run scripts/ensure-system-deps.sh (Debian package redis-server)" >&2
    exit 1
fi
PYTHON_FOR_PORT=$(command -v python3 || command -v python || true)

WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/crisisdesk-redis.XXXXXXXX")
server_pid=""
child_pid=""

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n "$child_pid" ]] && kill -0 "$child_pid" 2>/dev/null; then
        kill -TERM "$child_pid" 2>/dev/null || true
        wait "$child_pid" 2>/dev/null || true
    fi
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$WORKDIR"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ping_redis() {
    # PING over a plain socket: no redis-cli or Python client needed.
    "$PYTHON_FOR_PORT" - "$1" <<'PY'
import socket, sys
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5) as s:
        s.sendall(b"PING\r\n")
        sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
except OSError:
    sys.exit(1)
PY
}

started=0
for attempt in 1 2 3 4 5; do
    PORT=$("$PYTHON_FOR_PORT" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    "$REDIS_SERVER" --bind 127.0.0.1 --port "$PORT" --save "" --appendonly no \
        --dir "$WORKDIR" --databases 64 --protected-mode yes --daemonize no --loglevel warning \
        >"$WORKDIR/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do
        if ping_redis "$PORT"; then
            started=1
            break
        fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.05
    done
    [[ $started -eq 1 ]] && break
    echo "Redis did not start on port $PORT (attempt $attempt):" >&2
    tail -n 20 "$WORKDIR/server.log" >&2 || true
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
done
if [[ $started -ne 1 ]]; then
    echo "error: could not start redis-server" >&2
    exit 1
fi

export CRISISDESK_TEST_REDIS_URL="redis://127.0.0.1:$PORT/0"
echo "with-redis: $("$REDIS_SERVER" --version | awk '{print $3}') on 127.0.0.1:$PORT"

set +e
"$@" <&0 &
child_pid=$!
wait "$child_pid"
rc=$?
child_pid=""
set -e
exit "$rc"
