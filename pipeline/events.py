"""Events and cases: one row per enforcement action however many articles report it, and related actions linked.

An **event** is one action reported by one or more articles: the same action type by the same regulator (or, when
an article names no body, the same country) against the same target, with amounts that agree within rounding and
dates that agree at their precision (``rules/events.tsv`` holds the tolerances). Each field takes its
best-supported value; where the articles disagree (a fine "imposed" in one, "appealed" in another) the event says
which fields disagree and with what values, instead of averaging them away.

A **case** is a regulator's decision against a target and what followed it: the fine, the order that came with it,
the periodic penalty threatened for not complying, the overdue-payment penalty, the appeal that cut the fine.
Events of one regulator and target join one case in time order until a second decision of a head type (a new
fine) arrives after one was already imposed, or the gap between events exceeds the case window.

Pure functions over the actions and articles tables (DataFrames as written or as read back from Parquet).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import pandas as pd

from .records import stable_id
from .rules import EventRules, load_rules

EVENT_COLUMNS = ["event_id", "case_id", "case_seq", "action_type", "status", "regulator_id", "regulator",
                 "regulator_country", "target", "amount", "currency", "per_period", "amount_eur", "decision_date",
                 "date_precision", "order_text", "deadline", "deadline_date", "legal_basis", "n_articles",
                 "first_seen", "last_seen", "article_ids", "urls", "action_ids", "conflicts", "conflict_values",
                 "evidence", "confidence"]

_PRECISION = {4: "year", 7: "month", 10: "day"}
_RANK = {"year": 1, "month": 2, "day": 3}


# ---------------------------------------------------------------------------------------------- pure comparisons

def target_key(name: str | None, stopwords: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The words of a target name that identify it: case-folded, punctuation and legal forms dropped.

    >>> target_key("Meta Platforms Ireland Ltd.", ("ltd",))
    ('meta', 'platforms', 'ireland')
    >>> target_key("H&M", ())
    ('h&m',)
    >>> target_key(None)
    ()
    """
    if not name:
        return ()
    words = re.findall(r"[\w&]+", name.casefold())
    return tuple(w for w in words if w not in stopwords)


