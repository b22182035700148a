"""A JSON log formatter: one object per line, for log collectors (LOG_FORMAT=json, the production default).

Every line has ``time`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``; records from
``django.request`` and ``django.server`` add the request ``method``, ``path`` and response ``status``;
an exception adds ``exception`` (the formatted traceback)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request = getattr(record, "request", None)
        if request is not None:
            method = getattr(request, "method", None)
            path = getattr(request, "path", None)
            if method:
                entry["method"] = method
            if path is not None:
                entry["path"] = path
        status = getattr(record, "status_code", None)
        if status is not None:
            entry["status"] = status
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
