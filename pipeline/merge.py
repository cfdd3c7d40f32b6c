"""One row per action within a story: the same action told twice ("fined Meta €1.2bn" in the lede and again in
the body, the headline's restatement, an amount-less "was fined") becomes one, keeping what each told."""

from __future__ import annotations

import re
from collections.abc import Callable

from .parties import target_key
from .records import Action
from .story import Candidate

MONETARY = ("fine", "penalty", "settlement")
STATUS_RANK = {"threatened": 0, "proposed": 1, "imposed": 2, "reduced": 3, "appealed": 4, "annulled": 5}


def merge(cands: list[Candidate], title_end: int) -> list[Candidate]:
    """The candidates of one story with each action once; ``title_end`` is where the headline ends (characters)."""
    merged: list[Candidate] = []
    # The body first: a headline's wording ("Qantas agrees to A$100 million penalty") does not overrule the body's
    # status ("would jointly ask the court to order it to pay").
    for c in sorted(cands, key=lambda c: c.action.char_start < title_end):
        home = next((m for m in merged if same_action(m.action, c.action)), None)
        if home is None:
            merged.append(c)
        else:
            status = home.action.status
            absorb(home, c)
            if c.action.char_start < title_end <= home.action.char_start:
                home.action.status = status
    merged.sort(key=lambda c: (c.action.char_start, c.start))
    # A headline restates the story in other words ("orders it to erase French faces"): an action stated only
    # there merges into the body's action of the same kind, regulator and target, whatever its wording.
    body = [m for m in merged if m.action.char_start >= title_end]
    merged = fold(merged, lambda c: next(
        (m for m in body if m.action.action_type == c.action.action_type and same_party(m.action, c.action)), None)
        if c.action.char_start < title_end and not has_amount(c.action) else None, keep_status=True)
    # "... pay US$20 million in SEC settlement" in the headline is the body's "will each pay a US$20 million
    # penalty": an amount the headline states merges into the body's action of that amount and party, whatever word
    # each uses for it.
    merged = fold(merged, lambda c: next(
        (m for m in body if m.action.action_type in MONETARY and same_amount(m.action, c.action) and
         same_regulator(m.action, c.action) and (same_target(m.action, c.action) or
                                                 "description" in (m.action.target_kind, c.action.target_kind))),
         None)
        if c.action.char_start < title_end and has_amount(c.action) and c.action.action_type in MONETARY else None,
        keep_status=True)
    # "told it to stop sending data" in the lede restates the order the body details with its deadline.
    merged = fold(merged, lambda c: next(
        (m for m in merged if m is not c and m.action.action_type == "order" and
         (m.action.deadline or m.action.deadline_date) and same_party(m.action, c.action) and
         compatible((m.action.decision_date or "")[:7], (c.action.decision_date or "")[:7])), None)
        if c.action.action_type == "order" and not c.action.deadline and not c.action.deadline_date else None)
    # An amount-less "was fined" merges into the amount-bearing fine of the same regulator and target; an
    # amount-less settlement into the amount-bearing action it reached ("agreed to pay a $35m penalty to settle
    # charges", "agreed to resolve the case and qualified for a discount on the penalty").
    return fold(merged, lambda c: next(
        (m for m in merged if m is not c and (m.action.action_type == c.action.action_type or
                                              c.action.action_type == "settlement" and m.action.action_type in MONETARY)
         and has_amount(m.action) and same_party(m.action, c.action)), None)
        if c.action.action_type in MONETARY and not has_amount(c.action) else None)


def compatible(a: str | None, b: str | None) -> bool:
    return not a or not b or a == b


def same_regulator(a: Action, b: Action) -> bool:
    """Same body, or one side knows only the country and it agrees."""
    if a.regulator_id and b.regulator_id:
        return a.regulator_id == b.regulator_id
    return compatible(a.regulator_country, b.regulator_country)