def same_target(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Two target keys name one target when one is the start of the other ("Amazon" / "Amazon Europe Core").

    >>> same_target(("amazon",), ("amazon", "europe", "core"))
    True
    >>> same_target(("meta",), ("facebook",)), same_target((), ("meta",))
    (False, False)
    """
    if not a or not b:
        return False
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def date_start(value: str | None) -> date | None:
    """The first day a ``YYYY`` / ``YYYY-MM`` / ``YYYY-MM-DD`` date can mean.

    >>> date_start("2022-10"), date_start("2021"), date_start(None), date_start("2022-13")
    (datetime.date(2022, 10, 1), datetime.date(2021, 1, 1), None, None)
    """
    if not value:
        return None
    try:
        parts = [int(p) for p in value.split("-")] + [1, 1]
        return date(parts[0], parts[1], parts[2])
    except ValueError:  # "2022-13" has the right shape and no meaning: it orders nothing
        return None


def dates_agree(a: str | None, b: str | None, slack_days: int = 0) -> bool:
    """Dates agree at their precision: one contains the other, or two days lie at most ``slack_days`` apart.
    An unknown date contradicts nothing.

    >>> dates_agree("2023-05", "2023-05-12"), dates_agree("2021", "2021-07"), dates_agree(None, "2020")
    (True, True, True)
    >>> (dates_agree("2023-05-12", "2023-05-22", 10), dates_agree("2023-05-12", "2023-05-22"),
    ...  dates_agree("2022", "2023"))
    (True, False, False)
    """
    if not a or not b:
        return True
    if a.startswith(b) or b.startswith(a):
        return True
    if len(a) == len(b) == 10 and (start_a := date_start(a)) and (start_b := date_start(b)):
        return abs((start_a - start_b).days) <= slack_days
    return False


def amounts_close(a: Decimal, b: Decimal, tolerance: Decimal) -> bool:
    """``|a - b| / max(a, b)`` at most ``tolerance``.

    >>> amounts_close(Decimal("746000000"), Decimal("746300000"), Decimal("0.005"))
    True
    >>> amounts_close(Decimal("20000000"), Decimal("20500000"), Decimal("0.005"))
    False
    """
    top = max(abs(a), abs(b))
    return top == 0 or abs(a - b) / top <= tolerance


def rounding_agrees(a: Decimal, b: Decimal) -> bool:
    """True when the more precise amount, rounded to the significant digits of the other, equals it: "€746m" and
    "€746.3m" agree, "€746m" and "€747m" do not.

    >>> (rounding_agrees(Decimal("746000000"), Decimal("746300000")),
    ...  rounding_agrees(Decimal("2E+7"), Decimal("20000000.00")))
    (True, True)
    >>> rounding_agrees(Decimal("746000000"), Decimal("747000000"))
    False
    """
    a, b = a.normalize(), b.normalize()
    if a == b:
        return True
    exp_a, exp_b = a.as_tuple().exponent, b.as_tuple().exponent
    assert isinstance(exp_a, int) and isinstance(exp_b, int), "amounts are finite (NaN and infinity have no exponent)"
    coarse, fine, exp = (a, b, exp_a) if exp_a >= exp_b else (b, a, exp_b)
    return fine.quantize(Decimal(1).scaleb(exp)) == coarse


# -------------------------------------------------------------------------------------------------- the records

@dataclass
class Report:
    """One action as one article reported it, with the article's publication date and URL."""

    action_id: str
    article_id: str
    published: date | None
    url: str | None
    action_type: str
    status: str
    regulator_id: str | None
    regulator: str | None
    regulator_country: str | None
    target: str | None
    target_key: tuple[str, ...]
    amount: Decimal | None
    currency: str | None
    per_period: str | None
    amount_eur: Decimal | None
    decision_date: str | None
    order_text: str | None
    deadline: str | None
    deadline_date: date | None
    legal_basis: tuple[str, ...]
    evidence: str
    confidence: float


@dataclass
class Event:
    """One action however many articles report it; a row of ``events.parquet``."""

    event_id: str
    action_type: str
    status: str
    regulator_id: str | None
    regulator: str | None
    regulator_country: str | None
    target: str | None
    amount: Decimal | None
    currency: str | None
    per_period: str | None
    amount_eur: Decimal | None
    decision_date: str | None
    date_precision: str | None
    order_text: str | None
    deadline: str | None
    deadline_date: date | None
    legal_basis: list[str]
    n_articles: int
    first_seen: date | None
    last_seen: date | None
    article_ids: list[str]
    urls: list[str]
    action_ids: list[str]
    conflicts: list[str]
    conflict_values: str | None
    evidence: str
    confidence: float
    case_id: str = ""
    case_seq: int = 0
    members: list[Report] = field(default_factory=list, repr=False)


def _none(v: Any) -> Any:
    """Missing values as None, whatever form the frame holds them in (None, NaN, NaT, pd.NA)."""
    if v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    return v


def _day(v: Any) -> date | None:
    v = _none(v)
    return None if v is None else pd.Timestamp(v).date()


def reports(actions: pd.DataFrame, articles: pd.DataFrame, rules: EventRules) -> list[Report]:
    """The actions table joined with each article's publication date and URL, in publication order."""
    meta = {r.article_id: (_day(r.published), _none(r.url)) for r in articles.itertuples()}
    out = []
    r: Any  # a row of the actions table: its columns are what validate.ACTIONS checked, not static types
    for r in actions.itertuples():
        published, url = meta.get(r.article_id, (None, None))
        amount, eur = _none(r.amount), _none(r.amount_eur)
        out.append(Report(
            action_id=r.action_id, article_id=r.article_id, published=published, url=url,
            action_type=r.action_type, status=r.status, regulator_id=_none(r.regulator_id),
            regulator=_none(r.regulator), regulator_country=_none(r.regulator_country), target=_none(r.target),
            target_key=target_key(_none(r.target), rules.target_stopwords),
            amount=None if amount is None else Decimal(str(amount)), currency=_none(r.currency),
            per_period=_none(r.per_period), amount_eur=None if eur is None else Decimal(str(eur)),
            decision_date=_none(r.decision_date), order_text=_none(r.order_text), deadline=_none(r.deadline),
            deadline_date=_day(r.deadline_date),
            legal_basis=tuple(_none(r.legal_basis) if _none(r.legal_basis) is not None else ()),
            evidence=r.evidence, confidence=float(r.confidence)))
    # Earliest report first: it founds the event and gives it its id, so later reports do not change the id.
    out.sort(key=lambda x: (x.published is None, x.published or date.min, x.article_id, x.action_id))
    return out


def same_action(a: Report, b: Report, rules: EventRules) -> bool:
    """Whether two reports from different articles describe one action (see the module docstring)."""
    if a.article_id == b.article_id or a.action_type != b.action_type or a.per_period != b.per_period:
        return False
    if a.regulator_id and b.regulator_id:
        if a.regulator_id != b.regulator_id:
            return False
    elif not (a.regulator_country and a.regulator_country == b.regulator_country):
        return False
    if not same_target(a.target_key, b.target_key):
        return False
    if a.amount is not None and b.amount is not None:
        if a.currency == b.currency:
            if not amounts_close(a.amount, b.amount, rules.amount_tolerance):
                return False
        elif a.amount_eur is None or b.amount_eur is None or not amounts_close(a.amount_eur, b.amount_eur,
                                                                               rules.eur_tolerance):
            return False
    return dates_agree(a.decision_date, b.decision_date, rules.date_slack_days)


# ------------------------------------------------------------------------------------------- reports -> events

_T = TypeVar("_T")


def _best(values: list[_T], key: Callable[[_T], int] | None = None) -> _T:
    """The most frequent value; ties go to the first seen (``key`` breaks them otherwise)."""
    counts = Counter(values)
    order = {v: i for i, v in reversed(list(enumerate(values)))}
    return max(counts, key=lambda v: (counts[v], key(v) if key else 0, -order[v]))


def _conflicts(members: list[Report]) -> tuple[list[str], str | None]:
    found: dict[str, list[str]] = {}

    def distinct(vals: Iterable[str | None]) -> list[str]:
        return list(dict.fromkeys(v for v in vals if v is not None))

    statuses = distinct(m.status for m in members)
    if len(statuses) > 1:
        found["status"] = statuses
    currencies = distinct(m.currency for m in members if m.amount is not None)
    if len(currencies) > 1:
        found["currency"] = currencies
    amounts = [(m.currency, m.amount) for m in members if m.amount is not None]
    if any(ca == cb and not rounding_agrees(a, b) for ca, a in amounts for cb, b in amounts):
        found["amount"] = distinct(f"{a.normalize():f} {c or ''}".strip() for c, a in amounts)
    dates = distinct(m.decision_date for m in members)
    if any(not dates_agree(a, b) for a in dates for b in dates):
        found["decision_date"] = dates
    deadlines = distinct(m.deadline for m in members)
    if len(deadlines) > 1:
        found["deadline"] = deadlines
    if not found:
        return [], None
    return list(found), "; ".join(f"{k}: {' | '.join(v)}" for k, v in found.items())


def make_event(members: list[Report]) -> Event:
    """Merge the reports of one action into an event, each field at its best-supported value."""
    first = members[0]
    by_conf = sorted(members, key=lambda m: -m.confidence)
    reg_ids = [m.regulator_id for m in members if m.regulator_id]
    reg_id = _best(reg_ids) if reg_ids else None
    reg_member = next((m for m in members if m.regulator_id == reg_id), first)
    countries = [m.regulator_country for m in members if m.regulator_country]
    targets = [m.target for m in members if m.target]
    with_amount = [(m, m.amount.normalize()) for m in members if m.amount is not None]
    money = None
    if with_amount:
        pair = _best([(m.currency, amount) for m, amount in with_amount])
        money = max((m for m, amount in with_amount if (m.currency, amount) == pair), key=lambda m: m.confidence)
    # A status most articles give; on a tie the latest article's, because news moves on (imposed -> appealed).
    statuses = [m.status for m in members]
    status_counts = Counter(statuses)
    top = max(status_counts.values())
    status = next(m.status for m in reversed(members) if status_counts[m.status] == top)
    dates = [m.decision_date for m in members if m.decision_date]
    decision = None
    if dates:
        decision = max(dict.fromkeys(dates), key=lambda d: (sum(dates_agree(d, o) for o in dates),
                                                             len(d), -dates.index(d)))
    published = [m.published for m in members if m.published]
    conflicts, conflict_values = _conflicts(members)

    def most_confident(attr: str) -> Any:
        return next((getattr(m, attr) for m in by_conf if getattr(m, attr) is not None), None)

    articles = list(dict.fromkeys(m.article_id for m in members))
    return Event(
        event_id=stable_id("event", first.action_id),
        action_type=first.action_type, status=status,
        regulator_id=reg_id, regulator=reg_member.regulator if reg_id else None,
        regulator_country=_best(countries) if countries else None,
        target=_best(targets, key=len) if targets else None,
        amount=money.amount if money else None, currency=money.currency if money else None,
        per_period=first.per_period, amount_eur=money.amount_eur if money else None,
        decision_date=decision, date_precision=_PRECISION.get(len(decision)) if decision else None,
        order_text=most_confident("order_text"), deadline=most_confident("deadline"),
        deadline_date=most_confident("deadline_date"),
        legal_basis=sorted({b for m in members for b in m.legal_basis}),
        n_articles=len(articles), first_seen=min(published) if published else None,
        last_seen=max(published) if published else None, article_ids=articles,
        urls=list(dict.fromkeys(m.url for m in members if m.url)), action_ids=[m.action_id for m in members],
        conflicts=conflicts, conflict_values=conflict_values,
        evidence=by_conf[0].evidence, confidence=max(m.confidence for m in members), members=members)


def group_reports(items: list[Report], rules: EventRules) -> list[list[Report]]:
    """Reports grouped into actions: each joins the earliest group all of whose members it matches, else founds one.
    A group holds at most one report per article (an article's own repeats were merged by the extractor)."""
    groups: list[list[Report]] = []
    # Only reports of one type and country whose targets start with the same word can match: a bucket each, so a
    # large run compares a report with a handful of events, not all of them.
    buckets: dict[tuple, list[list[Report]]] = {}
    for r in items:
        if not r.regulator_country or not r.target_key:
            groups.append([r])  # nothing to tell it apart from another action: never merged
            continue
        bucket = buckets.setdefault((r.action_type, r.regulator_country, r.target_key[0]), [])
        home = next((g for g in bucket if all(same_action(r, m, rules) for m in g)), None)
        if home is None:
            home = [r]
            bucket.append(home)
            groups.append(home)
        else:
            home.append(r)
    return groups


# -------------------------------------------------------------------------------------------------- events -> cases

def _decision_cut(e: Event, cases: list[list[Event]], late: tuple[str, ...]) -> list[Event] | None:
    """The case whose decision ``e`` cut or quashed: the one of the same type and currency with the smallest amount
    not below ``e``'s (a court lowers a fine, never raises it); the latest case when ``e`` has no amount."""
    if e.amount is None:
        return cases[-1] if cases else None
    fits = [(o.amount, -i, case) for i, case in enumerate(cases) for o in case
            if o.action_type == e.action_type and o.currency == e.currency and o.amount is not None
            and o.amount >= e.amount and o.status not in late]
    return min(fits, key=lambda f: (f[0], f[1]))[2] if fits else None


def link_cases(events: list[Event], rules: EventRules) -> None:
    """Give each event its ``case_id`` and ``case_seq`` (1 = first in time), in place."""
    clusters: dict[tuple[str, str], list[list[Event]]] = {}
    singles: list[list[Event]] = []
    for e in events:
        reg = e.regulator_id or (f"country:{e.regulator_country}" if e.regulator_country else None)
        key = target_key(e.target, rules.target_stopwords)
        if reg is None or not key:
            singles.append([e])
            continue
        groups = clusters.setdefault((reg, key[0]), [])  # same_target needs the same first word
        home = next((g for g in groups if any(same_target(key, target_key(o.target, rules.target_stopwords))
                                              for o in g)), None)
        if home is None:
            groups.append([e])
        else:
            home.append(e)

    def when(e: Event) -> date | None:
        return date_start(e.decision_date) or e.first_seen

    heads = rules.case_head_types
    for group in [g for gs in clusters.values() for g in gs] + singles:
        # Time order by month, the main decision first within a month (a fine "of 17 October" comes before the
        # penalty "in October" that came with it), then by day; undated events last: they follow the latest case.
        def order(e: Event) -> tuple:
            t = when(e)
            return (t is None, (t.year, t.month) if t else (0, 0), e.action_type not in heads, t or date.min,
                    e.first_seen or date.max, e.event_id)
        group.sort(key=order)
        cases: list[list[Event]] = []
        closed, last = False, None
        for e in group:
            t = when(e)
            if e.status in rules.case_late_statuses and e.action_type in heads:
                earlier = _decision_cut(e, cases, rules.case_late_statuses)
                if earlier is not None:  # the decision this cut or quashed, however long ago
                    earlier.append(e)
                    continue
            new_decision = e.action_type in heads and e.status in rules.case_new_statuses
            too_late = (t is not None and last is not None and (t - last).days > rules.case_window_days
                        and e.status not in rules.case_late_statuses)
            if not cases or too_late or (new_decision and closed):
                cases.append([])
                closed = False
            cases[-1].append(e)
            if e.action_type in heads and e.status in rules.case_closed_statuses:
                closed = True
            if t is not None:
                last = max(last, t) if last else t
        for case in cases:
            case_id = stable_id("case", case[0].event_id)
            for seq, e in enumerate(case, 1):
                e.case_id, e.case_seq = case_id, seq


def build_events(actions: pd.DataFrame, articles: pd.DataFrame,
                 rules: EventRules | None = None) -> tuple[pd.DataFrame, dict[str, tuple[str, str]]]:
    """The events table (``EVENT_COLUMNS``) and, for every action id, its ``(event_id, case_id)``."""
    rules = rules or load_rules().events
    events = [make_event(g) for g in group_reports(reports(actions, articles, rules), rules)]
    link_cases(events, rules)
    events.sort(key=lambda e: (e.case_id, e.case_seq))
    links = {m.action_id: (e.event_id, e.case_id) for e in events for m in e.members}
    return events_frame(events), links


def events_frame(events: list[Event]) -> pd.DataFrame:
    """Events as a DataFrame in the form the schema and :func:`pipeline.write.to_arrow` expect."""
    rows = [{c: getattr(e, c) for c in EVENT_COLUMNS} for e in events]
    df = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    for c in ("case_seq", "n_articles"):
        df[c] = df[c].astype("int64")
    df["confidence"] = df["confidence"].astype("float64")
    for c in df.columns:
        if c not in ("case_seq", "n_articles", "confidence"):
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    for c in ("first_seen", "last_seen", "deadline_date"):
        df[c] = pd.to_datetime(df[c], errors="raise").astype("datetime64[ms]")
    return df


def link_events(actions: pd.DataFrame, articles: pd.DataFrame,
                rules: EventRules | None = None) -> tuple[pd.DataFrame, pd.DataFrame, list[dict]]:
    """The run's one call: the actions with ``event_id`` and ``case_id`` filled in, the validated events table, and
    an error record for each event row that failed its schema (such an event is dropped, its actions unlinked)."""
    from .validate import split_valid

    events, links = build_events(actions, articles, rules)
    events, errors = split_valid("events", events)
    kept = set(events["event_id"])
    actions = actions.copy()
    linked = [links.get(a, (None, None)) for a in actions["action_id"]]
    actions["event_id"] = [e if e in kept else None for e, _ in linked]
    actions["case_id"] = [c if e in kept else None for e, c in linked]
    return actions, events, errors
