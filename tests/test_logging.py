import json
import logging
import sys

from django.test import RequestFactory

from digest.logging import JsonFormatter


def record(name="papers", level=logging.INFO, msg="imported %d papers", args=(3,), **extra):
    entry = logging.LogRecord(name, level, __file__, 1, msg, args, None)
    for key, value in extra.items():
        setattr(entry, key, value)
    return entry


def test_one_json_object_per_line_with_time_level_logger_message():
    line = JsonFormatter().format(record())
    assert "\n" not in line
    data = json.loads(line)
    assert set(data) == {"time", "level", "logger", "message"}
    assert (data["level"], data["logger"], data["message"]) == ("INFO", "papers", "imported 3 papers")
    assert data["time"].endswith("+00:00")


def test_django_request_records_carry_method_path_and_status():
    request = RequestFactory().get("/papers/?q=Mamba")
    line = JsonFormatter().format(
        record(
            "django.request",
            logging.WARNING,
            "Not Found: %s",
            ("/papers/x",),
            request=request,
            status_code=404,
        )
    )
    data = json.loads(line)
    assert data["method"] == "GET"
    assert data["path"] == "/papers/"
    assert data["status"] == 404
    assert data["level"] == "WARNING"


def test_exceptions_and_non_ascii_stay_on_one_line():
    try:
        raise ValueError("壊れた\nline")
    except ValueError:
        entry = record(msg="失敗: %s", args=("エピソード記憶",), exc_info=sys.exc_info())
    line = JsonFormatter().format(entry)
    assert "\n" not in line
    data = json.loads(line)
    assert data["message"] == "失敗: エピソード記憶"
    assert "ValueError: 壊れた" in data["exception"]


def test_settings_select_the_formatter(settings):
    assert settings.LOGGING["formatters"]["json"]["()"] == "digest.logging.JsonFormatter"
    assert settings.LOGGING["handlers"]["console"]["formatter"] in {"plain", "json"}
