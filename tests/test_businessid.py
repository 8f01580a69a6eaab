"""Business ID normalising and validation: every accepted form, every refusal and its reason."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from stdnum.fi import ytunnus

from registry_admin.businessid import InvalidBusinessId, check, is_valid, normalize

HELSINKI = "0201256-6"
CANONICAL = re.compile(r"[0-9]{7}-[0-9]")


@pytest.mark.parametrize(
    "text",
    [
        "0201256-6",
        "02012566",
        "FI02012566",
        "fi02012566",
        "FI 0201256-6",
        "0201256 - 6",
        " 0201256-6 ",
        "0201256\u00a0-\u00a06",  # no-break spaces
        "0201256\u202f-6",  # narrow no-break space
        "0201256\u2013 6",  # en dash
        "0201256\u20146",  # em dash
        "0201256\u22126",  # minus sign
        "0201256\u20116",  # non-breaking hyphen
        "0201256\uff0d6",  # full-width hyphen-minus
        "\uff10\uff12\uff10\uff11\uff12\uff15\uff16-\uff16",  # full-width digits
        "0201256\t-6",
    ],
)
def test_normalize_accepts_every_written_form(text: str) -> None:
    assert normalize(text) == HELSINKI
    assert is_valid(text)
    result = check(text)
    assert (result.valid, result.normalized, result.as_written) == (True, HELSINKI, text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0201256-5", "checksum"),
        ("02012565", "checksum"),
        ("FI02012565", "checksum"),
        ("123", "length"),
        ("0201256-66", "length"),
        ("020125666", "length"),
        ("0201256--6", "length"),
        ("-02012566", "length"),
        ("", "format"),
        ("   ", "format"),
        ("FI", "format"),
        ("abc", "format"),
        ("0201256-6x", "format"),
        ("0201256/6", "format"),
        ("0201256-6; DROP TABLE organizations", "format"),
        ("../../etc/passwd", "format"),
        ("\u0660201256-6", "format"),  # an Arabic-Indic digit is not an ASCII one
        ("0201256-6" * 10, "format"),
        ("1" * 10_000, "format"),
    ],
)
def test_normalize_refuses_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidBusinessId) as caught:
        normalize(text)
    assert caught.value.reason == reason
    assert caught.value.detail == InvalidBusinessId.REASONS[reason]
    assert not is_valid(text)
    # The message quotes at most a bounded prefix of what was given.
    assert len(str(caught.value)) < 200


def test_normalize_refuses_what_is_not_text() -> None:
    for value in (None, 2012566, b"0201256-6"):
        with pytest.raises(InvalidBusinessId):
            normalize(value)  # type: ignore[arg-type]


def test_old_six_digit_form_is_accepted_by_check_only() -> None:
    # 201256-6 is Helsinki's ID without its leading zero, as older documents wrote it.
    result = check("201256-6")
    assert (result.valid, result.normalized) == (True, HELSINKI)
    assert check("2012566").normalized == HELSINKI
    with pytest.raises(InvalidBusinessId) as caught:
        normalize("201256-6")
    assert caught.value.reason == "length"


@pytest.mark.parametrize(
    ("text", "normalized", "reason"),
    [
        ("0201256-5", "0201256-5", "checksum"),
        ("0201256 - 5", "0201256-5", "checksum"),
        ("FI0201256-5", "0201256-5", "checksum"),
        ("12345", "12345", "length"),
        ("abc", "ABC", "format"),
    ],
)
def test_check_reports_invalid_ids_normalized_as_far_as_possible(
    text: str, normalized: str, reason: str
) -> None:
    result = check(text)
    assert (result.valid, result.normalized, result.reason, result.as_written) == (
        False,
        normalized,
        reason,
        text,
    )


def test_check_copes_with_very_long_input() -> None:
    result = check("9" * 100_000)
    assert not result.valid
    assert result.reason == "length"


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
@example("\uff10201256-6")
@example("FI" + "\u2013" * 3)
@example("\x00")
def test_normalize_raises_only_invalid_business_id_and_returns_only_valid_ids(text: str) -> None:
    try:
        result = normalize(text)
    except InvalidBusinessId:
        assert not is_valid(text)
        return
    assert CANONICAL.fullmatch(result)
    assert ytunnus.is_valid(result)
    assert normalize(result) == result


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\A[0-9]{7}\Z"))
def test_every_valid_id_survives_each_written_form(body: str) -> None:
    remainder = sum(w * int(d) for w, d in zip((7, 9, 10, 5, 8, 4, 2), body, strict=True)) % 11
    assume(remainder != 1)  # no Business ID has a body whose remainder is 1
    bid = f"{body}-{(11 - remainder) % 11}"
    assert ytunnus.is_valid(bid)
    for form in (bid, bid.replace("-", ""), "FI" + bid.replace("-", ""), bid.replace("-", " - ")):
        assert normalize(form) == bid
    wrong = (int(bid[-1]) + 1) % 10
    with pytest.raises(InvalidBusinessId) as caught:
        normalize(f"{body}-{wrong}")
    assert caught.value.reason == "checksum"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_check_never_raises(text: str) -> None:
    result = check(text)
    assert result.as_written == text
    if result.valid:
        assert CANONICAL.fullmatch(result.normalized)
        assert ytunnus.is_valid(result.normalized)
