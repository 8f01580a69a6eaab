"""Render a notification from its templates and build the email only from validated values.

Header injection is stopped here, before anything reaches a header: every value is checked for
line breaks of any kind (CR, LF, NEL, U+2028, U+2029), other control characters and RFC 2047
encoded words that decode to them. The interpreter cannot be relied on for this: Python 3.11.7
lacks the fix for CVE-2024-6923 and serializes a header object that carries a newline as is.
So no header object parsed from inbound mail is ever set on an outbound message: only `str`
values that pass these checks are.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.errors import HeaderParseError
from email.header import decode_header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from typing import Any

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    DictLoader,
    Environment,
    FileSystemLoader,
    TemplateError,
    select_autoescape,
)
from jinja2.sandbox import SandboxedEnvironment

from registry_admin.db import resource_path
from registry_admin.errors import InvalidInput
from registry_admin.notify.models import KINDS, LANGUAGES, PARTS

log = logging.getLogger(__name__)

# Receipts and lists of missing items answer the applicant's mail automatically (RFC 3834);
# decisions are made by a person.
AUTO_REPLIED_KINDS = frozenset({"receipt", "missing"})
SENDER_NAME = "Kela"
MAX_SUBJECT_CHARS = 400
MAX_REFERENCES = 20

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = rf"{_ATEXT}(?:\.{_ATEXT})*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = rf"{_LABEL}(?:\.{_LABEL})+"
ADDRESS_RE = re.compile(rf"(?P<local>{_LOCAL})@(?P<domain>{_DOMAIN})")
# A Message-ID as we accept it for threading: <left@right>, printable ASCII without specials.
_ID_PART = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+"
MESSAGE_ID_RE = re.compile(rf"<{_ID_PART}@(?:{_ID_PART}|\[[A-Za-z0-9.:-]+\])>")
REFERENCE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")
_SPACES_RE = re.compile(r"[^\S\r\n\x85\u2028\u2029\x0b\x0c\x1c-\x1f\t]+")
ENCODED_WORD_RE = re.compile(r"=\?[^?\s]*\?[A-Za-z]?\?[^?\s]*\?=")


class UnsafeHeaderValue(InvalidInput):
    """A value may not go into a header: a line break, a control character, a bad address."""


# Python 3.11's folding of long headers with encoded words loses or adds spaces at the folds
# (a space between two encoded words disappears). Lines may be 998 octets long (RFC 5322), so
# no subject of ours needs folding; one that would is refused rather than altered.
HEADER_POLICY = policy.SMTP.clone(max_line_length=998)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


# --- checks ------------------------------------------------------------------------------------


def _forbidden_char(value: str) -> str | None:
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp"):
            return f"U+{ord(char):04X}"
    return None


def _decoded_forbidden_char(word: str) -> str | None:
    try:
        decoded = "".join(
            part.decode(charset or "ascii") if isinstance(part, bytes) else part
            for part, charset in decode_header(word)
        )
    except (HeaderParseError, LookupError, UnicodeDecodeError, ValueError):
        return "undecodable text"
    return _forbidden_char(decoded)


def check_header_text(value: str, what: str) -> str:
    """`value` unchanged if it may be a header's text; else UnsafeHeaderValue naming `what`."""
    if not isinstance(value, str):
        raise UnsafeHeaderValue(f"{what}: not text")
    bad = _forbidden_char(value)
    if bad:
        raise UnsafeHeaderValue(f"{what}: contains the control or line-break character {bad}")
    if len(value) > MAX_SUBJECT_CHARS:
        raise UnsafeHeaderValue(f"{what}: longer than {MAX_SUBJECT_CHARS} characters")
    match = ENCODED_WORD_RE.search(value)
    if match:
        # A reader would decode it: the subject would say something else than what staff saw,
        # or hide a line break (CVE-2024-6923). No text of ours needs one.
        hidden = _decoded_forbidden_char(match.group(0))
        detail = f" hiding {hidden}" if hidden else ""
        raise UnsafeHeaderValue(f"{what}: contains an RFC 2047 encoded word{detail}")
    return value


def tidy_spaces(value: str) -> str:
    """Every run of spaces (of any width) as one plain space, none at the ends.

    Folding and unfolding a header does not keep runs of spaces or unusual spaces as they were;
    one space is what a subject means by them.
    """
    return " ".join(part for part in _SPACES_RE.split(value) if part)


def check_address(value: str, what: str = "address") -> str:
    """A plain ASCII addr-spec (no display name, no quoting, no comments), domain lowercased."""
    if not isinstance(value, str) or len(value) > 254:
        raise UnsafeHeaderValue(f"{what}: not a usable email address")
    match = ADDRESS_RE.fullmatch(value)
    if match is None or len(match.group("local")) > 64:
        raise UnsafeHeaderValue(f"{what}: not a usable email address")
    return f"{match.group('local')}@{match.group('domain').lower()}"


def check_message_id(value: str, what: str = "Message-ID") -> str:
    if not isinstance(value, str) or len(value) > 250 or not MESSAGE_ID_RE.fullmatch(value):
        raise UnsafeHeaderValue(f"{what}: not a valid Message-ID")
    return value


