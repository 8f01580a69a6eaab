"""`registry-admin demo-credentials`: what `make run` prints works, and a rerun replaces it."""

from __future__ import annotations

import re

from flask import Flask

from registry_admin.cli import cli

PRINTED = re.compile(
    r"Staff UI:\s+(?P<base>\S+)/login\s+user (?P<user>\S+)\s+password (?P<password>\S+)\n"
    r"\s+API token:\s+(?P<token>\S+)\n"
    r"\s+Try:\s+curl -s -H 'Authorization: Bearer (?P<curl_token>\S+)' (?P<url>\S+)"
)


def _credentials(app: Flask, *args: str) -> dict[str, str]:
    result = app.test_cli_runner().invoke(cli, ["demo-credentials", *args])
    assert result.exit_code == 0, result.output
    found = PRINTED.search(result.output)
    assert found, result.output
    return found.groupdict()


def _signs_in(app: Flask, user: str, password: str) -> bool:
    client = app.test_client()
    token = re.search(r'name="csrf_token"[^>]* value="([^"]+)"', client.get("/login").text)
    form = {"username": user, "password": password, "csrf_token": token.group(1)}
    return client.post("/login", data=form).status_code == 302


def test_printed_credentials_work_and_a_rerun_replaces_them(app: Flask, add_org) -> None:
    add_org("0201256-6", "Helsinki", source="municipality")
    first = _credentials(app, "--base-url", "http://127.0.0.1:8765/")
    assert first["base"] == "http://127.0.0.1:8765"
    assert first["url"] == "http://127.0.0.1:8765/api/v1/organizations/0201256-6"
    assert first["curl_token"] == first["token"]
    api = app.test_client()
    lookup = "/api/v1/organizations/0201256-6"
    answer = api.get(lookup, headers={"Authorization": f"Bearer {first['token']}"})
    assert answer.status_code == 200 and answer.json["source"] == "municipality"
    assert _signs_in(app, first["user"], first["password"])

    second = _credentials(app)  # without --base-url: the configured app.base_url
    assert second["base"] == app.config["REGISTRY_SETTINGS"].app.base_url.rstrip("/")
    assert second["token"] != first["token"] and second["password"] != first["password"]
    old = api.get(lookup, headers={"Authorization": f"Bearer {first['token']}"})
    assert old.status_code == 401
    assert (
        api.get(lookup, headers={"Authorization": f"Bearer {second['token']}"}).status_code == 200
    )
    assert not _signs_in(app, first["user"], first["password"])
    assert _signs_in(app, second["user"], second["password"])
