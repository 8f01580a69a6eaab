"""Every route of the application, with who may use it: a new route must be added here."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from staff_client import csrf_token

from registry_admin.db import db

# endpoint -> least role that may use it: "public", "token" (the lookup API), or a staff role.
INVENTORY = {
    "static": "public",
    "health.healthz": "public",
    "health.readyz": "public",
    "auth.login": "public",
    "auth.logout": "public",
    "registry_ui.set_language": "public",
    "api.openapi": "public",
    "api.get_organization": "token",
    "api.lookup_organizations": "token",
    "api.list_changes": "token",
    "registry_ui.registry": "viewer",
    "registry_ui.organization": "viewer",
    "registry_ui.export": "viewer",
    "registry_ui.add_organization": "admin",
    "registry_ui.remove_organization": "admin",
    "registry_ui.audit": "admin",
}
ROLE_ORDER = ("viewer", "reviewer", "admin")
SAMPLE_ARGS = {"business_id": "0201256-6", "filename": "style.css"}
# Session bookkeeping of sign-ins is not domain state.
BOOKKEEPING = {"staff_sessions", "login_failures", "alembic_version"}


def routes(app):
    for rule in app.url_map.iter_rules():
        path = rule.build(SAMPLE_ARGS, append_unknown=False)[1] if rule.arguments else rule.rule
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, path


def test_every_route_is_in_the_inventory(sqlite_app):
    endpoints = {rule.endpoint for rule in sqlite_app.url_map.iter_rules()}
    assert endpoints - set(INVENTORY) == set(), "add the new route to INVENTORY with its role"
    assert set(INVENTORY) - endpoints == set(), "remove the vanished route from INVENTORY"


def _snapshot(app) -> dict[str, list]:
    with app.app_context():
        tables = [t for t in inspect(db.engine).get_table_names() if t not in BOOKKEEPING]
        return {
            t: sorted(map(tuple, db.session.execute(text(f'SELECT * FROM "{t}"')))) for t in tables
        }


@pytest.mark.parametrize("who", ["anonymous", *ROLE_ORDER])
def test_each_role_gets_the_expected_answer_on_every_get(app, signed_in, add_org, who):
    add_org("0201256-6", "Helsinki", source="municipality")
    client = app.test_client() if who == "anonymous" else signed_in(who)
    before = _snapshot(app)
    for endpoint, method, path in routes(app):
        if method != "GET":
            continue
        need = INVENTORY[endpoint]
        with client.get(path) as response:
            status = response.status_code
        if need == "public":
            assert status < 400, (endpoint, who, status)
        elif need == "token":
            assert status == 401, (endpoint, who, status)
        elif who == "anonymous":
            assert status == 302, (endpoint, who, status)
        elif ROLE_ORDER.index(who) >= ROLE_ORDER.index(need):
            assert status == 200, (endpoint, who, status)
        else:
            assert status == 403, (endpoint, who, status)
    assert _snapshot(app) == before, "a GET changed the database"


def test_every_unsafe_method_without_csrf_token_is_refused(app, signed_in, add_org):
    add_org("0201256-6", "Helsinki", source="municipality")
    admin = signed_in("admin")
    csrf_token(admin, "/registry")  # the session has a token; the requests below don't send it
    before = _snapshot(app)
    for endpoint, method, path in routes(app):
        if method == "GET" or INVENTORY[endpoint] == "token":
            continue
        response = admin.open(
            path, method=method, data={"business_id": "2331972-7", "name": "x", "reason": "x"}
        )
        assert response.status_code == 400, (endpoint, method, response.status_code)
    assert _snapshot(app) == before


def test_unsafe_methods_check_the_role(app, signed_in, add_org):
    add_org("0201256-6", "Helsinki", source="municipality")
    for who in ("viewer", "reviewer"):
        client = signed_in(who)
        token = csrf_token(client, "/registry")
        for endpoint, method, path in routes(app):
            if method == "GET" or INVENTORY[endpoint] in ("public", "token"):
                continue
            data = {"csrf_token": token, "business_id": "2331972-7", "name": "x", "reason": "x"}
            status = client.open(path, method=method, data=data).status_code
            if ROLE_ORDER.index(who) < ROLE_ORDER.index(INVENTORY[endpoint]):
                assert status == 403, (endpoint, who, status)
