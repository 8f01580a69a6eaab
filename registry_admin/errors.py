"""The domain's exception family, translated once at each edge (CLI, API, staff UI)."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the operation; the message is fit to show."""


class NotFound(DomainError):
    """The thing named does not exist."""


class Conflict(DomainError):
    """The operation clashes with the current state (already registered, already decided)."""


class InvalidInput(DomainError):
    """A value given by a person or a program is not acceptable."""
