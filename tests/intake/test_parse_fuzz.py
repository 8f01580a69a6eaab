"""Hostile and mutated messages never raise anything but IntakeError, and stay fast."""

import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry_admin.intake.parse import IntakeError, parse_message

CORPUS = sorted((Path(__file__).parent.parent / "fixtures" / "corpus").glob("*.eml"))
SEEDS = [p.read_bytes() for p in CORPUS[:20]]
BUDGET_SECONDS = 1.0

header_values = st.text(min_size=0, max_size=200) | st.sampled_from(
    ["=?utf-8?b?////?=", "=?x-bogus?q?=E4?=", "\udcff", "a" * 5000, "=?utf-8?q?" + "=" * 50]
)
charsets = st.sampled_from(["utf-8", "iso-8859-1", "windows-1252", "koi8-r", "bogus", ""])
encodings = st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "bogus"])


def _call(raw: bytes) -> None:
    start = time.perf_counter()
    try:
        message = parse_message(raw)
        message.to_json_dict()
    except IntakeError:
        pass
    assert time.perf_counter() - start < BUDGET_SECONDS


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    cut=st.integers(min_value=0, max_value=20000),
    junk=st.binary(max_size=300),
)
def test_mutated_corpus_messages(seed: bytes, cut: int, junk: bytes) -> None:
    _call(seed[:cut] + junk + seed[cut:])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    subject=header_values,
    filename=header_values,
    charset=charsets,
    encoding=encodings,
    depth=st.integers(min_value=0, max_value=30),
    body=st.binary(max_size=500),
    html=st.booleans(),
)
def test_generated_messages(
    subject: str, filename: str, charset: str, encoding: str, depth: int, body: bytes, html: bool
) -> None:
    head = f"Subject: {subject}\nFrom: x <x@example.fi>\nAuto-Submitted: {subject[:20]}\n"
    inner = (
        f'Content-Type: text/{"html" if html else "plain"}; charset="{charset}"\n'
        f"Content-Transfer-Encoding: {encoding}\n"
        f'Content-Disposition: attachment; filename="{filename}"\n\n'
    ).encode("utf-8", "surrogateescape") + body
    for level in range(depth):
        inner = (
            f"Content-Type: multipart/mixed; boundary=b{level}\n\n--b{level}\n".encode()
            + inner
            + f"\n--b{level}--\n".encode()
        )
    _call(head.encode("utf-8", "surrogateescape") + inner)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(raw: bytes) -> None:
    _call(raw)
