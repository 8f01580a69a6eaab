"""Bulk import of an existing registry from CSV, and export that spreadsheets cannot misread."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_admin import businessid
from registry_admin.errors import InvalidInput
from registry_admin.registry import services
from registry_admin.registry.models import Organization

EXPORT_COLUMNS = ("business_id", "name", "source", "status", "registered_at", "removed_at")
# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ImportRow:
    line: int
    business_id: str
    name: str


@dataclass
class ImportResult:
    added: int = 0
    already: int = 0
    skipped_invalid: int = 0
    name_differs: list[str] = field(default_factory=list)
    kept_removed: list[str] = field(default_factory=list)


def read_import_csv(text: str) -> tuple[list[ImportRow], list[str]]:
    """Rows `business_id,name` (a header line is optional); every bad row named by its line."""
    rows: list[ImportRow] = []
    errors: list[str] = []
    seen: dict[str, ImportRow] = {}
    for line, record in _records(text.removeprefix("\ufeff"), errors):
        if not any(cell.strip() for cell in record):
            continue
        if line == 1 and [c.strip().lower() for c in record[:2]] == ["business_id", "name"]:
            continue
        if len(record) != 2:
            errors.append(
                f"line {line}: expected 2 columns (business_id,name), found {len(record)}"
            )
            continue
        try:
            bid = businessid.normalize(record[0])
        except businessid.InvalidBusinessId as exc:
            errors.append(f"line {line}: invalid Business ID {record[0][:40]!r}: {exc.detail}")
            continue
        try:
            name = services.clean_name(record[1])
        except InvalidInput as exc:
            errors.append(f"line {line}: {exc}")
            continue
        earlier = seen.get(bid)
        if earlier is not None:
            if earlier.name != name:
                errors.append(f"line {line}: {bid} is on line {earlier.line} with another name")
            continue
        row = ImportRow(line, bid, name)
        seen[bid] = row
        rows.append(row)
    return rows, errors


def _records(text: str, errors: list[str]) -> Iterator[tuple[int, list[str]]]:
    """Each CSV record with the line it starts on (a quoted cell may span several lines)."""
    reader = csv.reader(io.StringIO(text))
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            errors.append(f"line {start}: not readable as CSV: {exc}")
            continue
        yield start, record


def import_rows(
    session: Session,
    rows: Iterable[ImportRow],
    *,
    actor: str,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Add the rows not yet registered; running it again adds nothing."""
    result = ImportResult()
    existing = {o.business_id: o for o in session.scalars(select(Organization))}
    for index, row in enumerate(rows, start=1):
        if progress:
            progress(index)
        org = existing.get(row.business_id)
        if org is not None and org.status == "active":
            result.already += 1
            if org.name != row.name:
                result.name_differs.append(
                    f"line {row.line}: {row.business_id} is registered as {org.name!r}"
                )
            continue
        if org is not None:
            # Removed by staff, with a reason in the audit trail: an import does not undo that.
            result.kept_removed.append(f"line {row.line}: {row.business_id} {org.name}")
            continue
        services.add_organization(
            session, row.business_id, row.name, source="manual", actor=actor, reason="CSV import"
        )
        result.added += 1
    return result


def neutralize_cell(value: str) -> str:
    """Make a cell read as text in a spreadsheet (OWASP's CSV-injection advice)."""
    if value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_csv(organizations: Iterable[Organization]) -> str:
    """The registry as CSV with formula-looking cells neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for org in organizations:
        values = (
            org.business_id,
            org.name,
            org.source,
            org.status,
            org.registered_at.isoformat(),
            org.removed_at.isoformat() if org.removed_at else "",
        )
        writer.writerow([neutralize_cell(v) for v in values])
    return out.getvalue()
