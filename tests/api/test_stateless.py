"""API and probe requests: no session, no cookie, the same security headers as every page."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from testsupport import close_app, settings_for

from registry_admin import create_app
from registry_admin.security import API_CSP, PAGE_CSP

HELSINKI = "0201256-6"
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@pytest.fixture
def signed_cookie(sqlite_app: Flask) -> str:
    """A permanent session cookie, which Flask would set again on every request it opens."""
    serializer = sqlite_app.session_interface.get_signing_serializer(sqlite_app)
    return serializer.dumps({"_permanent": True, "language": "sv"})


@pytest.fixture
def browser(sqlite_app: Flask, signed_cookie: str) -> FlaskClient:
    client = sqlite_app.test_client()
    client.set_cookie("registry_admin_session", signed_cookie)
    return client


@pytest.fixture
def token_headers(sqlite_app: Flask) -> dict[str, str]:
    from registry_admin.api.tokens import create_client
    from registry_admin.db import transaction

    with sqlite_app.app_context(), transaction() as session:
        _client, token = create_client(session, "booking", actor="test")
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("path", "authorized", "status"),
    [
        ("/healthz", False, 200),
        ("/readyz", False, 200),
        ("/api/v1/openapi.json", False, 200),
        (f"/api/v1/organizations/{HELSINKI}", True, 404),
        ("/api/v1/organizations/not-an-id", True, 400),
        (f"/api/v1/organizations/{HELSINKI}", False, 401),
        ("/api/v1/changes", True, 200),
    ],
)
def test_a_stateless_request_neither_reads_nor_sets_the_session_cookie(
    browser, token_headers, path, authorized, status
):
    response = browser.get(path, headers=token_headers if authorized else {})

    assert response.status_code == status
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")


def test_a_page_still_refreshes_the_permanent_session_cookie(browser):
    response = browser.get("/login")

    assert response.status_code == 200
    assert response.headers["Set-Cookie"].startswith("registry_admin_session=")


@pytest.mark.parametrize(
    ("path", "authorized"),
    [
        (f"/api/v1/organizations/{HELSINKI}", True),
        ("/api/v1/organizations/x", True),
        (f"/api/v1/organizations/{HELSINKI}", False),
        ("/api/v1/nothing-here", False),
    ],
)
def test_every_api_answer_carries_the_security_headers_once(
    sqlite_app, token_headers, path, authorized
):
    response = sqlite_app.test_client().get(path, headers=token_headers if authorized else {})

    for name, value in {**COMMON_HEADERS, "Content-Security-Policy": API_CSP}.items():
        assert response.headers.getlist(name) == [value]
    assert "no-store" not in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("path", ["/healthz", "/login", "/static/does-not-exist.css"])
def test_probes_and_pages_carry_the_page_headers_once(sqlite_app, path):
    response = sqlite_app.test_client().get(path)

    for name, value in {**COMMON_HEADERS, "Content-Security-Policy": PAGE_CSP}.items():
        assert response.headers.getlist(name) == [value]
    html = response.mimetype == "text/html"
    assert (response.headers.get("Cache-Control") == "no-store") == html


def test_a_lookup_keeps_its_own_cache_control(sqlite_app, token_headers):
    response = sqlite_app.test_client().get(
        f"/api/v1/organizations/{HELSINKI}", headers=token_headers
    )

    assert response.headers.getlist("Cache-Control") == ["private, no-cache"]
    assert response.headers["ETag"]


def test_https_adds_strict_transport_security_to_api_answers_and_pages(tmp_path):
    settings = settings_for(tmp_path, f"sqlite:///{tmp_path / 'registry.db'}")
    settings["app"]["base_url"] = "https://registry.example.fi"
    app = create_app(settings)
    try:
        client = app.test_client()
        for path in ("/healthz", "/api/v1/organizations/x", "/login"):
            assert client.get(path).headers.getlist("Strict-Transport-Security") == [
                "max-age=31536000; includeSubDomains"
            ]
    finally:
        close_app(app)
