"""CSV import of mentions against hostile files (issue 13): it reports exactly what it stored.

A readable file: good rows stored, bad rows listed by line. A file that is not UTF-8 (or not
CSV) somewhere stores nothing at all, and says which line.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from incidents.listening import csv_import
from incidents.listening.models import Mention

HEADER = b"platform,external_id,text,posted_at,audience\n"


def rows(n: int) -> list[bytes]:
    return [f"x,r{i},Acme row {i} \xe9t\xe9,2026-11-20T10:00:00Z,{i}\n".encode() for i in range(1, n + 1)]


def file_with_bad_byte_at_row(row: int, total: int = 1100) -> bytes:
    lines = rows(total)
    lines[row - 1] = b"x,bad,caf\xe9 latin-1,2026-11-20T10:00:00Z,1\n"
    return HEADER + b"".join(lines)


def test_bad_byte_at_row_1051_of_1100_stores_nothing_and_names_the_line(db):
    with pytest.raises(csv_import.CSVFileError) as caught:
        csv_import.mentions_import_csv(actor=None, lines=io.BytesIO(file_with_bad_byte_at_row(1051)))
    # Row 1,051 is physical line 1,052 (the header is line 1).
    assert caught.value.line == 1052
    assert "Line 1052: not UTF-8 text. Nothing was imported." in caught.value.message_dict["file"][0]
    assert Mention.objects.count() == 0


def test_upload_page_refuses_a_file_with_a_bad_byte_whole(communicator, client_for):
    upload = SimpleUploadedFile("m.csv", file_with_bad_byte_at_row(1051), content_type="text/csv")
    response = client_for(communicator).post(reverse("mentions:import"), {"file": upload})
    assert response.status_code == 200
    assert "Line 1052: not UTF-8 text. Nothing was imported." in response.content.decode()
    assert Mention.objects.count() == 0


def test_command_refuses_a_file_with_a_bad_byte_whole(db, tmp_path):
    path = tmp_path / "m.csv"
    path.write_bytes(file_with_bad_byte_at_row(1051))
    with pytest.raises(CommandError, match="Line 1052: not UTF-8 text"):
        call_command("import_mentions", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert Mention.objects.count() == 0


def test_a_bad_row_among_1100_is_reported_and_the_other_1099_are_stored(db, tmp_path):
    lines = rows(1100)
    lines[1050] = b"x,r1051,Acme,9999-12-31T23:59:59-05:00,1\n"
    path = tmp_path / "m.csv"
    path.write_bytes(HEADER + b"".join(lines))
    out = io.StringIO()
    call_command("import_mentions", str(path), stdout=out, stderr=io.StringIO())
    assert "line 1052: posted_at: Must be between 1970-01-01 and 2100-01-01." in out.getvalue()
    assert "Imported 1099 mention(s); 1 bad row(s). Created 1099, updated 0, unchanged 0." in out.getvalue()
    assert Mention.objects.count() == 1099
    assert not Mention.objects.filter(external_id="r1051").exists()
    # Again: every row is already there at the same version.
    out = io.StringIO()
    call_command("import_mentions", str(path), stdout=out, stderr=io.StringIO())
    assert "Created 0, updated 0, unchanged 1099." in out.getvalue()


def test_hostile_cells_are_bad_rows_with_their_line(db):
    csv = (
        "platform,external_id,text,posted_at,audience\n"
        "x,a1,Fine,2026-11-20T10:00:00Z,1\n"
        "x,a2,NUL \x00 here,2026-11-20T10:00:00Z,1\n"
        "x,a3,Big,2026-11-20T10:00:00Z,1e30\n"
        "x,a4,Naive time,2026-11-20T10:00:00,1\n"
        "x,a1,Second copy,2026-11-21T10:00:00Z,1\n"
        "x,a5,Extra cell,2026-11-20T10:00:00Z,1,surprise\n"
        "x,a6,Short row\n"
    )
    result = csv_import.mentions_import_csv(actor=None, lines=io.StringIO(csv))
    assert [(line, field) for line, field, _ in result.errors] == [
        (3, "text"),
        (4, "audience"),
        (5, "posted_at"),
        (6, "external_id"),
        (7, "non_field_errors"),
        (8, "posted_at"),
    ]
    assert "line 2" in result.errors[3][2]
    assert (result.stored, result.created) == (1, 1)
    assert list(Mention.objects.values_list("external_id", "text")) == [("a1", "Fine")]


def test_a_cell_over_the_csv_field_limit_refuses_the_file(db):
    csv = (
        "platform,external_id,text,posted_at\nx,a1,ok,2026-11-20T10:00:00Z\nx,a2,"
        + "a" * 200_000
        + ",2026-11-20T10:00:00Z\n"
    )
    with pytest.raises(csv_import.CSVFileError):
        csv_import.mentions_import_csv(actor=None, lines=io.StringIO(csv))
    assert Mention.objects.count() == 0


@pytest.mark.parametrize(
    "cell", ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "\tTab", "\rCR"]
)
def test_formula_cells_are_stored_as_given(db, cell):
    # Neutralised on the way out (every CSV export goes through crisisdesk.csvsafe), not on import.
    quoted = '"' + cell.replace('"', '""') + '"'
    csv = f"platform,external_id,text,posted_at\nx,f1,{quoted},2026-11-20T10:00:00Z\n"
    result = csv_import.mentions_import_csv(actor=None, lines=io.StringIO(csv, newline=""))
    assert result.errors == []
    assert Mention.objects.get().text == cell
