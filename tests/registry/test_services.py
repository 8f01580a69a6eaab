"""Registry changes: each writes the audit trail and the change feed; the trail cannot be edited."""

from __future__ import annotations

import itertools
import threading
import time

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from registry_admin.db import db, transaction
from registry_admin.errors import Conflict, InvalidInput, NotFound
from registry_admin.registry import services
from registry_admin.registry.models import AuditEvent, Organization, RegistryChange

HELSINKI = "0201256-6"
ESPOO = "0101263-6"


def feed(app: Flask) -> list[tuple[int, str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(RegistryChange).order_by(RegistryChange.cursor)).all()
        return [(r.cursor, r.business_id, r.change) for r in rows]


def audit(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        db.session.expunge_all()
        return list(events)


def org(app: Flask, business_id: str) -> Organization:
    with app.app_context():
        found = db.session.scalar(
            select(Organization).where(Organization.business_id == business_id)
        )
        assert found is not None
        db.session.expunge_all()
        return found


def test_add_remove_readd_rename_write_audit_and_feed(app: Flask) -> None:
    with app.app_context(), transaction() as session:
        added = services.add_organization(
            session, "FI02012566", "  Helsingin   kaupunki ", source="manual", actor="alice"
        )
        assert (added.business_id, added.name, added.status) == (
            HELSINKI,
            "Helsingin kaupunki",
            "active",
        )
    first = org(app, HELSINKI)
    assert first.registered_by == "alice"
    assert first.registered_at.tzinfo is not None

    with app.app_context(), transaction() as session:
        services.remove_organization(
            session, "0201256 - 6", actor="bob", reason="  asked to leave "
        )
    removed = org(app, HELSINKI)
    assert (removed.status, removed.removed_by, removed.removal_reason) == (
        "removed",
        "bob",
        "asked to leave",
    )
    assert removed.removed_at is not None

    with app.app_context(), transaction() as session:
        services.add_organization(
            session,
            HELSINKI,
            "Helsingin kaupunki",
            source="application",
            actor="carol",
            reason="back",
        )
    back = org(app, HELSINKI)
    assert back.id == first.id  # the same row: its history stays in one place
    assert (back.status, back.source, back.registered_by) == ("active", "application", "carol")
    assert (back.removed_at, back.removed_by, back.removal_reason) == (None, None, None)

    with app.app_context(), transaction() as session:
        services.rename_organization(session, HELSINKI, "Helsingfors stad", actor="dave")
    assert org(app, HELSINKI).name == "Helsingfors stad"

    events = audit(app)
    assert [(e.action, e.actor, e.business_id) for e in events] == [
        ("registry.add", "alice", HELSINKI),
        ("registry.remove", "bob", HELSINKI),
        ("registry.add", "carol", HELSINKI),
        ("registry.rename", "dave", HELSINKI),
    ]
    add, remove, readd, rename = events
    assert add.before is None
    assert add.after == {
        "business_id": HELSINKI,
        "name": "Helsingin kaupunki",
        "source": "manual",
        "status": "active",
    }
    assert remove.before["status"] == "active"
    assert remove.after["status"] == "removed"
    assert remove.reason == "asked to leave"
    assert readd.before["status"] == "removed"
    assert readd.after == {**add.after, "source": "application"}
    assert readd.reason == "back"
    assert rename.before["name"] == "Helsingin kaupunki"
    assert rename.after["name"] == "Helsingfors stad"
    assert all(e.at.tzinfo is not None for e in events)

    changes = feed(app)
    assert [(bid, change) for _c, bid, change in changes] == [
        (HELSINKI, "added"),
        (HELSINKI, "removed"),
        (HELSINKI, "added"),
        (HELSINKI, "renamed"),
    ]
    cursors = [c for c, _b, _ch in changes]
    assert all(a < b for a, b in itertools.pairwise(cursors))


def test_cursor_increases_across_organizations_and_transactions(app: Flask) -> None:
    with app.app_context(), transaction() as session:
        services.add_organization(session, HELSINKI, "Helsinki", source="municipality", actor="t")
        services.add_organization(session, ESPOO, "Espoo", source="municipality", actor="t")
    with app.app_context(), transaction() as session:
        services.remove_organization(session, ESPOO, actor="t", reason="test")
    changes = feed(app)
    assert [(b, c) for _cur, b, c in changes] == [
        (HELSINKI, "added"),
        (ESPOO, "added"),
        (ESPOO, "removed"),
    ]
    cursors = [c for c, _b, _ch in changes]
    assert cursors == sorted(set(cursors))


def test_rename_to_the_same_name_changes_nothing(app: Flask) -> None:
    with app.app_context(), transaction() as session:
        services.add_organization(session, HELSINKI, "Helsinki", source="manual", actor="t")
    with app.app_context(), transaction() as session:
        services.rename_organization(session, HELSINKI, " Helsinki ", actor="t")
    assert len(feed(app)) == 1
    assert len(audit(app)) == 1


def test_adding_an_active_organization_again_is_a_conflict(app: Flask) -> None:
    with app.app_context(), transaction() as session:
        services.add_organization(session, HELSINKI, "Helsinki", source="manual", actor="t")
    with pytest.raises(Conflict, match=HELSINKI), app.app_context(), transaction() as session:
        services.add_organization(session, "02012566", "Other", source="manual", actor="t")
    assert org(app, HELSINKI).name == "Helsinki"
    assert len(feed(app)) == 1
    assert len(audit(app)) == 1


def test_refusals_name_what_is_wrong(app: Flask) -> None:
    with app.app_context(), transaction() as session:
        with pytest.raises(NotFound, match=HELSINKI):
            services.remove_organization(session, HELSINKI, actor="t", reason="x")
        with pytest.raises(NotFound):
            services.rename_organization(session, HELSINKI, "New", actor="t")
        with pytest.raises(InvalidInput, match="invalid Business ID"):
            services.add_organization(session, "0201256-5", "X", source="manual", actor="t")
        with pytest.raises(InvalidInput, match="source"):
            services.add_organization(session, HELSINKI, "X", source="guess", actor="t")
        services.add_organization(session, HELSINKI, "Helsinki", source="manual", actor="t")
        with pytest.raises(InvalidInput, match="reason"):
            services.remove_organization(session, HELSINKI, actor="t", reason="   ")
        services.remove_organization(session, HELSINKI, actor="t", reason="gone")
        with pytest.raises(NotFound):
            services.remove_organization(session, HELSINKI, actor="t", reason="twice")
    assert [c for _cur, _b, c in feed(app)] == ["added", "removed"]


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "\t\n",
        "Null\x00byte",
        "Bell\x07",
        "Escape\x1b[31m",
        "Zero\u200bwidth",
        "Right\u202eleft",
        "Del\x7f",
        "x" * (services.MAX_NAME + 1),
    ],
)
def test_clean_name_refuses(name: str) -> None:
    with pytest.raises(InvalidInput):
        services.clean_name(name)


