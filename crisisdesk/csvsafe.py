"""CSV exports that a spreadsheet cannot turn into formulas (OWASP "CSV injection").

Stored text is kept as given (an import stores a cell starting with ``=`` unchanged); every CSV
*export* goes through this module, which prefixes a cell starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return with a single quote, so Excel, LibreOffice and Google Sheets
show it as text instead of evaluating ``=HYPERLINK(…)`` or ``@SUM(…)``.

    writer = csvsafe.writer(response)
    writer.writerow(["id", "text"])
    writer.writerows(rows)
"""

import csv

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value to write for one cell: text starting like a formula gets a leading ``'``; the rest unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose every cell goes through ``safe_cell``."""

    def __init__(self, stream, **kwargs):
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row):
        return self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(stream, **kwargs) -> SafeWriter:
    """The one way to write an export CSV (same arguments as ``csv.writer``)."""
    return SafeWriter(stream, **kwargs)
