"""From frames to actions: what each frame's roles name, whether the frame is an action, and its rows.

For each sentence in order, each frame there goes through :meth:`ActionReader.frame_actions`: its amounts
(:func:`pipeline.amounts.frame_moneys`), its regulators (:class:`pipeline.agents.Agents`) and its parties; then
the tests of :class:`pipeline.gates.Gates` say whether it is an action at all; then :class:`pipeline.rows.Rows`
makes one candidate for each regulator, party and amount that go together (:func:`combinations`).

A role the grammar leaves empty is filled from the story, and the confidence says so: the regulator named in the
sentence, else the one the story last saw act; the story's main party for a monetary action. An amount the frames
left unbound but coordinated with a bound one ("€20m fines from Italy and Greece (and €9m from the UK)") is the
same kind of action for the party after it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from spacy.tokens import Token

from .agents import Agents, actor
from .amounts import TOTALS, MoneyRef, frame_moneys, money_tokens
from .frames import Frame
from .gates import MONETARY, Gates, support_verb
from .orders import measures
from .parties import Party, named_before, party_at, target_key
from .regulators import Registry, RegRef, regulator_at, story_regulator
from .rows import Rows
from .rules import AMOUNT_CLASSES
from .status import carry_appeals, frame_status, generic
from .story import Candidate, Story

_TIME_UNITS = frozenset({"days", "weeks", "months", "years", "day", "week", "month", "year"})


class ActionReader:
    """Reads the candidates of one story from its frames, sentence by sentence."""

    def __init__(self, story: Story, registry: Registry, frames: list[Frame]):
        self.story, self.frames = story, frames
        self.by_trigger = {f.trigger: f for f in frames}
        self.acted: Counter = Counter()
        self.kinds_seen: set[str] = set()  # action types the story has told so far: "the fine" may refer to one
        self.told: list[Candidate] = []  # the candidates of the sentences read so far
        self.agents = Agents(story, registry, self.by_trigger, self.told)
        self.gates = Gates(story, self.kinds_seen, lambda f, parties: self.agents.sentence_regulator(f, parties))
        bound = {i for f in frames for t in f.roles.get("money", []) for i, m in enumerate(story.moneys)
                 if m.start <= t < m.end}
        self.rows = Rows(story, self.agents, bound)

    def run(self) -> list[Candidate]:
        story = self.story
        by_sent: dict[int, list[Frame]] = {}
        for f in self.frames:
            by_sent.setdefault(story.sent_of(f.trigger), []).append(f)
        out = self.told
        last: RegRef | None = None
        for si, sent in enumerate(story.sents):
            referent = last
            if story.cues_in("reg_ref", si) and last is not None:
                referent = story_regulator(story, sent.start, self.acted) or last
            own: list[Candidate] = []
            for f in by_sent.get(si, []):
                own += self.frame_actions(f, referent)
            own += self.rows.coordinated_amounts(si, own)
            out += own
            self.kinds_seen |= {c.action.action_type for c in own}
            # "The regulator" refers back to the body that acted in the last sentence that reported an action, not
            # to one named there in passing ("according to a filing with the SEC"); else to the last one named.
            acting = [c.reg for c in own if c.explicit_regulator and c.reg is not None]
            named = [r for r in story.in_sent(story.regs, si) if r.kind in ("registry", "description", "country")]
            if acting:
                last = acting[-1]
            elif named:
                last = actor(story, named)
            for c in own:
                if c.explicit_regulator and c.reg is not None and c.reg.reg_id:
                    self.acted[c.reg.reg_id] += 1
            carry_appeals(story, si, out, own)
        self.agents.forward_regulator(out)
        return out

    # -- one frame -------------------------------------------------------------------------------------------------
    def frame_actions(self, f: Frame, last: RegRef | None) -> list[Candidate]:
        story, doc = self.story, self.story.doc
        trig = doc[f.trigger]
        support = support_verb(trig) if f.cls == "noun" else None
        if self.gates.negated(trig, support) or generic(trig):
            return []
        status = frame_status(story, f, support)
        kind = f.action
        moneys = frame_moneys(story, f, status, self.by_trigger)
        agents = self.agents.of_frame(f, last)
        parties = self.parties(f)
        deps = {c.dep_ for c in trig.children}
        if not parties and f.first("patient") is None:
            if support is not None and \
                    any(support.lower_ in self.gates.support_forms[c] for c in ("face", "pay", "receive")):
                # "Anderson pleaded guilty ..., admitted ... and faces civil fines": the subject of a chain of verbs
                parties = subject_party(story, support)
            elif f.cls == "settle":
                # "Binance ... pleaded guilty ... and agreed to pay $4.3 billion to resolve ...": the subject of the
                # chain of verbs the settlement hangs from
                parties = subject_party(story, trig, ("advcl", "xcomp", "conj"))
            elif f.cls == "verb" and "auxpass" in deps and not deps & {"nsubj", "nsubjpass"}:
                # "agreed to pay a fine and to be barred from ...": who is barred is the subject of the verb that
                # controls the passive
                parties = subject_party(story, trig)
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
        subject = next((c for c in trig.children if c.dep_ == "nsubj"), None)
        if f.cls in AMOUNT_CLASSES and (not moneys or any(a is not None and a.kind == "named" for a in agents) or
                                        self.gates.non_authority(subject)):
            return []  # "issued a statement", "GenCorp announced a $1.6bn buyback": a fine only with an amount of
            # its own, from an authority
        if kind == "fine" and (any(m.money.per_period for m in moneys) or self.gates.periodic(f)):
            kind = "penalty"
        if not self.gates.is_action(f, kind, moneys, agents, parties, support, measure_verb, legal_frame):
            return []
        if self.gates.generic_statement(f, trig, support, status, parties, moneys):
            return []
        explicit_reg = [a for a in agents if a is not None]
        if explicit_reg and all(a.reg_id is None and a.kind == "country" for a in explicit_reg):
            # "agreed to pay $1bn to settle US claims, the agency said": a country named as the claimant stands
            # for the authority of that country the sentence names
            named = self.agents.sentence_regulator(f, parties, bool(moneys), last)
            if named is not None and named.reg_id and \
                    self.story.rules.regulator_by_id[named.reg_id].country in {a.country for a in explicit_reg}:
                agents, explicit_reg = [named], [named]
        if not explicit_reg:
            agents = [self.agents.sentence_regulator(f, parties, bool(moneys), last)]
        if status in ("reduced", "annulled") and all(a is None or a.kind == "court" for a in agents):
            # "the court cut the penalty to €4bn": the penalty is still the authority's that imposed it
            agents = [self.agents.imposed_by(kind, agents[0] if agents else None) or a for a in agents] or agents
        payers: Sequence[Party | None] = parties
        if not parties and (kind in MONETARY or kind == "order" or f.cls == "noun" and support is not None):
            payers = [story_party(story, f.trigger)]  # "the decision also includes a reprimand"
        if f.cls == "noun" and kind == "order" and measure_verb in self.by_trigger:
            return []  # "an enforcement notice ordering it to stop": the order is the verb's frame
        order_measures = measures(story, f.trigger, measure_verb) if kind == "order" else []
        if kind == "order" and not order_measures:
            return []
        out = []
        for reg, party, money in combinations(story, f, agents, payers, moneys):
            c = self.rows.candidate(f, kind, reg, bool(explicit_reg), party, money, status)
            if order_measures:
                for text, deadline, deadline_date in order_measures:
                    o = self.rows.candidate(f, kind, reg, bool(explicit_reg), party, money, status)
                    o.action.order_text, o.action.deadline, o.action.deadline_date = text, deadline, deadline_date
                    out.append(o)
            else:
                out.append(c)
        return out

    def parties(self, f: Frame) -> list[Party]:
        """The parties the frame's patient and owner name; "both companies" stands for the parties told."""
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
                out += [p for p in told_parties(self.told) if not any(q.key == p.key for q in out)]
                continue  # "ordered both companies to ...": each party the story told of
            for tok in (doc[t], *doc[t].conjuncts):
                if tok.i in story.money_toks or tok.i != t and tok.tag_.startswith("VB"):
                    continue  # "fined Google €150m and Facebook €60m" parsed with Facebook a conjunct of "fined"
                if tok.lower_ in TOTALS and money_tokens(story, tok, self.by_trigger):
                    continue  # "fined a total of $6m": the amount, not a party
                p = party_at(story, tok)
                if p is not None and not any(q.key == p.key for q in out):
                    out.append(p)
        # "fined telecoms operator Vodafone €8.15m": a description right before the name it describes is that name
        named_starts = {p.start for p in out if p.kind != "description"}
        return [p for p in out if not (p.kind == "description" and p.end in named_starts)]


