"""crisisdesk.csvsafe: every CSV export neutralises formula cells (OWASP CSV injection)."""

import csv
import io

import pytest

from crisisdesk import csvsafe

FORMULAS = ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "\tTab", "\rCR", "=1+1"]


@pytest.mark.parametrize("cell", FORMULAS)
def test_formula_cells_get_a_leading_quote(cell):
    assert csvsafe.safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Acme", "", " =not first", "a=b", 12, -3, None, 1.5])
def test_other_cells_are_unchanged(cell):
    assert csvsafe.safe_cell(cell) == cell


def test_writer_round_trips_to_text_a_spreadsheet_will_not_evaluate():
    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow(["id", "text"])
    writer.writerows([[1, cell] for cell in FORMULAS])
    back = list(csv.reader(io.StringIO(out.getvalue())))
    assert back[0] == ["id", "text"]
    assert [row[1] for row in back[1:]] == ["'" + cell for cell in FORMULAS]
    assert all(not row[1].startswith(csvsafe.FORMULA_PREFIXES) for row in back[1:])


def test_no_csv_export_bypasses_csvsafe():
    # Every module that writes CSV uses crisisdesk.csvsafe, not csv.writer / csv.DictWriter directly.
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in root.glob("*/**/*.py"):
        if {".venv", ".venv-lock"} & set(path.parts) or "tests" in path.parts or path.name == "csvsafe.py":
            continue
        source = path.read_text(encoding="utf-8")
        if "csv.writer(" in source or "csv.DictWriter(" in source:
            offenders.append(str(path.relative_to(root)))
    assert offenders == []
