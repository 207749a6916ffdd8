"""`manage.py run_sweeper` outlives a database that restarts under it (the chaos run restarts PostgreSQL)."""

import signal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError

from syncs.management.commands import run_sweeper


@pytest.fixture
def handlers(monkeypatch):
    """The command's signal handlers, captured instead of installed in the test process."""
    captured = {}
    monkeypatch.setattr(signal, "signal", lambda sig, handler: captured.__setitem__(sig, handler))
    return captured


def test_a_sweep_that_loses_the_database_is_logged_and_the_next_one_runs(db, monkeypatch, handlers, caplog):
    calls = []

    def sweep():
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("terminating connection due to administrator command")
        handlers[signal.SIGTERM]()  # stopped after its second sweep, as `make demo` stops it
        return {"due": 1, "reclaimed": 0, "events": 0, "resumed": 0}

    monkeypatch.setattr(run_sweeper, "sweep", sweep)
    out = StringIO()
    call_command("run_sweeper", interval=0, stdout=out)
    assert len(calls) == 2
    assert "due 1" in out.getvalue()
    assert "sweep failed" in caplog.text


def test_once_still_says_when_its_only_sweep_failed(db, monkeypatch, handlers):
    def sweep():
        raise OperationalError("the connection is closed")

    monkeypatch.setattr(run_sweeper, "sweep", sweep)
    with pytest.raises(OperationalError):
        call_command("run_sweeper", once=True, stdout=StringIO())
