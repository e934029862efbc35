"""Structured logging: one JSON object a line, carrying the id of the request being served
and the process that served it (``serve --workers N`` runs several).

:func:`logging_config` is a ``logging.config.dictConfig`` dictionary: uvicorn applies it in
every worker process it starts (a worker is a fresh interpreter that inherits nothing of
the parent's logging), and :func:`configure_logging` applies it in the process itself.
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
from contextvars import ContextVar
from typing import Any

from allmende.core.timeutil import isoformat, utcnow

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

_STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": isoformat(utcnow()),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process or os.getpid(),
        }
        rid = request_id.get()
        if rid:
            entry["request_id"] = rid
        for key, value in record.__dict__.items():  # extras, e.g. the access log's fields
            if key not in _STANDARD_ATTRS and not key.startswith("_") and key != "color_message":
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        rid = request_id.get()
        prefix = f"[{rid}] " if rid else ""
        base = f"{record.levelname:<7} {record.name}: {prefix}{record.getMessage()}"
        if record.exc_info:
            base += "\n" + self.formatException(record.exc_info)
        return base


def logging_config(*, level: str = "INFO", fmt: str = "json") -> dict[str, Any]:
    """Everything to stderr through one handler, uvicorn's loggers included."""
    formatter = JsonFormatter if fmt == "json" else TextFormatter
    uvicorn = {"handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"allmende": {"()": f"{__name__}.{formatter.__name__}"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "allmende",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {name: dict(uvicorn) for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
    }


def configure_logging(*, level: str = "INFO", fmt: str = "json") -> None:
    logging.config.dictConfig(logging_config(level=level, fmt=fmt))
