"""Where an exception comes from, as an error group's key.

An exception's fingerprint is its type and its place: the innermost frame of Admiral's own
code in its traceback (`module:function:line`), so the same bug raised through different
library paths is one group, and two bugs raising the same type are two. Without any frame of
Admiral's (a library failing on its own), the innermost frame is the place.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import app

APP_DIR = str(Path(app.__file__).resolve().parent)


@dataclass(frozen=True, slots=True)
class ErrorKey:
    error_type: str  # qualified: "sqlalchemy.exc.OperationalError", "ZeroDivisionError"
    place: str  # "app.users.repository:search:42"

    @property
    def fingerprint(self) -> str:
        """32 hex digits (the first half of a SHA-256), stable across processes and versions
        of the message."""
        return hashlib.sha256(f"{self.error_type}\x00{self.place}".encode()).hexdigest()[:32]


def _type_name(error: BaseException) -> str:
    kind = type(error)
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def _is_app_file(filename: str) -> bool:
    return filename.startswith(APP_DIR)


def error_key(error: BaseException) -> ErrorKey:
    traceback: TracebackType | None = error.__traceback__
    innermost = None
    innermost_app = None
    while traceback is not None:
        frame = traceback.tb_frame
        where = (
            str(frame.f_globals.get("__name__", "?")),
            frame.f_code.co_name,
            traceback.tb_lineno,
        )
        innermost = where
        if _is_app_file(frame.f_code.co_filename):
            innermost_app = where
        traceback = traceback.tb_next
    chosen = innermost_app or innermost
    place = f"{chosen[0]}:{chosen[1]}:{chosen[2]}" if chosen is not None else "?"
    return ErrorKey(_type_name(error), place[:300])
