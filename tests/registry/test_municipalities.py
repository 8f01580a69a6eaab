"""Municipality sync: the bundled list, idempotence, and what it leaves for an admin to review."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from stdnum.fi import ytunnus

from registry_admin.cli import cli
from registry_admin.db import db, transaction
from registry_admin.registry import services
from registry_admin.registry.models import AuditEvent, Organization, RegistryChange
from registry_admin.registry.municipalities import (
    ACTOR,
    SyncReport,
    bundled_list_text,
    read_municipalities,
    sync_municipalities,
)

HELSINKI = "0201256-6"
ESPOO = "0101263-6"
VANTAA = "0124610-9"
HEADER = "business_id,name_fi,name_sv,municipality_code\n"
TWO = HEADER + f"{HELSINKI},Helsinki,Helsingfors,091\n{ESPOO},Espoo,Esbo,049\n"


def sync_text(app: Flask, text: str) -> SyncReport:
    municipalities, problems = read_municipalities(text)
    with app.app_context(), transaction() as session:
        return sync_municipalities(session, municipalities, problems)


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def organization(app: Flask, business_id: str) -> tuple[str, str, str]:
    with app.app_context():
        org = db.session.scalar(select(Organization).where(Organization.business_id == business_id))
        assert org is not None
        return org.name, org.source, org.status


def changes(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(RegistryChange).order_by(RegistryChange.cursor))
        return [(r.business_id, r.change) for r in rows]


def test_bundled_list_has_307_valid_ids_and_reports_pietarsaari() -> None:
    municipalities, problems = read_municipalities(bundled_list_text())
    with_id = [m for m in municipalities if m.business_id]
    assert len(with_id) == 307
    assert len({m.business_id for m in with_id}) == 307
    assert all(ytunnus.is_valid(m.business_id) for m in with_id)
    assert all(m.name_fi and m.code for m in municipalities)
    assert [m.name_fi for m in municipalities if m.business_id is None] == ["Pietarsaari"]
    assert len(problems) == 1
    assert "Pietarsaari" in problems[0]
    assert "598" in problems[0]
    assert "line 195" in problems[0]
    assert "no Business ID" in problems[0]
    helsinki = next(m for m in municipalities if m.business_id == HELSINKI)
    assert (helsinki.name_fi, helsinki.name_sv, helsinki.code) == ("Helsinki", "Helsingfors", "091")


def test_bundled_sync_is_idempotent(app: Flask) -> None:
    first = sync_text(app, bundled_list_text())
    assert len(first.added) == 307
    assert first.unchanged == 0
    assert len(first.problems) == 1
    assert "Pietarsaari" in first.problems[0]
    assert count(app, Organization) == 307
    assert count(app, RegistryChange) == 307
    assert organization(app, HELSINKI) == ("Helsinki", "municipality", "active")
    with app.app_context():
        actors = set(db.session.scalars(select(AuditEvent.actor)))
        actions = list(db.session.scalars(select(AuditEvent.action)))
    assert actors == {ACTOR}
    assert actions.count("registry.add") == 307
    assert actions.count("municipalities.sync") == 1

    second = sync_text(app, bundled_list_text())
    assert second.added == []
    assert second.renamed == []
    assert second.unchanged == 307
    assert second.vanished == []
    assert count(app, Organization) == 307
    assert count(app, RegistryChange) == 307


def test_a_municipality_missing_from_a_newer_list_is_reported_and_kept(app: Flask) -> None:
    sync_text(app, TWO)
    report = sync_text(app, HEADER + f"{HELSINKI},Helsinki,Helsingfors,091\n")
    assert report.vanished == [f"{ESPOO} Espoo"]
    assert report.needs_review()
    assert organization(app, ESPOO) == ("Espoo", "municipality", "active")
    assert changes(app) == [(HELSINKI, "added"), (ESPOO, "added")]
    with app.app_context():
        last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert last is not None
        assert last.action == "municipalities.sync"
        assert last.after["vanished"] == [f"{ESPOO} Espoo"]


def test_a_municipality_removed_by_staff_stays_removed(app: Flask) -> None:
    sync_text(app, TWO)
    with app.app_context(), transaction() as session:
        services.remove_organization(session, ESPOO, actor="admin", reason="asked to leave")
    report = sync_text(app, TWO)
    assert report.added == []
    assert report.kept_removed == [f"{ESPOO} Espoo"]
    assert report.vanished == []
    assert organization(app, ESPOO) == ("Espoo", "municipality", "removed")
    assert changes(app)[-1] == (ESPOO, "removed")
    assert len(changes(app)) == 3


def test_a_renamed_municipality_is_renamed(app: Flask) -> None:
    sync_text(app, TWO)
    report = sync_text(app, TWO.replace(",Espoo,Esbo,", ",Espoon kaupunki,Esbo stad,"))
    assert report.renamed == [ESPOO]
    assert report.unchanged == 1
    assert organization(app, ESPOO) == ("Espoon kaupunki", "municipality", "active")
    assert changes(app)[-1] == (ESPOO, "renamed")
    with app.app_context():
        rename = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "registry.rename"))
        assert rename is not None
        assert (rename.actor, rename.before["name"], rename.after["name"]) == (
            ACTOR,
            "Espoo",
            "Espoon kaupunki",
        )


def test_an_organization_registered_otherwise_is_left_as_it_is(app: Flask) -> None:
    with app.app_context(), transaction() as session:
        services.add_organization(session, HELSINKI, "Stadi", source="manual", actor="admin")
    report = sync_text(app, TWO)
    assert report.added == [ESPOO]
    assert report.other_source == [f"{HELSINKI} Stadi (manual)"]
    assert organization(app, HELSINKI) == ("Stadi", "manual", "active")


def test_bad_rows_in_a_custom_list_are_reported_by_line() -> None:
    text = (
        HEADER
        + f"{HELSINKI},Helsinki,Helsingfors,091\n"  # line 2
        + "0201256-5,Bad check,,999\n"  # line 3
        + "hello,Garbage,,998\n"  # line 4
        + f"{HELSINKI.replace('-', '')},Again,,997\n"  # line 5: the same ID in another form
        + ",Nameless ID,,996\n"  # line 6
        + f"{VANTAA},,Vanda,092\n"  # line 7: no Finnish name
        + f"{ESPOO},Espoo,Esbo,049\n"  # line 8
    )
    municipalities, problems = read_municipalities(text)
    assert [m.business_id for m in municipalities] == [HELSINKI, None, ESPOO]
    assert len(problems) == 5
    assert problems[0].startswith("line 3: Bad check (999): invalid Business ID")
    assert "checksum" in problems[0] or "check digit" in problems[0]
    assert problems[1].startswith("line 4: Garbage (998): invalid Business ID 'hello'")
    assert problems[2] == f"line 5: Again (997): Business ID {HELSINKI} also on line 2"
    assert problems[3].startswith("line 6: Nameless ID (996): no Business ID")
    assert problems[4].startswith("line 7: ? (092): name must not be empty")


def test_a_list_without_the_columns_is_refused() -> None:
    municipalities, problems = read_municipalities("id,name\n0201256-6,Helsinki\n")
    assert municipalities == []
    assert problems == [
        "the list lacks the column(s) business_id, name_fi, name_sv, municipality_code"
    ]


def test_cli_sync_prints_review_lines_on_stderr(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    first = tmp_path / "first.csv"
    first.write_text(TWO + f"{VANTAA},Vantaa,Vanda,092\n", encoding="utf-8")
    result = runner.invoke(cli, ["municipalities", "sync", "--file", str(first)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("3 added, 0 renamed, 0 unchanged")
    assert result.stderr == ""

    with app.app_context(), transaction() as session:
        services.remove_organization(session, VANTAA, actor="admin", reason="test")
    newer = tmp_path / "newer.csv"
    newer.write_text(
        "\ufeff" + HEADER + f"{HELSINKI},Helsinki,Helsingfors,091\n"
        f"{VANTAA},Vantaa,Vanda,092\n,Pietarsaari,Jakobstad,598\n",
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["municipalities", "sync", "--file", str(newer)])
    assert result.exit_code == 0, result.output
    review = result.stderr.splitlines()
    assert review == [
        "review: line 4: Pietarsaari (598): no Business ID; an admin must supply it",
        f"review: {VANTAA} Vantaa: removed by staff, not added again",
        f"review: {ESPOO} Espoo: no longer in the list, left in the registry",
    ]
    assert "0 added" in result.stdout
    assert "1 no longer listed" in result.stdout
    assert organization(app, ESPOO)[2] == "active"


def test_cli_sync_refuses_a_file_that_is_not_utf8(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        (HEADER + f"{ESPOO},Espoo,Esbo,049\n{VANTAA},Vänta,Vanda,092\n").encode("latin-1")
    )
    result = runner.invoke(cli, ["municipalities", "sync", "--file", str(path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"registry-admin: {path}: not UTF-8 text"]


def test_cli_sync_of_the_bundled_list(runner: FlaskCliRunner) -> None:
    result = runner.invoke(cli, ["municipalities", "sync"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("307 added")
    assert "Pietarsaari" in result.stderr
    again = runner.invoke(cli, ["municipalities", "sync"])
    assert again.stdout.startswith("0 added, 0 renamed, 307 unchanged")


def test_a_sync_that_finds_nothing_new_adds_no_audit_event(app):
    from sqlalchemy import func, select

    from registry_admin.db import db, transaction
    from registry_admin.registry.models import AuditEvent
    from registry_admin.registry.municipalities import load_list, sync_municipalities

    def sync_and_count() -> int:
        municipalities, problems = load_list(None)
        with app.app_context():
            with transaction() as session:
                sync_municipalities(session, municipalities, problems)
            return db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "municipalities.sync")
            )

    assert sync_and_count() == 1  # the first sync adds 307 and reports Pietarsaari
    assert sync_and_count() == 1  # the same finding again is not news
