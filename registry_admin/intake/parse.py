"""Parse one raw message into a ParsedMessage, and thread follow-ups onto earlier requests."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from registry_admin.intake.applicant import applicant_address
from registry_admin.intake.classify import (
    FOLLOWUP,
    OTHER,
    REMOVAL,
    REQUEST,
    classify,
    detect_language,
)
from registry_admin.intake.document import FORWARD, OWN, REPLY, read_document
from registry_admin.intake.extract import extract
from registry_admin.intake.mime import (
    Attachment,
    IntakeError,
    MessageLimitExceeded,
    UnparseableMessage,
    read_message,
)
from registry_admin.intake.results import Evidence, Extraction

log = logging.getLogger(__name__)

__all__ = [
    "IntakeError",
    "MessageLimitExceeded",
    "ParsedMessage",
    "UnparseableMessage",
    "parse_message",
    "thread_followups",
]

DATA_KINDS = (REQUEST, FOLLOWUP, REMOVAL)
JSON_KEYS = (
    "kind",
    "is_request",
    "language",
    "business_id",
    "business_id_valid",
    "business_id_as_written",
    "organization_name",
    "justification",
    "contact_name",
    "contact_email",
    "contact_phone",
    "missing",
)


@dataclass(frozen=True)
class ParsedMessage:
    """What the intake knows about one message: its kind, the five items and their evidence."""

    kind: str
    language: str
    business_id: str | None = None
    business_id_valid: bool | None = None
    business_id_as_written: str | None = None
    organization_name: str | None = None
    justification: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    missing: tuple[str, ...] = ()
    evidence: dict[str, Evidence] = field(default_factory=dict)
    subject: str = ""
    message_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    completes: str | None = None  # Message-ID of the earlier request a follow-up completes
    attachments: tuple[Attachment, ...] = ()
    reason: str = ""
    # The items as this message alone gives them, before nulling or merging; for threading.
    own: Extraction = field(default_factory=Extraction, repr=False, compare=False)
    # The items the reported values come from (for a follow-up, merged with the earlier ones).
    items: Extraction = field(default_factory=Extraction, repr=False, compare=False)
    # From and Reply-To as applicant.applicant_address gives them, for answering the sender.
    applicant_address: str | None = field(default=None, repr=False, compare=False)

    @cached_property
    def stored(self) -> dict[str, Any]:
        """What the ledger keeps of this result: to_json_dict() in JSON types only. Cached, so
        a parser process computes it and it travels with the result."""
        return _jsonable(self.to_json_dict())

    @property
    def is_request(self) -> bool:
        return self.kind in (REQUEST, FOLLOWUP)

    def to_json_dict(self) -> dict[str, Any]:
        """The `registry-admin parse --json` object without "file" (INTERFACES section 3)."""
        result: dict[str, Any] = {
            "kind": self.kind,
            "is_request": self.is_request,
            "language": self.language,
            "business_id": self.business_id,
            "business_id_valid": self.business_id_valid,
            "business_id_as_written": self.business_id_as_written,
            "organization_name": self.organization_name,
            "justification": self.justification,
            "contact_name": self.contact_name,
            "contact_email": self.contact_email,
            "contact_phone": self.contact_phone,
            "missing": list(self.missing),
        }
        result["message_id"] = self.message_id
        result["completes_message_id"] = self.completes
        result["evidence"] = {
            name: {"source": e.source, "start": e.start, "end": e.end, "label": e.label}
            for name, e in self.evidence.items()
        }
        return result


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _with_items(message: ParsedMessage, items: Extraction) -> ParsedMessage:
    """`message` carrying `items`, following the conventions of its kind."""
    if message.kind not in DATA_KINDS:
        return replace(message, evidence={}, missing=(), items=Extraction())
    bid = items.business_id
    evidence = {
        name: item.evidence
        for name, item in (
            ("organization_name", items.organization_name),
            ("justification", items.justification),
            ("contact_name", items.contact_name),
            ("contact_email", items.contact_email),
            ("contact_phone", items.contact_phone),
        )
        if item is not None
    }
    if bid is not None:
        evidence["business_id"] = bid.evidence
    removal = message.kind == REMOVAL
    if removal:
        evidence.pop("justification", None)
    return replace(
        message,
        business_id=bid.normalized if bid else None,
        business_id_valid=bid.valid if bid else None,
        business_id_as_written=bid.as_written if bid else None,
        organization_name=items.organization_name.value if items.organization_name else None,
        justification=None if removal or not items.justification else items.justification.value,
        contact_name=items.contact_name.value if items.contact_name else None,
        contact_email=items.contact_email.value if items.contact_email else None,
        contact_phone=items.contact_phone.value if items.contact_phone else None,
        missing=() if removal else tuple(items.missing()),
        evidence=evidence,
        items=items,
    )


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse the bytes of one .eml; raises only IntakeError (MessageLimitExceeded or
    UnparseableMessage), on which the caller quarantines the message."""
    decoded = read_message(raw)
    try:
        headers = decoded.headers
        document = read_document(decoded.parts, headers.subject, headers.from_address)
        own = extract(document, (OWN, FORWARD))
        quoted = extract(document, (REPLY,))
        verdict = classify(decoded, document, own, quoted)
        zones = (OWN, FORWARD) if verdict.kind in DATA_KINDS else (OWN,)
        language = detect_language(document, zones)
        items = own.merged_over(quoted) if verdict.kind == FOLLOWUP else own
        message = ParsedMessage(
            kind=verdict.kind,
            language=language,
            subject=headers.subject,
            message_id=headers.message_id,
            in_reply_to=headers.in_reply_to,
            references=headers.references,
            attachments=decoded.attachments,
            reason=verdict.reason,
            own=own,
            applicant_address=applicant_address(raw),
        )
        return _with_items(message, items)
    except IntakeError:
        raise
    except (RecursionError, MemoryError) as exc:
        raise MessageLimitExceeded("message too complex") from exc
    except Exception as exc:
        # A parser bug must not stop the intake: the message is quarantined for a person.
        log.exception("parser failed on a message")
        raise UnparseableMessage(f"parser failed: {type(exc).__name__}") from exc


def thread_followups(messages: Sequence[ParsedMessage]) -> list[ParsedMessage]:
    """Messages in the same order, each reply to an earlier request among them reported as the
    application that request and the reply make together (values merged, `missing` recomputed)."""
    by_id: dict[str, ParsedMessage] = {}
    result: list[ParsedMessage] = []
    for message in messages:
        earlier = None
        for ref in (message.in_reply_to, *reversed(message.references)):
            if ref and ref in by_id and by_id[ref].is_request:
                earlier = by_id[ref]
                break
        own_items = 5 - len(message.own.missing())
        if (
            earlier is not None
            and message.kind in (REQUEST, FOLLOWUP, OTHER)
            and own_items >= 1
            and (message.kind != OTHER or message.own.labelled_fields >= 1)
        ):
            message = replace(message, kind=FOLLOWUP, completes=earlier.message_id)
            message = _with_items(message, message.own.merged_over(earlier.items))
        if message.message_id:
            by_id.setdefault(message.message_id, message)
        result.append(message)
    return result
