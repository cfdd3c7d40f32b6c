"""Whether a frame is an action: no frame, no action, and a frame is one only when its kind has what it needs.

An amount becomes a fine, a payment a settlement, a verb an order only when a trigger's grammar binds it
(:mod:`pipeline.frames`). A frame is an action when its kind has what it needs:

- a fine or penalty: an amount, or a party (a noun without either, "fines mount", or one that refers back with
  "its"/"the"/"these", is no new action);
- a settlement: a legal matter in its clause ("charges", "a lawsuit"), an authority as its counterpart, or a kind
  that is legal in itself ("consent decree"); "agreed to pay $40m for the shares" settles nothing;
- an order: a measure or an amount to pay, a party that is not a regulator, and no company as its author;
- a ban: a party or a measure, and no company as its author ("agencies voluntarily banned the service");
- a warning or reprimand: a party; a warning whose complement holds a sanction ("warned that it could face fines")
  announces that threat and is not a warning of its own.

And it is none when it states what a law allows or a record holds rather than what happened
(:meth:`Gates.generic_statement`), or is negated.
"""

from __future__ import annotations

from collections.abc import Callable

from spacy.tokens import Doc, Token

from .amounts import MoneyRef
from .frames import Frame
from .parties import Party
from .regulators import RegRef, regulator_at
from .story import Story, clause_root, gap

MONETARY = ("fine", "penalty", "settlement")
_REFERRING = frozenset({"the", "its", "their", "these", "those", "this", "that", "his", "her", "such"})
_GENERIC = frozenset({"any", "no", "every", "all"})
_COPULAS = frozenset({"be", "is", "are", "was", "were", "been", "being", "'s", "’s", "remains", "remain", "seem",
                      "seems"})
SUPPORT_CLASSES = ("impose", "pay", "receive", "face", "seek", "agree", "sentence")


def support_verb(trig: Token) -> Token | None:
    """The verb an action noun is the object of ("imposed a fine", "was hit with fines", "faces a fine"); not a
    copula ("orders ... are likely to have more effect": a statement about orders, no event)."""
    t = trig
    while t.dep_ == "conj" and t.head.i != t.i:
        t = t.head
    if t.dep_ == "pobj" and t.head.dep_ in ("prep", "agent"):
        t = t.head
    head = t.head
    if head.i != t.i and head.tag_.startswith("VB") and head.lower_ not in _COPULAS:
        return head
    return None


