"""What one poll did: the counts behind its one-line summary and the job status."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PollReport:
    """What one poll did, for the one-line summary and the job status."""

    new: int = 0
    duplicates: int = 0
    requests: int = 0
    followups: int = 0
    ignored: int = 0
    quarantined: int = 0
    oversize: int = 0
    moved: int = 0
    uidvalidity_changed: bool = False
    message_ids: list[int] = field(default_factory=list)

    def add(self, other: PollReport) -> None:
        """Add the counts of `other` (the queueing of one batch) to these."""
        for name in ("requests", "followups", "ignored", "quarantined"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def summary(self) -> str:
        text = (
            f"{self.new} new, {self.duplicates} duplicates, {self.requests} requests, "
            f"{self.followups} follow-ups, {self.ignored} ignored, "
            f"{self.quarantined} quarantined, {self.oversize} oversize, {self.moved} moved"
        )
        if self.uidvalidity_changed:
            text += " (UIDVALIDITY changed: folder rescanned)"
        return text
