"""Every money expression of a story, what the words around it say it is, and its stated equivalents.

A frame decides which amounts are sanctions (:mod:`pipeline.actions`); this stage gives every amount a role for
the mentions table from the cue phrases around it ("valued at", "turnover of", "raised"), ties an amount to its
stated equivalent in another currency ("€35,100 (£30,000)", "NOK 400,000 (about EUR 36,900)"), and picks which of
the two was decided once the regulator's country is known (:func:`decided`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .normalise import Money
from .story import Story, gap

# Words before an amount that mark it as a journalist's approximation of another: the other one was decided.
APPROXIMATE = frozenset({"about", "around", "roughly", "approximately", "approx", "approx.", "some", "nearly",
                         "almost", "c.", "ca.", "circa", "equivalent", "worth", "~"})


@dataclass
class MoneyRef:
    """One money expression: its parsed value, token offsets, role and the stated equivalent it is paired with."""

    money: Money
    start: int
    end: int
    role: str | None = None  # from the cue phrases: valuation, revenue, statutory_max, ... ; None when they say nothing
    pair: int | None = None  # index in story.moneys of the same amount in another currency
    approximate: bool = False  # written as an approximation ("about €35,100")


def find_amounts(story: Story) -> None:
    """Fill ``story.moneys`` with roles and stated-equivalent pairs."""
    doc = story.doc
    out = [MoneyRef(m, sp.start, sp.end) for m, sp in zip(doc._.money or [], doc.spans.get("money", []), strict=True)]
    # "65 million kroner" in a story that also writes "NOK 65,000,000": the article says which kroner.
    ambiguous = {c.form.lower(): c.candidates for c in story.rules.currencies if c.candidates}
    explicit = {m.money.currency for m in out if m.money.currency}
    for m in out:
        if m.money.currency is None and m.money.currency_form:
            options = set(ambiguous.get(m.money.currency_form.lower(), ())) & explicit
            if len(options) == 1:
                m.money = replace(m.money, currency=options.pop())
    windows = {c.value: c for c in story.rules.cues_of("role")}
    for i, m in enumerate(out):
        before = story.words(m.start - 2, m.start)
        m.approximate = any(w in APPROXIMATE for w in before) or (len(before) > 1 and before[-1] == "to"
                                                                  and before[-2] == "equivalent")
        if i > 0 and _equivalent(story, out[i - 1], m):
            m.pair, out[i - 1].pair = i - 1, i
            m.role = "conversion"
            continue
        m.role = _role(story, m, windows)
    story.moneys = out


def _equivalent(story: Story, a: MoneyRef, b: MoneyRef) -> bool:
    """``b`` restates ``a`` in another currency: right after it, in brackets or after "or", "about", "at the time"."""
    si = story.sent_of(a.start)
    between = story.words(a.end, b.start)
    if story.sent_of(b.start) != si or len(between) > 4 or not all(w in story.lex["conversion_gap"] for w in between):
        return False
    return (a.money.currency != b.money.currency or "(" in between) and a.money.per_period == b.money.per_period


def _role(story: Story, m: MoneyRef, windows: dict) -> str | None:
    """What the cue phrases around an amount say it is: the nearest role cue within its window; a purpose right
    after it ("$245 million to refund customers", "A$20 million in remediation") wins."""
    si = story.sent_of(m.start)
    best_role, best_d = None, None
    for cue in story.cues_in("role", si):
        window = windows[cue.id_]
        if cue.end <= m.start and m.start - cue.end <= window.left:
            d = m.start - cue.end
        elif cue.start >= m.end and cue.start - m.end <= window.right:
            d = cue.start - m.end
        else:
            continue
        if best_d is None or d < best_d:
            best_role, best_d = cue.id_, d
    purpose = [c for c in story.cues_in("role", si) if 1 <= c.start - m.end <= 2
               and all(w in story.lex["purpose"] for w in story.words(m.end, c.start))]
    if purpose and best_role != "statutory_max":
        return purpose[0].id_
    return best_role


def purpose_of(story: Story, m: MoneyRef) -> str | None:
    """A role cue right after the amount saying what the money is for ("to refund customers"), or ``None``."""
    si = story.sent_of(m.start)
    for c in story.cues_in("role", si):
        if 1 <= c.start - m.end <= 2 and all(w in story.lex["purpose"] for w in story.words(m.end, c.start)):
            return c.id_
    return None


def decided(story: Story, i: int, country: str | None) -> tuple[MoneyRef, MoneyRef | None]:
    """Of an amount and its stated equivalent, (the one decided, the other): the one in the regulator's own
    currency when its country is known, else the one not written as an approximation, else the first written."""
    m = story.moneys[i]
    if m.pair is None:
        return m, None
    other = story.moneys[m.pair]
    first, second = (m, other) if m.start < other.start else (other, m)
    own = story.rules.country_currencies.get(country or "", ())
    for code in own:
        hit = [x for x in (first, second) if x.money.currency == code]
        if len(hit) == 1:
            return hit[0], (second if hit[0] is first else first)
    if first.approximate != second.approximate:
        return (second, first) if first.approximate else (first, second)
    return first, second


def nearest(story: Story, start: int, end: int, candidates: list[MoneyRef]) -> MoneyRef | None:
    return min(candidates, key=lambda m: gap(start, end, m.start, m.end), default=None)
