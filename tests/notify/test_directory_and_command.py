"""The directory transport writes whole files; `outbox send --once` and the scheduler job."""

from __future__ import annotations

import email
import email.policy
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from notify_support import SmtpServer, free_port
from testsupport import close_app, settings_for

from registry_admin import create_app
from registry_admin.db import db, transaction
from registry_admin.jobstatus import JobStatus
from registry_admin.notify.commands import outbox_command
from registry_admin.notify.compose import build_message
from registry_admin.notify.jobs import deliver_outbox
from registry_admin.notify.outbox import enqueue
from registry_admin.notify.transports import (
    DirectoryTransport,
    TemporaryFailure,
    safe_file_name,
)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def message(message_id: str = "<abc.123@kela.fi>"):
    return build_message(
        from_address="tekninentuki@kela.fi",
        to="hakija@example.org",
        subject="Hei [KELA-1]",
        text="teksti " * 5000,
        html="<p>x</p>",
        message_id=message_id,
        date=NOW,
    )


def test_writes_the_whole_message_under_its_message_id(tmp_path: Path) -> None:
    transport = DirectoryTransport(tmp_path / "outbox")
    msg = message()
    transport.send(msg, sender="tekninentuki@kela.fi", recipient="hakija@example.org")
    transport.send(msg, sender="tekninentuki@kela.fi", recipient="hakija@example.org")
    files = list((tmp_path / "outbox").iterdir())
    # A second send of the same notification replaces its file: never two, never a temp file.
    assert [f.name for f in files] == ["abc.123@kela.fi.eml"]
    assert files[0].read_bytes() == msg.as_bytes()
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed["Message-ID"] == "<abc.123@kela.fi>"


def test_a_failed_write_leaves_no_file_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    transport = DirectoryTransport(tmp_path / "outbox")
    with pytest.raises(TemporaryFailure) as caught:
        transport.send(message(), sender="tekninentuki@kela.fi", recipient="hakija@example.org")
    assert caught.value.unreachable and "No space left" in str(caught.value)
    assert list((tmp_path / "outbox").iterdir()) == []


def test_an_unusable_directory_is_unreachable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(TemporaryFailure) as caught:
        DirectoryTransport(blocker / "outbox").send(
            message(), sender="tekninentuki@kela.fi", recipient="hakija@example.org"
        )
    assert caught.value.unreachable


@pytest.mark.parametrize(
    ("message_id", "name"),
    [
        ("<a/b\\c@kela.fi>", "a_b_c@kela.fi.eml"),
        ("<..@x>", "@x.eml"),
        ("<...>", "message.eml"),
        ("<@>", "@.eml"),
    ],
)
def test_file_names_are_safe(message_id: str, name: str) -> None:
    assert safe_file_name(message_id) == name


def queue_one(app: Flask, to: str = "hakija@example.org") -> None:
    with app.app_context(), transaction() as session:
        enqueue(
            session,
            "receipt",
            to=to,
            language="en",
            context={"organization_name": "Example Ltd"},
            reference="KELA-7",
        )


def test_send_once_with_the_directory_transport(sqlite_outbox_app: Flask, tmp_path: Path) -> None:
    queue_one(sqlite_outbox_app)
    result = sqlite_outbox_app.test_cli_runner().invoke(outbox_command, ["send", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "outbox: 1 sent, 0 to retry, 0 failed, 0 waiting"
    (written,) = (tmp_path / "outbox").iterdir()
    parsed = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert "[KELA-7]" in str(parsed["Subject"]) and parsed["Auto-Submitted"] == "auto-replied"
    # The default sender of the configuration: its domain names the Message-ID.
    assert str(parsed["From"]) == "Kela <tekninentuki@kela.fi>"


def test_send_without_once_is_a_usage_error(sqlite_outbox_app: Flask) -> None:
    result = sqlite_outbox_app.test_cli_runner().invoke(outbox_command, ["send"])
    assert result.exit_code == 2


def smtp_app(tmp_path: Path, database_url: str, port: int) -> Flask:
    overrides = settings_for(tmp_path, database_url)
    overrides["smtp"].update(
        {"transport": "smtp", "host": "127.0.0.1", "port": port, "security": "plain"}
    )
    app = create_app(overrides)
    app.config["TESTING"] = True
    return app


@pytest.mark.smtp
def test_send_once_over_smtp_and_when_unreachable(
    sqlite_outbox_app: Flask, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    url = sqlite_outbox_app.config["SQLALCHEMY_DATABASE_URI"]
    app = smtp_app(tmp_path, url, smtp_server.port)
    try:
        queue_one(app)
        result = app.test_cli_runner().invoke(outbox_command, ["send", "--once"])
        assert result.exit_code == 0 and "1 sent" in result.output
        assert len(smtp_server.received) == 1
    finally:
        close_app(app)

    app = smtp_app(tmp_path, url, free_port())
    try:
        queue_one(app, "toinen@example.org")
        result = app.test_cli_runner().invoke(outbox_command, ["send", "--once"])
        assert result.exit_code == 1
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "unreachable" in lines[0] and "1 still to send" in lines[0]
    finally:
        close_app(app)


@pytest.mark.smtp
def test_the_scheduler_job_records_its_outcome(
    sqlite_outbox_app: Flask, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    url = sqlite_outbox_app.config["SQLALCHEMY_DATABASE_URI"]
    app = smtp_app(tmp_path, url, smtp_server.port)
    try:
        queue_one(app)
        deliver_outbox(app)
        with app.app_context():
            status = db.session.get(JobStatus, "outbox_delivery")
            assert status is not None and status.last_ok
            assert status.last_result == "outbox: 1 sent, 0 to retry, 0 failed, 0 waiting"
        smtp_server.stop()
        queue_one(app, "toinen@example.org")
        deliver_outbox(app)
        with app.app_context():
            status = db.session.get(JobStatus, "outbox_delivery")
            assert status is not None and status.last_ok is False
            assert "cannot reach" in (status.last_result or "")
            assert status.consecutive_failures == 1
    finally:
        close_app(app)
