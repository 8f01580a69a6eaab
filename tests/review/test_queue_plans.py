"""The queue page's queries read indexes, never a whole table (SQLite's query plans)."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from staff_client import PASSWORD, sign_in

from registry_admin.db import db, transaction
from registry_admin.review.accounts import create_user

PATHS = [
    "/requests",
    "/requests?state=approved",
    "/requests?state=approved&after=5",
    "/requests?q=2331972-7",
    "/requests?state=approved&q=23319",
    "/requests?state=approved&q=RA-2026-000001",
    "/requests?state=approved&q=yhdistys",
    "/requests?state=approved&q=hakija@example.fi",
    "/requests?state=quarantined",
    "/requests?state=removals",
]


@pytest.mark.parametrize("path", PATHS)
def test_no_queue_query_scans_a_table(sqlite_app, path):
    with sqlite_app.app_context(), transaction() as session:
        create_user(session, "v", role="viewer", password=PASSWORD, actor="test")
    client = sqlite_app.test_client()
    sign_in(client, "v")
    statements: list[tuple[str, object]] = []
    with sqlite_app.app_context():
        engine = db.engine

        def capture(conn, cursor, statement, parameters, context, executemany):
            if "registration_requests" in statement or "mail_messages" in statement:
                statements.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", capture)
        try:
            assert client.get(path).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        assert statements
        with engine.connect() as connection:
            for statement, parameters in statements:
                plan = connection.exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + statement, parameters
                ).all()
                for row in plan:
                    detail = row[-1]
                    # "SCAN t" alone reads every row; "SCAN t USING ... INDEX" walks an index.
                    if detail.startswith("SCAN ") and "INDEX" not in detail:
                        assert "registration_requests" not in detail, (statement, detail)
                        assert "mail_messages" not in detail, (statement, detail)
