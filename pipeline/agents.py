"""Who acted: the regulator an action's frame names, or the one its sentence or the story gives.

The agent the grammar binds is read through what it stands for: a registry name or a described body
(:func:`pipeline.regulators.regulator_at`), a relative pronoun's antecedent, the author of an action noun ("an
injunction barring X": who issued it), the speaker of "said she had fined", "it" and "the regulator" (the body the
story last saw act), or a body outside the registry known by its name. A frame whose grammar names none takes the
regulator its sentence names, else the story's (lower confidence).
"""

from __future__ import annotations

from spacy.tokens import Token

from .frames import Frame
from .gates import support_verb
from .parties import Party
from .records import Action
from .regulators import Registry, RegRef, place_or_adjective, regulator_at, story_country
from .story import Candidate, Story


class Agents:
    """The regulators of one story's frames."""

    def __init__(self, story: Story, registry: Registry, by_trigger: dict[int, Frame], told: list[Candidate]):
        self.story, self.registry, self.by_trigger = story, registry, by_trigger
        self.told = told  # the candidates of the sentences read so far

    def of_frame(self, f: Frame, last: RegRef | None) -> list[RegRef | None]:
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
        definite = any(c.dep_ == "det" and c.lower_ in ("the", "this", "that") for c in tok.children)
        if ref is not None and ref.kind == "description" and ref.country is None and ref.region is None and \
                last is not None and definite and (ref.domain is None or last.domain in (None, ref.domain)):
            return last  # "the antitrust regulator" after a named one: that one again, not a body of no country
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
        verb = support_verb(noun)
        if verb is None:
            return None
        subj = next((c for c in verb.children if c.dep_ == "nsubj"), None)
        return self.regulator_of(subj, last, depth + 1) if subj is not None else None

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
            return actor(story, before)
        if regs:
            return min(regs, key=lambda r: r.start - f.trigger)
        countries = story.in_sent(story.countries, si)
        actors = {c.id_ for c in countries if not place_or_adjective(story, c)}
        anaphor = any(r.kind == "anaphor" for r in story.in_sent(story.regs, si))
        codes = {c.id_ for c in countries}
        named = [r for r in story.regs if r.kind != "anaphor"]  # every body the story names is one registry body
        only = named[0] if named and named[0].reg_id and all(r.reg_id == named[0].reg_id for r in named) else None
        if len(codes) == 1 and not anaphor and monetary:
            code = codes.pop()
            if last is not None and last.country == code:
                return last
            c = countries[0]
            words = [w for w in story.words(c.start - 2, c.start) if w != "the"]
            if not (only is not None and words and words[-1] in story.lex["destination"]):  # "transfers to the US"
                return RegRef(c.start, c.end, c.text, c.start_char, c.end_char,
                              self.registry.resolve(code, story.domain), code, "country")
        if last is not None and (not actors or actors == {last.country}):
            return last
        if last is None and only is not None and not actors:
            return only  # a summary that names one regulator: "X Ltd - Data Protection Commission. A fine of ..."
        return None

    def imposed_by(self, kind: str, court: RegRef | None) -> RegRef | None:
        """The authority of the last action of this type the story told, in the court's jurisdiction."""
        for c in reversed(self.told):
            reg = c.reg
            if c.action.action_type == kind and reg is not None and reg.reg_id and reg.kind != "court" and (
                    court is None or court.country is None or court.country == c.action.regulator_country):
                return reg
        return None

    def forward_regulator(self, candidates: list[Candidate]) -> None:
        """ "The company was fined €10,000 ... The Cypriot Data Protection Commissioner considered ...": an action
        stated before any regulator is named belongs to the story's regulator when the story names only one, and to
        their country when it names several of one country."""
        named = [r for r in self.story.regs if r.kind in ("registry", "description") and (r.reg_id or r.country)]
        countries = {r.country for r in named}
        if len(countries) == 1 and None not in countries and len({r.reg_id for r in named}) > 1:
            # several bodies, all of one country ("the U.S. Attorney ... the SEC"): the country, not a guess at which
            for c in candidates:
                if c.action.regulator_id is None and c.action.regulator_country is None and c.start < named[0].start:
                    c.action.regulator_country = named[0].country
            return
        if len({(r.reg_id, r.country) for r in named}) != 1:
            return
        ref = named[0]
        for c in candidates:
            a = c.action
            if a.regulator_id is None and a.regulator_country is None and c.start < ref.start:
                self.assign(a, ref)
                c.reg = ref

    def assign(self, a: Action, reg: RegRef) -> None:
        """Fill the action's regulator columns from a mention."""
        a.regulator_id = reg.reg_id
        a.regulator_country = reg.country or (self.story.rules.regulator_by_id[reg.reg_id].country
                                              if reg.reg_id else None)
        if a.regulator_country is None and reg.kind in ("court", "description"):
            a.regulator_country = story_country(self.story)  # "the Manhattan federal court" in a story about the SEC
        a.regulator = self.registry.name(reg)


def actor(story: Story, regs: list[RegRef]) -> RegRef:
    """Of the regulators a sentence names, the last one that is a clause's subject ("The Justice Department
    negotiated the package together with the FTC": the department), else the last one."""
    doc = story.doc
    subjects = [r for r in regs if any(t.dep_ in ("nsubj", "nsubjpass") and not r.start <= t.head.i < r.end
                                       for t in doc[r.start:r.end])]
    return (subjects or regs)[-1]
