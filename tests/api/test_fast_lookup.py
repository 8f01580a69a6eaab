"""The single lookup's WSGI fast path: the Flask view's exact answer, or the request left to Flask."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from api_support import add, bearer, client_id_of, disclosures, new_token, take_ids
from flask import Flask
from testsupport import close_app, settings_for
from werkzeug.test import EnvironBuilder, run_wsgi_app

from registry_admin import create_app
from registry_admin.api.fast_lookup import LookupFastPath

HELSINKI = "0201256-6"
UNREGISTERED = take_ids(1, start=1_234_567)[0]


@pytest.fixture
def sqlite_app(sqlite_template: Path, tmp_path: Path) -> Iterator[Flask]:
    """A view refreshed once a minute, so the fast path is not handed a due refresh."""
    path = tmp_path / "registry.db"
    shutil.copyfile(sqlite_template, path)
    settings = settings_for(tmp_path, f"sqlite:///{path}")
    settings["api"]["refresh_seconds"] = 60
    app = create_app(settings)
    yield app
    close_app(app)


@pytest.fixture
def token(sqlite_app: Flask) -> str:
    add(sqlite_app, HELSINKI, "Helsingin kaupunki", source="municipality")
    token = new_token(sqlite_app, "booking")
    sqlite_app.extensions["registry_view"].organization(HELSINKI)  # loads the view
    return token


def environ(path: str, headers: dict[str, str], method: str = "GET") -> dict[str, Any]:
    return EnvironBuilder(path=path, method=method, headers=headers).get_environ()


def answer(wsgi_app, env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    body, status, headers = run_wsgi_app(wsgi_app, dict(env))
    try:
        return status, list(headers.to_wsgi_list()), b"".join(body)
    finally:
        if hasattr(body, "close"):
            body.close()


def flask_must_not_answer(_environ, _start_response):
    pytest.fail("the fast path handed a request it answers to Flask")


@pytest.mark.parametrize("business_id", [HELSINKI, "02012566", "FI02012566", UNREGISTERED])
def test_the_fast_path_answers_as_the_flask_view_does(sqlite_app, token, business_id):
    env = environ(f"/api/v1/organizations/{business_id}", bearer(token))
    flask_app = sqlite_app.wsgi_app.wsgi_app

    fast = answer(LookupFastPath(sqlite_app, flask_must_not_answer), env)
    slow = answer(flask_app, env)

    assert fast == slow
    assert fast[0] in ("200 OK", "404 NOT FOUND")


def test_the_fast_path_logs_the_disclosure(sqlite_app, token):
    fast = LookupFastPath(sqlite_app, flask_must_not_answer)
    answer(fast, environ(f"/api/v1/organizations/{HELSINKI}", bearer(token)))
    answer(fast, environ(f"/api/v1/organizations/FI{UNREGISTERED}", bearer(token)))

    client = client_id_of(sqlite_app, token)
    assert disclosures(sqlite_app) == [(client, HELSINKI, True), (client, UNREGISTERED, False)]


@pytest.mark.parametrize(
    ("path", "method", "headers"),
    [
        (f"/api/v1/organizations/{HELSINKI}", "HEAD", {}),
        (f"/api/v1/organizations/{HELSINKI}", "OPTIONS", {}),
        (f"/api/v1/organizations/{HELSINKI}", "GET", {"If-None-Match": '"x"'}),
        (f"/api/v1/organizations/{HELSINKI}", "GET", {"Authorization": "Bearer wrong"}),
        (f"/api/v1/organizations/{HELSINKI}", "GET", {"Authorization": ""}),
        ("/api/v1/organizations/not-an-id", "GET", {}),
        ("/api/v1/organizations/0201256\u20136", "GET", {}),
        (f"/api/v1/organizations/{HELSINKI}/", "GET", {}),
        ("/api/v1/organizations/", "GET", {}),
        ("/api/v1/changes", "GET", {}),
        ("/healthz", "GET", {}),
    ],
)
def test_every_other_request_goes_to_flask(sqlite_app, token, path, method, headers):
    seen = []

    def flask_app(environ, start_response):
        seen.append(environ["PATH_INFO"])
        start_response("204 NO CONTENT", [])
        return []

    env = environ(path, {"Authorization": f"Bearer {token}", **headers}, method)
    answer(LookupFastPath(sqlite_app, flask_app), env)

    assert len(seen) == 1


def test_trusted_hosts_leave_the_host_check_to_flask(sqlite_app, token):
    sqlite_app.config["TRUSTED_HOSTS"] = ["registry.example.fi"]
    env = environ(f"/api/v1/organizations/{HELSINKI}", bearer(token))

    assert answer(sqlite_app.wsgi_app, env)[0] == "400 BAD REQUEST"
    assert disclosures(sqlite_app) == []


def test_a_view_due_for_a_refresh_is_refreshed_by_flask_once(sqlite_app, token):
    view = sqlite_app.extensions["registry_view"]
    env = environ(f"/api/v1/organizations/{HELSINKI}", bearer(token))
    view.invalidate()
    handed_on, refreshes = [], []
    real_refresh = view._refresh

    def flask_app(_environ, start_response):
        handed_on.append(1)
        start_response("204 NO CONTENT", [])
        return []

    def counted_refresh() -> None:
        refreshes.append(1)
        real_refresh()

    with mock.patch.object(view, "_refresh", counted_refresh):
        answer(LookupFastPath(sqlite_app, flask_app), env)
        assert (handed_on, refreshes) == ([1], [])
        assert answer(sqlite_app.wsgi_app, env)[0] == "200 OK"

    assert refreshes == [1]
    assert not view.refresh_due
