"""Regulator mentions: registry names, descriptions ("the DPA of Saxony"), countries that act, courts, anaphors.

A registry name ("CNIL", "the Information Commissioner's Office") resolves to its id in ``rules/regulators.tsv``. A
generic body noun ("DPA", "watchdog", "data protection authority", "supervisory authority") with a country or region
in any order ("the Spanish DPA", "the DPA of Saxony", "Hamburg's data protection commissioner", "the data protection
authority in Hesse") is a description: it resolves to that country's or region's registry body for its domain when
exactly one fits, and otherwise stays a regulator with its country, described by its own words. An acronym in
brackets after a description ("the Data State Inspectorate (DSI)") names the same body wherever it recurs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from spacy.tokens import Span, Token
from spacy.util import filter_spans

from .rules import Rules
from .story import Story, gap

# The agent of a frame may be a court rather than a regulator: its words (last word of the phrase).
COURT_WORDS = frozenset({"court", "courts", "tribunal", "judge", "jury", "magistrate", "prosecutor", "prosecutors"})


@dataclass
class RegRef:
    """A regulator mention, with token and character offsets."""

    start: int
    end: int
    text: str
    char_start: int
    char_end: int
    reg_id: str | None
    country: str | None
    kind: str  # registry | description | country | court | anaphor
    region: str | None = None  # ISO 3166-2, for "Hamburg's data protection commissioner"
    domain: str | None = None  # for a description: the domain its words give ("data protection")


class Registry:
    """The regulators of ``rules/regulators.tsv`` by country, region and domain; built once per run."""

    def __init__(self, rules: Rules):
        self.rules = rules
        self.by_country: dict[tuple[str, str], list[str]] = {}
        self.by_region: dict[tuple[str, str], list[str]] = {}
        self.regional: set[tuple[str, str]] = set()  # (country, domain) where states have bodies of their own
        for reg in rules.regulators:
            if reg.jurisdiction in ("national", "supranational"):
                self.by_country.setdefault((reg.country, reg.domain), []).append(reg.id)
            if reg.region:
                self.by_region.setdefault((reg.region, reg.domain), []).append(reg.id)
                self.regional.add((reg.country, reg.domain))

    def resolve(self, country: str | None, domain: str | None) -> str | None:
        """The registry body for a country and domain, when exactly one national body fits."""
        if not country or not domain or (country, domain) in self.regional:
            return None  # "a German data protection authority" may be any of the Länder's
        ids = self.by_country.get((country, domain), [])
        return ids[0] if len(ids) == 1 else None

    def resolve_region(self, region: str, domain: str | None) -> str | None:
        """The registry body of a state or region for a domain, when exactly one fits."""
        ids = self.by_region.get((region, domain or ""), [])
        return ids[0] if len(ids) == 1 else None

    def name(self, ref: RegRef) -> str | None:
        # a body known by its words, as one line ("the Manhattan federal\ncourt" of a wrapped wire story)
        return self.rules.regulator_by_id[ref.reg_id].name if ref.reg_id else (" ".join(ref.text.split()) or None)


def find_regulators(story: Story, registry: Registry) -> None:
    """Fill ``story.regs`` (sorted by position), ``story.countries``, ``story.regions`` and ``story.domain``."""
    spans = list(story.doc.spans.get("rules", []))
    rules = story.rules
    regs = filter_spans([sp for sp in spans if sp.label_ == "REG"])
    taken = {i for sp in regs for i in range(sp.start, sp.end)}
    # the place a wire story was filed from is no country that acts
    dateline = {i for sp in story.doc.spans.get("dateline", []) for i in range(sp.start, sp.end)}
    out = [RegRef(sp.start, sp.end, sp.text, sp.start_char, sp.end_char, sp.id_,
                  rules.regulator_by_id[sp.id_].country, "registry") for sp in regs]
    story.countries = filter_spans([sp for sp in spans if sp.label_ == "COUNTRY"
                                    and not (taken | dateline) & set(range(sp.start, sp.end))])
    story.regions = filter_spans([sp for sp in spans if sp.label_ == "REGION"
                                  and not (taken | dateline) & set(range(sp.start, sp.end))])
    used_country: set[int] = set()
    for noun in filter_spans(story.cues.get("reg_noun", [])):
        if not any(r.start <= noun.start < r.end for r in out):
            ref = _description(story, noun, out, used_country)
            if ref is not None:
                out.append(ref)
    for c in story.countries:
        if c.start not in used_country and _country_acts(story, c):
            out.append(RegRef(c.start, c.end, c.text, c.start_char, c.end_char, None, c.id_, "country"))
    out += _bracketed_acronyms(story, out)
    story.regs = sorted(out, key=lambda r: r.start)
    story.domain = _story_domain(story)
    _resolve_descriptions(story, registry)


def _description(story: Story, noun: Span, found: list[RegRef], used_country: set[int]) -> RegRef | None:
    """A generic body noun with the country, region and domain words around it, or an anaphor ("the regulator")."""
    doc = story.doc
    si = story.sent_of(noun.start)
    sent = story.sents[si]
    lo = max(sent.start, noun.start - 5)
    before = [c for c in (*story.countries, *story.regions) if lo <= c.start and c.end <= noun.start]
    # "the DPA of Saxony", "the data protection authority in Hesse": the place right after "of"/"in"
    after = [c for c in (*story.countries, *story.regions) if noun.end < c.start <= noun.end + 2 < sent.end + 2
             and doc[noun.end].lower_ in ("of", "in", "for") and all(not t.is_punct for t in doc[noun.end:c.start])]
    prep = next((c for c in doc[noun.end - 1].children if c.dep_ == "prep" and c.lower_ in ("of", "in", "for")), None)
    if prep is not None:  # parsed: "the commissioner of the German state of Lower Saxony": the state
        within = [c for c in (*story.regions, *story.countries) if prep.i < c.start and c.end <= prep.right_edge.i + 1]
        after = [c for c in within if c.label_ == "REGION"] + [c for c in within if c.label_ == "COUNTRY"] or after
    region = next((g for g in reversed(before) if g.label_ == "REGION"), None)
    country = next((c for c in reversed(before) if c.label_ == "COUNTRY"), None)
    if region is not None and (country is None or region.start > country.start):
        country = region  # "Hamburg's data protection commissioner": the state, not the country
    tail = None
    if country is None and after:
        country = tail = after[0]
    domains = [d for d in story.cues.get("domain", []) if lo <= d.start and d.end <= noun.end]
    domain = domains[-1].id_ if domains else None
    first = min([noun.start] + ([country.start] if country is not None and tail is None else []) +
                [d.start for d in domains])
    # An appositive of a registry name ("regulator CNIL", "the CNIL, France's watchdog") is that body.
    if any(r.kind == "registry" and gap(first, noun.end, r.start, r.end) <= 2 for r in found):
        if country is not None:
            used_country.add(country.start)
        return None
    if country is None and domain is None:
        if noun.start > 0 and doc[noun.start - 1].lower_ == "the":
            return RegRef(noun.start - 1, noun.end, doc[noun.start - 1:noun.end].text, doc[noun.start - 1].idx,
                          noun.end_char, None, None, "anaphor")
        return None
    end = tail.end if tail is not None else noun.end
    span = doc[first:end]
    code = country.id_ if country is not None else None
    is_region = code is not None and "-" in code
    if country is not None:
        used_country.add(country.start)
    return RegRef(first, end, span.text, span.start_char, span.end_char, None, code[:2] if is_region and code else code,
                  "description", code if is_region else None, domain)


def _bracketed_acronyms(story: Story, found: list[RegRef]) -> list[RegRef]:
    """ "the Data State Inspectorate (DSI)": the acronym names the described body wherever the story uses it."""
    doc, out = story.doc, []
    for ref in [r for r in found if r.kind == "description"]:
        if ref.end + 2 < len(doc) and doc[ref.end].text == "(" and doc[ref.end + 2].text == ")" \
                and doc[ref.end + 1].is_upper and len(doc[ref.end + 1]) >= 2:
            acronym = doc[ref.end + 1].text
            for t in doc:
                if t.text == acronym and not any(r.start <= t.i < r.end for r in found):
                    out.append(RegRef(t.i, t.i + 1, t.text, t.idx, t.idx + len(t), None, ref.country,
                                      "description", ref.region, ref.domain))
    return out


def _country_acts(story: Story, c: Span) -> bool:
    """A country named as the one that acted: "fines from Italy", "fined by France", "Italy fined"."""
    lex, doc = story.lex, story.doc
    before = story.words(c.start - 2, c.start)
    after = story.words(c.end, c.end + 3)
    if before and (before[-1] in lex["by_regulator"] or before[-2:] in (["from", "the"], ["by", "the"])):
        nxt = doc[c.end] if c.end < len(doc) else None
        if nxt is None or not (nxt.is_alpha and nxt.is_lower) or nxt.lower_ in lex["coordination"]:
            return True  # "from Italy", "by Italy and Greece"; not "by American intelligence agencies" (an adjective)
    if after and after[0] in ("'s", "’s") and any(w in lex["acting_noun"] for w in after[1:]):
        return True
    if after and (after[0] in lex["acting_verb"] | lex["auxiliary"]
                  and any(w in lex["acting_verb"] for w in after[:3])):
        return True
    # the second of a coordinated pair: "from Italy and Greece"
    prev = next((p for p in reversed(story.countries) if p.end <= c.start), None)
    if prev is not None and 0 < c.start - prev.end <= 2 \
            and all(w in lex["coordination"] for w in story.words(prev.end, c.start)):
        return _country_acts(story, prev)
    return False


def _story_domain(story: Story) -> str | None:
    votes: dict[str, float] = defaultdict(float)  # a domain cue counts half
    for r in story.regs:
        if r.reg_id:
            votes[story.rules.regulator_by_id[r.reg_id].domain] += 1
    for r in story.regs:
        if r.kind == "description" and r.domain:
            votes[r.domain] += 1
    for d in story.cues.get("domain", []):
        votes[d.id_] += 0.5
    return max(votes, key=votes.__getitem__) if votes else None  # the first of the most voted, as most_common


def _resolve_descriptions(story: Story, registry: Registry) -> None:
    for r in story.regs:
        if r.kind == "country":
            r.reg_id = registry.resolve(r.country, story.domain)
        elif r.kind == "description" and r.region:
            r.reg_id = registry.resolve_region(r.region, r.domain or story.domain)
        elif r.kind == "description":
            if r.country is None:  # "the national data protection authority" in a sentence about Sweden
                cs = {c.id_ for c in story.in_sent(story.countries, story.sent_of(r.start))}
                r.country = cs.pop() if len(cs) == 1 else None
            r.reg_id = registry.resolve(r.country, r.domain or story.domain)
    # A description with neither country nor registry body ("the Data Protection Commissioner" of a story that
    # names no country) is still a regulator, known by its words.


def story_country(story: Story) -> str | None:
    """The one country every registry body the story names belongs to, or ``None``: where a court or a body named
    only by its words ("the Manhattan federal court") sits when the story is about that country's regulators."""
    found = {r.country for r in story.regs if r.kind == "registry" and r.country and r.country != "EU"}
    return found.pop() if len(found) == 1 else None


