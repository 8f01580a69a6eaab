"""What the parser reads from one message: the five items, each with the text it came from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Evidence:
    """Where a value was read: the text part, offsets into that part's text, the label if any."""

    source: str
    start: int
    end: int
    label: str | None = None


@dataclass(frozen=True)
class Item:
    """One extracted value and its evidence."""

    value: str
    evidence: Evidence


@dataclass(frozen=True)
class BusinessIdItem:
    """The applicant's Business ID as written, normalised, its verdict and its evidence."""

    as_written: str
    normalized: str
    valid: bool
    evidence: Evidence


@dataclass(frozen=True)
class Extraction:
    """The five items found in one zone of a message (None where absent)."""

    business_id: BusinessIdItem | None = None
    organization_name: Item | None = None
    justification: Item | None = None
    contact_name: Item | None = None
    contact_email: Item | None = None
    contact_phone: Item | None = None
    labelled_fields: int = 0  # distinct items given under a label (0 for prose)
    labels_seen: frozenset[str] = frozenset()  # items whose label appeared, with or without value

    def merged_over(self, earlier: Extraction) -> Extraction:
        """This message's values completed with those of an earlier message."""
        return Extraction(
            business_id=self.business_id or earlier.business_id,
            organization_name=self.organization_name or earlier.organization_name,
            justification=earlier.justification
            if self.prose_reason_over(earlier.justification is not None)
            else self.justification or earlier.justification,
            contact_name=self.contact_name or earlier.contact_name,
            contact_email=self.contact_email or earlier.contact_email,
            contact_phone=self.contact_phone or earlier.contact_phone,
            labelled_fields=max(self.labelled_fields, earlier.labelled_fields),
            labels_seen=self.labels_seen | earlier.labels_seen,
        )

    def prose_reason_over(self, earlier_given: bool) -> bool:
        """Whether this message's reason is read from its prose while an earlier message gave
        one: a follow-up's own sentences ("sorry, two digits of our ID were swapped") do not
        replace the reason given; a reason under a label does."""
        return (
            earlier_given
            and self.justification is not None
            and self.justification.evidence.label is None
        )

    def missing(self) -> list[str]:
        """Required items absent, in the order the registry's instructions list them."""
        absent = []
        if self.business_id is None:
            absent.append("business_id")
        if self.organization_name is None:
            absent.append("organization_name")
        if self.justification is None:
            absent.append("justification")
        if self.contact_name is None:
            absent.append("contact_name")
        if self.contact_email is None and self.contact_phone is None:
            absent.append("contact_details")
        return absent
