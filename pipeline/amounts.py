"""Every money expression of a story, what the words around it say it is, and its stated equivalents.

A frame decides which amounts are sanctions (:func:`frame_moneys`); this stage gives every amount a role for
the mentions table from the cue phrases around it ("valued at", "turnover of", "raised"), ties an amount to its
stated equivalent in another currency ("€35,100 (£30,000)", "NOK 400,000 (about EUR 36,900)"), and picks which of
the two was decided once the regulator's country is known (:func:`decided`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from spacy.tokens import Token

from .frames import Frame
from .normalise import Money
from .records import Action
from .rules import AMOUNT_CLASSES
from .story import Story, gap

TOTALS = frozenset({"total", "sum", "amount", "maximum", "minimum", "tune"})
_MONEY_MODIFIERS = frozenset({"nummod", "quantmod", "appos", "compound", "amod", "npadvmod"})
_NOMINAL = frozenset({"dobj", "dative", "npadvmod", "appos", "nummod", "compound", "conj", "nmod", "amod",
                      "quantmod", "attr", "oprd"})
_DOLLARS = frozenset({"USD", "AUD", "CAD", "NZD", "HKD", "SGD", "TWD"})
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


# -- the amounts a frame binds ---------------------------------------------------------------------------------

def frame_moneys(story: Story, f: Frame, status: str | None, by_trigger: dict[int, Frame]) -> list[MoneyRef]:
    """The amounts the frame binds, with those coordinated with them ("fines of €40,000 and €15,000") and those
    of the parties coordinated with its party ("fined IHiS S$750,000 and SingHealth S$250,000")."""
    doc = story.doc
    toks: list[int] = []
    # "The fine of €35,000 was reduced to €21,000": the amount it has now is the reduced one
    agents = set(f.roles.get("agent", []))
    for t in f.roles.get("revised") or f.roles.get("money", []):
        # An imposing verb's object is its amount itself, not what an amount modifies ("announced a $1.6bn
        # buyback"); but an amount hanging from its author is the misparse of "the €50m that the CNIL imposed".
        toks += money_tokens(story, doc[t], by_trigger, unwrap=f.cls not in AMOUNT_CLASSES or t in agents)
    for t in f.roles.get("patient", []):
        for c in doc[t].conjuncts:
            toks += [g.i for g in c.children if g.dep_ in _MONEY_MODIFIERS and g.i in story.money_toks]
    toks += [c.i for t in list(toks) for c in doc[t].conjuncts]
    if not toks and f.cls == "verb" and f.action == "fine":
        # "fined Alpha Beta s.r.l. EUR 12,000" parsed with the amount under a misread object: an amount the
        # verb governs through noun phrases alone (no preposition, no clause between) is its amount
        toks = nominal_money(story, doc[f.trigger])
    out: list[MoneyRef] = []
    for t in toks:
        m = next((m for m in story.moneys if m.start <= t < m.end), None)
        if m is None or m in out or m.role == "conversion" and m.pair is not None and story.moneys[m.pair] in out:
            continue
        scale = m.money.amount is None  # a range or a bound: "fines of between 1,000 and 500,000 bolivars"
        if (m.role == "statutory_max" or scale and status != "proposed") and (
                status is None and m.role == "statutory_max" or f.first("patient") is None):
            continue  # "a maximum fine of €20m", "fines can reach up to €20m": the law's scale, on no one
        if purpose_of(story, m) in ("redress", "damages_claimed", "provision"):
            continue  # "ordered to pay €5m in compensation to customers"
        out.append(m)
    return sorted(out, key=lambda m: m.start)

def money_tokens(story: Story, tok: Token, by_trigger: dict[int, Frame], unwrap: bool = True) -> list[int]:
    """The money a bound token stands for: itself; what "a total of", "the sum of" introduce; the antecedent of
    "that" ("the 6.088 billion yuan that X was ordered to pay"); an amount hanging from the word bound ("$603
    million to 44 states", parsed as a modifier of "states")."""
    if tok.i in story.money_toks:
        return [tok.i]
    if tok.lower_ in ("that", "which") and tok.head.dep_ in ("relcl", "acl") and tok.head.head.i != tok.head.i:
        tok = tok.head.head
        if tok.i in story.money_toks:
            return [tok.i]
    if tok.lower_ in TOTALS:
        return [g.i for c in tok.children if c.dep_ == "prep" and c.lower_ == "of" for g in c.children
                if g.dep_ == "pobj"]
    if not unwrap or tok.i in by_trigger:
        return []  # the amount of "alongside the €15m penalty" is that penalty's, not the verb's
    near = [c for c in tok.children if c.dep_ in _MONEY_MODIFIERS]
    # "pay $603 million to 44 states" read as a range "603 million to 44" counting the states: the amount
    # hangs from the number of the bound word
    near += [g for c in near if c.dep_ == "nummod" for g in c.children if g.dep_ == "quantmod"]
    return [c.i for c in near if c.i in story.money_toks]

def nominal_money(story: Story, tok: Token) -> list[int]:
    """Money tokens below ``tok`` reached through noun-phrase relations only."""
    found, todo = [], [c for c in tok.children if c.dep_ in _NOMINAL and c.dep_ != "conj"]
    while todo:
        t = todo.pop()
        if t.i in story.money_toks:
            found.append(t.i)
            continue
        todo += [c for c in t.children if c.dep_ in _NOMINAL]
    return sorted(found)

def set_money(story: Story, a: Action, ref: MoneyRef) -> Money:
    """The amount as decided, with its stated equivalent; an ambiguous currency or a bare "$" read from the
    regulator's country when the text leaves it open."""
    i = story.moneys.index(ref)
    main, other = decided(story, i, a.regulator_country)
    mm = main.money
    a.amount, a.currency, a.amount_text = mm.amount, currency_in(story, mm, a.regulator_country), mm.text
    a.amount_min, a.amount_max, a.per_period = mm.amount_min, mm.amount_max, mm.per_period
    if other is not None:
        a.stated_amount = other.money.amount
        a.stated_currency = currency_in(story, other.money, a.regulator_country)
    return mm

def currency_in(story: Story, money: Money, country: str | None) -> str | None:
    """``money``'s currency, or the one its form leaves open that the regulator's country decides in: "kroner" in a
    Danish decision is DKK; a bare "$" in an Australian one is AUD (unless the story writes US$ or USD)."""
    own = story.rules.country_currencies.get(country or "", ())
    form = (money.currency_form or "").strip()
    if form == "$" and money.currency == "USD" and own and own[0] in _DOLLARS and own[0] != "USD" \
            and "US$" not in story.text and "USD" not in story.text:
        return own[0]
    if money.currency is None and form:
        options = next((c.candidates for c in story.rules.currencies if c.form.lower() == form.lower()), ())
        hit = [c for c in own if c in options]
        if len(hit) == 1:
            return hit[0]
    return money.currency
