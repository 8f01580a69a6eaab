"""Fixtures of the webhook tests: a real HTTP receiver on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from webhook_support import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.stop()