def combinations(story: Story, f: Frame, agents: list[RegRef | None], parties: Sequence[Party | None],
                 moneys: list[MoneyRef]) -> list[tuple[RegRef | None, Party | None, MoneyRef | None]]:
    """Who with whom: one amount a party when the counts agree ("fined Google €150m and Meta €60m"); every
    party when no amount is shared out ("ordered both Google and Facebook to ..."), or when the text says
    "each", the noun is plural or the amount runs per day ("on pain of €100,000 a day"); else the first party
    with the amount. Every regulator when the noun is plural ("fines from Italy and Greece")."""
    doc = story.doc
    ms: list[MoneyRef | None] = list(moneys) or [None]
    ps = sorted(parties, key=lambda p: p.start if p is not None else 0) or [None]
    # "$200,000 each", "will each pay a $20m penalty": "each" after the amount, or on the verb
    heads = {f.trigger, doc[f.trigger].head.i}
    each = any(t.lower_ in story.lex["each"] for m in moneys for t in doc[m.end:m.end + 3]) or \
        any(t.lower_ in story.lex["each"] and t.head.i in heads and t.dep_ in ("advmod", "npadvmod", "dep")
            for t in story.sents[story.sent_of(f.trigger)])
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

def told_parties(told: list[Candidate]) -> list[Party]:
    """The named parties of the actions told so far, the latest first, as many as the last sentence that
    named two or more told of ("fined Google ... and Meta ...; ordered both companies to ...")."""
    by_sent: dict[int, list[Party]] = {}
    for c in told:
        a = c.action
        if c.explicit_target and a.target and a.target_kind is not None and a.target_kind != "description":
            group = by_sent.setdefault(c.sent_index, [])
            if not any(p.text == a.target for p in group):
                group.append(Party(a.target, a.target_kind, target_key(a.target), 0, 0, explicit=False))
    return next((g for _, g in sorted(by_sent.items(), reverse=True) if len(g) >= 2), [])

def story_party(story: Story, i: int) -> Party | None:
    """The party of an action whose grammar names none: the story's main party, else (a short summary that
    names it once) the organisation named last before it, in its sentence or the two before."""
    main = story.main_target
    if main:
        return Party(main, "organisation", target_key(main), 0, 0, explicit=False)
    found = named_before(story, i, "organisation")
    return Party(found.text, found.kind, found.key, 0, 0, explicit=False) if found is not None else None


def subject_of(verb: Token, through: tuple[str, ...] = ("conj", "xcomp")) -> Token | None:
    """The subject of a verb, or of the verb that controls it or the first verb of the coordination it ends ("X
    pleaded ... and agreed to pay ..."): up the relations ``through``."""
    for _ in range(4):
        subj = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if subj is not None or verb.dep_ not in through:
            return subj
        verb = verb.head
    return None


def subject_party(story: Story, verb: Token, through: tuple[str, ...] = ("conj", "xcomp")) -> list[Party]:
    """The party :func:`subject_of` the verb names, as a list of none or one."""
    subject = subject_of(verb, through)
    p = party_at(story, subject) if subject is not None else None
    return [p] if p is not None else []
