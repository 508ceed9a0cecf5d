"""JSON logs on stdout, one object per line, rendered by structlog.

`admiral serve` hands `logging_config()` to uvicorn, which applies it in every worker process.
Admiral's own access log (`app.access`) is the only one: uvicorn's is turned off, and uvicorn's
WebSocket handshake lines, which carry the raw query string, are dropped here.

Every line, from the standard library's loggers and from structlog's alike, carries what the
request it was written in has bound with `structlog.contextvars` (the request id, the GraphQL
operation name, the principal's id and kind: `app/kit/requestlog.py`), so an error logged
deep in a resolver names the request and the caller without passing them around.
"""

from __future__ import annotations

import logging
import logging.config
import traceback
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog
from structlog.contextvars import merge_contextvars
from structlog.typing import EventDict, WrappedLogger

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    # Set by structlog's `wrap_for_formatter` on the records it hands to the standard library.
    "_logger",
    "_name",
}
# Loggers that write raw request lines, headers (`Authorization` among them) and WebSocket
# frames at DEBUG: uvicorn hands its own logger to the websockets library. They stay at INFO.
_HEADER_LOGGERS = ("uvicorn", "websockets")


def record_extras(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a standard-library call added with `extra=`, or a structlog call's keys."""
    if isinstance(record.msg, dict):
        return {
            key: value
            for key, value in record.msg.items()
            if key not in ("event", "exc_info") and not key.startswith("_")
        }
    return {
        key: value
        for key, value in record.__dict__.items()
        if key not in _STANDARD and not key.startswith("_")
    }


def record_message(record: logging.LogRecord) -> str:
    if isinstance(record.msg, dict):
        return str(record.msg.get("event", ""))
    return record.getMessage()


def _add_extras(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    record = event_dict.get("_record")
    if record is not None and not event_dict.get("_from_structlog"):
        for key, value in record_extras(record).items():
            event_dict.setdefault(key, value)
    return event_dict


def _shape(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """time, level, logger, message first (the fields every reader looks for), the rest after,
    the stack last."""
    record: logging.LogRecord = event_dict.pop("_record")
    event_dict.pop("_from_structlog", None)
    message = event_dict.pop("event", "")
    exc_info = event_dict.pop("exc_info", None) or record.exc_info
    shaped: EventDict = {
        "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname,
        "logger": record.name,
        "message": str(message),
    }
    shaped.update((key, value) for key, value in event_dict.items() if not key.startswith("_"))
    if exc_info:
        shaped["stack"] = format_stack(exc_info)
    return shaped


def format_stack(exc_info: Any) -> str:
    if exc_info is True:
        return traceback.format_exc().rstrip("\n")
    if isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    return "".join(traceback.format_exception(*exc_info)).rstrip("\n")


def _render(_: WrappedLogger, __: str, event_dict: EventDict) -> str:
    return orjson.dumps(event_dict, default=str).decode()


class JsonFormatter(structlog.stdlib.ProcessorFormatter):
    """One JSON object per record: `time` (UTC), `level`, `logger`, `message`, the record's
    extra fields and the request's bound context, and `stack` when it carries an exception."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(
            # The record's own fields first: the bound context fills in only what they lack.
            foreign_pre_chain=[_add_extras, merge_contextvars],
            processors=[_shape, _render],
        )


def configure_structlog() -> None:
    """structlog's loggers hand their event to the standard library (`logging`), whose
    handlers (stdout, the stored logs) then see one kind of record from everyone."""
    if structlog.is_configured():
        return
    structlog.configure(
        processors=[
            merge_contextvars,
            structlog.stdlib.filter_by_level,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


configure_structlog()


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger


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
