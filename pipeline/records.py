"""Typed records passed between the stages: ingest -> extract -> validate -> write."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

# Article statuses. Everything but "ok" carries an error message saying what was wrong. "failed" is an unexpected
# exception in some stage (pipeline.guard): a bug met on that article, which the run survives.
OK = "ok"
STATUSES = ("ok", "duplicate", "empty", "unsupported_format", "unsupported_language", "too_large", "undecodable",
            "malformed", "unreadable", "failed")
EXTRACTIONS = ("main", "plain")  # how an HTML page's text was read (Article.extraction)


ID_LENGTH = 16  # characters of a stable_id unless asked otherwise (event and case ids are this long)


def stable_id(*parts: str, length: int = ID_LENGTH) -> str:
    """A short hex id that depends only on ``parts``: the same input always gives the same id.

    >>> stable_id("a", "b") == stable_id("a", "b") != stable_id("ab")
    True
    """
    h = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return h[:length]


@dataclass(frozen=True)
class Article:
    """One input article (a file, or a record inside a container), ok or rejected."""

    article_id: str
    source: str
    status: str
    text: str = ""
    title: str | None = None
    published: date | None = None
    url: str | None = None
    external_id: str | None = None
    language: str | None = None
    encoding: str | None = None
    error: str | None = None
    container: str | None = None  # the input file a record was read from, when the row is not the file itself
    duplicate_of: str | None = None  # for a duplicate: the article_id of the first copy
    # For HTML: "main" when trafilatura's main-text extraction gave the text, "plain" when it found nothing or much
    # less than the page's visible text (a short fragment) and the visible text was taken; None for other inputs.
    extraction: str | None = None

    @property
    def n_chars(self) -> int:
        return len(self.text)


@dataclass
class Mention:
    """A span of the article text that the extractor recognised, whether or not it became part of an action."""

    article_id: str
    kind: str  # regulator | target | money | date | order | legal_basis
    text: str
    char_start: int
    char_end: int
    normalized: str | None = None
    role: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    action_id: str | None = None

    @property
    def mention_id(self) -> str:
        return stable_id(self.article_id, self.kind, str(self.char_start), str(self.char_end))


@dataclass
class Action:
    """One enforcement action, with the evidence sentence it was read from."""

    article_id: str
    action_type: str
    status: str
    evidence: str
    char_start: int
    char_end: int
    regulator_id: str | None = None
    regulator: str | None = None
    regulator_country: str | None = None
    target: str | None = None
    target_kind: str | None = None  # organisation | person | description
    amount: Decimal | None = None
    currency: str | None = None
    amount_text: str | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    per_period: str | None = None
    stated_amount: Decimal | None = None  # the same amount as the text also states it, in another currency
    stated_currency: str | None = None
    amount_eur: Decimal | None = None
    eur_source: str | None = None  # ecb | stated
    fx_date: date | None = None
    decision_date: str | None = None
    date_precision: str | None = None
    order_text: str | None = None
    deadline: str | None = None
    deadline_date: date | None = None
    legal_basis: list[str] = field(default_factory=list)
    confidence: float = 0.0
    # Offsets of the money / trigger span inside the article: they make the id stable and tell mentions apart.
    anchor_start: int = 0
    anchor_end: int = 0
    mention_keys: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def action_id(self) -> str:
        # One sentence can order two measures of one party ("to suspend ... and to bring ... into line"): the
        # measure tells them apart.
        return stable_id(self.article_id, self.action_type, str(self.anchor_start), str(self.anchor_end),
                         self.regulator_id or self.regulator_country or "", self.target or "", self.order_text or "")
