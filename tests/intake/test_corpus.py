"""The parser meets its targets on the ground-truth corpus and on the hard cases."""

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