def check_reference(value: str) -> str:
    if not isinstance(value, str) or not REFERENCE_RE.fullmatch(value):
        raise UnsafeHeaderValue("reference: only letters, digits and . _ / - are allowed")
    return value


def address_domain(address: str) -> str:
    return check_address(address).rpartition("@")[2]


# --- rendering ---------------------------------------------------------------------------------


def _environment(loader: BaseLoader) -> Environment:
    # Sandboxed: admins edit the wording, and a template of theirs must not reach Python's
    # internals. The files are rendered the same way, so there is one way to render.
    return SandboxedEnvironment(
        loader=loader,
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Jinja for `templates/email/...`: sandboxed, autoescaping in .html templates only."""
    return _environment(FileSystemLoader(str(resource_path("templates"))))


def template_name(kind: str, part: str) -> str:
    return f"email/{kind}/{part}"


def default_source(kind: str, part: str) -> str:
    """The shipped wording of one part: the template file."""
    env = environment()
    assert env.loader is not None
    return env.loader.get_source(env, template_name(kind, part))[0]


def render_part(
    kind: str, language: str, part: str, context: Mapping[str, Any], source: str | None = None
) -> str:
    """One part rendered from `source` (an admin's wording) or else from its file.

    Raises jinja2.TemplateError (the sandbox's SecurityError included) when it fails.
    """
    env = environment()
    if source is not None:
        # Under the file's own name, so that .html autoescapes exactly as the file does.
        loader = ChoiceLoader([DictLoader({template_name(kind, part): source}), env.loader])  # type: ignore[list-item]
        env = _environment(loader)
    values = {**context, "language": language, "kind": kind}
    return env.get_template(template_name(kind, part)).render(values)


def render(
    kind: str,
    language: str,
    context: Mapping[str, Any],
    overrides: Mapping[str, str] | None = None,
) -> Rendered:
    """The subject, text and HTML bodies of `kind` in `language` (fi, sv or en).

    `overrides` maps a part (subject.txt, body.txt, body.html) to an admin's wording. One that
    fails on this context falls back to the file, so a wording never stops a notification.
    """
    if kind not in KINDS:
        raise InvalidInput(f"unknown notification kind {kind!r}")
    if language not in LANGUAGES:
        raise InvalidInput(f"unknown language {language!r}")
    overrides = overrides or {}
    parts = []
    for part in PARTS:
        source = overrides.get(part)
        if source is not None:
            try:
                parts.append(render_part(kind, language, part, context, source))
                continue
            except TemplateError as exc:
                log.warning(
                    "%s %s %s: edited wording failed, file used: %s", kind, language, part, exc
                )
        parts.append(render_part(kind, language, part, context))
    # The subject template is one line; its surrounding whitespace is layout, not content.
    subject = tidy_spaces(parts[0].removesuffix("\n"))
    return Rendered(subject=subject, text=parts[1], html=parts[2])


# --- building ----------------------------------------------------------------------------------


def build_message(
    *,
    from_address: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    message_id: str,
    date: datetime,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    auto_submitted: bool = False,
) -> EmailMessage:
    """A multipart/alternative message whose every header value has been checked."""
    sender = check_address(from_address, "From")
    recipient = check_address(to, "To")
    subject = tidy_spaces(check_header_text(subject, "Subject"))
    message_id = check_message_id(message_id)
    parent = check_message_id(in_reply_to, "In-Reply-To") if in_reply_to else None
    thread = [check_message_id(ref, "References") for ref in references][-MAX_REFERENCES:]
    if date.tzinfo is None:
        raise ValueError("the Date of a message must be timezone-aware")

    # Bodies are encoded under the SMTP policy (quoted-printable lines of 76); headers are
    # serialized under HEADER_POLICY so that none is folded (see there).
    msg = EmailMessage(policy=policy.SMTP)
    local, _, domain = sender.partition("@")
    msg["From"] = Address(SENDER_NAME, local, domain)
    msg["To"] = recipient
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    if parent:
        msg["In-Reply-To"] = parent
    if thread:
        msg["References"] = " ".join(thread)
    if auto_submitted:
        msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(_plain(text), subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    msg.policy = HEADER_POLICY
    if HEADER_POLICY.fold("Subject", msg["Subject"]).count("\n") > 1:
        raise UnsafeHeaderValue("Subject: too long once encoded for one header line")
    return msg


def _plain(text: str) -> str:
    # Line breaks other than \n would be re-read as breaks by some readers and not by others.
    return re.sub(r"\r\n?|[\x85\u2028\u2029]", "\n", text)


def message_for(row: Any, from_address: str, date: datetime) -> EmailMessage:
    """The email of a stored notification (see notify.models.Notification)."""
    return build_message(
        from_address=from_address,
        to=row.recipient,
        subject=row.subject,
        text=row.body_text,
        html=row.body_html,
        message_id=row.message_id,
        date=date,
        in_reply_to=row.in_reply_to,
        references=row.reference_ids,
        auto_submitted=row.kind in AUTO_REPLIED_KINDS,
    )
