#!/usr/bin/env bash
# Usage: scripts/make-venv.sh VENV_DIR [PYTHON]
#
# Make sure VENV_DIR is a working virtualenv of Python >= 3.11. Recreates it when its interpreter is
# broken (e.g. the Python that made it is gone). On Debian, `python3 -m venv` needs the python3-venv
# package: install it with apt-get when that is the only thing missing. Either way, the venv's pip is then
# the one requirements-dev.lock pins (see pin_pip).
set -euo pipefail

VENV=${1:?usage: make-venv.sh VENV_DIR [PYTHON]}
PYTHON=${2:-}

version_ok() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1
}

# The pip that installs the locks is itself locked (requirements-dev.lock's pin, with its hashes): the pip
# that `python -m venv` bundles is whatever the Python shipped (23.2 with 3.11.7), and that one resolves an
# extra (weasyprint's `fonttools[woff]`) to the newest release on the index instead of the lock's pin, then
# refuses it in --require-hashes mode: a fresh venv would stop installing whenever such a package is released.
LOCK="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/requirements-dev.lock"
pin_pip() {
    local wanted have
    wanted=$(sed -n 's/^pip==\([^ ]*\).*/\1/p' "$LOCK")
    [[ -n "$wanted" ]] || { echo "error: no pip pin in $LOCK" >&2; exit 1; }
    have=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("pip"))')
    [[ "$have" == "$wanted" ]] && return 0
    echo "Installing pip $wanted (the lock's) in $VENV over pip $have"
    "$VENV/bin/python" -m pip --disable-pip-version-check --no-input install --quiet --require-hashes --no-deps \
        -r <(awk '/^pip==/ { p = 1 } p { print; if ($0 !~ /\\$/) exit }' "$LOCK")
}

if [[ -x "$VENV/bin/python" ]] && version_ok "$VENV/bin/python" && "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    pin_pip
    exit 0
fi

if [[ -z "$PYTHON" ]]; then
    for candidate in python3.11 python3 python; do
        if command -v "$candidate" >/dev/null 2>&1 && version_ok "$candidate"; then
            PYTHON=$(command -v "$candidate")
            break
        fi
    done
fi
if [[ -z "$PYTHON" ]] || ! version_ok "$PYTHON"; then
    echo "error: Python 3.11 or newer is needed (tried: ${PYTHON:-python3.11, python3, python}); set PYTHON=/path/to/python3.11" >&2
    exit 1
fi

rm -rf "$VENV"
echo "Creating $VENV with $PYTHON ($("$PYTHON" --version 2>&1))"
if ! "$PYTHON" -m venv "$VENV" 2>/tmp/crisisdesk-venv.err.$$; then
    if grep -qi "ensurepip\|python3-venv\|python3.*-venv" /tmp/crisisdesk-venv.err.$$ && command -v apt-get >/dev/null 2>&1; then
        # Debian splits venv/ensurepip into its own package.
        minor=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
        as_root=()
        if [[ $(id -u) -ne 0 ]]; then
            command -v sudo >/dev/null 2>&1 || { echo "error: need root or sudo to install python$minor-venv" >&2; exit 1; }
            as_root=(sudo -n)
        fi
        echo "Installing python$minor-venv with apt-get"
        "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "python$minor-venv" </dev/null
        rm -rf "$VENV"
        "$PYTHON" -m venv "$VENV"
    else
        cat /tmp/crisisdesk-venv.err.$$ >&2
        rm -f /tmp/crisisdesk-venv.err.$$
        exit 1
    fi
fi
rm -f /tmp/crisisdesk-venv.err.$$
"$VENV/bin/python" -m pip --version >/dev/null
pin_pip
