"""CSV streamed row by row, the one CSV writer of every export: RFC 4180 quoting (the `csv`
module, CRLF line ends), and nothing kept but the current row and the chunk being filled, so an
export of any length runs in constant memory.

Cells a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, a tab or a
carriage return) are neutralised with a leading apostrophe: an exported name such as
`=HYPERLINK(…)` stays text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from datetime import date, datetime
from typing import Any

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A value as written: text that could run as a formula gets a leading apostrophe (OWASP);
    numbers stay numbers (a negative amount is not a formula)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _Line:
    """A csv writer's target that hands back what one row wrote."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()

    def take(self) -> str:
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text


def encode_row(writer: Any, line: _Line, row: Iterable[Any]) -> bytes:
    writer.writerow([cell(value) for value in row])
    return line.take().encode()


async def csv_stream(
    header: Sequence[str], rows: AsyncIterable[Sequence[Any]], *, batch_bytes: int = 64 * 1024
) -> AsyncIterator[bytes]:
    """The header row then each row, CRLF line ends, in chunks of about `batch_bytes`."""
    line = _Line()
    writer = csv.writer(line.buffer, lineterminator="\r\n")
    chunk = [encode_row(writer, line, header)]
    size = len(chunk[0])
    async for row in rows:
        data = encode_row(writer, line, row)
        chunk.append(data)
        size += len(data)
        if size >= batch_bytes:
            yield b"".join(chunk)
            chunk, size = [], 0
    if chunk:
        yield b"".join(chunk)
