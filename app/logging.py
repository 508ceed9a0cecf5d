"""JSON logs on stdout, one object per line.

`admiral serve` hands `logging_config()` to uvicorn, which applies it in every worker process.
Admiral's own access log (`app.access`) is the only one: uvicorn's is turned off, and uvicorn's
WebSocket handshake lines, which carry the raw query string, are dropped here.
"""

from __future__ import annotations

import logging
import logging.config
from typing import Any

import orjson

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
# Loggers that write raw request lines, headers (`Authorization` among them) and WebSocket
# frames at DEBUG: uvicorn hands its own logger to the websockets library. They stay at INFO.
_HEADER_LOGGERS = ("uvicorn", "websockets")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["stack"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class DropUvicornWebSocketLines(logging.Filter):
    """uvicorn logs each WebSocket handshake with the full query string; `app.access` logs
    the same handshake with the values redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and '"WebSocket %s"' in record.msg)


def logging_config(level: str) -> dict[str, Any]:
    """The `logging.config.dictConfig` of every Admiral process."""
    root_level = logging.getLevelName(level.upper())
    if not isinstance(root_level, int):
        raise ValueError(f"Unknown log level {level!r}")
    quiet = logging.getLevelName(max(logging.WARNING, root_level))
    no_headers = logging.getLevelName(max(logging.INFO, root_level))
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "filters": {"uvicorn_websocket": {"()": DropUvicornWebSocketLines}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            }
        },
        "root": {"handlers": ["stdout"], "level": logging.getLevelName(root_level)},
        "loggers": {
            # Alembic announces every plugin it loads at INFO; only its warnings matter.
            "alembic": {"level": quiet},
            "uvicorn.error": {"filters": ["uvicorn_websocket"]},
            **{name: {"level": no_headers} for name in _HEADER_LOGGERS},
        },
    }