def place_or_adjective(story: Story, c: Span) -> bool:
    """ "transfers to the US", "people in France", "European users": a country that is not acting."""
    before = story.words(c.start - 2, c.start)
    if before and before[-1] == "the":
        before = before[:-1]
    if before and before[-1] in story.lex["place"]:
        return True
    nxt = story.doc[c.end] if c.end < len(story.doc) else None
    return nxt is not None and nxt.is_alpha and nxt.is_lower


def regulator_at(story: Story, tok: Token) -> RegRef | None:
    """The regulator a frame's agent token names: a mention inside its phrase, a country, a court, or ``None``.

    The phrase is the token's subtree up to a clause or apposition ("the Data Protection Authority of Saxony, which
    ..." stops before "which"), so "the authority's decision" and "a notary in Bucharest" do not leak.
    """
    lo, hi = phrase_bounds(tok)
    inside = [r for r in story.regs if lo <= r.start < hi and r.kind != "anaphor"]
    if inside:  # the mention the head word belongs to, else the first in the phrase
        return next((r for r in inside if r.start <= tok.i < r.end), inside[0])
    for child in tok.children:  # "Switzerland's Competition Commission (COMCO)": the name in apposition
        if child.dep_ == "appos":
            named = [r for r in story.regs
                     if child.left_edge.i <= r.start <= child.right_edge.i and r.kind != "anaphor"]
            if named:
                return named[0]
    anaphor = next((r for r in story.regs if r.kind == "anaphor" and r.start <= tok.i < r.end), None)
    if anaphor is not None:
        return anaphor
    country = next((c for c in story.countries if lo <= c.start < hi), None)
    if tok.lower_ in COURT_WORDS:
        span = story.doc[lo:hi]
        region = next((g for g in story.regions if lo <= g.start < hi), None)
        code = country.id_ if country is not None else region.id_[:2] if region is not None else None
        return RegRef(lo, hi, span.text, span.start_char, span.end_char, None, code, "court",
                      region.id_ if region is not None else None)
    if country is not None and (country.start <= tok.i < country.end):
        return RegRef(country.start, country.end, country.text, country.start_char, country.end_char,
                      None, country.id_, "country")
    if tok.text[:1].isupper():  # a name (the tagger may take "Mendes" for a plural)
        return judge(story, tok)
    return None


