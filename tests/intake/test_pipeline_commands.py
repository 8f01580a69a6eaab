"""`poll --once`, `messages list|reconcile|reprocess`, `requests list` and the scheduled job."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from flask import Flask
from imap_support import Mailbox, corpus, free_port, make_intake_app
from testsupport import close_app

from registry_admin.db import db
from registry_admin.intake.commands import (
    messages_group,
    poll_command,
    requests_group,
)
from registry_admin.intake.jobs import JOB_NAME, poll_mailbox
from registry_admin.jobstatus import JobStatus

pytestmark = pytest.mark.imap

MESSAGES = (
    "005_request_fi_windows1252.eml",
    "009_autoreply_en.eml",
    "031_request_fi_missing_business_id.eml",
    "034_followup_fi_supplies_business_id.eml",
)


def _json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_poll_list_reconcile_and_requests(imap_app: Flask, mailbox: Mailbox) -> None:
    runner = imap_app.test_cli_runner()
    for name in MESSAGES:
        mailbox.append(corpus(name))

    pending = runner.invoke(messages_group, ["reconcile"])
    assert pending.exit_code == 1
    assert pending.output.count("not yet stored by a poll") == len(MESSAGES)

    polled = runner.invoke(poll_command, ["--once"])
    assert polled.exit_code == 0, polled.output
    assert polled.output.strip() == (
        "4 new, 0 duplicates, 2 requests, 1 follow-ups, 1 ignored, 0 quarantined, "
        "0 oversize, 4 moved"
    )

    listed = _json_lines(runner.invoke(messages_group, ["list", "--json"]).output)
    assert len(listed) == len(MESSAGES)
    assert {"message_id", "sha256", "state", "request_id"} <= set(listed[0])
    assert [m["state"] for m in listed] == ["parsed", "ignored", "parsed", "parsed"]
    assert listed[3]["request_id"] == listed[2]["request_id"]
    assert listed[3]["supplied"] == ["business_id"]

    done = runner.invoke(messages_group, ["reconcile"])
    assert done.exit_code == 0, done.output
    assert "every message has a final state" in done.output

    queue = _json_lines(runner.invoke(requests_group, ["list", "--json"]).output)
    assert [(r["id"], r["state"]) for r in queue] == [
        (listed[0]["request_id"], "incomplete"),
        (listed[2]["request_id"], "ready"),
    ]
    assert {"id", "state", "business_id", "organization_name"} <= set(queue[0])
    ready = runner.invoke(requests_group, ["list", "--state", "ready", "--json"])
    assert [r["business_id"] for r in _json_lines(ready.output)] == ["3467577-8"]
    text = runner.invoke(requests_group, ["list"])
    assert "RA-" in text.output


def test_reconcile_reports_a_message_stored_but_not_moved(
    imap_app: Flask, mailbox: Mailbox
) -> None:
    from registry_admin.intake.jobs import run_poll

    mailbox.append(corpus("005_request_fi_windows1252.eml"))

    def stop_before_move(step: str) -> None:
        if step == "before_move":
            raise RuntimeError("stopped")

    with imap_app.app_context(), pytest.raises(RuntimeError):
        run_poll(imap_app, hook=stop_before_move)
    result = imap_app.test_cli_runner().invoke(messages_group, ["reconcile"])
    assert result.exit_code == 1
    assert "done but not yet moved" in result.output


def test_reprocess_command_refuses_a_parsed_message(imap_app: Flask, mailbox: Mailbox) -> None:
    mailbox.append(corpus("009_autoreply_en.eml"))
    runner = imap_app.test_cli_runner()
    assert runner.invoke(poll_command, ["--once"]).exit_code == 0
    refused = runner.invoke(messages_group, ["reprocess", "1"])
    assert refused.exit_code == 1
    assert "only a quarantined message" in refused.output


def test_poll_failure_is_one_line_and_recorded(
    sqlite_app: Flask, tmp_path: Path, mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    database_url = sqlite_app.config["SQLALCHEMY_DATABASE_URI"]
    app = make_intake_app(tmp_path / "bad", database_url, mailbox, port=free_port())
    try:
        result = app.test_cli_runner().invoke(poll_command, ["--once"])
        assert result.exit_code == 1
        assert len(result.output.strip().splitlines()) == 1
        assert "mailbox poll failed" in result.output
        caplog.set_level(logging.WARNING, logger="registry_admin")
        poll_mailbox(app)  # the scheduler's job never raises
        with app.app_context():
            status = db.session.get(JobStatus, JOB_NAME)
            assert (status.last_ok, status.consecutive_failures) == (False, 2)
            db.session.remove()
        assert "2 in a row" in caplog.text
    finally:
        close_app(app)


def test_no_successful_poll_for_too_long_is_an_error(
    sqlite_app: Flask, tmp_path: Path, mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    database_url = sqlite_app.config["SQLALCHEMY_DATABASE_URI"]
    app = make_intake_app(
        tmp_path / "alert", database_url, mailbox, poll_seconds=60, alert_after_minutes=2
    )
    good = make_intake_app(tmp_path / "good", database_url, mailbox)
    try:
        poll_mailbox(good)
        with app.app_context():
            status = db.session.get(JobStatus, JOB_NAME)
            assert status.last_ok is True
            from datetime import timedelta

            status.last_success_at -= timedelta(minutes=5)
            db.session.commit()
            db.session.remove()
        broken = make_intake_app(
            tmp_path / "broken", database_url, mailbox, port=free_port(), alert_after_minutes=2
        )
        caplog.set_level(logging.WARNING, logger="registry_admin")
        try:
            poll_mailbox(broken)
        finally:
            close_app(broken)
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert any("no mailbox poll has succeeded" in r.getMessage() for r in errors)
    finally:
        close_app(app)
        close_app(good)
