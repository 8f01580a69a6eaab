"""Admins' wording of the notifications: kept in the database over the template files, checked
on a realistic sample before it is saved, every change audited."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateError
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_admin.db import utcnow
from registry_admin.errors import InvalidInput, NotFound
from registry_admin.notify.compose import (
    Rendered,
    UnsafeHeaderValue,
    check_header_text,
    default_source,
    render_part,
    tidy_spaces,
)
from registry_admin.notify.models import KINDS, LANGUAGES, PARTS, WordingOverride
from registry_admin.registry.services import record_audit

MAX_SOURCE_CHARS = 20_000

# What the decisions pass to each kind (see registry.decisions), filled as a real case would be.
_COMMON = {
    "reference": "RA-2026-000123",
    "organization_name": "Hakalan Perheyhdistys ry",
    "business_id": "1031838-4",
}
_SAMPLE_ENTRIES = [
    {"item": "contact_name", "reason": "missing", "as_written": None, "detail": None},
    {"item": "business_id", "reason": "check_digit", "as_written": "1031838-5", "detail": None},
]
_REASONS = {
    "fi": "Yhdistys ei välitä asiakkaidensa asioita Kelaan.",
    "sv": "Föreningen sköter inte sina klienters ärenden hos FPA.",
    "en": "The association does not handle its clients' matters with Kela.",
}


class WordingRefused(InvalidInput):
    """A wording that does not parse, does not render on the sample, or gives a bad subject."""


@dataclass(frozen=True)
class Preview:
    rendered: Rendered | None
    error: str | None


def sample_context(kind: str, language: str) -> dict[str, Any]:
    """A realistic context of `kind`: reference, organization, missing items, reason."""
    context: dict[str, Any] = dict(_COMMON)
    if kind == "missing":
        context["entries"] = _SAMPLE_ENTRIES
        context["missing"] = ["contact_name"]
        context["invalid"] = _SAMPLE_ENTRIES[1:]
    if kind in ("rejected", "removed"):
        context["reason"] = _REASONS[language]
    return context


def check_part(kind: str, language: str, part: str) -> None:
    if kind not in KINDS or language not in LANGUAGES or part not in PARTS:
        raise NotFound("no such wording")


def overrides_for(session: Session, kind: str, language: str) -> dict[str, str]:
    """The edited parts of `kind` in `language`: part -> template source."""
    rows = session.execute(
        select(WordingOverride.part, WordingOverride.source).where(
            WordingOverride.kind == kind, WordingOverride.language == language
        )
    ).all()
    return {part: source for part, source in rows}


def all_overrides(session: Session) -> dict[tuple[str, str, str], WordingOverride]:
    return {
        (row.kind, row.language, row.part): row for row in session.scalars(select(WordingOverride))
    }


def current_source(session: Session, kind: str, language: str, part: str) -> str:
    check_part(kind, language, part)
    return overrides_for(session, kind, language).get(part) or default_source(kind, part)


def preview(
    session: Session, kind: str, language: str, part: str | None = None, source: str | None = None
) -> Preview:
    """All three parts on the sample, with `source` in place of `part` when given."""
    sources = overrides_for(session, kind, language)
    if part is not None and source is not None:
        sources[part] = source
    context = sample_context(kind, language)
    try:
        texts = [render_part(kind, language, p, context, sources.get(p)) for p in PARTS]
        subject = tidy_spaces(texts[0].removesuffix("\n"))
        check_header_text(subject, "Subject")
    except TemplateError as exc:
        return Preview(None, _template_error(exc))
    except UnsafeHeaderValue as exc:
        return Preview(None, str(exc))
    return Preview(Rendered(subject, texts[1], texts[2]), None)


def _template_error(exc: TemplateError) -> str:
    line = getattr(exc, "lineno", None)
    where = f" (line {line})" if line else ""
    return f"{type(exc).__name__}{where}: {exc.message or exc}"


def _checked(kind: str, language: str, part: str, source: str) -> None:
    if len(source) > MAX_SOURCE_CHARS:
        raise WordingRefused(f"longer than {MAX_SOURCE_CHARS} characters")
    # Each language's sample is rendered: a kind's parts are shared by nothing else, but the
    # missing-items wording must work with both ways the decisions describe the items.
    contexts: list[Mapping[str, Any]] = [sample_context(kind, language)]
    if kind == "missing":
        contexts.append({**_COMMON, "missing": ["justification", "contact_details"], "invalid": []})
    for context in contexts:
        try:
            text = render_part(kind, language, part, context, source)
        except TemplateError as exc:
            raise WordingRefused(_template_error(exc)) from exc
        if part == "subject.txt":
            subject = tidy_spaces(text.removesuffix("\n"))
            try:
                check_header_text(subject, "Subject")
            except UnsafeHeaderValue as exc:
                raise WordingRefused(str(exc)) from exc
            if not subject:
                raise WordingRefused("Subject: empty")


def _override(session: Session, kind: str, language: str, part: str) -> WordingOverride | None:
    return session.scalar(
        select(WordingOverride).where(
            WordingOverride.kind == kind,
            WordingOverride.language == language,
            WordingOverride.part == part,
        )
    )


def save_wording(
    session: Session,
    kind: str,
    language: str,
    part: str,
    source: str,
    *,
    actor: str,
    remote_addr: str | None = None,
) -> WordingOverride:
    """Store an admin's wording after it rendered on the sample; refused (nothing saved) if not."""
    check_part(kind, language, part)
    source = source.replace("\r\n", "\n")
    _checked(kind, language, part, source)
    row = _override(session, kind, language, part)
    before = row.source if row is not None else None
    if row is None:
        row = WordingOverride(kind=kind, language=language, part=part, source=source)
        session.add(row)
    row.source, row.updated_by, row.updated_at = source, actor, utcnow()
    record_audit(
        session,
        actor,
        "notify.wording_saved",
        before={"kind": kind, "language": language, "part": part, "source": before},
        after={"kind": kind, "language": language, "part": part, "source": source},
        remote_addr=remote_addr,
    )
    session.flush()
    return row


def reset_wording(
    session: Session,
    kind: str,
    language: str,
    part: str,
    *,
    actor: str,
    remote_addr: str | None = None,
) -> bool:
    """Remove the admin's wording, so that the file applies again; False when there was none."""
    check_part(kind, language, part)
    row = _override(session, kind, language, part)
    if row is None:
        return False
    record_audit(
        session,
        actor,
        "notify.wording_reset",
        before={"kind": kind, "language": language, "part": part, "source": row.source},
        after={"kind": kind, "language": language, "part": part, "source": None},
        remote_addr=remote_addr,
    )
    session.delete(row)
    session.flush()
    return True
