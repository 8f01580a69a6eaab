"""Helpers shared by the tests and their fixtures; import as `from testsupport import ...`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text

from registry_admin import create_app
from registry_admin.db import db

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_SERVER = os.environ.get("REGISTRY_ADMIN_TEST_PG", "127.0.0.1:5432")
PG_ADMIN_DB = os.environ.get("REGISTRY_ADMIN_TEST_PG_DB", "test")


def settings_for(tmp: Path, database_url: str) -> dict[str, dict]:
    """Overrides that keep every file a test makes inside `tmp`."""
    return {
        "app": {"secret_key": "test-secret", "instance_dir": str(tmp / "instance")},
        "database": {"url": database_url},
        "mailbox": {"maildir": str(tmp / "inbox")},
        "smtp": {"directory": str(tmp / "outbox")},
        "scheduler": {"enabled": False},
        "api": {"refresh_seconds": 0.2, "disclosure_flush_seconds": 0.2},
    }


def make_app(tmp: Path, database_url: str) -> Flask:
    app = create_app(settings_for(tmp, database_url))
    app.config["TESTING"] = True
    return app


def close_app(app: Flask) -> None:
    app.extensions["disclosure_log"].stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def migrate_to_head(tmp: Path, database_url: str) -> None:
    app = make_app(tmp, database_url)
    with app.app_context():
        upgrade()
    close_app(app)


def server_missing(what: str) -> None:
    """A test server that is not there fails the run in CI and skips elsewhere."""
    if IN_CI:
        pytest.fail(f"{what} is required in CI", pytrace=False)
    pytest.skip(f"{what} is not available")


def run_sql(app: Flask, statement: str, **params) -> list:
    with app.app_context():
        return list(db.session.execute(text(statement), params))
