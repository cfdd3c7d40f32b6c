"""From a processed spaCy Doc to enforcement actions and mentions: the stages in order.

The Doc comes from :mod:`pipeline.nlp` with sentences, rule spans (regulators, countries, laws, cue phrases),
money spans, entities and, on the sentences that hold an action word, a dependency parse. Then, for one article:

1. :mod:`pipeline.story`: the sentences, cue phrases and word lists every stage reads;
2. :mod:`pipeline.regulators`: regulator mentions (registry names, "the DPA of Saxony", acting countries);
3. :mod:`pipeline.parties`: the parties the story names, and its main party;
4. :mod:`pipeline.amounts`: every amount with its role and its stated equivalent;
5. :mod:`pipeline.dates`: date expressions and their kinds;
6. :mod:`pipeline.frames`: the sanction frames, a trigger and the roles the parse binds to it;
7. :mod:`pipeline.actions`: the actions those frames are, with what the story fills in (and lower confidence);
8. :mod:`pipeline.merge`: one row per action within the story;
9. here: the EUR equivalent of each amount, and the mentions table.

To follow one action from its sentence to its row: the frame of its trigger (``Frame.patterns`` names the
patterns of ``rules/frames.jsonl`` that bound its roles), then :meth:`ActionReader.frame_actions`.
"""

from __future__ import annotations

from datetime import date

from spacy.tokens import Doc

from .actions import ActionReader
from .amounts import find_amounts
from .dates import find_dates
from .frames import FrameFinder
from .merge import merge
from .normalise import to_eur
from .parties import best_name, find_names, main_target, party_at
from .records import Action, Article, Mention
from .regulators import Registry, find_regulators
from .rules import Rules
from .story import Candidate, Lexicon, Story


class Extractor:
    """Turns processed Docs into actions and mentions; built once per run from the rules."""

    def __init__(self, rules: Rules):
        self.rules = rules
        self.lex = Lexicon.of(rules)
        self.registry = Registry(rules)
        self._finder: FrameFinder | None = None

    def finder(self, doc: Doc) -> FrameFinder:
        # The matcher holds the vocabulary's strings: a reloaded model (pipeline.run refreshes it) needs a new one.
        if self._finder is None or self._finder.vocab is not doc.vocab:
            self._finder = FrameFinder(doc.vocab, self.rules)
        return self._finder

    def __call__(self, doc: Doc, article: Article) -> tuple[list[Action], list[Mention]]:
        story = Story.read(doc, article, self.rules, self.lex)
        find_regulators(story, self.registry)
        find_names(story)
        find_amounts(story)
        find_dates(story)
        frames = self.finder(doc)(doc)
        title_end = story.title_end()
        in_title = [doc[t] for f in frames if doc[f.trigger].idx < title_end for t in f.roles.get("patient", [])]
        title_parties = [p for p in (party_at(story, t) for t in in_title) if p is not None]
        story.main_target = main_target(story, title_parties)
        story.main_org = main_target(story, title_parties, ("organisation",))
        candidates = ActionReader(story, self.registry, frames).run()
        actions = merge(candidates, title_end)
        for c in actions:
            finish(c.action, article)
        return [c.action for c in actions], mentions(story, actions)


def finish(a: Action, article: Article) -> None:
    """The EUR equivalent: at the ECB rate of the decision day, else of the publication day, else of the first day
    of the decision's month or year; the text's own EUR figure when the ECB has no rate for the currency."""
    decision = date.fromisoformat(a.decision_date) if a.decision_date and a.date_precision == "day" else None
    if a.deadline and decision is not None and a.deadline_date is None:
        from .normalise import add_duration

        a.deadline_date = add_duration(decision, a.deadline)
    if decision is not None:
        fx_on: date | None = decision
    elif article.published is not None:
        fx_on = article.published
    elif a.decision_date:
        fx_on = date(int(a.decision_date[:4]), int(a.decision_date[5:7]) if len(a.decision_date) >= 7 else 1, 1)
    else:
        fx_on = None
    a.amount_eur = to_eur(a.amount, a.currency, fx_on)
    if a.amount_eur is not None:
        a.eur_source = "ecb"
        a.fx_date = fx_on if a.currency != "EUR" else None
    elif a.stated_currency == "EUR" and a.stated_amount is not None:
        a.amount_eur, a.eur_source = a.stated_amount, "stated"


def mentions(story: Story, actions: list[Candidate]) -> list[Mention]:
    """Every regulator, party, amount, date, order and law the story names, one row per span, with the action it
    became part of."""
    aid = story.article.article_id
    owner: dict[tuple[str, int, int], str] = {}
    for c in actions:
        for key in c.mentions:
            owner.setdefault(key, c.action.action_id)
    out: list[Mention] = []
    for r in story.regs:
        if r.kind != "anaphor":
            out.append(Mention(aid, "regulator", r.text, r.char_start, r.char_end, r.reg_id or r.country, r.kind,
                               action_id=owner.get(("regulator", r.char_start, r.char_end))))
    for t in story.names:
        out.append(Mention(aid, "target", t.text, t.char_start, t.char_end, best_name(story, t.key), None,
                           action_id=owner.get(("target", t.char_start, t.char_end))))
    sanctions = {key[1] for key in owner if key[0] == "money"}
    for m in story.moneys:
        mm = m.money
        role = "sanction" if mm.start in sanctions else m.role or "unknown"
        out.append(Mention(aid, "money", mm.text, mm.start, mm.end, f"{mm.value_text} {mm.currency or ''}".strip(),
                           role, mm.figure, mm.currency, owner.get(("money", mm.start, mm.end))))
    for d in story.dates:
        if d.value is not None:
            out.append(Mention(aid, "date", d.span.text, d.span.start_char, d.span.end_char, d.value.value,
                               d.kind or "date", action_id=owner.get(("date", d.span.start_char, d.span.end_char))))
    for c in actions:
        a = c.action
        if a.action_type == "order" and a.order_text:
            out.append(Mention(aid, "order", a.order_text, a.anchor_start, a.anchor_end, a.deadline, "order",
                               action_id=a.action_id))
    for law in story.laws:
        out.append(Mention(aid, "legal_basis", law.text, law.start_char, law.end_char, law.id_, None))
    seen, unique = set(), []
    for mention in out:  # one row per (kind, span)
        k = (mention.kind, mention.char_start, mention.char_end)
        if k not in seen:
            seen.add(k)
            unique.append(mention)
    return unique
