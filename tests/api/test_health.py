"""/healthz and /readyz: no token, JSON, the database and the last mailbox poll, no personal data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from api_support import parse_timestamp
from testsupport import PG_SERVER, close_app, make_app

from registry_admin.db import transaction
from registry_admin.jobstatus import record_job_result

MAILBOX_KEYS = {
    "last_poll_at",
    "last_poll_ok",
    "last_poll_result",
    "last_success_at",
    "consecutive_failures",
    "stale",
}


def poll(app, *, ok: bool, result: str) -> None:
    with app.app_context(), transaction() as session:
        record_job_result(
            session, "mailbox_poll", ok=ok, result=result, started_at=datetime.now(UTC)
        )


def test_healthz_answers_without_a_token(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == {"status": "ok"}


def test_readyz_before_any_poll(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.json
    assert set(body) == {"status", "database", "mailbox"}
    assert (body["status"], body["database"]) == ("ok", "ok")
    assert set(body["mailbox"]) == MAILBOX_KEYS
    assert body["mailbox"]["last_poll_at"] is None
    assert body["mailbox"]["last_success_at"] is None


def test_readyz_reports_the_last_poll_and_its_result(app, client):
    before = datetime.now(UTC).replace(microsecond=0)
    poll(app, ok=True, result="3 messages stored")
    poll(app, ok=False, result="IMAP server did not answer")
    poll(app, ok=False, result="IMAP server did not answer")

    mailbox = client.get("/readyz").json["mailbox"]

    assert set(mailbox) == MAILBOX_KEYS
    assert mailbox["last_poll_ok"] is False
    assert mailbox["last_poll_result"] == "IMAP server did not answer"
    assert mailbox["consecutive_failures"] == 2
    assert parse_timestamp(mailbox["last_poll_at"]) >= before
    assert (
        before
        <= parse_timestamp(mailbox["last_success_at"])
        <= parse_timestamp(mailbox["last_poll_at"])
    )
    assert mailbox["stale"] is False

    poll(app, ok=True, result="0 messages")
    mailbox = client.get("/readyz").json["mailbox"]
    assert (mailbox["last_poll_ok"], mailbox["consecutive_failures"]) == (True, 0)


def test_readyz_says_when_the_last_success_is_too_old(app, client):
    poll(app, ok=True, result="ok")
    alert_after = app.config["REGISTRY_SETTINGS"].mailbox.alert_after_minutes
    with app.app_context(), transaction() as session:
        from registry_admin.jobstatus import JobStatus

        status = session.get(JobStatus, "mailbox_poll")
        status.last_success_at = datetime.now(UTC) - timedelta(minutes=alert_after + 1)

    assert client.get("/readyz").json["mailbox"]["stale"] is True


def test_probes_ignore_a_bad_token(client):
    headers = {"Authorization": "Bearer not-a-token"}

    assert client.get("/healthz", headers=headers).status_code == 200
    assert client.get("/readyz", headers=headers).status_code == 200


def test_probes_carry_no_personal_data(app, client, add_org):
    add_org("0201256-6", "Helsinki")
    poll(app, ok=True, result="1 message stored")

    for path in ("/healthz", "/readyz"):
        text = client.get(path).text
        assert "Helsinki" not in text
        assert "0201256-6" not in text
        assert "@" not in text


@pytest.fixture(
    params=[
        "sqlite-folder",
        pytest.param("postgresql-missing-database", marks=pytest.mark.postgres),
    ]
)
def unreachable_app(request, tmp_path):
    """An application whose database cannot be opened."""
    if request.param == "sqlite-folder":
        folder = tmp_path / "a-folder-not-a-database"
        folder.mkdir()
        url = f"sqlite:///{folder}"
    else:
        url = f"postgresql+psycopg://{PG_SERVER}/registry_admin_no_such_database"
    app = make_app(tmp_path, url)
    yield app
    close_app(app)


def test_readyz_is_503_json_when_the_database_is_unreachable(unreachable_app):
    client = unreachable_app.test_client()

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.mimetype == "application/json"
    assert response.json["status"] != "ok"
    assert response.json["database"] != "ok"
    # Still alive: liveness does not depend on the database.
    assert client.get("/healthz").status_code == 200
    # And ready again on the next probe only when the database answers: still 503.
    assert client.get("/readyz").status_code == 503
