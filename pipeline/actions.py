"""From frames to actions: what each frame's roles name, whether the frame is an action at all, and its rows.

No frame, no action: an amount becomes a fine, a payment a settlement, a verb an order only when a trigger's
grammar binds it (:mod:`pipeline.frames`). A frame is an action when its kind has what it needs:

- a fine or penalty: an amount, or a party (a noun without either, "fines mount", or one that refers back with
  "its"/"the"/"these", is no new action);
- a settlement: a legal matter in its clause ("charges", "a lawsuit"), an authority as its counterpart, or a kind
  that is legal in itself ("consent decree"); "agreed to pay $40m for the shares" settles nothing;
- an order: a measure or an amount to pay, a party that is not a regulator, and no company as its author;
- a ban: a party or a measure, and no company as its author ("agencies voluntarily banned the service");
- a warning or reprimand: a party; a warning whose complement holds a sanction ("warned that it could face fines")
  announces that threat and is not a warning of its own.

A role the grammar leaves empty is filled from the story, and the confidence says so: the regulator named in the
sentence, else the one the story last saw act (:class:`ActionReader`); the story's main party for a monetary
action. An amount the frames left unbound but coordinated with a bound one ("€20m fines from Italy and Greece (and
€9m from the UK)") is the same kind of action for the party after it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from spacy.tokens import Doc, Token

from .amounts import MoneyRef, decided, purpose_of
from .dates import date_for
from .frames import Frame
from .normalise import Money
from .orders import measures
from .parties import Party, named_before, party_at, target_key
from .records import Action
from .rules import AMOUNT_CLASSES
from .regulators import Registry, RegRef, place_or_adjective, regulator_at, story_country, story_regulator
from .status import carry_appeals, cue_status, frame_status, generic
from .story import Candidate, Story, clause_root, gap

MONETARY = ("fine", "penalty", "settlement")
_REFERRING = frozenset({"the", "its", "their", "these", "those", "this", "that", "his", "her", "such"})
_GENERIC = frozenset({"any", "no", "every", "all"})
_TIME_UNITS = frozenset({"days", "weeks", "months", "years", "day", "week", "month", "year"})
_COPULAS = frozenset({"be", "is", "are", "was", "were", "been", "being", "'s", "’s", "remains", "remain", "seem",
                      "seems"})
_TOTALS = frozenset({"total", "sum", "amount", "maximum", "minimum", "tune"})
_MONEY_MODIFIERS = frozenset({"nummod", "quantmod", "appos", "compound", "amod", "npadvmod"})
_DOLLARS = frozenset({"USD", "AUD", "CAD", "NZD", "HKD", "SGD", "TWD"})
_ARTICLE_NO = re.compile(r"\bArt(?:icle)?s?\.?\s*([0-9]+[a-z]?(?:\s*\(\s*\w{1,3}\s*\))*)", re.I | re.ASCII)


class ActionReader:
    """Reads the candidates of one story from its frames, sentence by sentence."""

    def __init__(self, story: Story, registry: Registry, frames: list[Frame]):
        self.story, self.registry, self.frames = story, registry, frames
        self.by_trigger = {f.trigger: f for f in frames}
        self.support_forms = {c: story.rules.trigger_forms(c) for c in
                              ("impose", "pay", "receive", "face", "seek", "agree", "sentence")}
        self.bound = {i for f in frames for t in f.roles.get("money", []) for i, m in enumerate(story.moneys)
                      if m.start <= t < m.end}
        self.sanction_sentences = {story.sent_of(story.moneys[i].start) for i in self.bound}
        self.acted: Counter = Counter()
        self.kinds_seen: set[str] = set()  # action types the story has told so far: "the fine" may refer to one
        self.told: list[Candidate] = []  # the candidates of the sentences read so far

    def run(self) -> list[Candidate]:
        story = self.story
        by_sent: dict[int, list[Frame]] = {}
        for f in self.frames:
            by_sent.setdefault(story.sent_of(f.trigger), []).append(f)
        out: list[Candidate] = []
        self.told = out
        last: RegRef | None = None
        for si, sent in enumerate(story.sents):
            referent = last
            if story.cues_in("reg_ref", si) and last is not None:
                referent = story_regulator(story, sent.start, self.acted) or last
            own: list[Candidate] = []
            for f in by_sent.get(si, []):
                own += self.frame_actions(f, referent)
            own += self.coordinated_amounts(si, own)
            out += own
            self.kinds_seen |= {c.action.action_type for c in own}
            # "The regulator" refers back to the body that acted in the last sentence that reported an action, not
            # to one named there in passing ("according to a filing with the SEC"); else to the last one named.
            acting = [c.reg for c in own if c.explicit_regulator and c.reg is not None]
            named = [r for r in story.in_sent(story.regs, si) if r.kind in ("registry", "description", "country")]
            if acting:
                last = acting[-1]
            elif named:
                last = _actor(story, named)
            for c in own:
                if c.explicit_regulator and c.reg is not None and c.reg.reg_id:
                    self.acted[c.reg.reg_id] += 1
            carry_appeals(story, si, out, own)
        self.forward_regulator(out)
        return out

    # -- one frame -------------------------------------------------------------------------------------------------
    def frame_actions(self, f: Frame, last: RegRef | None) -> list[Candidate]:
        story, doc = self.story, self.story.doc
        trig = doc[f.trigger]
        support = self.support(trig) if f.cls == "noun" else None
        if self.negated(trig, support) or generic(trig):
            return []
        status = frame_status(story, f, support)
        kind = f.action
        moneys = self.moneys(f, status)
        agents = self.agents(f, last)
        parties = self.parties(f)
        if not parties and support is not None and f.first("patient") is None and \
                any(support.lower_ in self.support_forms[c] for c in ("face", "pay", "receive")):
            # "Anderson pleaded guilty ..., admitted ... and faces civil fines": the subject of a chain of verbs
            subject = subject_of(support)
            p = party_at(story, subject) if subject is not None else None
            parties = [p] if p is not None else []
        if f.cls == "settle" and not parties and f.first("patient") is None:
            # "Binance ... pleaded guilty ... and agreed to pay $4.3 billion to resolve ...": the subject of the
            # chain of verbs the settlement hangs from
            verb = trig
            while verb.dep_ in ("advcl", "xcomp", "conj") and verb.head.i != verb.i and not any(
                    c.dep_ in ("nsubj", "nsubjpass") for c in verb.children):
                verb = verb.head
            subject = subject_of(verb)
            p = party_at(story, subject) if subject is not None else None
            parties = [p] if p is not None else []
        if kind == "settlement" and not parties:
            # "the consent decree with the company": a settlement's counterpart that is no authority is its party
            parties = [p for t in f.roles.get("agent", []) if (p := party_at(story, doc[t])) is not None
                       and regulator_at(story, doc[t]) is None]
            if parties:
                agents = [a for a in agents if a is not None]
        measure_verb = f.first("measure")
        legal_frame = f
        if kind in ("order", "warning", "reprimand", "ban") and moneys:
            if kind == "ban" or f.cls == "noun":
                moneys = []  # "an injunction to stop the 2.47 billion dlr offer": the amount is not the order's
            else:  # "ordered to pay €5m", "warns of €100K a day": the money is the action, part of a settlement
                # when the sentence tells of one ("a settlement ... ordered to pay a total of $300,000")
                settlement = next((g for g in self.frames if g.action == "settlement" and g.cls == "noun" and
                                   story.sent_of(g.trigger) == story.sent_of(f.trigger)), None)
                kind = "penalty" if any(m.money.per_period for m in moneys) else \
                    "settlement" if settlement is not None else "fine"
                legal_frame = settlement or f
                if f.action == "warning" and status is None:
                    status = "threatened"
        if f.cls == "grant" and not any(c.dep_ in ("dobj", "npadvmod") and c.lower_ in _TIME_UNITS
                                         for c in trig.children):
            return []  # "gave publishers until April to adapt": guidance; an order gives a length of time
        if f.cls in AMOUNT_CLASSES and (not moneys or any(a is not None and a.kind == "named" for a in agents) or
                                  self.non_authority(next((c for c in trig.children if c.dep_ == "nsubj"), None))):
            return []  # "issued a statement", "GenCorp announced a $1.6bn buyback": a fine only with an amount of
            # its own, from an authority
        if kind == "fine" and (any(m.money.per_period for m in moneys) or self.periodic(f)):
            kind = "penalty"
        if not self.is_action(f, kind, moneys, agents, parties, support, measure_verb, legal_frame):
            return []
        if self.generic_statement(f, trig, support, status, parties, moneys):
            return []
        explicit_reg = [a for a in agents if a is not None]
        if explicit_reg and all(a.reg_id is None and a.kind == "country" for a in explicit_reg):
            # "agreed to pay $1bn to settle US claims, the agency said": a country named as the claimant stands
            # for the authority of that country the sentence names
            named = self.sentence_regulator(f, parties, bool(moneys), last)
            if named is not None and named.reg_id and \
                    self.story.rules.regulator_by_id[named.reg_id].country in {a.country for a in explicit_reg}:
                agents, explicit_reg = [named], [named]
        if not explicit_reg:
            agents = [self.sentence_regulator(f, parties, bool(moneys), last)]
        if status in ("reduced", "annulled") and all(a is None or a.kind == "court" for a in agents):
            # "the court cut the penalty to €4bn": the penalty is still the authority's that imposed it
            agents = [self.imposed_by(kind, agents[0] if agents else None) or a for a in agents] or agents
        payers: Sequence[Party | None] = parties
        if not parties and (kind in MONETARY or kind == "order" or f.cls == "noun" and support is not None):
            payers = [self.story_party(f.trigger)]  # "the decision also includes a reprimand"
        if f.cls == "noun" and kind == "order" and measure_verb in self.by_trigger:
            return []  # "an enforcement notice ordering it to stop": the order is the verb's frame
        order_measures = measures(story, f.trigger, measure_verb) if kind == "order" else []
        if kind == "order" and not order_measures:
            return []
        out = []
        for reg, party, money in self.combinations(f, agents, payers, moneys):
            c = self.candidate(f, kind, reg, bool(explicit_reg), party, money, status)
            if order_measures:
                for text, deadline, deadline_date in order_measures:
                    o = self.candidate(f, kind, reg, bool(explicit_reg), party, money, status)
                    o.action.order_text, o.action.deadline, o.action.deadline_date = text, deadline, deadline_date
                    out.append(o)
            else:
                out.append(c)
        return out

    def told_parties(self) -> list[Party]:
        """The named parties of the actions told so far, the latest first, as many as the last sentence that
        named two or more told of ("fined Google ... and Meta ...; ordered both companies to ...")."""
        by_sent: dict[int, list[Party]] = {}
        for c in self.told:
            a = c.action
            if c.explicit_target and a.target and a.target_kind is not None and a.target_kind != "description":
                group = by_sent.setdefault(c.sent_index, [])
                if not any(p.text == a.target for p in group):
                    group.append(Party(a.target, a.target_kind, target_key(a.target), 0, 0, explicit=False))
        return next((g for _, g in sorted(by_sent.items(), reverse=True) if len(g) >= 2), [])

    def imposed_by(self, kind: str, court: RegRef | None) -> RegRef | None:
        """The authority of the last action of this type the story told, in the court's jurisdiction."""
        for c in reversed(self.told):
            reg = c.reg
            if c.action.action_type == kind and reg is not None and reg.reg_id and reg.kind != "court" and (
                    court is None or court.country is None or court.country == c.action.regulator_country):
                return reg
        return None

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
        if status in ("threatened", "proposed") and parties and \
                all(p.kind == "description" and _bare_plural(doc, p) for p in parties):
            return True  # "companies found to have misled consumers face penalties of up to C$10 million"
        def superlative(t: Token) -> bool:
            return any(c.tag_ == "JJS" or c.lower_ == "record" for c in t.children if c.dep_ in ("amod", "compound"))
        if trig.dep_ in ("acl", "relcl") and superlative(trig.head) and not moneys:
            return True  # "the largest amount paid to settle such a case"
        return superlative(trig) and not moneys and f.cls == "noun"

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

    # -- roles -------------------------------------------------------------------------------------------------------
    def support(self, trig: Token) -> Token | None:
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

    def negated(self, trig: Token, support: Token | None) -> bool:
        """ "did not fine", "no fines were imposed", "never paid the fine"."""
        for t in (trig, support):
            if t is not None and any(c.dep_ == "neg" or c.dep_ == "det" and c.lower_ == "no" for c in t.children):
                return True
        return self.story.negated(trig.i)

    def moneys(self, f: Frame, status: str | None) -> list[MoneyRef]:
        """The amounts the frame binds, with those coordinated with them ("fines of €40,000 and €15,000") and those
        of the parties coordinated with its party ("fined IHiS S$750,000 and SingHealth S$250,000")."""
        story, doc = self.story, self.story.doc
        toks: list[int] = []
        # "The fine of €35,000 was reduced to €21,000": the amount it has now is the reduced one
        agents = set(f.roles.get("agent", []))
        for t in f.roles.get("revised") or f.roles.get("money", []):
            # An imposing verb's object is its amount itself, not what an amount modifies ("announced a $1.6bn
            # buyback"); but an amount hanging from its author is the misparse of "the €50m that the CNIL imposed".
            toks += self.money_tokens(doc[t], unwrap=f.cls not in AMOUNT_CLASSES or t in agents)
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

    def money_tokens(self, tok: Token, unwrap: bool = True) -> list[int]:
        """The money a bound token stands for: itself; what "a total of", "the sum of" introduce; the antecedent of
        "that" ("the 6.088 billion yuan that X was ordered to pay"); an amount hanging from the word bound ("$603
        million to 44 states", parsed as a modifier of "states")."""
        story = self.story
        if tok.i in story.money_toks:
            return [tok.i]
        if tok.lower_ in ("that", "which") and tok.head.dep_ in ("relcl", "acl") and tok.head.head.i != tok.head.i:
            tok = tok.head.head
            if tok.i in story.money_toks:
                return [tok.i]
        if tok.lower_ in _TOTALS:
            return [g.i for c in tok.children if c.dep_ == "prep" and c.lower_ == "of" for g in c.children
                    if g.dep_ == "pobj"]
        if not unwrap or tok.i in self.by_trigger:
            return []  # the amount of "alongside the €15m penalty" is that penalty's, not the verb's
        near = [c for c in tok.children if c.dep_ in _MONEY_MODIFIERS]
        # "pay $603 million to 44 states" read as a range "603 million to 44" counting the states: the amount
        # hangs from the number of the bound word
        near += [g for c in near if c.dep_ == "nummod" for g in c.children if g.dep_ == "quantmod"]
        return [c.i for c in near if c.i in story.money_toks]

    def agents(self, f: Frame, last: RegRef | None) -> list[RegRef | None]:
        """The regulators the frame's agent (and a regulator owner) name; ``None`` for a bound agent that is none."""
        story, doc = self.story, self.story.doc
        toks = list(f.roles.get("agent", []))
        toks += [t for t in f.roles.get("owner", []) if regulator_at(story, doc[t]) is not None]
        out: list[RegRef | None] = []
        for t in toks:
            if t in story.money_toks:
                continue  # "was fined by €51,000": an amount after "by" is no agent
            for tok in (doc[t], *doc[t].conjuncts):
                ref = self.regulator_of(tok, last)
                if ref is not None and not any(r is not None and r.start == ref.start for r in out):
                    out.append(ref)
                elif ref is None and not out:
                    out.append(None)
        if any(r is not None for r in out):
            out = [r for r in out if r is not None]
        return out

    def regulator_of(self, tok: Token, last: RegRef | None, depth: int = 0) -> RegRef | None:
        story = self.story
        if tok.lower_ in ("which", "that", "who") and tok.head.dep_ in ("relcl", "acl") and depth < 3:
            return self.regulator_of(tok.head.head, last, depth + 1)
        if tok.i in self.by_trigger and depth < 3:  # "an injunction barring X": who issued the injunction
            inner = self.by_trigger[tok.i]
            for t in inner.roles.get("agent", []) + inner.roles.get("owner", []):
                ref = self.regulator_of(story.doc[t], last, depth + 1)
                if ref is not None:
                    return ref
            return self.support_agent(tok, last, depth)
        if tok.tag_ == "PRP" and tok.dep_ in ("nsubj", "nsubjpass") and tok.head.dep_ == "ccomp" and depth < 3:
            # "The commissioner said she had fined ...": the one who reports it
            speaker = next((c for c in tok.head.head.children if c.dep_ == "nsubj"), None)
            if speaker is not None and speaker.tag_ != "PRP":
                ref = self.regulator_of(speaker, last, depth + 1)
                if ref is not None and ref.kind != "named":  # not "OpenAI said it will appeal"
                    return ref
        ref = regulator_at(story, tok)
        if ref is not None and ref.kind == "anaphor" or ref is None and (
                tok.lower_ in ("it", "they") and tok.tag_ == "PRP" or tok.lower_ in story.lex["shared_name"] or
                tok.lower_ in story.lex.ref_regulator and any(c.dep_ == "det" and c.lower_ in ("the", "this", "that")
                                                              for c in tok.children)):
            return last  # "it", "Datatilsynet", "the Athens-based watchdog": the regulator the story is about
        if ref is None:
            name = next((n for n in story.names if n.start <= tok.i < n.end and n.label != "PERSON"), None)
            if name is not None:  # "UEFA fined the club": a body outside the registry, known by its name
                return RegRef(name.start, name.end, name.text, name.char_start, name.char_end, None, None, "named")
        return ref

    def support_agent(self, noun: Token, last: RegRef | None, depth: int) -> RegRef | None:
        """The subject of the verb that issues an action noun ("the judge issued an injunction")."""
        verb = self.support(noun)
        if verb is None:
            return None
        subj = next((c for c in verb.children if c.dep_ == "nsubj"), None)
        return self.regulator_of(subj, last, depth + 1) if subj is not None else None

    def parties(self, f: Frame) -> list[Party]:
        story, doc = self.story, self.story.doc
        toks = list(f.roles.get("patient", []))
        # An owner is a party when it is a name or a possessive ("Google's fine", "the bank's penalty"), not a
        # modifier that says what the action is about ("an overdue payment penalty", "a lawsuit settlement").
        owners = [t for t in f.roles.get("owner", []) if regulator_at(story, doc[t]) is None]
        possessors = [t for t in owners if doc[t].dep_ == "poss"]
        # "Google's Android fine": the possessor is the party, the name compounded with the noun its subject
        toks += possessors or [t for t in owners if any(n.start <= t < n.end for n in story.names)]
        out: list[Party] = []
        plural_refs = [c for c in story.cues.get("target_ref", []) if c.id_ == "targets"]
        for t in toks:
            if any(c.start <= t < c.end for c in plural_refs):
                out += [p for p in self.told_parties() if not any(q.key == p.key for q in out)]
                continue  # "ordered both companies to ...": each party the story told of
            for tok in (doc[t], *doc[t].conjuncts):
                if tok.i in story.money_toks or tok.i != t and tok.tag_.startswith("VB"):
                    continue  # "fined Google €150m and Facebook €60m" parsed with Facebook a conjunct of "fined"
                if tok.lower_ in _TOTALS and self.money_tokens(tok):
                    continue  # "fined a total of $6m": the amount, not a party
                p = party_at(story, tok)
                if p is not None and not any(q.key == p.key for q in out):
                    out.append(p)
        # "fined telecoms operator Vodafone €8.15m": a description right before the name it describes is that name
        named_starts = {p.start for p in out if p.kind != "description"}
        return [p for p in out if not (p.kind == "description" and p.end in named_starts)]

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

    # -- filling what the grammar left empty (lower confidence) -----------------------------------------------------
    def sentence_regulator(self, f: Frame, parties: list[Party], monetary: bool = False,
                           last: RegRef | None = None) -> RegRef | None:
        """The regulator the frame's sentence names outside its parties (the nearest before the trigger, else
        after it), else the one the story last saw act. For an amount, the one country the sentence names is
        where it was decided ("a 2022 lawsuit settlement ... in the US ... to pay $300,000"); otherwise a country
        named as a place ("transfers to the US", "people in France") does not compete with the story's regulator."""
        story = self.story
        si = story.sent_of(f.trigger)
        taken = {i for p in parties for i in range(p.start, p.end)}
        measure = f.first("measure")
        if measure is not None:  # "must create a privacy committee": what is ordered names no one who orders it
            taken |= {t.i for t in story.doc[measure].subtree}
        regs = [r for r in story.in_sent(story.regs, si) if r.kind != "anaphor" and r.start not in taken]
        before = [r for r in regs if r.end <= f.trigger]
        if before:
            return _actor(story, before)
        if regs:
            return min(regs, key=lambda r: r.start - f.trigger)
        countries = story.in_sent(story.countries, si)
        actors = {c.id_ for c in countries if not place_or_adjective(story, c)}
        anaphor = any(r.kind == "anaphor" for r in story.in_sent(story.regs, si))
        codes = {c.id_ for c in countries}
        if len(codes) == 1 and not anaphor and monetary:
            code = codes.pop()
            if last is not None and last.country == code:
                return last
            c = countries[0]
            return RegRef(c.start, c.end, c.text, c.start_char, c.end_char,
                          self.registry.resolve(code, story.domain), code, "country")
        if last is not None and (not actors or actors == {last.country}):
            return last
        return None

    def story_party(self, i: int) -> Party | None:
        """The party of an action whose grammar names none: the story's main party, else (a short summary that
        names it once) the organisation named last before it, in its sentence or the two before."""
        main = self.story.main_target
        if main:
            return Party(main, "organisation", target_key(main), 0, 0, explicit=False)
        found = named_before(self.story, i, "organisation")
        return Party(found.text, found.kind, found.key, 0, 0, explicit=False) if found is not None else None

    def forward_regulator(self, candidates: list[Candidate]) -> None:
        """ "The company was fined €10,000 ... The Cypriot Data Protection Commissioner considered ...": an action
        stated before any regulator is named belongs to the story's regulator when the story names only one."""
        named = [r for r in self.story.regs if r.kind in ("registry", "description") and (r.reg_id or r.country)]
        if len({(r.reg_id, r.country) for r in named}) != 1:
            return
        ref = named[0]
        for c in candidates:
            a = c.action
            if a.regulator_id is None and a.regulator_country is None and c.start < ref.start:
                self.set_regulator(a, ref)
                c.reg = ref

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

    # -- rows ----------------------------------------------------------------------------------------------------------
    def combinations(self, f: Frame, agents: list[RegRef | None], parties: Sequence[Party | None],
                     moneys: list[MoneyRef]) -> list[tuple[RegRef | None, Party | None, MoneyRef | None]]:
        """Who with whom: one amount a party when the counts agree ("fined Google €150m and Meta €60m"); every
        party when no amount is shared out ("ordered both Google and Facebook to ..."), or when the text says
        "each", the noun is plural or the amount runs per day ("on pain of €100,000 a day"); else the first party
        with the amount. Every regulator when the noun is plural ("fines from Italy and Greece")."""
        doc = self.story.doc
        ms: list[MoneyRef | None] = list(moneys) or [None]
        ps = sorted(parties, key=lambda p: p.start if p is not None else 0) or [None]
        # "$200,000 each", "will each pay a $20m penalty": "each" after the amount, or on the verb
        heads = {f.trigger, doc[f.trigger].head.i}
        each = any(t.lower_ in self.story.lex["each"] for m in moneys for t in doc[m.end:m.end + 3]) or \
            any(t.lower_ in self.story.lex["each"] and t.head.i in heads and t.dep_ in ("advmod", "npadvmod", "dep")
                for t in self.story.sents[self.story.sent_of(f.trigger)])
        plural = doc[f.trigger].tag_ in ("NNS", "NNPS")
        periodic = any(m.money.per_period for m in moneys)
        regs = agents if plural or each else agents[:1]
        if len(ps) > 1 and len(ps) == len(ms):  # in the order the text gives them
            pairs = list(zip(ps, sorted(ms, key=lambda m: m.start if m is not None else 0), strict=True))
        elif len(ps) > 1 and (each or plural or periodic or not moneys):
            pairs = [(p, m) for p in ps for m in ms]
        else:  # the party that is the subject of the verb the amount is the object of, else the first
            pairs = [(next((p for p in ps if p is not None and p.explicit and m is not None and any(
                doc[k].dep_ in ("nsubj", "nsubjpass") and doc[k].head.i == doc[m.start:m.end].root.head.i
                for k in range(p.start, p.end))), ps[0]), m) for m in ms]
        return [(r, p, m) for r in regs or [None] for p, m in pairs]

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
            self.set_regulator(a, reg)
            if reg.char_end > reg.char_start:
                mentions.append(("regulator", reg.char_start, reg.char_end))
        if party is not None:
            a.target, a.target_kind = party.text, party.kind
        if money is not None:
            shown = self.set_money(a, money)
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

    def set_regulator(self, a: Action, reg: RegRef) -> None:
        a.regulator_id = reg.reg_id
        a.regulator_country = reg.country or (self.story.rules.regulator_by_id[reg.reg_id].country
                                              if reg.reg_id else None)
        if a.regulator_country is None and reg.kind in ("court", "description"):
            a.regulator_country = story_country(self.story)  # "the Manhattan federal court" in a story about the SEC
        a.regulator = self.registry.name(reg)

    def set_money(self, a: Action, ref: MoneyRef) -> Money:
        """The amount as decided, with its stated equivalent; an ambiguous currency or a bare "$" read from the
        regulator's country when the text leaves it open."""
        story = self.story
        i = story.moneys.index(ref)
        main, other = decided(story, i, a.regulator_country)
        mm = main.money
        a.amount, a.currency, a.amount_text = mm.amount, currency_in(story, mm, a.regulator_country), mm.text
        a.amount_min, a.amount_max, a.per_period = mm.amount_min, mm.amount_max, mm.per_period
        if other is not None:
            a.stated_amount = other.money.amount
            a.stated_currency = currency_in(story, other.money, a.regulator_country)
        return mm