def same_action(a: Action, b: Action) -> bool:
    if a.action_type != b.action_type:
        return False
    if (a.amount, a.currency, a.amount_min, a.amount_max, a.per_period) != \
            (b.amount, b.currency, b.amount_min, b.amount_max, b.per_period):
        return False
    if a.action_type == "order":
        if a.deadline != b.deadline and a.deadline and b.deadline:
            return False
        if a.decision_date and b.decision_date and a.decision_date[:7] != b.decision_date[:7]:
            return False  # the same measure ordered again a year later is a second order
        if not compatible(a.regulator_id, b.regulator_id) or \
                not same_target(a, b):
            return False
        return bool(a.deadline and a.deadline == b.deadline) or same_measure(a.order_text, b.order_text)
    reg_a = a.regulator_id or a.regulator_country
    reg_b = b.regulator_id or b.regulator_country
    if a.amount is None and a.amount_min is None and (not reg_a or not reg_b):
        return False
    return same_regulator(a, b) and same_target(a, b)


def same_target(a: Action, b: Action) -> bool:
    """Compatible targets: one unknown, or the same organisation ("Clearview AI" ~ "Clearview"), or the same person
    ("Elon Musk" ~ "Musk": people are known by their last name)."""
    if not a.target or not b.target:
        return True
    if "person" in (a.target_kind, b.target_kind):
        return a.target.split()[-1].casefold() == b.target.split()[-1].casefold()
    return target_key(a.target) == target_key(b.target)


def same_amount(a: Action, b: Action) -> bool:
    return (a.amount, a.currency, a.amount_min, a.amount_max, a.per_period) == \
        (b.amount, b.currency, b.amount_min, b.amount_max, b.per_period)


def has_amount(a: Action) -> bool:
    return a.amount is not None or a.amount_min is not None


def same_party(a: Action, b: Action) -> bool:
    """Same regulator (or a compatible country) and a compatible target."""
    return same_regulator(a, b) and same_target(a, b)


def fold(cands: list[Candidate], home_of: Callable[[Candidate], Candidate | None],
         keep_status: bool = False) -> list[Candidate]:
    """The candidates left once each is absorbed into the home ``home_of`` finds for it (``None``: it stays). With
    ``keep_status`` the home keeps its status: a headline's "agrees to a penalty" does not overrule the body's
    "would ask the court to order it to pay"."""
    kept = []
    for c in cands:
        home = home_of(c)
        if home is None:
            kept.append(c)
        else:
            status = home.action.status
            absorb(home, c)
            if keep_status:
                home.action.status = status
    return kept


def same_measure(a: str | None, b: str | None) -> bool:
    """Two wordings of one measure: the same verb and at least two more words in common.

    >>> same_measure("run a six-month information campaign on radio", "run a public information campaign")
    True
    >>> same_measure("stop processing the data", "delete the data")
    False
    """
    wa, wb = re.findall(r"[\w-]+", (a or "").lower()), re.findall(r"[\w-]+", (b or "").lower())
    if not wa or not wb or wa[0] != wb[0]:
        return False
    common = {w for w in wa[1:] if len(w) > 3} & {w for w in wb[1:] if len(w) > 3}
    return len(common) >= 2 or (a or "")[:20] == (b or "")[:20]


def absorb(home: Candidate, other: Candidate) -> None:
    """Fill what ``home`` lacks from ``other``; keep the most advanced status."""
    a, b = home.action, other.action
    better_reg = not home.explicit_regulator and other.explicit_regulator
    for f in ("regulator_id", "regulator", "regulator_country"):
        if (getattr(a, f) is None or better_reg) and getattr(b, f) is not None:
            setattr(a, f, getattr(b, f))
    if (a.target is None or (not home.explicit_target and other.explicit_target)) and b.target:
        a.target, a.target_kind = b.target, b.target_kind
    for f in ("decision_date", "order_text", "deadline", "deadline_date"):
        if getattr(a, f) is None and getattr(b, f) is not None:
            setattr(a, f, getattr(b, f))
            if f == "decision_date":
                a.date_precision = b.date_precision
    if STATUS_RANK[b.status] > STATUS_RANK[a.status]:
        a.status = b.status
    a.legal_basis = list(dict.fromkeys(a.legal_basis + b.legal_basis))
    a.confidence = max(a.confidence, b.confidence)
    home.explicit_regulator |= other.explicit_regulator
    home.explicit_target |= other.explicit_target
    home.mentions.extend(other.mentions)
