"""The webhook signature: HMAC-SHA256 over "{timestamp}.{body}", and its check for receivers."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

SIGNATURE_HEADER = "X-Registry-Signature"
TIMESTAMP_HEADER = "X-Registry-Timestamp"
DEFAULT_WINDOW = 300


def _bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def sign(secret: str, timestamp: str | int, body: str | bytes) -> str:
    """The header value `sha256=<hex>` for this timestamp and exact body."""
    message = _bytes(str(timestamp)) + b"." + _bytes(body)
    return "sha256=" + hmac.new(_bytes(secret), message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    timestamp: str | int | None,
    body: str | bytes,
    signature: str | None,
    now: datetime | float,
    window: int = DEFAULT_WINDOW,
) -> bool:
    """True when `signature` signs `body` at `timestamp`, and `timestamp` is within `window`
    seconds of `now` (either side): a replayed or delayed request is refused."""
    if not signature or timestamp is None:
        return False
    try:
        sent_at = int(str(timestamp).strip())
    except ValueError:
        return False
    current = now.timestamp() if isinstance(now, datetime) else float(now)
    if abs(current - sent_at) > window:
        return False
    expected = sign(secret, str(timestamp).strip(), body)
    return hmac.compare_digest(expected.encode("ascii"), _bytes(signature.strip()))
