"""run_worker starts db_worker again after a lost database connection and stops when db_worker stops."""

import pytest
from django.core.management import call_command
from django.db import OperationalError

from papers.management.commands import run_worker


def test_it_restarts_after_a_lost_database_and_stops_when_the_worker_returns(monkeypatch):
    calls = []

    def fake_call_command(name, **options):
        calls.append((name, options))
        if len(calls) < 3:
            raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(run_worker, "call_command", fake_call_command)
    monkeypatch.setattr(run_worker.time, "sleep", lambda seconds: None)
    call_command("run_worker", interval=0.5)
    assert [name for name, _ in calls] == ["db_worker"] * 3
    assert calls[0][1] == {"reload": False, "interval": 0.5}


def test_other_errors_are_not_swallowed(monkeypatch):
    def broken(name, **options):
        raise ValueError("a bug")

    monkeypatch.setattr(run_worker, "call_command", broken)
    with pytest.raises(ValueError, match="a bug"):
        call_command("run_worker")
