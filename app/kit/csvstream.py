"""CSV streamed row by row: RFC 4180 quoting by the `csv` module, one encoded chunk per row,
so an export of any length holds one row in memory at a time.

Cells a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, a tab or a
carriage return) are neutralised with a leading apostrophe: an exported name such as
`=HYPERLINK(…)` stays text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: Any) -> str:
    """The text of one cell, safe to open in a spreadsheet (numbers are left as they are:
    `-5` written from an int is a number, not a formula)."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, int | float):
        return str(cell)
    text = str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Line:
    """A file-like object holding the last row `csv.writer` wrote."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()

    def take(self) -> bytes:
        value = self.buffer.getvalue().encode()
        self.buffer.seek(0)
        self.buffer.truncate()
        return value


async def stream_csv(
    header: Sequence[str], rows: AsyncIterable[Sequence[Any]]
) -> AsyncIterator[bytes]:
    """The header, then each row, as UTF-8 CSV lines ending in CRLF."""
    line = _Line()
    writer = csv.writer(line.buffer, lineterminator="\r\n")
    writer.writerow([neutralise(name) for name in header])
    yield line.take()
    async for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
        yield line.take()
