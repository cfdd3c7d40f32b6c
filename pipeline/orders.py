"""What an order requires and by when: "ordered it to stop ... and delete ... within two months".

The frame gives the measure's verb ("stop"); the measure is the clause from that verb to the end of its clause,
split where a second measure with its own deadline begins ("..., and to bring its processing into line within six
months"). A deadline is a duration ("within two months", "gave it 90 days to": ISO 8601 ``P2M``) or a date ("by 31
March 2024").
"""

from __future__ import annotations

import re
from datetime import date

from .normalise import parse_date, parse_duration
from .story import Story

_CLAUSE_END = re.compile(r"[;.]|,\s*(?:or|and|but|which|while|after|as)\b|\bor (?:face|risk)\b|\bor else\b", re.I)
_WITHIN = re.compile(r"\b(?:within|in|over the next|no later than)\s+(?:the\s+next\s+)?\S+[\s-]+"
                     r"(?:business\s+|working\s+)?(?:days?|weeks?|months?|years?)\b", re.I)
_BY_DATE = re.compile(r"\b(?:by|no later than|before)\s+(.{3,30}?[0-9]{4})", re.ASCII)

Measure = tuple[str, str | None, date | None]  # (what is required, deadline as a duration, deadline as a date)


def measures(story: Story, trigger: int, verb: int | None) -> list[Measure]:
    """The measures an order requires, from its measure's verb (token ``verb``) to the end of the clause."""
    doc = story.doc
    trig = doc[trigger]
    if "cease" in story.text[trig.idx - 20:trig.idx].lower() or trig.lower_ in ("cease",):
        return [("cease and desist", None, None)]  # "agreed to a cease-and-desist order": the order names it
    if verb is None:
        return []
    sent = story.sents[story.sent_of(verb)]
    if doc[verb].lower_ in story.lex["not_a_measure"] or not doc[verb].is_alpha:
        return []  # a payment is the money action; "to comply" restates an earlier order
    rest = story.text[doc[verb].idx:sent.end_char]
    between = doc[min(trigger, verb) + 1:max(trigger, verb)].text
    given = parse_duration(between, story.rules) if verb > trigger + 1 else None  # "gave it two months to"
    out: list[Measure] = []
    while rest:
        end = _CLAUSE_END.search(rest)
        m = measure(story, rest[:end.start()] if end else rest)
        if m is not None:
            if given and m[1] is None and not out:
                m = (m[0], given, m[2])
            out.append(m)
        rest = rest[end.end():] if end else ""
        # "..., and to bring its processing into line within six months": a second measure with its own deadline
        nxt = re.match(r"\s*(?:and\s+)?to\s+", rest)
        if not nxt or not out or out[-1][1] is None:
            break
        rest = rest[nxt.end():]
        following = measure(story, rest[:m2.start()] if (m2 := _CLAUSE_END.search(rest)) else rest)
        if following is None or following[1] is None:
            break
    return out


def measure(story: Story, clause: str) -> Measure | None:
    """A measure's text and its deadline, as a duration ("within two months") or a date ("by 31 March 2024")."""
    deadline = deadline_date = None
    dm = _WITHIN.search(clause)
    if dm:
        deadline = parse_duration(dm.group(0), story.rules)
        clause = clause[:dm.start()]
    bm = _BY_DATE.search(clause)
    if bm:
        dv = parse_date(bm.group(1), story.article.published)
        if dv is not None and dv.precision == "day":
            deadline_date = dv.start_date
        clause = clause[:bm.start()]
    text = re.sub(r"\s+", " ", clause).strip(" ,;:-—–")
    return (text, deadline, deadline_date) if text else None
