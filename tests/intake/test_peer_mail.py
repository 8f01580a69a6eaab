"""Mail from other projects' test suites parses without error and is never a request."""

from pathlib import Path

import pytest

from registry_admin.intake.parse import IntakeError, parse_message

PEER = Path(__file__).parent.parent / "fixtures" / "peer-mail" / "django-mailbox"


@pytest.mark.parametrize("path", sorted(PEER.glob("*.eml")), ids=lambda p: p.name)
def test_peer_message_is_not_a_request(path: Path) -> None:
    try:
        message = parse_message(path.read_bytes())
    except IntakeError:
        return  # quarantined on purpose: allowed, never a crash
    assert not message.is_request
    assert message.to_json_dict()["missing"] == []
