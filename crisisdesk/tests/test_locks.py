"""The lock files (pip-compile --generate-hashes) are in sync with the top-level pins (no network).

requirements.txt / requirements-dev.txt name what we depend on; requirements.lock /
requirements-dev.lock pin everything, transitive packages included, with hashes, and are what
`make` installs (--require-hashes). Editing a top-level pin without `make lock` fails here.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;#]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def top_level_pins(filename: str) -> dict[str, str]:
    """The pins written in one top-level file, without those of the files it includes (-r)."""
    pins = {}
    for line in (ROOT / filename).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-")):
            continue
        match = PIN.match(line)
        assert match, f"{filename}: {line!r} is not pinned with =="
        pins[canonical(match.group(1))] = match.group(2)
    return pins


def lock_entries(filename: str) -> dict[str, tuple[str, int]]:
    """name → (version, number of hashes) for every package of a lock file."""
    entries: dict[str, tuple[str, int]] = {}
    current = None
    for line in (ROOT / filename).read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = canonical(match.group(1))
            entries[current] = (match.group(2), 0)
        elif line.strip().startswith("--hash=sha256:") and current:
            version, hashes = entries[current]
            entries[current] = (version, hashes + 1)
        elif line and not line.startswith(" "):
            current = None
    return entries


RUNTIME = top_level_pins("requirements.txt")
DEV = top_level_pins("requirements-dev.txt")


@pytest.mark.parametrize(
    ("lock", "pins"),
    [("requirements.lock", RUNTIME), ("requirements-dev.lock", {**RUNTIME, **DEV})],
)
def test_every_top_level_pin_is_in_the_lock_at_the_same_version(lock, pins):
    entries = lock_entries(lock)
    assert len(pins) > 10
    for name, version in pins.items():
        assert name in entries, f"{name} is missing from {lock}: run `make lock`"
        assert entries[name][0] == version, f"{name}: {version} pinned, {entries[name][0]} in {lock}: run `make lock`"


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_every_locked_package_has_hashes_and_nothing_points_at_a_local_index(lock):
    text = (ROOT / lock).read_text()
    entries = lock_entries(lock)
    assert len(entries) > len(RUNTIME)
    assert [name for name, (_, hashes) in entries.items() if hashes == 0] == []
    # pip-compile --no-emit-index-url --no-emit-find-links: a lock installs on any machine.
    assert not re.search(r"^\s*(-i|--index-url|--extra-index-url|-f|--find-links)\b", text, re.MULTILINE)
    assert "file://" not in text


def test_the_dev_lock_agrees_with_the_runtime_lock():
    runtime, dev = lock_entries("requirements.lock"), lock_entries("requirements-dev.lock")
    assert set(runtime) <= set(dev)
    assert {name: dev[name][0] for name in runtime} == {name: version for name, (version, _) in runtime.items()}


def test_make_installs_from_the_locks_with_hashes_required():
    makefile = (ROOT / "Makefile").read_text()
    installs = re.findall(r"\binstall .*-r (\S+)", makefile)
    assert sorted(set(installs)) == ["requirements-dev.lock", "requirements.lock"]
    assert all("--require-hashes" in line for line in makefile.splitlines() if re.search(r"install .*-r ", line))
