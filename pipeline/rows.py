"""The rows of a frame: an action with its regulator, party, amount, status, date, legal basis and confidence.

The confidence says how much of the action the grammar gave: a regulator the frame bound counts more than one
taken from the sentence or the story, a party bound as the frame's patient more than one named nearby, an amount
the frame bound more than one only coordinated with it.
"""

from __future__ import annotations

import re

from .agents import Agents
from .amounts import MoneyRef, set_money
from .dates import date_for
from .frames import Frame
from .parties import Party, target_key
from .records import Action
from .regulators import RegRef
from .status import cue_status
from .story import Candidate, Story, clause_root, gap

_ARTICLE_NO = re.compile(r"\bArt(?:icle)?s?\.?\s*([0-9]+[a-z]?(?:\s*\(\s*\w{1,3}\s*\))*)", re.I | re.ASCII)


class Rows:
    """Makes the candidates of one story."""

    def __init__(self, story: Story, agents: Agents, bound: set[int]):
        self.story, self.agents = story, agents
        self.bound = bound  # the indexes in story.moneys of the amounts some frame bound
        # the sentences that state an amount of their own: a date there belongs to that amount's action
        self.sanction_sentences = {story.sent_of(story.moneys[i].start) for i in bound}

    def candidate(self, f: Frame, kind: str, reg: RegRef | None, reg_explicit: bool, party: Party | None,
                  money: MoneyRef | None, status: str | None) -> Candidate:
        story, doc = self.story, self.story.doc
        si = story.sent_of(f.trigger)
        sent = story.sents[si]
        a0, a1 = (money.start, money.end) if money is not None else (f.trigger, f.trigger + 1)
        a = Action(article_id=story.article.article_id, action_type=kind, status="imposed",
                   evidence=sent.text.strip(), char_start=sent.start_char, char_end=sent.end_char,
                   anchor_start=doc[a0].idx, anchor_end=doc[a1 - 1].idx + len(doc[a1 - 1]))
        mentions: list[tuple[str, int, int]] = []
        if reg is not None:
            self.agents.assign(a, reg)
            if reg.char_end > reg.char_start:
                mentions.append(("regulator", reg.char_start, reg.char_end))
        if party is not None:
            a.target, a.target_kind = " ".join(party.text.split()), party.kind  # a wrapped line's break is a space
        if money is not None:
            shown = set_money(story, a, money)
            mentions.append(("money", shown.start, shown.end))
        a.status = status or cue_status(story, a0, a1, si)
        if money is not None and money.money.per_period and a.status == "imposed" and \
                any(w in story.lex["conditional"] for w in story.words(sent.start, sent.end)):
            a.status = "threatened"  # "€100,000 for each day of delay if it fails to comply" has not been imposed
        d = date_for(story, a0, a1, si, self.sanction_sentences - {si},
                     later=a.status not in ("reduced", "annulled"))
        if d is not None and d.value is not None:
            a.decision_date, a.date_precision = d.value.value, d.value.precision
            mentions.append(("date", d.span.start_char, d.span.end_char))
        a.legal_basis = legal_basis(story, si)
        bound_party = party is not None and party.explicit and f.first("patient") is not None
        conf = 0.45 + (0.25 if reg_explicit else 0.05 if reg is not None else 0) + \
            (0.2 if bound_party else 0.1 if party is not None and party.explicit else 0.05 if party else 0)
        if money is not None and f.first("money") is not None:
            conf += 0.1
        a.confidence = round(min(conf, 1.0), 2)
        return Candidate(a, si, a0, a1, reg_explicit, bool(party is not None and party.explicit), reg=reg,
                         mentions=mentions)

    def coordinated_amounts(self, si: int, own: list[Candidate]) -> list[Candidate]:
        """An amount no frame bound, coordinated with one that a frame did, in the same clause: "€20m fines from
        Italy and Greece (and €9m from the UK)". It is the same kind of action, for the regulator right after it."""
        story = self.story
        out: list[Candidate] = []
        bound = [c for c in own if c.action.amount is not None]
        for i, m in enumerate(story.moneys):
            if i in self.bound or story.sent_of(m.start) != si or m.role is not None or not bound or \
                    story.doc[m.end - 1].dep_ != "conj":
                continue  # "reduced from €1,000 to €800": an amount that is no conjunct is no second action
            home = min(bound, key=lambda c: gap(c.start, c.end, m.start, m.end))
            if clause_root(story.doc[m.end - 1]).i != clause_root(story.doc[home.start]).i and \
                    story.doc[m.end - 1].head.i != story.doc[home.end - 1].i:
                continue
            after = [r for r in story.in_sent(story.regs, si) if m.end <= r.start <= m.end + 3
                     and any(w in story.lex["by_regulator"] for w in story.words(m.end, r.start))]
            reg = after[0] if after else home.reg
            a = home.action
            party = Party(a.target, a.target_kind or "organisation", target_key(a.target), 0, 0, home.explicit_target) \
                if a.target else None
            f = Frame(home.start, "noun", a.action_type)
            c = self.candidate(f, a.action_type, reg, bool(after), party, m, None)
            c.action.confidence = round(c.action.confidence - 0.1, 2)  # bound by position, not by the grammar
            out.append(c)
        return out


def legal_basis(story: Story, si: int) -> list[str]:
    """The laws cited in the sentence, with the article numbers written before or after them."""
    sent = story.sents[si]
    out: list[str] = []
    for law in story.in_sent(story.laws, si):
        window = story.doc[max(sent.start, law.start - 12):law.start].text
        arts = _ARTICLE_NO.findall(window) or _ARTICLE_NO.findall(story.doc[law.end:min(sent.end, law.end + 6)].text)
        if arts:
            out.extend(f"{law.id_} Art. {''.join(a.split())}" for a in arts)
        else:
            out.append(law.id_)
    return list(dict.fromkeys(out))
