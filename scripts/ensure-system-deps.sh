#!/usr/bin/env bash
# Install, with apt-get, the system packages the tests need and only those that are missing:
#   chromium + fonts-liberation  browser tests (Playwright drives Debian's /usr/bin/chromium, never a download)
#   postgresql                   server binaries (initdb, pg_ctl) for the throwaway cluster of scripts/with-postgres.sh
#   gettext                      msgfmt, for compilemessages
#   libpango-1.0-0 libpangoft2-1.0-0  WeasyPrint (the evidence pack's record.pdf)
#   redis-server                 the throwaway Redis of scripts/with-redis.sh (Celery broker in the worker tests)
# Runs `apt-get update` once, and only when something is missing. Non-interactive: safe in CI (no stdin).
set -euo pipefail

missing=()

have_pg_server() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [[ -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/postgres" ]] && return 0
    done
    # Outside Debian's layout (e.g. a distribution that puts them on PATH).
    command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1
}

[[ -x /usr/bin/chromium ]] || missing+=(chromium)
# Screenshots with tofu boxes instead of letters are useless: the font matters.
[[ -e /usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf ]] || missing+=(fonts-liberation)
have_pg_server || missing+=(postgresql)
command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so.0' || missing+=(libpango-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || missing+=(libpangoft2-1.0-0)

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "System dependencies present (chromium, fonts-liberation, postgresql, gettext, redis-server, pango)."
    exit 0
fi

echo "Installing missing system packages: ${missing[*]}"

if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: apt-get not found; install these packages by hand: ${missing[*]}" >&2
    exit 1
fi

as_root=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        # -n: never prompt for a password (CI has no stdin); fail with sudo's own message instead.
        as_root=(sudo -n)
    else
        echo "error: not root and sudo is not installed; as root run:" >&2
        echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" </dev/null

# Check again: a package that installed without what we look for is a failure, not a later mystery.
[[ -x /usr/bin/chromium ]] || { echo "error: /usr/bin/chromium still missing" >&2; exit 1; }
have_pg_server || { echo "error: PostgreSQL server binaries still missing" >&2; exit 1; }
command -v msgfmt >/dev/null 2>&1 || { echo "error: msgfmt (gettext) still missing" >&2; exit 1; }
command -v redis-server >/dev/null 2>&1 || { echo "error: redis-server still missing" >&2; exit 1; }
echo "System dependencies installed."
