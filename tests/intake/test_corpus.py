"""The parser meets its targets on the ground-truth corpus, the hard cases and the blind set."""

from pathlib import Path

import pytest

from registry_admin.intake.corpus_report import TARGETS, corpus_files, report, score

FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.mark.parametrize("folder", ["corpus", "hard"])
def test_targets_are_met(folder: str) -> None:
    files = corpus_files(FIXTURES / folder)
    assert files
    result = score(files)
    assert result.invalid_reported_valid == 0, report(result)
    assert not result.errors, report(result)
    for name, target in TARGETS.items():
        assert result.share(name) >= target, report(result)


def test_followup_is_threaded_onto_its_request() -> None:
    result = score([FIXTURES / "corpus" / "027.eml", FIXTURES / "corpus" / "029.eml"])
    assert not result.mismatches, report(result)


# Floors for the blind-written set (tests/fixtures/unseen): the level reached there, less a
# margin of about one message, so that a rule that stops generalising fails here.
UNSEEN_FLOORS = {
    "kind": 0.95,
    "is_request": 0.95,
    "language": 0.94,
    "business_id": 0.95,
    "business_id_valid": 0.94,
    "organization_name": 0.94,
    "justification": 0.94,
    "contact_name": 0.94,
    "contact_email": 0.94,
    "contact_phone": 0.94,
    "missing": 0.94,
}


def test_blind_written_messages_are_read_well() -> None:
    files = corpus_files(FIXTURES / "unseen")
    assert len(files) >= 20
    result = score(files)
    assert result.invalid_reported_valid == 0, report(result)
    assert not result.errors, report(result)
    assert set(UNSEEN_FLOORS) == set(TARGETS)
    for name, floor in UNSEEN_FLOORS.items():
        assert result.share(name) >= floor, report(result)


# Floors for the second blind-written set (tests/fixtures/unseen2, 16 messages of which 12 carry
# data): the level reached there, less a margin of one message.
UNSEEN2_FLOORS = {
    "kind": 0.93,
    "is_request": 0.93,
    "language": 0.91,
    "business_id": 0.91,
    "business_id_valid": 0.91,
    "organization_name": 0.91,
    "justification": 0.91,
    "contact_name": 0.91,
    "contact_email": 0.91,
    "contact_phone": 0.91,
    "missing": 0.91,
}


def test_second_blind_written_set_is_read_well() -> None:
    files = corpus_files(FIXTURES / "unseen2")
    assert len(files) >= 16
    result = score(files)
    assert result.invalid_reported_valid == 0, report(result)
    assert not result.errors, report(result)
    assert set(UNSEEN2_FLOORS) == set(TARGETS)
    for name, floor in UNSEEN2_FLOORS.items():
        assert result.share(name) >= floor, report(result)


# The third blind-written set (tests/fixtures/unseen3) was scored once, before any rule was
# tuned to it: kind and Business ID 100 %, organization name 83 %, the rest 92-100 %. Two of
# its misses then led to general rules (a form written without colons and its bare "Nimi" line,
# v306; a name of several words after "på uppdrag av", v302), so those two messages no longer
# measure unseen mail. The floors are the level reached since, less a margin of one message.
UNSEEN3_FLOORS = {
    "kind": 0.93,
    "is_request": 0.93,
    "language": 0.91,
    "business_id": 0.91,
    "business_id_valid": 0.91,
    "organization_name": 0.93,
    "justification": 0.91,
    "contact_name": 0.91,
    "contact_email": 0.91,
    "contact_phone": 0.91,
    "missing": 0.93,
}


def test_third_blind_written_set_is_read_well() -> None:
    files = corpus_files(FIXTURES / "unseen3")
    assert len(files) >= 16
    result = score(files)
    assert result.invalid_reported_valid == 0, report(result)
    assert not result.errors, report(result)
    assert set(UNSEEN3_FLOORS) == set(TARGETS)
    for name, floor in UNSEEN3_FLOORS.items():
        assert result.share(name) >= floor, report(result)