def judge(story: Story, tok: Token) -> RegRef | None:
    """The court a judge's name stands for: a court word in the title before the name ("Judge Ann Lee", "U.S.
    District Judge Ann Lee granted ..."), or before an earlier mention of the same surname ("... Lee also issued
    an injunction"). Its country is the one named in that title, if any."""
    doc = story.doc
    mentions = [(n.start, n.end) for n in story.names if n.label == "PERSON" and n.start <= tok.i
                and doc[n.end - 1].lower_ == tok.lower_]
    for start, end in sorted(mentions, key=lambda m: -m[0]):
        lo, first = start, story.sents[story.sent_of(start)].start
        while lo > first and (doc[lo - 1].text[:1].isupper() and not doc[lo - 1].is_stop or doc[lo - 1].is_space):
            lo -= 1  # the title's capitalised words, a wrapped line's break among them: "U.S. District Judge"
        if any(t.lower_ in COURT_WORDS for t in doc[lo:start]):
            span = doc[lo:end]
            country = next((c for c in story.countries if lo <= c.start < end), None)
            return RegRef(lo, end, span.text, span.start_char, span.end_char, None,
                          country.id_ if country is not None else None, "court")
    return None


def phrase_bounds(tok: Token) -> tuple[int, int]:
    """Token offsets of the noun phrase headed by ``tok``: its subtree without relative clauses, appositions and
    what follows a comma; "of"/"in" phrases stay ("the DPA of Saxony")."""
    lo, hi = tok.i, tok.i + 1
    for child in tok.children:
        if child.dep_ in ("relcl", "acl", "appos", "punct", "cc", "conj", "advcl", "prep") and child.i > tok.i:
            if child.dep_ == "prep" and child.lower_ in ("of", "in", "for") and child.i == hi:
                hi = max(hi, child.right_edge.i + 1)
            continue
        if child.i < tok.i:
            lo = min(lo, child.left_edge.i)
        else:
            hi = max(hi, child.right_edge.i + 1)
    return lo, hi


def story_regulator(story: Story, before: int, acted: Counter) -> RegRef | None:
    """What "the watchdog" means in a story about one body that mentions others in passing: the body that has
    acted most so far, then the one named most, then the latest of them."""
    named = [r for r in story.regs if r.start < before and r.kind == "registry"]
    if not named:
        return None
    mentions = Counter(r.reg_id for r in named)
    order = {r.reg_id: k for k, r in enumerate(named)}
    best = max(mentions, key=lambda rid: (acted[rid], mentions[rid], order[rid]))
    return next(r for r in reversed(named) if r.reg_id == best)
