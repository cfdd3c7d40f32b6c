"""Date expressions of a story and the decision date of an action.

Dates come from the model's DATE entities and from bare years it tags otherwise ("a 2022 settlement"). Each is
parsed at its stated precision (:func:`pipeline.normalise.parse_date`) and given a kind: a deadline ("by 31
March"), a start ("a fine a day from 14 August"), an attribute ("a 2018 cyber attack") or a plain date. A date
after "since" is a reference point and is dropped. An action takes the plain date of its own sentence nearest to
its anchor, preferring a decision's date to an announcement's; failing that, a date marked as the decision's just
after ("the decision, adopted in April"), or the one date of the next sentence when that sentence only announces it
("The watchdog announced the penalty on Friday.").
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

from spacy.tokens import Span

from .normalise import DateValue, parse_date
from .story import Story, gap

_DEADLINE_INTRO = re.compile(r"\b(?:by|no later than|before|until)\s+$", re.I)
_SAME_DAY = re.compile(r"^(?:on\s+)?(?:the\s+same|that)\s+day$", re.I)
_YEAR = re.compile(r"(?<![0-9.,$€£])\b(19[89][0-9]|20[0-4][0-9])\b(?![0-9,.][0-9])", re.ASCII)
_DAY = re.compile(r"[0-9]{1,2}", re.ASCII)
_CALENDAR = {*calendar.day_name, *calendar.month_name, *calendar.day_abbr, *calendar.month_abbr} - {""}


@dataclass
class DateRef:
    start: int
    end: int
    span: Span
    value: DateValue | None
    kind: str  # "" (a date) | deadline | start | attribute


def find_dates(story: Story) -> None:
    """Fill ``story.dates``, in text order."""
    doc, published = story.doc, story.article.published
    spans: list[Span] = [e for e in doc.ents if e.label_ == "DATE"]
    covered = {i for e in spans for i in range(e.start, e.end)}
    for m in _YEAR.finditer(story.text):  # bare years the model tags CARDINAL ("a 2022 settlement")
        sp = doc.char_span(m.start(), m.end())
        if sp is not None and not covered & set(range(sp.start, sp.end)) \
                and not story.money_toks & set(range(sp.start, sp.end)):
            spans.append(sp)
    for k, sp in enumerate(spans):
        # The model sometimes leaves the day out of "the same 17 October decision": take it back.
        prev = doc[sp.start - 1] if sp.start > 0 else None
        if prev is not None and _DAY.fullmatch(prev.text) and 1 <= int(prev.text) <= 31 and sp[0].text in _CALENDAR:
            spans[k] = doc[sp.start - 1:sp.end]
    out: list[DateRef] = []
    last_day: DateValue | None = None
    action_starts = {c.start for c in story.cues.get("action", [])}
    for sp in sorted(spans, key=lambda sp: sp.start):
        text = sp.text
        before = doc[max(0, sp.start - 3):sp.start].text + " "
        if any(t.lower_ == "since" for t in doc[_clause_start(story, sp.start):sp.start]):
            continue  # "the largest since the GDPR took effect in 2018": a reference point, not a date of action
        kind = "deadline" if _DEADLINE_INTRO.search(before) else ""
        if sp.start > 0 and doc[sp.start - 1].lower_ in story.lex["starting"]:
            kind = "start"  # "a fine of NOK 1m a day from 14 August": when it runs, not when it was decided
        value = parse_date(text, published)
        if value is None and "," in text:
            # the model runs a date into the name after it ("on Saturday, Musk and Tesla ..."): the part before
            # the comma, when that alone is a date, and the name is no part of the date
            comma = next((t.i for t in sp if t.text == ","), sp.start)  # not a comma inside a token ("1,0,00")
            value = parse_date(doc[sp.start:comma].text, published) if comma > sp.start else None
            sp = doc[sp.start:comma] if value is not None else sp
        if value is None and _SAME_DAY.match(text) and last_day is not None:
            value = last_day  # "On the same day, the SEC said ...": the day last named
        if _YEAR.fullmatch(text) and sp.end < len(doc):
            nxt, prev = doc[sp.end], doc[sp.start - 1] if sp.start else None
            qualifies_action = any(sp.end <= c < sp.end + 3 for c in action_starts)
            if (nxt.is_alpha and nxt.is_lower and not nxt.is_stop or prev is not None and prev.lower_ in ("a", "an")) \
                    and not qualifies_action:  # "a 2022 lawsuit settlement" does date the settlement
                kind = "attribute"  # "a 2012 consent order", "over 2018 cyber attack": what the year qualifies
        if value is not None and value.precision == "day":
            last_day = value
        out.append(DateRef(sp.start, sp.end, sp, value, kind))
    story.dates = out


def _clause_start(story: Story, i: int) -> int:
    sent = story.sents[story.sent_of(i)]
    j = i - 1
    while j > sent.start and story.doc[j].text not in (",", ";", ":", "(", "—", "–"):
        j -= 1
    return j


def _decided(story: Story, d: DateRef) -> bool:
    """The date is marked as a decision's: "adopted in April", or the object of a decision verb ("adopted the fine
    on 10 March")."""
    if any(w in story.lex["decided"] for w in story.words(d.start - 2, d.start)):
        return True
    head = story.doc[d.start:d.end].root.head
    if head.dep_ == "prep":
        head = head.head
    return head.lower_ in story.lex["decided"]


def date_for(story: Story, a0: int, a1: int, si: int, sanction_sentences: set[int],
             later: bool = True) -> DateRef | None:
    """The decision date of the action anchored at tokens ``[a0, a1)`` of sentence ``si``, or ``None``.

    ``sanction_sentences`` are the sentences that state an amount of their own: a date there belongs to that one.
    ``later``: a decision date marked in the sentences after may be this action's; not for a court's cut, where
    "the original decision, adopted in July 2018" that follows dates the decision it cut.
    """
    sents = story.sents
    sent = sents[si]
    plain = [d for d in story.dates if d.value is not None and not d.kind]
    found = [d for d in plain if sent.start <= d.start < sent.end]
    if not found:
        # "It said the decision, adopted in April, found ...": a date marked as the decision's, just after
        until = sents[min(si + 2, len(sents) - 1)].end
        marked = [d for d in plain if sent.end <= d.start < until and _decided(story, d)] if later else []
        if marked:
            return marked[0]
        if si + 1 < len(sents) and si + 1 not in sanction_sentences:
            # "The watchdog announced the penalty on Friday." right after the sentence that states the penalty, with
            # no amount of its own (a sentence about a funding round dates that round, not the penalty).
            nxt = sents[si + 1]
            refers = any(story.cues_in(g, si + 1) for g in ("action", "sanction"))
            in_next = [d for d in plain if nxt.start <= d.start < nxt.end]
            amounts = any(nxt.start <= m.start < nxt.end for m in story.moneys)
            if refers and len(in_next) == 1 and not amounts:
                return in_next[0]
        return None
    # "In decisions dated 31 December and made public on Thursday": the decision date, not the announcement.
    decision = [d for d in found if not any(w in story.lex["announced"] for w in story.words(d.start - 3, d.start))]
    return min(decision or found, key=lambda d: gap(a0, a1, d.start, d.end))