class Gates:
    """The tests a frame passes to be an action of the story."""

    def __init__(self, story: Story, kinds_seen: set[str],
                 sentence_regulator: Callable[[Frame, list[Party]], RegRef | None]):
        self.story = story
        self.support_forms = {c: story.rules.trigger_forms(c) for c in SUPPORT_CLASSES}
        self.kinds_seen = kinds_seen  # action types the story has told so far: "the fine" may refer to one
        self.sentence_regulator = sentence_regulator

    def negated(self, trig: Token, support: Token | None) -> bool:
        """ "did not fine", "no fines were imposed", "never paid the fine"."""
        for t in (trig, support):
            if t is not None and any(c.dep_ == "neg" or c.dep_ == "det" and c.lower_ == "no" for c in t.children):
                return True
        return self.story.negated(trig.i)

    def generic_statement(self, f: Frame, trig: Token, support: Token | None, status: str | None,
                          parties: list[Party], moneys: list[MoneyRef]) -> bool:
        """What the law allows or a record says, not an event: "companies can be fined up to 4% of turnover", "the
        regulator can also suspend a licence", "one of the largest penalties the watchdog has ever imposed"."""
        doc = self.story.doc
        verbs = [v for v in (trig, support) if v is not None]
        verbs += [v.head for v in verbs if v.dep_ == "conj"]  # "can suspend or revoke a licence"
        modals = {c.lower_ for v in verbs for c in v.children if c.dep_ == "aux"}
        if "can" in modals:
            return True  # what can happen, not what did or is threatened
        if any(v.dep_ in ("xcomp", "ccomp") and v.head.lower_ in self.story.lex["permission"] for v in verbs):
            return True  # "the rules allow the authority to fine a company up to 1% of turnover"
        t = trig
        for _ in range(3):  # "the largest amount ever paid to settle a case": a record, not an event
            if any(c.dep_ == "advmod" and c.lower_ == "ever" for c in t.children):
                return True
            t = t.head
        if trig.tag_ in ("VBZ", "VBP") and not moneys and self._indefinite_roles(f) and \
                trig.idx >= self.story.title_end():
            return True  # the generic present: "one of the rare cases where a regulator fines a ministry"
        if status in ("threatened", "proposed") and parties and \
                all(p.kind == "description" and _bare_plural(doc, p) for p in parties):
            return True  # "companies found to have misled consumers face penalties of up to C$10 million"
        def superlative(t: Token) -> bool:
            return any(c.tag_ == "JJS" or c.lower_ == "record" for c in t.children if c.dep_ in ("amod", "compound"))
        if trig.dep_ in ("acl", "relcl") and superlative(trig.head) and not moneys:
            return True  # "the largest amount paid to settle such a case"
        return superlative(trig) and not moneys and f.cls == "noun"

    def _indefinite_roles(self, f: Frame) -> bool:
        """Both who acts and who is sanctioned are indefinite noun phrases ("a regulator", "a ministry"): a kind of
        event, not one. (A headline's present tense tells a past event, hence the title is left out by the caller.)"""
        doc = self.story.doc
        roles = [f.roles.get("agent", []), f.roles.get("patient", [])]
        return all(roles) and all(any(c.dep_ == "det" and c.lower_ in ("a", "an", "any") for c in doc[i].children)
                                  for role in roles for i in role)

    def is_action(self, f: Frame, kind: str, moneys: list[MoneyRef], agents: list[RegRef | None],
                  parties: list[Party], support: Token | None, measure_verb: int | None, legal_frame: Frame) -> bool:
        """Whether the frame says enough to be an action of ``kind`` (see the module's docstring)."""
        story, doc = self.story, self.story.doc
        trig = doc[f.trigger]
        named_author = self.company_author(f)
        if any(self.is_regulator_party(p) for p in parties):
            return False  # "regulators must ensure ...": no order on anyone
        if kind in MONETARY and kind != "settlement":
            if support is not None and support.lower_ in self.support_forms["impose"] and \
                    not any(a is not None for a in agents) and \
                    self.non_authority(next((c for c in support.children if c.dep_ == "nsubj"), None)):
                return False  # "a rebel group announced ... a fine on the company": no authority imposed it
            if moneys:
                return True
            if kind == "penalty" and (frame_threat(story, trig) or f.statuses):
                return True  # "under threat of a daily penalty": threatened, with no amount yet
            if f.cls == "noun":
                dets = {c.lower_ for c in trig.children if c.dep_ in ("det", "poss")}
                if dets & _GENERIC or dets & _REFERRING and kind in self.kinds_seen:
                    return False  # "any fines"; "its data protection fines" after a fine: no new fine
                if support is not None and support.lower_ in self.support_forms["impose"]:
                    return True  # "Therefore, fines were issued.", "A fine was issued equal to 0.025% of revenue."
                if support is None and not any(a is not None for a in agents):
                    return False  # "a growing list of penalties against the company": no verb makes it an event
                bound_support = support is not None and any(support.lower_ in self.support_forms[c] for c in
                                                             ("receive", "face", "pay", "sentence"))
                return bool(parties and (bound_support or f.first("patient") is not None)
                            or any(a is not None and a.kind != "named" for a in agents))
            return bool(parties) or any(a is not None for a in agents) and f.first("patient") is not None
        if kind == "settlement":
            return bool(parties or moneys) and self.legal(legal_frame, agents)
        if kind in ("order", "ban"):
            if named_author or f.first("patient") is not None and not parties:
                return False  # "A federal judge must approve it": the one bound is no party
            if f.cls == "noun" and support is None and not any(a is not None for a in agents):
                return False  # "orders to change the design, backed by daily penalties, are likely to ..."
            # "Users were required to accept ...", "merchants were told that ...": an order or ban on a described
            # party needs an authority the grammar names as its author.
            if parties and all(p.kind == "description" for p in parties) and \
                    not any(a is not None and a.kind != "named" for a in agents):
                return False
            if kind == "ban" and not any(a is not None for a in agents) and self.sentence_regulator(f, parties) is None:
                return False  # "after it was blocked": without an authority in its sentence, rarely enforcement
            return bool(parties) or measure_verb is not None or "cease" in trig.lower_
        # warning, reprimand
        if kind == "warning" and any(t.lower_ in story.lex["sanction_word"] for t in trig.subtree if t.i != trig.i
                                     and t.dep_ not in ("nsubj", "nsubjpass")):
            return False
        if f.cls == "noun" and not any(a is not None for a in agents) and \
                (support is None or support.lower_ not in self.support_forms["impose"]):
            return False  # "serve as a warning to others", "read as a warning to the industry"
        return bool(parties) and not named_author

    def company_author(self, f: Frame) -> bool:
        """The frame's agent is a company, a person or a law, not an authority: "Boeing ordered 50 jets", "the Digital
        Markets Act, which requires them to allow other app stores"."""
        agent = f.first("agent")
        if agent is None:
            return False
        tok = self.story.doc[agent]
        if tok.lower_ in ("which", "that") and tok.head.dep_ in ("relcl", "acl"):
            tok = tok.head.head
        if any(law.start <= tok.i < law.end for law in self.story.laws):
            return True
        return regulator_at(self.story, tok) is None and (
            any(n.start <= tok.i < n.end for n in self.story.names) or tok.lower_ in ("agencies", "company", "firm"))

    def non_authority(self, tok: Token | None) -> bool:
        """A subject that is a party or a description, not a regulator, court, pronoun or "the regulator"."""
        if tok is None or tok.tag_ in ("PRP", "WDT", "WP") or tok.lower_ in ("that", "which", "who"):
            return False
        return regulator_at(self.story, tok) is None and tok.lower_ not in self.story.lex.non_target

    def is_regulator_party(self, p: Party) -> bool:
        return any(r.start <= p.start < r.end for r in self.story.regs if r.kind != "anaphor")

    def periodic(self, f: Frame) -> bool:
        """A periodic-penalty phrase around the trigger: "a penalty payment", "for each day of delay"."""
        si = self.story.sent_of(f.trigger)
        return any(gap(f.trigger, f.trigger + 1, c.start, c.end) <= 6 for c in self.story.cues_in("periodic", si))

    def legal(self, f: Frame, agents: list[RegRef | None]) -> bool:
        """A settlement's legal frame: a legal matter in its clause, an authority as counterpart, a legal kind."""
        story, doc = self.story, self.story.doc
        trig = doc[f.trigger]
        if f.cls == "noun" and trig.lower_ not in ("settlement", "settlements"):
            return True  # a consent decree, a plea agreement
        if any(a is not None and a.kind in ("registry", "description", "country", "court") for a in agents):
            return True
        if f.cls == "noun" and "settlement" in self.kinds_seen and f.roles.get("owner"):
            return True  # "second only to Boesky's $100m settlement" in a story of enforcement settlements
        clause = clause_root(trig) if f.cls == "noun" else trig
        words = {t.lower_ for t in clause.subtree} | {t.lower_ for t in trig.children}
        return bool(words & story.lex["legal_matter"])


def _bare_plural(doc: Doc, p: Party) -> bool:
    """A plural noun phrase with no determiner or number: "companies", "businesses found to have misled"."""
    words = doc[p.start:p.end]
    head = max(words, key=lambda t: t.i == t.head.i or t.head.i < p.start or t.head.i >= p.end) if len(words) else None
    return head is not None and head.tag_ in ("NNS", "NNPS") and not any(
        c.dep_ in ("det", "nummod", "poss") for c in head.children)


def frame_threat(story: Story, trig: Token) -> bool:
    """A threat cue ("under threat of", "on pain of", "faces") in the few words before the trigger."""
    si = story.sent_of(trig.i)
    return any(c.id_ == "threatened" and 0 <= trig.i - c.end <= 4 for c in story.cues_in("status", si))
