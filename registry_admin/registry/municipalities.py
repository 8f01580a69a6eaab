"""Every Finnish municipality is in the registry: read the bundled list and add what is missing."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_admin import businessid
from registry_admin.errors import InvalidInput
from registry_admin.registry import services
from registry_admin.registry.models import AuditEvent, Organization

ACTOR = "system:municipality-sync"
COLUMNS = ("business_id", "name_fi", "name_sv", "municipality_code")


@dataclass(frozen=True)
class Municipality:
    business_id: str | None
    name_fi: str
    name_sv: str
    code: str
    line: int


@dataclass
class SyncReport:
    """What a sync did, and what it leaves for an admin to look at."""

    added: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    unchanged: int = 0
    # Rows the list cannot be trusted for: no ID, an invalid ID, a duplicate.
    problems: list[str] = field(default_factory=list)
    # Removed from the registry by staff: a sync never overrules that.
    kept_removed: list[str] = field(default_factory=list)
    # Registered from another source (manual, application): left as they are.
    other_source: list[str] = field(default_factory=list)
    # Municipalities in the registry that the list no longer names (a merger?): never deleted.
    vanished: list[str] = field(default_factory=list)

    def needs_review(self) -> bool:
        return bool(self.problems or self.kept_removed or self.vanished)

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.renamed)} renamed, {self.unchanged} unchanged, "
            f"{len(self.problems)} rows with problems, {len(self.kept_removed)} kept removed, "
            f"{len(self.other_source)} registered from another source, "
            f"{len(self.vanished)} no longer listed"
        )

    def as_dict(self) -> dict:
        return {
            "added": self.added,
            "renamed": self.renamed,
            "unchanged": self.unchanged,
            "problems": self.problems,
            "kept_removed": self.kept_removed,
            "other_source": self.other_source,
            "vanished": self.vanished,
        }


def bundled_list_text() -> str:
    """The municipality list shipped with the package."""
    return resources.files("registry_admin").joinpath("data/municipalities.csv").read_text("utf-8")


def read_municipalities(text: str) -> tuple[list[Municipality], list[str]]:
    """Parse the list; rows that cannot be used are returned as problems, never guessed at."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        return [], [f"the list lacks the column(s) {', '.join(missing)}"]
    rows: list[Municipality] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, record in enumerate(reader, start=2):
        name = (record.get("name_fi") or "").strip()
        code = (record.get("municipality_code") or "").strip()
        raw_id = (record.get("business_id") or "").strip()
        label = f"line {line}: {name or '?'} ({code or '?'})"
        if not raw_id:
            problems.append(f"{label}: no Business ID; an admin must supply it")
            rows.append(Municipality(None, name, (record.get("name_sv") or "").strip(), code, line))
            continue
        try:
            bid = businessid.normalize(raw_id)
        except businessid.InvalidBusinessId as exc:
            problems.append(f"{label}: invalid Business ID {raw_id!r} ({exc.detail})")
            continue
        if bid in seen:
            problems.append(f"{label}: Business ID {bid} also on line {seen[bid]}")
            continue
        try:
            name = services.clean_name(name)
        except InvalidInput as exc:
            problems.append(f"{label}: {exc}")
            continue
        seen[bid] = line
        rows.append(Municipality(bid, name, (record.get("name_sv") or "").strip(), code, line))
    return rows, problems


def sync_municipalities(
    session: Session,
    municipalities: Iterable[Municipality],
    problems: list[str],
    *,
    progress: Callable[[int], None] | None = None,
) -> SyncReport:
    """Add every listed municipality that is missing; report, never delete, the rest."""
    report = SyncReport(problems=list(problems))
    existing = {o.business_id: o for o in session.scalars(select(Organization))}
    listed: set[str] = set()
    for index, municipality in enumerate(municipalities, start=1):
        if progress:
            progress(index)
        if municipality.business_id is None:
            continue
        bid = municipality.business_id
        listed.add(bid)
        org = existing.get(bid)
        if org is None:
            services.add_organization(
                session,
                bid,
                municipality.name_fi,
                source="municipality",
                actor=ACTOR,
                reason=f"municipality {municipality.code}",
            )
            report.added.append(bid)
        elif org.status == "removed":
            report.kept_removed.append(f"{bid} {org.name}")
        elif org.source != "municipality":
            report.other_source.append(f"{bid} {org.name} ({org.source})")
        elif org.name != municipality.name_fi:
            services.rename_organization(
                session, bid, municipality.name_fi, actor=ACTOR, reason="renamed in the list"
            )
            report.renamed.append(bid)
        else:
            report.unchanged += 1
    for bid, org in existing.items():
        if org.source == "municipality" and org.status == "active" and bid not in listed:
            report.vanished.append(f"{bid} {org.name}")
    if report.added or report.renamed or (report.needs_review() and _new_findings(session, report)):
        services.record_audit(session, ACTOR, "municipalities.sync", after=report.as_dict())
    return report


def _new_findings(session: Session, report: SyncReport) -> bool:
    """Whether the review findings differ from those the last recorded sync reported."""
    last = session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "municipalities.sync")
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    keys = ("problems", "kept_removed", "vanished")
    current = report.as_dict()
    return last is None or any((last.after or {}).get(k) != current[k] for k in keys)


def load_list(path: Path | None) -> tuple[list[Municipality], list[str]]:
    """The list from `path`, or the bundled one."""
    try:
        text = path.read_text(encoding="utf-8-sig") if path else bundled_list_text()
    except UnicodeDecodeError:
        return [], [f"{path}: not UTF-8 text"]
    return read_municipalities(text)
