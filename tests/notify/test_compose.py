"""Rendering and building: only checked values reach a header; the HTML body is escaped."""

from __future__ import annotations

import base64
import email
import email.policy
import sys
import unicodedata
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from registry_admin.notify.compose import (
    ENCODED_WORD_RE,
    UnsafeHeaderValue,
    build_message,
    check_address,
    check_header_text,
    render,
    tidy_spaces,
)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
MESSAGE_ID = "<0123456789abcdef@kela.fi>"
BASE_HEADERS = ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"]


def build(subject: str, *, html: str = "<p>x</p>", **kwargs: object) -> EmailMessage:
    return build_message(
        from_address="tekninentuki@kela.fi",
        to=str(kwargs.pop("to", "hakija@example.org")),
        subject=subject,
        text="teksti",
        html=html,
        message_id=MESSAGE_ID,
        date=NOW,
        **kwargs,  # type: ignore[arg-type]
    )


def reparse(msg: EmailMessage) -> EmailMessage:
    return email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)  # type: ignore[return-value]


def b_word(text: str) -> str:
    return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="


INJECTIONS = [
    "Hei\r\nBcc: victim@example.net",
    "Hei\nBcc: victim@example.net",
    "Hei\rBcc: victim@example.net",
    "Hei\x85Bcc: victim@example.net",
    "Hei\u2028Bcc: victim@example.net",
    "Hei\u2029Bcc: victim@example.net",
    "Hei\x00",
    "Hei\x1b[31m",
    "Hei\tthere",
    "=?utf-8?q?Hei=0D=0ABcc:_victim@example.net?=",
    "=?UTF-8?Q?Hei=0ABcc:_victim@example.net?=",
    b_word("Hei\r\nBcc: victim@example.net"),
    b_word("Hei\u2028Bcc: victim@example.net"),
    "=?x-unknown?q?Hei?=",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_line_breaks_controls_and_encoded_newlines_are_refused(value: str) -> None:
    with pytest.raises(UnsafeHeaderValue):
        check_header_text(value, "Subject")
    with pytest.raises(UnsafeHeaderValue):
        build(value)


def test_non_latin_and_long_text_pass_but_any_encoded_word_is_refused() -> None:
    for value in ["Ἀθῆναι 北京 Helsingfors – Åbo", "a" * 400, "x =? y ?= z"]:
        assert check_header_text(value, "Subject") == value
    # Even a harmless one: a reader would show something else than what staff saw.
    with pytest.raises(UnsafeHeaderValue, match="encoded word"):
        check_header_text("=?utf-8?q?Hyv=C3=A4_p=C3=A4iv=C3=A4?=", "Subject")
    with pytest.raises(UnsafeHeaderValue, match=r"hiding U\+000D"):
        check_header_text("=?utf-8?q?a=0D=0Ab?=", "Subject")


def test_long_non_latin_subjects_fit_one_line_or_are_refused() -> None:
    fits = "Hakemus " + "北京" * 60 + " 🙂" * 20
    parsed = reparse(build(fits))
    assert str(parsed["Subject"]) == fits
    with pytest.raises(UnsafeHeaderValue, match="too long"):
        build("🙂" * 300)


@pytest.mark.parametrize(
    "address",
    [
        "hakija@example.org\r\nBcc: victim@example.net",
        "Hakija <hakija@example.org>",
        "hakija@example.org, victim@example.net",
        '"hakija"@example.org',
        "hakija@localhost",
        "häkijä@example.org",
        "hakija@exämple.org",
        "hakija@example.org\u2028",
        "",
        "x" * 65 + "@example.org",
    ],
)
def test_only_plain_addresses_are_accepted(address: str) -> None:
    with pytest.raises(UnsafeHeaderValue):
        check_address(address)
    with pytest.raises(UnsafeHeaderValue):
        build("Hei", to=address)


@pytest.mark.parametrize("thread_id", ["<a@b>\r\nBcc: x@y", "a@b", "<a b@c>", "<ä@b>"])
def test_threading_ids_are_checked(thread_id: str) -> None:
    with pytest.raises(UnsafeHeaderValue):
        build("Hei", in_reply_to=thread_id)
    with pytest.raises(UnsafeHeaderValue):
        build("Hei", references=[thread_id])


def test_cve_2024_6923_a_copied_parsed_header_injects_and_compose_refuses_it() -> None:
    """Why no parsed inbound header is ever copied into outbound mail.

    On an interpreter without the CVE-2024-6923 fix (this machine's 3.11.7), a header object
    parsed from an encoded word that hides CR LF is serialized verbatim: the new message gains
    a Bcc header its author never wrote. Our compose takes only checked `str` values and refuses
    the very same payload, whether given as the header object or as its text.
    """
    inbound = email.message_from_bytes(
        b"From: applicant@example.org\r\n"
        b"To: tekninentuki@kela.fi\r\n"
        b"Subject: =?utf-8?q?Hakemus=0D=0ABcc:_victim@example.net?=\r\n"
        b"\r\n"
        b"body\r\n",
        policy=email.policy.default,
    )
    parsed_subject = inbound["Subject"]
    assert "\r\n" in str(parsed_subject)

    naive = EmailMessage(policy=email.policy.SMTP)
    naive["From"] = "tekninentuki@kela.fi"
    naive["To"] = "applicant@example.org"
    try:
        naive["Subject"] = parsed_subject  # what we never do
        output: bytes | None = naive.as_bytes()
    except Exception:  # a fixed interpreter refuses to serialize it
        output = None
    injected = output is not None and b"\r\nBcc: victim@example.net\r\n" in output
    if sys.version_info[:3] == (3, 11, 7):
        assert injected, "this interpreter was expected to show CVE-2024-6923"
        assert reparse(naive)["Bcc"] == "victim@example.net"

    with pytest.raises(UnsafeHeaderValue):
        build(parsed_subject)
    with pytest.raises(UnsafeHeaderValue):
        build(str(parsed_subject))


def test_headers_of_each_kind() -> None:
    for kind, auto in [("receipt", True), ("missing", True), ("approved", False)]:
        rendered = render(kind, "fi", {"reference": "R-1", "organization_name": "Oy"})
        msg = reparse(
            build(
                rendered.subject,
                html=rendered.html,
                in_reply_to="<a@b.example>",
                references=["<z@b.example>", "<a@b.example>"],
                auto_submitted=auto,
            )
        )
        expected = [*BASE_HEADERS, "In-Reply-To", "References"]
        if auto:
            expected.append("Auto-Submitted")
        assert sorted(msg.keys()) == sorted(expected)
        assert msg.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]