_NOMINAL = frozenset({"dobj", "dative", "npadvmod", "appos", "nummod", "compound", "conj", "nmod", "amod",
                      "quantmod", "attr", "oprd"})


def _actor(story: Story, regs: list[RegRef]) -> RegRef:
    """Of the regulators a sentence names, the last one that is a clause's subject ("The Justice Department
    negotiated the package together with the FTC": the department), else the last one."""
    doc = story.doc
    subjects = [r for r in regs if any(t.dep_ in ("nsubj", "nsubjpass") and not r.start <= t.head.i < r.end
                                       for t in doc[r.start:r.end])]
    return (subjects or regs)[-1]


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


def _bare_plural(doc: Doc, p: Party) -> bool:
    """A plural noun phrase with no determiner or number: "companies", "businesses found to have misled"."""
    words = doc[p.start:p.end]
    head = max(words, key=lambda t: t.i == t.head.i or t.head.i < p.start or t.head.i >= p.end) if len(words) else None
    return head is not None and head.tag_ in ("NNS", "NNPS") and not any(
        c.dep_ in ("det", "nummod", "poss") for c in head.children)


def subject_of(verb: Token) -> Token | None:
    """The subject of a verb, or of the first verb of the coordination it ends ("X pleaded ... and faces ...")."""
    for _ in range(4):
        subj = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if subj is not None or verb.dep_ != "conj":
            return subj
        verb = verb.head
    return None


def frame_threat(story: Story, trig: Token) -> bool:
    """A threat cue ("under threat of", "on pain of", "faces") in the few words before the trigger."""
    si = story.sent_of(trig.i)
    return any(c.id_ == "threatened" and 0 <= trig.i - c.end <= 4 for c in story.cues_in("status", si))


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
