"""Hostile mail made safe to show: HTML through an allowlist, attachments only as downloads.

The staff UI shows a message as escaped plain text by default. Its HTML, when a reviewer asks
for it, is cleaned here and served on its own URL into an iframe with `sandbox` (no scripts,
no same-origin) and a Content-Security-Policy that loads nothing: no image, font, style sheet
or frame, so nothing in the mail can make the browser fetch a URL the sender chose.
"""

from __future__ import annotations

import email
import re
import unicodedata
from dataclasses import dataclass
from email.message import Message
from email.policy import compat32
from urllib.parse import quote

import nh3

from registry_admin.intake.mime import decode_bytes

# Structure and emphasis only. No links (a click would reach the sender's URL), no images,
# no forms, no style (CSS can fetch), no SVG or MathML.
ALLOWED_TAGS = {
    "p",
    "br",
    "div",
    "span",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "s",
    "small",
    "sub",
    "sup",
    "blockquote",
    "pre",
    "code",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "td",
    "th",
    "caption",
}
ALLOWED_ATTRIBUTES = {"td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
# Removed together with their content, not just unwrapped.
DROP_WITH_CONTENT = {
    "script",
    "style",
    "title",
    "head",
    "noscript",
    "template",
    "svg",
    "math",
    "object",
    "embed",
    "iframe",
    "frame",
    "frameset",
    "applet",
    "textarea",
    "select",
    "button",
}

# The iframe document: nothing may load, not even a style sheet of ours.
FRAME_CSP = "default-src 'none'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
FRAME_SANDBOX = ""  # the iframe's sandbox attribute with no allowances at all

_UNSAFE_FILENAME = re.compile(r"[^\w.\- ]+", re.UNICODE)


def sanitize_html(html: str) -> str:
    """The mail's HTML with only harmless structure left."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROP_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(),
        strip_comments=True,
        link_rel=None,
    )


def frame_document(html: str) -> str:
    """A whole document for the sandboxed iframe around the cleaned HTML."""
    return (
        '<!doctype html><html><head><meta charset="utf-8"></head><body>'
        + sanitize_html(html)
        + "</body></html>"
    )


def safe_filename(name: str | None, fallback: str) -> str:
    """An attachment's name fit for Content-Disposition: no path, no controls, no bidi tricks."""
    if not name:
        return fallback
    base = re.split(r"[\\/]", name)[-1]
    cleaned = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    cleaned = _UNSAFE_FILENAME.sub("_", unicodedata.normalize("NFKC", cleaned)).strip(" ._")
    return cleaned[:120] or fallback


def attachment_headers(name: str | None, fallback: str) -> dict[str, str]:
    """Headers that make any attachment a download, never a page the browser renders."""
    filename = safe_filename(name, fallback)
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return {
        "Content-Type": "application/octet-stream",
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "no-store",
    }


@dataclass(frozen=True)
class StoredAttachment:
    """A non-text part of a stored message, addressed by its position among the attachments."""

    index: int
    filename: str | None
    content_type: str
    payload: bytes


@dataclass(frozen=True)
class Segment:
    """A run of a text part, and the item (if any) whose value was read from it."""

    text: str
    item: str | None


def _message(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=compat32)


def original_html(raw: bytes) -> str | None:
    """The first text/html part, decoded; None when the mail has none."""
    for part in _message(raw).walk():
        if part.get_content_type() == "text/html" and not part.is_multipart():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return decode_bytes(payload, part.get_content_charset())
    return None


def attachments(raw: bytes) -> list[StoredAttachment]:
    """Every part that is neither a container nor the message's own text or HTML body."""
    found: list[StoredAttachment] = []
    for part in _message(raw).walk():
        if part.is_multipart():
            continue
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        content_type = part.get_content_type()
        if content_type in ("text/plain", "text/html") and disposition != "attachment":
            continue
        payload = part.get_payload(decode=True)
        found.append(
            StoredAttachment(
                len(found),
                part.get_filename(),
                content_type,
                payload if isinstance(payload, bytes) else b"",
            )
        )
    return found


def highlighted(text: str, spans: list[tuple[int, int, str]]) -> list[Segment]:
    """`text` cut into segments, those inside an evidence span marked with their item."""
    segments: list[Segment] = []
    position = 0
    for start, end, item in sorted(spans):
        start, end = max(start, position), min(end, len(text))
        if start >= end:
            continue
        if start > position:
            segments.append(Segment(text[position:start], None))
        segments.append(Segment(text[start:end], item))
        position = end
    if position < len(text):
        segments.append(Segment(text[position:], None))
    return segments