# --- property: whatever the applicant wrote, a built message has exactly our headers ----------

HOSTILE = st.sampled_from(
    [
        "\r\n",
        "\n",
        "\r",
        "\x85",
        "\u2028",
        "\u2029",
        "\x00",
        "\t",
        "Bcc: victim@example.net",
        "=?utf-8?q?x=0D=0ABcc:_v@example.net?=",
        b_word("x\nBcc: v@example.net"),
        "=?utf-8?q?Hyv=C3=A4?=",
        "<script>alert(1)</script>",
        "& \" ' < >",
        "ÅÄÖ åäö",
        "北京市",
        "Ελλάδα",
        "مرحبا",
        "🙂",
        " ",
        "x" * 300,
    ]
)
LONG_NON_LATIN = st.text(
    alphabet=st.characters(min_codepoint=0x0370, max_codepoint=0x1F64F, categories=["L", "Zs"]),
    min_size=20,
    max_size=250,
)
FIELD = st.lists(st.one_of(HOSTILE, st.text(max_size=40), LONG_NON_LATIN), max_size=6).map("".join)


def expected_refusal(subject: str) -> bool:
    """A line break or control character, an encoded word, or too long for one header line."""
    return bool(
        has_forbidden(subject)
        or ENCODED_WORD_RE.search(subject)
        or len(subject) > 400
        or len(subject.encode()) > 600
    )


def has_forbidden(value: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") for c in value)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["approved", "removed", "receipt", "rejected", "missing"]),
    language=st.sampled_from(["fi", "sv", "en"]),
    organization=FIELD,
    contact=FIELD,
    reason=FIELD,
)
def test_every_built_message_reparses_to_exactly_our_headers(
    kind: str, language: str, organization: str, contact: str, reason: str
) -> None:
    context = {
        "reference": "KELA-2026-000001",
        "organization_name": organization,
        "contact_name": contact,
        "business_id": "0201256-6",
        "reason": reason,
        "invalid": [{"item": "contact_name", "reason": "other", "detail": reason}],
    }
    rendered = render(kind, language, context)
    auto = kind in ("receipt", "missing")
    try:
        msg = build(rendered.subject, html=rendered.html, auto_submitted=auto)
    except UnsafeHeaderValue:
        # Refused before anything was sent; only ever for a value that may not be a header.
        assert expected_refusal(rendered.subject)
        return
    assert not has_forbidden(rendered.subject)
    parsed = reparse(msg)
    expected = [*BASE_HEADERS, *(["Auto-Submitted"] if auto else [])]
    assert sorted(parsed.keys()) == sorted(expected)
    assert parsed.get_all("To") == ["hakija@example.org"]
    assert parsed["Bcc"] is None and parsed["Cc"] is None
    # The same text, up to spaces: Python's folding of long subjects (3.11) can leave one
    # space more at a fold, which readers do not show.
    assert tidy_spaces(str(parsed["Subject"])) == rendered.subject
    assert "[KELA-2026-000001]" in str(parsed["Subject"])
    html = parsed.get_body(("html",)).get_content()
    if kind in ("approved", "removed"):
        # Escaped, line by line (the transfer re-encodes line ends).
        for line in organization.splitlines():
            assert str(escape(line)) in html
    assert "<script>" not in html


@settings(max_examples=200, deadline=None)
@given(subject=FIELD)
def test_any_subject_is_refused_or_survives_a_round_trip(subject: str) -> None:
    try:
        msg = build(subject)
    except UnsafeHeaderValue:
        assert expected_refusal(subject)
        return
    parsed = reparse(msg)
    assert sorted(parsed.keys()) == sorted(BASE_HEADERS)
    assert parsed.get_all("To") == ["hakija@example.org"]
    assert tidy_spaces(str(parsed["Subject"])) == tidy_spaces(subject)


@pytest.mark.parametrize(
    ("language", "check_digit", "absent"),
    [
        ("fi", "tarkistusmerkki", "Puuttuu: yhteyshenkilön nimi"),
        ("sv", "kontrollsiffran", "Saknas: kontaktpersonens namn"),
        ("en", "check digit", "Missing: the contact person's name"),
    ],
)
def test_missing_names_each_item_and_why(language: str, check_digit: str, absent: str) -> None:
    entries = [
        {"item": "business_id", "reason": "check_digit", "as_written": "2331972-8"},
        {"item": "contact_name", "reason": "missing", "as_written": None},
    ]
    rendered = render("missing", language, {"reference": "R-1", "entries": entries})
    assert "[R-1]" in rendered.subject
    for body in (rendered.text, rendered.html.replace("&#39;", "'")):
        assert "2331972-8" in body and check_digit in body and absent in body