def test_clean_name_collapses_white_space_and_composes() -> None:
    assert services.clean_name(" Åbo\u00a0 stad\n") == "Åbo stad"
    assert services.clean_name("A\u030abo") == "Åbo"
    assert services.clean_name("x" * services.MAX_NAME) == "x" * services.MAX_NAME


def test_a_refused_name_leaves_no_trace(app: Flask) -> None:
    with pytest.raises(InvalidInput), app.app_context(), transaction() as session:
        services.add_organization(session, HELSINKI, "Bad\x00", source="manual", actor="t")
    assert feed(app) == []
    assert audit(app) == []


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET actor = 'mallory'", "DELETE FROM audit_events"],
)
def test_audit_events_are_append_only_in_the_database(app: Flask, statement: str) -> None:
    with app.app_context(), transaction() as session:
        services.add_organization(session, HELSINKI, "Helsinki", source="manual", actor="alice")
    with app.app_context():
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert [e.actor for e in audit(app)] == ["alice"]


def test_business_id_is_unique_in_the_database(app: Flask) -> None:
    with app.app_context(), transaction() as session:
        services.add_organization(session, HELSINKI, "Helsinki", source="manual", actor="t")
    with app.app_context():
        with pytest.raises(DBAPIError):
            db.session.execute(
                text(
                    "INSERT INTO organizations (business_id, name, source, status, registered_at,"
                    " registered_by, updated_at) VALUES (:b, 'x', 'manual', 'active',"
                    " CURRENT_TIMESTAMP, 't', CURRENT_TIMESTAMP)"
                ),
                {"b": HELSINKI},
            )
        db.session.rollback()


def test_two_simultaneous_adds_end_in_a_conflict(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    first = Session(engine)
    services.add_organization(first, HELSINKI, "First", source="manual", actor="a")
    outcome: list[BaseException | None] = []

    def second_add() -> None:
        second = Session(engine)
        try:
            # Looks up before the first commits, then waits for its lock to insert.
            services.add_organization(second, HELSINKI, "Second", source="manual", actor="b")
            second.commit()
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)
        finally:
            second.rollback()
            second.close()

    thread = threading.Thread(target=second_add)
    thread.start()
    time.sleep(0.5)
    first.commit()
    first.close()
    thread.join(timeout=10)
    assert len(outcome) == 1
    assert isinstance(outcome[0], Conflict), repr(outcome[0])
    assert org(app, HELSINKI).name == "First"
    assert [c for _cur, _b, c in feed(app)] == ["added"]
