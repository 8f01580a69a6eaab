"""The registry, users and api-clients commands: output, exit statuses and what they store."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from registry_admin import cli as cli_module
from registry_admin.cli import cli
from registry_admin.db import db
from registry_admin.registry.models import AuditEvent, Organization

HELSINKI = "0201256-6"
ESPOO = "0101263-6"
VANTAA = "0124610-9"


def stored(app: Flask) -> dict[str, tuple[str, str, str]]:
    with app.app_context():
        return {
            o.business_id: (o.name, o.source, o.status)
            for o in db.session.scalars(select(Organization))
        }


def invoke(runner: FlaskCliRunner, *args: str, stdin: str | None = None):
    return runner.invoke(cli, list(args), input=stdin)


# --- registry add / remove / list ----------------------------------------------------------------


@pytest.mark.parametrize("form", ["0201256-6", "02012566", "FI02012566", "0201256 - 6"])
def test_add_in_every_form_prints_and_stores_the_canonical_id(
    app: Flask, runner: FlaskCliRunner, form: str
) -> None:
    result = invoke(runner, "registry", "add", form, "--name", "Helsingin kaupunki")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"added {HELSINKI} Helsingin kaupunki\n"
    assert stored(app) == {HELSINKI: ("Helsingin kaupunki", "manual", "active")}


def test_add_twice_fails_in_one_line(app: Flask, runner: FlaskCliRunner) -> None:
    assert invoke(runner, "registry", "add", HELSINKI, "--name", "Helsinki").exit_code == 0
    again = invoke(runner, "registry", "add", "FI02012566", "--name", "Helsinki")
    assert again.exit_code == 1
    assert again.stdout == ""
    assert len(again.stderr.splitlines()) == 1
    assert "already in the registry" in again.stderr


def test_add_refuses_an_invalid_id_in_one_line(app: Flask, runner: FlaskCliRunner) -> None:
    result = invoke(runner, "registry", "add", "0201256-5", "--name", "Helsinki")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "registry-admin: invalid Business ID '0201256-5': the check digit does not match"
    ]
    assert stored(app) == {}


def test_remove_needs_a_reason(app: Flask, runner: FlaskCliRunner) -> None:
    invoke(runner, "registry", "add", HELSINKI, "--name", "Helsinki")
    missing = invoke(runner, "registry", "remove", HELSINKI)
    assert missing.exit_code == 2
    assert "--reason" in missing.stderr
    empty = invoke(runner, "registry", "remove", HELSINKI, "--reason", " ")
    assert empty.exit_code == 1
    assert stored(app)[HELSINKI][2] == "active"

    removed = invoke(runner, "registry", "remove", "02012566", "--reason", "asked to leave")
    assert removed.exit_code == 0, removed.output
    assert removed.stdout == f"removed {HELSINKI} Helsinki\n"
    assert stored(app)[HELSINKI] == ("Helsinki", "manual", "removed")
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "registry.remove"))
        assert event is not None
        assert event.reason == "asked to leave"
        assert event.actor.startswith("cli")

    unknown = invoke(runner, "registry", "remove", ESPOO, "--reason", "x")
    assert unknown.exit_code == 1
    assert unknown.stderr.splitlines() == [f"registry-admin: {ESPOO} is not in the registry"]


def test_list_json_lines(app: Flask, runner: FlaskCliRunner) -> None:
    invoke(runner, "registry", "add", HELSINKI, "--name", "Helsinki")
    invoke(runner, "registry", "add", ESPOO, "--name", "=Espoo")
    invoke(runner, "registry", "remove", HELSINKI, "--reason", "test")
    result = invoke(runner, "registry", "list", "--json")
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [{k: r[k] for k in ("business_id", "name", "source", "status")} for r in records] == [
        {"business_id": ESPOO, "name": "=Espoo", "source": "manual", "status": "active"},
        {"business_id": HELSINKI, "name": "Helsinki", "source": "manual", "status": "removed"},
    ]
    active = invoke(runner, "registry", "list", "--json", "--status", "active")
    assert [json.loads(line)["business_id"] for line in active.stdout.splitlines()] == [ESPOO]
    plain = invoke(runner, "registry", "list")
    assert plain.stdout.splitlines()[0] == f"{ESPOO}\tactive\tmanual\t=Espoo"


# --- registry import / export --------------------------------------------------------------------


def write_csv(tmp_path: Path, text: str, name: str = "orgs.csv", encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


BAD = (
    "business_id,name\n"
    f"{HELSINKI},Helsinki\n"
    "0201256-5,Bad check\n"
    f"{ESPOO},Espoo\n"
    "nonsense,Nonsense\n"
    f"{VANTAA},Vantaa\n"
)


def test_import_with_invalid_rows_imports_nothing(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, BAD)
    result = invoke(runner, "registry", "import", path)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{path}: line 3: invalid Business ID '0201256-5'")
    assert lines[1].startswith(f"{path}: line 5: invalid Business ID 'nonsense'")
    assert lines[2] == ("registry-admin: 2 invalid row(s); nothing imported (see --skip-invalid)")
    assert len(lines) == 3
    assert stored(app) == {}


def test_import_skip_invalid_then_again_adds_nothing(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, BAD)
    result = invoke(runner, "registry", "import", "--skip-invalid", path)
    assert result.exit_code == 0, result.output
    assert result.stdout == "3 added, 0 already registered, 2 invalid skipped\n"
    assert len(result.stderr.splitlines()) == 2
    assert stored(app) == {
        HELSINKI: ("Helsinki", "manual", "active"),
        ESPOO: ("Espoo", "manual", "active"),
        VANTAA: ("Vantaa", "manual", "active"),
    }

    valid_only = write_csv(tmp_path, f"\ufeff{HELSINKI},Helsinki\nFI01012636,Espoo\n", "ok.csv")
    again = invoke(runner, "registry", "import", valid_only)
    assert again.exit_code == 0, again.output
    assert again.stdout == "0 added, 2 already registered, 0 invalid skipped\n"
    assert len(stored(app)) == 3


def test_import_keeps_removed_organizations_removed(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, f"{HELSINKI},Helsinki\n")
    invoke(runner, "registry", "import", path)
    invoke(runner, "registry", "remove", HELSINKI, "--reason", "left")
    result = invoke(runner, "registry", "import", path)
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"{path}: line 1: {HELSINKI} Helsinki: removed by staff, not added again"
    ]
    assert stored(app)[HELSINKI][2] == "removed"


def test_import_of_a_file_that_is_not_utf8(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, f"{HELSINKI},Hämeenlinna\n", encoding="latin-1")
    result = invoke(runner, "registry", "import", path)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"registry-admin: {path}: not UTF-8 text"]
    assert stored(app) == {}


def test_export_neutralizes_a_formula_name(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    formula = '=HYPERLINK("http://evil.example","x")'
    invoke(runner, "registry", "add", HELSINKI, "--name", formula)
    invoke(runner, "registry", "add", ESPOO, "--name", "@SUM(1+1)")
    invoke(runner, "registry", "add", VANTAA, "--name", "Vantaa")
    result = invoke(runner, "registry", "export", "--format", "csv")
    assert result.exit_code == 0, result.output
    records = list(csv.reader(io.StringIO(result.stdout, newline="")))
    names = {r[0]: r[1] for r in records[1:]}
    assert names == {HELSINKI: "'" + formula, ESPOO: "'@SUM(1+1)", VANTAA: "Vantaa"}

    out = tmp_path / "export.csv"
    to_file = invoke(runner, "registry", "export", "-o", str(out))
    assert to_file.exit_code == 0
    assert out.read_text(encoding="utf-8") == result.stdout


# --- progress on a terminal ----------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    advance, finish = cli_module.progress_reporter(4, "importing")
    for n in range(1, 5):
        advance(n)
    finish()
    assert "importing" in terminal.getvalue()
    assert "100%" in terminal.getvalue()

    piped = io.StringIO()
    monkeypatch.setattr("sys.stderr", piped)
    advance, finish = cli_module.progress_reporter(4, "importing")
    advance(4)
    finish()
    assert piped.getvalue() == ""


# --- users and API clients -----------------------------------------------------------------------


def test_users_create_with_password_stdin(app: Flask, runner: FlaskCliRunner) -> None:
    short = invoke(
        runner, "users", "create", "anna", "--role", "admin", "--password-stdin", stdin="short\n"
    )
    assert short.exit_code == 1
    assert len(short.stderr.splitlines()) == 1
    assert "at least" in short.stderr

    made = invoke(
        runner,
        "users",
        "create",
        "anna",
        "--role",
        "admin",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert made.exit_code == 0, made.output
    assert made.stdout == "created admin anna\n"

    again = invoke(
        runner,
        "users",
        "create",
        "anna",
        "--role",
        "viewer",
        "--password-stdin",
        stdin="another long password\n",
    )
    assert again.exit_code == 1
    assert len(again.stderr.splitlines()) == 1
    assert "exists already" in again.stderr

    from registry_admin.review.accounts import verify_password
    from registry_admin.review.models import StaffUser

    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == "anna"))
        assert user is not None
        assert user.role == "admin"
        assert "a long enough password" not in user.password_hash
        assert verify_password(user, "a long enough password")
        assert not verify_password(user, "another long password")


def test_users_create_refuses_a_bad_role(app: Flask, runner: FlaskCliRunner) -> None:
    result = invoke(
        runner, "users", "create", "anna", "--role", "root", "--password-stdin", stdin="x" * 20
    )
    assert result.exit_code == 2


def test_api_client_token_on_the_last_line_authenticates(
    app: Flask, runner: FlaskCliRunner
) -> None:
    invoke(runner, "registry", "add", HELSINKI, "--name", "Helsingin kaupunki")
    result = invoke(runner, "api-clients", "create", "booking")
    assert result.exit_code == 0, result.output
    token = result.stdout.splitlines()[-1]
    assert token.startswith("ra_")
    assert len(token) > 30

    client = app.test_client()
    url = "/api/v1/organizations/0201256-6"
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer " + token + "x"}).status_code == 401
    deadline = time.monotonic() + 5
    while True:
        response = client.get(url, headers={"Authorization": f"Bearer {token}"})
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert response.status_code == 200
    assert response.get_json()["business_id"] == HELSINKI
    assert response.get_json()["registered"] is True

    again = invoke(runner, "api-clients", "create", "booking")
    assert again.exit_code == 1
    assert len(again.stderr.splitlines()) == 1
