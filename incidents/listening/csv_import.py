"""CSV import of mentions (the browser upload and ``manage.py import_mentions``).

One transaction per file: a byte that is not UTF-8 or broken CSV stores nothing and names the
line; bad rows are listed by line and the good ones stored; each row goes through the same
validator as the API (``incidents.listening.parsing.parse_mention``) and the same ingest.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from incidents.listening.parsing import (
    MAX_BATCH,
    IncomingMention,
    ItemError,
    parse_mention,
)
from incidents.listening.services import CREATED, UNCHANGED, UPDATED, can_ingest, mentions_ingest

CSV_COLUMNS = (
    "platform",
    "external_id",
    "text",
    "posted_at",
    "edited_at",
    "url",
    "author",
    "audience",
    "language",
    "sentiment",
)


@dataclass
class CSVImportResult:
    """What a CSV import stored (``stored`` = created + updated + unchanged), and each bad row as ``(line, field, message)``."""

    stored: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)


class CSVFileError(ValidationError):
    """The file itself cannot be read (not UTF-8, not CSV): nothing of it was stored."""

    def __init__(self, line: int, message: str):
        super().__init__(
            {"file": _("Line %(line)d: %(message)s Nothing was imported.") % {"line": line, "message": message}}
        )
        self.line = line


def _decoded(lines, position: list[int]):
    """Text lines from text or bytes lines (UTF-8, an optional BOM); ``position[0]`` is the physical line read."""
    for raw in lines:
        position[0] += 1
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8-sig" if position[0] == 1 else "utf-8")
            except UnicodeDecodeError:
                raise CSVFileError(position[0], _("not UTF-8 text.")) from None
        yield raw


def mentions_import_csv(*, actor, lines, progress=None) -> CSVImportResult:
    """Import mentions from CSV lines (bytes or text, header row first); reports exactly what it stored.

    A readable file: good rows are stored, bad rows are reported by line and stored nothing
    (a second row for the same platform + external id is bad: "duplicate in this file").
    A file that cannot be read to the end (a byte that is not UTF-8, broken CSV quoting)
    stores nothing at all and raises ``CSVFileError`` naming the line: the import is one
    transaction. Rows are written in batches of ``MAX_BATCH`` (each idempotent, ranked by
    version like every ingest); ``progress(rows_done)`` is called after each batch.
    """
    import csv

    if actor is not None and not can_ingest(actor):
        raise PermissionDenied(_("You may not add mentions."))
    position = [0]
    reader = csv.DictReader(_decoded(lines, position))
    result = CSVImportResult()
    with transaction.atomic():
        try:
            missing = [
                c for c in ("platform", "external_id", "text", "posted_at") if c not in (reader.fieldnames or [])
            ]
            if missing:
                result.errors.append((1, ", ".join(missing), _("Missing column(s) in the header row.")))
                return result
            batch: list[IncomingMention] = []
            first_line: dict[tuple[str, str], int] = {}
            seen = 0
            for row in reader:
                seen += 1
                # line_num counts physical lines, so a quoted multi-line text still gives the right line.
                line = reader.line_num
                try:
                    if None in row:
                        raise ItemError("non_field_errors", _("More cells than columns in the header row."))
                    mention = parse_mention({k: v for k, v in row.items() if k in CSV_COLUMNS and v is not None})
                    key = (mention.platform, mention.external_id)
                    if key in first_line:
                        message = _("Duplicate in this file (same platform and external id as line %(n)d).")
                        raise ItemError("external_id", message % {"n": first_line[key]})
                except ItemError as exc:
                    result.errors.append((line, exc.field, exc.message))
                    continue
                first_line[key] = line
                batch.append(mention)
                if len(batch) >= MAX_BATCH:
                    _store_csv_batch(batch, result)
                    batch = []
                    if progress:
                        progress(seen)
        except csv.Error as exc:
            raise CSVFileError(position[0], _("not readable as CSV (%(error)s).") % {"error": exc}) from None
        if batch:
            _store_csv_batch(batch, result)
    if progress:
        progress(seen)
    return result


def _store_csv_batch(batch: list[IncomingMention], result: CSVImportResult) -> None:
    ingested = mentions_ingest(mentions=batch, source="csv")
    result.stored += ingested.stored
    result.created += ingested.count(CREATED)
    result.updated += ingested.count(UPDATED)
    result.unchanged += ingested.count(UNCHANGED)
