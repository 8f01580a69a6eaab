"""The poll lock: an advisory lock on PostgreSQL, a lock row on SQLite that outlives no one."""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from testsupport import PG_SERVER, close_app, make_app

from registry_admin.db import db, utcnow
from registry_admin.intake.models import SchedulerLock
from registry_admin.intake.polllock import LOCK_NAME, PG_LOCK_KEY, PollBusy, poll_lock


def _dead_pid() -> int:
    import subprocess

    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def _held_by(app: Flask, holder: str, expires_in: timedelta) -> None:
    with app.app_context():
        now = utcnow()
        db.session.add(
            SchedulerLock(
                name=LOCK_NAME, holder=holder, acquired_at=now, expires_at=now + expires_in
            )
        )
        db.session.commit()
        db.session.remove()


def _try(app: Flask) -> bool:
    with app.app_context():
        try:
            with poll_lock(db.session()):
                return True
        except PollBusy:
            return False
        finally:
            db.session.remove()


def test_sqlite_lock_row_respects_a_live_holder_and_takes_over_a_gone_one(
    sqlite_app: Flask,
) -> None:
    _held_by(sqlite_app, "other-host:123:abc", timedelta(minutes=10))
    assert not _try(sqlite_app)
    with sqlite_app.app_context():
        db.session.query(SchedulerLock).delete()
        db.session.commit()
        db.session.remove()
    _held_by(sqlite_app, "other-host:123:abc", timedelta(minutes=-1))  # expired
    assert _try(sqlite_app)
    _held_by(sqlite_app, f"{socket.gethostname()}:{_dead_pid()}:abc", timedelta(minutes=10))
    assert _try(sqlite_app)  # its process was killed
    with sqlite_app.app_context():
        assert db.session.query(SchedulerLock).count() == 0  # released after use
        db.session.remove()


def test_a_nested_poll_in_the_same_process_is_refused(app: Flask) -> None:
    with app.app_context():
        with poll_lock(db.session()):
            assert not _try(app)
        db.session.remove()
    assert _try(app)


@pytest.mark.postgres
def test_postgresql_advisory_lock_held_elsewhere(pg_database: str, tmp_path: Path) -> None:
    url = pg_database
    app = make_app(tmp_path, url)
    host, _, port = PG_SERVER.partition(":")
    other = psycopg.connect(
        host=host, port=int(port or 5432), dbname=url.rsplit("/", 1)[1], autocommit=True
    )
    try:
        other.execute("SELECT pg_advisory_lock(%s)", (PG_LOCK_KEY,))
        assert not _try(app)
        other.execute("SELECT pg_advisory_unlock(%s)", (PG_LOCK_KEY,))
        assert _try(app)
    finally:
        other.close()
        close_app(app)
