"""End to end: a registration mail in Dovecot becomes a registered organization.

Polled from a real Dovecot, approved through the CLI by a reviewer, the applicant's receipt and
approval delivered to a real SMTP server (aiosmtpd), the booking module's webhook POSTed to a real
HTTP receiver with a valid signature, and the lookup API answering `registered`.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

TESTS = Path(__file__).resolve().parents[1]
for folder in ("intake", "notify", "webhooks"):
    if str(TESTS / folder) not in sys.path:
        sys.path.append(str(TESTS / folder))

from imap_support import DOVECOT, Dovecot, Mailbox, check_login, start_dovecot  # noqa: E402
from notify_support import SmtpServer  # noqa: E402
from testsupport import close_app, server_missing, settings_for  # noqa: E402
from webhook_support import Receiver  # noqa: E402

from registry_admin import create_app  # noqa: E402
from registry_admin.db import transaction  # noqa: E402

pytestmark = [pytest.mark.imap, pytest.mark.smtp]

REQUEST = TESTS / "fixtures" / "corpus" / "011.eml"  # complete, valid Business ID 2676542-3
BUSINESS_ID = "2676542-3"
APPLICANT = "markku.toivonen@kaarnavedenkyla.example.fi"


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    if not os.path.exists(DOVECOT):
        server_missing("Dovecot (dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="registry-admin-e2e-dovecot-", dir="/tmp"))
    os.chmod(root, 0o755)
    server = None
    try:
        server = start_dovecot(root)
        check_login(server)
        yield server
    finally:
        if server is not None:
            server.doveadm("stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Mailbox:
    name, password = dovecot.take_user()
    return Mailbox(dovecot, name, password)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app(
    database_url: str, tmp_path: Path, mailbox: Mailbox, smtp_server: SmtpServer
) -> Iterator[Flask]:
    """The application polling the test mailbox and sending through the test SMTP server."""
    overrides = settings_for(tmp_path, database_url)
    overrides["mailbox"] = {**overrides["mailbox"], **mailbox.settings()}
    overrides["smtp"] = {
        **overrides["smtp"],
        "transport": "smtp",
        "security": "plain",
        "host": "127.0.0.1",
        "port": smtp_server.port,
        "timeout_seconds": 10,
    }
    app = create_app(overrides)
    app.config["TESTING"] = True
    yield app
    close_app(app)


def _json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_a_mailed_request_ends_registered_notified_and_webhooked(
    app: Flask,
    client: FlaskClient,
    api_headers: dict[str, str],
    mailbox: Mailbox,
    smtp_server: SmtpServer,
    receiver: Receiver,
) -> None:
    from registry_admin.intake.commands import poll_command, requests_group
    from registry_admin.notify.commands import outbox_command
    from registry_admin.review.accounts import create_user
    from registry_admin.webhooks.commands import webhooks_group
    from registry_admin.webhooks.jobs import deliver_webhooks

    runner = app.test_cli_runner()
    added = runner.invoke(webhooks_group, ["add", receiver.url])
    assert added.exit_code == 0, added.output
    receiver.secret = added.output.strip().splitlines()[-1]
    with app.app_context(), transaction() as session:
        create_user(session, "rita", role="reviewer", password="correct horse 123", actor="test")
    lookup = f"/api/v1/organizations/{BUSINESS_ID}"
    assert client.get(lookup, headers=api_headers).json["registered"] is False

    # The applicant's mail arrives in the mailbox; one poll turns it into a request.
    mailbox.append(REQUEST.read_bytes())
    polled = runner.invoke(poll_command, ["--once"])
    assert polled.exit_code == 0, polled.output
    queue = _json_lines(runner.invoke(requests_group, ["list", "--json"]).output)
    assert len(queue) == 1 and queue[0]["business_id"] == BUSINESS_ID
    assert queue[0]["state"] == "ready"
    request_id, reference = queue[0]["id"], queue[0]["reference"]
    assert reference

    approved = runner.invoke(requests_group, ["approve", str(request_id), "--user", "rita"])
    assert approved.exit_code == 0, approved.output

    sent = runner.invoke(outbox_command, ["send", "--once"])
    assert sent.exit_code == 0, sent.output
    assert deliver_webhooks(app) is True
    # A second round of each sends nothing again.
    assert runner.invoke(outbox_command, ["send", "--once"]).exit_code == 0
    assert deliver_webhooks(app) is True

    # The applicant: the receipt and the approval, each once, with the reference in the subject.
    messages = [r.message for r in smtp_server.received]
    assert len(messages) == 2, [m["Subject"] for m in messages]
    # The request's contact person (named in the mail) is the applicant.
    assert [str(m["To"]) for m in messages] == [APPLICANT, APPLICANT]
    assert [str(m["Auto-Submitted"] or "") for m in messages] == ["auto-replied", ""]
    assert "vastaanotettu" in str(messages[0]["Subject"])  # the receipt, in Finnish
    assert "lisätty" in str(messages[1]["Subject"])  # included in the registry
    assert all(reference in str(m["Subject"]) for m in messages)
    assert len({str(m["Message-ID"]) for m in messages}) == 2
    first_reply = "<609f1443.f1fbe5e3.deae611c@kaarnavedenkyla.example.fi>"
    assert all(first_reply in str(m["In-Reply-To"] or m["References"]) for m in messages)

    # The booking module: one signed `added` delivery for the Business ID.
    assert len(receiver.received) == 1
    hook = receiver.received[0]
    assert hook.valid and hook.status == 200
    assert hook.payload["business_id"] == BUSINESS_ID and hook.payload["change"] == "added"

    # The lookup API (its in-memory view refreshes every 0.2 s in tests).
    deadline = time.monotonic() + 5
    while True:
        response = client.get(lookup, headers=api_headers)
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert response.status_code == 200, response.json
    assert response.json["registered"] is True
    assert response.json["business_id"] == BUSINESS_ID
