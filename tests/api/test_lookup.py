"""GET /api/v1/organizations/{business_id}: forms, answers, tokens, freshness, caching, the log."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from api_support import (
    NOT_REGISTERED_KEYS,
    REGISTERED_KEYS,
    SUBJECT,
    add,
    bearer,
    client_id_of,
    compact,
    disclosures,
    new_token,
    parse_timestamp,
    remove,
    rename,
    take_ids,
    wait_for,
    with_wrong_check_digit,
)
from sqlalchemy import text
from testsupport import close_app, make_app, run_sql

from registry_admin.db import db
from registry_admin.registry.services import CHANGED_FLAG, add_organization

HELSINKI = "0201256-6"
UNREGISTERED = take_ids(1, start=1_234_567)[0]


def url(business_id: str) -> str:
    return "/api/v1/organizations/" + quote(business_id, safe="")


@pytest.mark.parametrize(
    "form",
    [
        "0201256-6",
        "02012566",
        "FI02012566",
        "fi0201256-6",
        "0201256 - 6",
        " 0201256-6 ",
        "0201256\u20136",  # en dash, as word processors write it
        "0201256\u20116",  # non-breaking hyphen
        "0201256\u22126",  # minus sign
        "\uff10\uff12\uff10\uff11\uff12\uff15\uff16-\uff16",  # full-width digits, as stdnum reads them
    ],
)
def test_every_accepted_form_finds_the_registered_organization(client, api_headers, form):
    before = datetime.now(UTC).replace(microsecond=0)
    add(client.application, HELSINKI, "Helsingin kaupunki", source="municipality")
    after = datetime.now(UTC)

    response = client.get(url(form), headers=api_headers)

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.json
    assert set(body) == REGISTERED_KEYS
    assert body["business_id"] == HELSINKI
    assert body["registered"] is True
    assert body["name"] == "Helsingin kaupunki"
    assert body["source"] == "municipality"
    assert before <= parse_timestamp(body["registered_at"]) <= after


def test_a_valid_unregistered_id_gets_how_to_apply_in_three_languages(app, client, api_headers):
    response = client.get(url("FI" + UNREGISTERED.replace("-", "")), headers=api_headers)

    assert response.status_code == 404
    assert response.mimetype == "application/json"
    body = response.json
    assert set(body) == NOT_REGISTERED_KEYS
    assert body["business_id"] == UNREGISTERED
    assert body["registered"] is False
    assert set(body["message"]) == {"fi", "sv", "en"}
    support = app.config["REGISTRY_SETTINGS"].smtp.from_address
    for language, message in body["message"].items():
        assert SUBJECT in message, language
        assert support in message, language
    assert len(set(body["message"].values())) == 3, "each language has its own text"


def test_a_removed_organization_is_not_registered(app, client, api_headers):
    add(app, HELSINKI, "Helsinki")
    remove(app, HELSINKI)

    response = client.get(url(HELSINKI), headers=api_headers)

    assert response.status_code == 404
    assert set(response.json) == NOT_REGISTERED_KEYS
    assert response.json["registered"] is False
    assert all(SUBJECT in text for text in response.json["message"].values())


INVALID = [
    pytest.param(with_wrong_check_digit(HELSINKI), id="wrong-check-digit"),
    pytest.param("020125A-6", id="letter"),
    pytest.param("ABCDEFG-H", id="letters"),
    pytest.param("020125-6", id="too-short"),
    pytest.param("02012566-6", id="too-long"),
    pytest.param("0201256--6", id="two-hyphens"),
    pytest.param("", id="empty"),
    pytest.param(" ", id="space"),
    pytest.param("-", id="hyphen"),
    pytest.param("FI", id="prefix-only"),
    pytest.param("\n", id="newline"),
    pytest.param("1' OR '1'='1", id="sql"),
    pytest.param("0201256-6' OR '1'='1", id="sql-after-valid-id"),
    pytest.param("../../etc/passwd", id="path"),
    pytest.param("..%2F..%2Fetc%2Fpasswd", id="encoded-path"),
    pytest.param("0201256-6/../0201256-6", id="path-around-valid-id"),
    pytest.param("1" * 10_000, id="long-digits"),
    pytest.param("x" * 10_000, id="long-text"),
    pytest.param("0201256\x00-6", id="nul"),
    pytest.param("\x00", id="only-nul"),
    pytest.param("\u0660\u0662\u0660\u0661\u0662\u0665\u0666-\u0666", id="arabic-indic-digits"),
    pytest.param("\u202e0201256-6", id="right-to-left-override"),
    pytest.param("0201256-6\u0301", id="combining-accent"),
    pytest.param("\U0001f3e2", id="emoji"),
    pytest.param("\ufffd", id="replacement-character"),
]


@pytest.mark.parametrize("business_id", INVALID)
def test_a_malformed_id_is_refused_with_a_json_error(client, api_headers, business_id):
    response = client.get(url(business_id), headers=api_headers)

    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert response.json["error"] == "invalid_business_id"
    assert isinstance(response.json["detail"], str) and response.json["detail"]
    assert "registered" not in response.json
    # The answer does not grow with what was sent (no reflection of a 10 kB path).
    assert len(response.get_data()) < 1000


@pytest.mark.parametrize(
    ("raw_path", "status"),
    [
        ("%FF%FE", 400),  # not UTF-8
        ("%00", 400),
        ("%2e%2e%2f", 400),
        ("..%2F..%2Fetc%2Fpasswd", 400),
        ("0201256-6%2F..%2F..", 400),
        ("0201256%0A-6", 404),  # white space around the parts is dropped
        ("%0A0201256-6%0D%0A", 404),
    ],
)
def test_raw_bytes_in_the_path(client, api_headers, raw_path, status):
    response = client.get("/api/v1/organizations/" + raw_path, headers=api_headers)

    assert response.status_code == status
    assert response.mimetype == "application/json"
    if status == 400:
        assert response.json["error"] == "invalid_business_id"
    else:
        assert response.json["business_id"] == HELSINKI


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer ra_not-a-token",
        "ra_not-a-token",
    ],
)
def test_without_a_valid_token_the_answer_is_401_json(client, add_org, authorization):
    add_org(HELSINKI, "Helsinki")
    headers = {} if authorization is None else {"Authorization": authorization}

    response = client.get(url(HELSINKI), headers=headers)

    assert response.status_code == 401
    assert response.mimetype == "application/json"
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
    assert set(response.json) == {"error", "detail"}
    assert "Helsinki" not in response.text


def test_a_valid_token_under_another_scheme_is_refused(client, api_token, add_org):
    add_org(HELSINKI, "Helsinki")
    for header in (f"Token {api_token}", f"Basic {api_token}", api_token):
        response = client.get(url(HELSINKI), headers={"Authorization": header})
        assert response.status_code == 401, header


def test_an_invalid_id_without_a_token_is_401_not_400(client):
    response = client.get(url("not-an-id"))

    assert response.status_code == 401


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS"])
def test_head_and_options_need_the_token_too(client, api_headers, method):
    assert client.open(url(HELSINKI), method=method).status_code == 401
    assert client.open(url(HELSINKI), method=method, headers=api_headers).status_code in (200, 404)


def test_a_revoked_client_is_refused_within_refresh_seconds(app, client, api_token):
    headers = bearer(api_token)
    assert client.get(url(HELSINKI), headers=headers).status_code == 404
    client_id = client_id_of(app, api_token)

    with app.app_context():
        db.session.execute(
            text("UPDATE api_clients SET revoked_at = :now WHERE id = :id"),
            {"now": datetime.now(UTC), "id": client_id},
        )
        db.session.commit()

    refresh = app.config["REGISTRY_SETTINGS"].api.refresh_seconds
    wait_for(lambda: client.get(url(HELSINKI), headers=headers).status_code == 401, refresh + 1)
    response = client.get(url(HELSINKI), headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")


def test_a_new_client_can_use_its_token_at_once(app, client, api_headers):
    assert client.get(url(HELSINKI), headers=api_headers).status_code == 404

    token = new_token(app, "second-client")

    assert client.get(url(HELSINKI), headers=bearer(token)).status_code == 404


def test_a_change_in_this_process_is_visible_at_once(app, client, api_headers):
    assert client.get(url(HELSINKI), headers=api_headers).status_code == 404

    add(app, HELSINKI, "Helsinki")
    assert client.get(url(HELSINKI), headers=api_headers).json["name"] == "Helsinki"

    rename(app, HELSINKI, "Helsingin kaupunki")
    assert client.get(url(HELSINKI), headers=api_headers).json["name"] == "Helsingin kaupunki"

    remove(app, HELSINKI)
    assert client.get(url(HELSINKI), headers=api_headers).status_code == 404

    add(app, HELSINKI, "Helsinki again", source="application")
    body = client.get(url(HELSINKI), headers=api_headers).json
    assert (body["name"], body["source"]) == ("Helsinki again", "application")


def test_a_change_by_another_instance_is_visible_within_refresh_seconds(
    app, client, api_headers, database_url, tmp_path
):
    other = make_app(tmp_path / "other", database_url)
    refresh = app.config["REGISTRY_SETTINGS"].api.refresh_seconds
    try:
        assert client.get(url(HELSINKI), headers=api_headers).status_code == 404

        with other.app_context():
            session = db.session()
            add_organization(session, HELSINKI, "Helsinki", source="manual", actor="test")
            # A commit in another process does not reach this process's views directly;
            # drop the in-process notice so only the periodic refresh can bring the change.
            session.info.pop(CHANGED_FLAG)
            session.commit()

        took = wait_for(
            lambda: client.get(url(HELSINKI), headers=api_headers).status_code == 200,
            refresh + 1,
        )
        assert took <= refresh + 0.5

        with other.app_context():
            session = db.session()
            from registry_admin.registry.services import remove_organization

            remove_organization(session, HELSINKI, actor="test", reason="test")
            session.info.pop(CHANGED_FLAG)
            session.commit()

        took = wait_for(
            lambda: client.get(url(HELSINKI), headers=api_headers).status_code == 404,
            refresh + 1,
        )
        assert took <= refresh + 0.5
    finally:
        close_app(other)


def test_etag_and_if_none_match(app, client, api_headers):
    add(app, HELSINKI, "Helsinki")
    first = client.get(url(HELSINKI), headers=api_headers)
    etag = first.headers["ETag"]
    assert etag

    same = client.get(url("FI02012566"), headers={**api_headers, "If-None-Match": etag})
    assert same.status_code == 304
    assert same.get_data() == b""
    assert same.headers["ETag"] == etag

    listed = client.get(url(HELSINKI), headers={**api_headers, "If-None-Match": f'"x", {etag}'})
    assert listed.status_code == 304

    anything = client.get(url(HELSINKI), headers={**api_headers, "If-None-Match": "*"})
    assert anything.status_code == 304

    other = client.get(url(HELSINKI), headers={**api_headers, "If-None-Match": '"other"'})
    assert other.status_code == 200

    # A changed answer must not be served from a stale cache.
    rename(app, HELSINKI, "Helsingin kaupunki")
    changed = client.get(url(HELSINKI), headers={**api_headers, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json["name"] == "Helsingin kaupunki"
    assert changed.headers["ETag"] != etag

    remove(app, HELSINKI)
    gone = client.get(url(HELSINKI), headers={**api_headers, "If-None-Match": etag})
    assert gone.status_code == 404
    assert gone.headers["ETag"] not in (etag, changed.headers["ETag"])
    # "*" matches only an existing representation (RFC 9110, 13.1.2).
    assert (
        client.get(url(HELSINKI), headers={**api_headers, "If-None-Match": "*"}).status_code == 404
    )


def test_no_personal_data_of_the_staff_who_registered_it(app, client, api_headers):
    with app.app_context():
        from registry_admin.db import transaction

        with transaction() as session:
            add_organization(
                session,
                HELSINKI,
                "Helsinki",
                source="application",
                actor="maija.meikalainen@kela.fi",
                reason="Requested by Matti Virtanen, matti.virtanen@hel.fi, +358 40 123 4567",
            )

    response = client.get(url(HELSINKI), headers=api_headers)

    assert response.status_code == 200
    assert set(response.json) == REGISTERED_KEYS
    for personal in ("maija", "Matti", "matti.virtanen", "358", "@"):
        assert personal not in response.text


def test_every_disclosure_is_logged(app, client, api_token):
    add(app, HELSINKI, "Helsinki")
    headers = bearer(api_token)
    other_token = new_token(app, "other-client")

    assert client.get(url("FI02012566"), headers=headers).status_code == 200
    assert client.get(url(UNREGISTERED.replace("-", "")), headers=headers).status_code == 404
    assert client.get(url(HELSINKI), headers=bearer(other_token)).status_code == 200
    assert client.get(url("0201256-7"), headers=headers).status_code == 400
    assert client.get(url(HELSINKI)).status_code == 401

    me, other = client_id_of(app, api_token), client_id_of(app, other_token)
    logged = disclosures(app)
    assert (me, HELSINKI, True) in logged
    assert (me, UNREGISTERED, False) in logged
    assert (other, HELSINKI, True) in logged
    assert len([row for row in logged if row[2] is not None]) == 3


def test_the_log_is_written_by_the_background_writer_too(app, client, api_headers):
    client.get(url(UNREGISTERED), headers=api_headers)
    flush = app.config["REGISTRY_SETTINGS"].api.disclosure_flush_seconds

    def written() -> bool:
        compact(app)  # moves only what the writer has written; the buffer stays untouched
        rows = run_sql(app, "SELECT business_id FROM disclosures")
        return [row[0] for row in rows] == [UNREGISTERED]

    wait_for(written, flush + 2)


def test_an_unreadable_registry_answers_503_json(tmp_path):
    folder = tmp_path / "a-folder-not-a-database"
    folder.mkdir()
    broken = make_app(tmp_path, f"sqlite:///{folder}")
    try:
        response = broken.test_client().get(url(HELSINKI), headers=bearer("ra_anything"))
        assert response.status_code == 503
        assert response.mimetype == "application/json"
        assert set(response.json) == {"error", "detail"}
        assert response.headers["Retry-After"]

        changes = broken.test_client().get("/api/v1/changes", headers=bearer("ra_anything"))
        assert changes.status_code == 503
        assert changes.mimetype == "application/json"
    finally:
        close_app(broken)
