"""reserve_ids: keys taken ahead of an insert never collide with the database's own numbering."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from registry_admin.db import db, reserve_ids
from registry_admin.intake.models import RegistrationRequest

TABLE = RegistrationRequest.__table__


def _request(**fields) -> RegistrationRequest:
    return RegistrationRequest(state="new", missing=[], evidence={}, **fields)


def test_reserved_keys_follow_the_stored_rows_and_the_database_numbers_after_them(
    app: Flask,
) -> None:
    with app.app_context():
        session = db.session()
        session.add_all([_request(), _request()])
        session.commit()
        stored = max(session.scalars(select(RegistrationRequest.id)))
        session.add(_request())
        session.flush()  # this transaction has written
        numbered = max(session.scalars(select(RegistrationRequest.id)))
        ids = reserve_ids(session, TABLE, 3)
        assert ids is not None and len(ids) == 3
        assert ids == sorted(ids) and len(set(ids)) == 3 and ids[0] > numbered > stored
        session.add_all(_request(id=key) for key in ids)
        session.commit()
        after = _request()
        session.add(after)
        session.commit()
        assert after.id > ids[-1]
        assert reserve_ids(session, TABLE, 0) == []
        db.session.remove()


def test_sqlite_reserves_nothing_before_the_transaction_holds_the_write_lock(
    sqlite_app: Flask,
) -> None:
    with sqlite_app.app_context():
        session = db.session()
        session.scalar(select(RegistrationRequest.id))  # a read takes no lock
        assert reserve_ids(session, TABLE, 2) is None
        session.add(_request())
        session.flush()
        assert reserve_ids(session, TABLE, 2) is not None
        session.rollback()
        db.session.remove()
