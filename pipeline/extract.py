"""From a processed spaCy Doc to enforcement actions and mentions.

The model gives sentences and entities (ORG, PERSON, DATE); the rule components give regulators, countries, laws,
cue phrases and money (see :mod:`pipeline.nlp`). This module holds the logic that ties them together:

1. every money amount gets a role from the cue phrases around it; only sanctions become actions;
2. each sanction, order, ban, warning or reprimand is attached to a regulator, a target and a date, preferring
   what stands in its own part of the sentence, then the sentence, then the story (the last regulator named, the
   story's main target), and each fallback lowers the confidence;
3. the same action mentioned twice in a story is merged into one row.
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date

from spacy.tokens import Doc, Span

from .normalise import DateValue, Money, add_duration, parse_date, parse_duration, to_eur
from .records import Action, Article, Mention
from .rules import LEXICONS, Rules

MONETARY = ("fine", "penalty", "settlement")
STATUS_RANK = {"threatened": 0, "proposed": 1, "imposed": 2, "reduced": 3, "appealed": 4, "annulled": 5}
_DEADLINE_INTRO = re.compile(r"\b(?:by|no later than|before|until)\s+$", re.I)
_CLAUSE_END = re.compile(r"[;.]|,\s*(?:or|and|but|which|while|after|as)\b|\bor (?:face|risk)\b|\bor else\b", re.I)
_ARTICLE_NO = re.compile(r"\bArt(?:icle)?s?\.?\s*(\d+[a-z]?(?:\s*\(\s*\w{1,3}\s*\))*)", re.I)
_SAME_DAY = re.compile(r"^(?:on\s+)?(?:the\s+same|that)\s+day$", re.I)
_YEAR = re.compile(r"(?<![\d.,$€£])\b(19[89]\d|20[0-4]\d)\b(?![\d,.]\d)")
_CALENDAR = {*calendar.day_name, *calendar.month_name, *calendar.day_abbr, *calendar.month_abbr} - {""}


@dataclass
class RegRef:
    """A regulator mention: a registry name, a description resolved through country and domain, or a country."""

    start: int  # token offsets
    end: int
    text: str
    char_start: int
    char_end: int
    reg_id: str | None
    country: str | None
    kind: str  # registry | description | country | anaphor
    region: str | None = None  # ISO 3166-2, for "Hamburg's data protection commissioner"


@dataclass
class TargetRef:
    start: int
    end: int
    text: str
    char_start: int
    char_end: int
    key: str
    label: str = "ORG"


@dataclass
class MoneyRef:
    money: Money
    start: int
    end: int
    role: str | None = None
    anchor_of: int | None = None  # for a conversion: index of the amount it converts


@dataclass
class Candidate:
    """An action before merging, with the token span that anchors it."""

    action: Action
    sent_index: int
    start: int
    end: int
    explicit_regulator: bool = False
    explicit_target: bool = False
    reg: RegRef | None = None
    mentions: list[tuple[str, int, int]] = field(default_factory=list)


class Extractor:
    """Turns processed Docs into actions and mentions; built once per run from the rules."""

    def __init__(self, rules: Rules):
        self.rules = rules
        self.regs_by_country_domain: dict[tuple[str, str], list[str]] = {}
        self.regs_by_region_domain: dict[tuple[str, str], list[str]] = {}
        self.regional: set[tuple[str, str]] = set()  # (country, domain) where states have bodies of their own
        for reg in rules.regulators:
            if reg.jurisdiction in ("national", "supranational"):
                self.regs_by_country_domain.setdefault((reg.country, reg.domain), []).append(reg.id)
            if reg.region:
                self.regs_by_region_domain.setdefault((reg.region, reg.domain), []).append(reg.id)
                self.regional.add((reg.country, reg.domain))
        self.role_windows = {c.value: c for c in rules.cues_of("role")}
        self.lex = {name: rules.lexicon(name) for name in LEXICONS}
        self.ambiguous = {c.form.lower(): c.candidates for c in rules.currencies if c.candidates}
        self.ref_heads = {p.split()[-1].lower() for c in rules.cues_of("target_ref") for p in c.phrases}
        # The last words of names that decide rather than are sanctioned: courts, governments, regulator nouns.
        self.non_target = {p.lower() for c in rules.cues_of("non_target") for p in c.phrases}
        self.non_target |= {p.lower() for c in rules.cues_of("reg_noun") for p in c.phrases if " " not in p}
        self.country_names = {a.casefold() for name, aliases in rules.countries.values() for a in (name, *aliases)}

    # -- entry point -------------------------------------------------------------------------------------------
    def __call__(self, doc: Doc, article: Article) -> tuple[list[Action], list[Mention]]:
        ctx = _Context(self, doc, article)
        return ctx.run()

    def resolve(self, country: str | None, domain: str | None) -> str | None:
        """The registry body for a country and domain, when exactly one national body fits."""
        if not country or not domain or (country, domain) in self.regional:
            return None  # "a German data protection authority" may be any of the Länder's
        ids = self.regs_by_country_domain.get((country, domain), [])
        return ids[0] if len(ids) == 1 else None

    def resolve_region(self, region: str, domain: str | None) -> str | None:
        """The registry body of a state or region for a domain, when exactly one fits."""
        ids = self.regs_by_region_domain.get((region, domain or ""), [])
        return ids[0] if len(ids) == 1 else None


class _Context:
    """Everything known about one Doc while its actions are being read."""

    def __init__(self, ex: Extractor, doc: Doc, article: Article):
        self.ex, self.rules, self.doc, self.article = ex, ex.rules, doc, article
        self.text = doc.text  # Doc.text joins every token: built once, not on each look
        self.lex = ex.lex
        self.sents = list(doc.sents)
        self.sent_starts = [s.start for s in self.sents]
        spans = list(doc.spans.get("rules", []))
        self.cues: dict[str, list[Span]] = {}
        for sp in spans:
            if sp.label_.startswith("CUE_"):
                self.cues.setdefault(sp.label_[4:], []).append(sp)
        self.laws = [sp for sp in spans if sp.label_ == "LAW"]
        self.non_target = ex.non_target
        # Token sets several rules consult, each built once per Doc.
        self.cue_toks = {i for g in self.cues.values() for sp in g for i in range(sp.start, sp.end)}
        self.money_toks = {i for sp in doc.spans.get("money", []) for i in range(sp.start, sp.end)}
        self.regs = self._regulators(spans)
        self.country_toks = {i for c in self.countries for i in range(c.start, c.end)}
        self.domain = self._story_domain()
        self._resolve_descriptions()
        self._run_blocked: set[int] | None = None  # built on first use by _capitalised_run
        self.targets = self._targets()
        self.moneys = self._moneys()
        self.main_target = self._main_target()
        self.dates = self._dates()
        self.date_toks = {i for d in self.dates for i in range(d[0], d[1])}

    # -- helpers -----------------------------------------------------------------------------------------------
    def sent_of(self, token_i: int) -> int:
        return bisect_right(self.sent_starts, token_i) - 1

    def in_sent(self, items, si: int):
        s = self.sents[si]
        return [x for x in items if s.start <= x.start < s.end]

    def cues_in(self, group: str, si: int) -> list[Span]:
        return self.in_sent(self.cues.get(group, []), si)

    @staticmethod
    def gap(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
        """Tokens between two spans (0 when adjacent or overlapping)."""
        if b_end <= a_start:
            return a_start - b_end
        if b_start >= a_end:
            return b_start - a_end
        return 0

    def words(self, start: int, end: int) -> list[str]:
        return [t.lower_ for t in self.doc[max(0, start):max(0, end)]]

    # -- regulators --------------------------------------------------------------------------------------------
    def _regulators(self, spans: list[Span]) -> list[RegRef]:
        from spacy.util import filter_spans

        regs = filter_spans([sp for sp in spans if sp.label_ == "REG"])
        taken = {i for sp in regs for i in range(sp.start, sp.end)}
        out = [RegRef(sp.start, sp.end, sp.text, sp.start_char, sp.end_char, sp.ent_id_ or sp.id_,
                      self.rules.regulator_by_id[sp.id_].country, "registry") for sp in regs]
        countries = filter_spans([sp for sp in spans if sp.label_ == "COUNTRY" and not taken & set(range(sp.start, sp.end))])
        self.countries = countries
        regions = filter_spans([sp for sp in spans if sp.label_ == "REGION" and not taken & set(range(sp.start, sp.end))])
        self.regions = regions
        nouns = self.cues.get("reg_noun", [])
        domains = self.cues.get("domain", [])
        used_country: set[int] = set()
        for noun in filter_spans(nouns):
            if any(r.start <= noun.start < r.end for r in out):
                continue
            si = self.sent_of(noun.start)
            lo = max(self.sents[si].start, noun.start - 5)
            country = next((c for c in reversed(countries) if lo <= c.start and c.end <= noun.start), None)
            region = next((g for g in reversed(regions) if lo <= g.start and g.end <= noun.start), None)
            if region is not None and (country is None or region.start > country.start):
                country = region  # "Hamburg's data protection commissioner": the state, not the country
            domain = next((d.id_ for d in reversed(domains) if lo <= d.start and d.end <= noun.end), None)
            first = country.start if country is not None else noun.start
            if domain is not None:
                first = min(first, min(d.start for d in domains if lo <= d.start and d.end <= noun.end))
            # An appositive of a registry name ("regulator CNIL", "the CNIL, France's watchdog") is that body.
            near_reg = next((r for r in out if r.kind == "registry" and self.gap(first, noun.end, r.start, r.end) <= 2), None)
            if near_reg is not None:
                if country is not None:
                    used_country.add(country.start)
                continue
            if country is None and domain is None:
                if self.doc[noun.start - 1].lower_ == "the" if noun.start > 0 else False:
                    out.append(RegRef(noun.start - 1, noun.end, self.doc[noun.start - 1:noun.end].text,
                                      self.doc[noun.start - 1].idx, noun.end_char, None, None, "anaphor"))
                continue
            start = min(first, noun.start)
            span = self.doc[start:noun.end]
            code = country.id_ if country is not None else None
            is_region = code is not None and "-" in code
            out.append(RegRef(start, noun.end, span.text, span.start_char, span.end_char, None,
                              code[:2] if is_region else code, f"description:{domain or ''}",
                              code if is_region else None))
            if country is not None:
                used_country.add(country.start)
        for c in countries:
            if c.start in used_country:
                continue
            if self._country_acts(c, countries):
                out.append(RegRef(c.start, c.end, c.text, c.start_char, c.end_char, None, c.id_, "country"))
        return sorted(out, key=lambda r: r.start)

    def _country_acts(self, c: Span, countries: list[Span]) -> bool:
        """A country named as the one that acted: "fines from Italy", "fined by France", "Italy fined"."""
        before = self.words(c.start - 2, c.start)
        after = self.words(c.end, c.end + 3)
        if before and (before[-1] in self.lex["by_regulator"] or before[-2:] in (["from", "the"], ["by", "the"])):
            nxt = self.doc[c.end] if c.end < len(self.doc) else None
            if nxt is None or not (nxt.is_alpha and nxt.is_lower) or nxt.lower_ in self.lex["coordination"]:
                return True  # "from Italy", "by Italy and Greece"; not "by American intelligence agencies" (an adjective)
        if after and after[0] in ("'s", "’s") and any(w in self.lex["acting_noun"] for w in after[1:]):
            return True
        if after and (after[0] in self.lex["acting_verb"] | self.lex["auxiliary"] and
                      any(w in self.lex["acting_verb"] for w in after[:3])):
            return True
        # the second of a coordinated pair: "from Italy and Greece"
        prev = next((p for p in reversed(countries) if p.end <= c.start), None)
        if prev is not None and 0 < c.start - prev.end <= 2 and all(w in self.lex["coordination"] for w in self.words(prev.end, c.start)):
            return self._country_acts(prev, countries)
        return False

    def _story_domain(self) -> str | None:
        votes = Counter(self.rules.regulator_by_id[r.reg_id].domain for r in self.regs if r.reg_id)
        for r in self.regs:
            if r.kind.startswith("description:") and r.kind.split(":", 1)[1]:
                votes[r.kind.split(":", 1)[1]] += 1
        for d in self.cues.get("domain", []):
            votes[d.id_] += 0.5
        return votes.most_common(1)[0][0] if votes else None

    def _resolve_descriptions(self) -> None:
        for r in self.regs:
            if r.kind == "country":
                r.reg_id = self.ex.resolve(r.country, self.domain)
            elif r.kind.startswith("description:") and r.region:
                r.reg_id = self.ex.resolve_region(r.region, r.kind.split(":", 1)[1] or self.domain)
                r.kind = "description"
            elif r.kind.startswith("description:"):
                domain = r.kind.split(":", 1)[1] or self.domain
                if r.country is None:  # "the national data protection authority" in a story about Sweden
                    si = self.sent_of(r.start)
                    cs = {c.id_ for c in self.in_sent(self.countries, si)}
                    r.country = cs.pop() if len(cs) == 1 else None
                r.reg_id = self.ex.resolve(r.country, domain)
                r.kind = "description"
        self.regs = [r for r in self.regs if r.kind != "description" or r.country or r.reg_id]

    # -- targets -----------------------------------------------------------------------------------------------
    def _targets(self) -> list[TargetRef]:
        # Tokens of regulators and countries are never part of a target's name; computed once per Doc.
        self.named_toks = {i for sp in (*self.regs, *self.countries, *self.regions) for i in range(sp.start, sp.end)}
        # A country inside a longer name is part of the company ("British Airways", "Deutsche Bank AG" is fine
        # too); only regulators and laws make an entity something other than a target.
        blocked = {i for sp in (*self.regs, *self.laws) for i in range(sp.start, sp.end)}
        out = []
        for ent in self.doc.ents:
            if ent.label_ not in ("ORG", "PERSON"):
                continue
            toks = [t for t in ent if not t.is_space]
            # NER sometimes runs the end of a line into the next paragraph: keep the part after the last break.
            cut = max((k for k, t in enumerate(ent) if "\n" in t.text or "\n" in t.whitespace_), default=None)
            span = ent if cut is None else self.doc[ent.start + cut + 1:ent.end]
            money_in = [m.start for m in self.doc.spans.get("money", []) if span.start <= m.start < span.end]
            if money_in:  # "Klarna SEK 7.5 million" tagged as one ORG: the name ends where the amount begins
                span = self.doc[span.start:min(money_in)]
            while len(span) and span[0].lower_ in ("the", "a", "an"):
                span = span[1:]
            while len(span) and span[-1].text in ("'s", "’s", "'", "’"):
                span = span[:-1]
            if not len(span) or not toks or any(i in blocked for i in range(span.start, span.end)):
                continue
            text = span.text.strip()
            if text.casefold() in self.lex["not_target"] or text.casefold() in self.ex.country_names or len(text) < 2:
                continue
            if any(t.lower_ in self.non_target for t in span):
                continue  # courts and governments decide, they are not sanctioned ("Court of Justice")
            out.append(TargetRef(span.start, span.end, text, span.start_char, span.end_char, _target_key(text), ent.label_))
        return sorted(out + self._recurring_names(blocked, out), key=lambda t: t.start)

    def _recurring_names(self, blocked: set[int], found: list[TargetRef]) -> list[TargetRef]:
        """Names the model missed but the story repeats: "Facebook" untagged in every sentence it opens.

        A run of capitalised words outside every entity and rule span counts when it also stands inside a
        sentence at least once (a capital there is a name, not the start of a sentence) and occurs twice or more.
        """
        skip = set(blocked) | self.named_toks | {i for t in found for i in range(t.start, t.end)}
        skip |= {i for e in self.doc.ents if e.label_ not in ("ORG", "PERSON") for i in range(e.start, e.end)}
        skip |= self.cue_toks | self.money_toks
        runs: list[Span] = []
        i, n = 0, len(self.doc)
        while i < n:
            t = self.doc[i]
            if i in skip or not t.text[:1].isupper() or not any(c.isalpha() for c in t.text) or t.is_stop:
                i += 1
                continue
            j = i + 1
            while j < n and j not in skip and (self.doc[j].text[:1].isupper() or self.doc[j].text in ("&",)) \
                    and not self.doc[j].is_sent_start and "\n" not in self.doc[j - 1].whitespace_:
                j += 1
            runs.append(self.doc[i:j])
            i = j
        by_text: dict[str, list[Span]] = {}
        # "General" of "General Court": a run cut short by a court or government word is part of that body's name
        runs = [r for r in runs if r.end >= n or self.doc[r.end].lower_ not in self.non_target]
        for r in runs:
            if r[-1].lower_ not in self.non_target and r.text.casefold() not in self.ex.country_names \
                    and r.text not in _CALENDAR:
                by_text.setdefault(r.text, []).append(r)
        out = []
        for text, spans in by_text.items():
            if len(spans) >= 2 and any(not sp[0].is_sent_start for sp in spans):
                out.extend(TargetRef(sp.start, sp.end, text, sp.start_char, sp.end_char, _target_key(text), "NAME")
                           for sp in spans)
        return sorted(out, key=lambda t: t.start)

    def _title_end(self) -> int:
        """Character offset where the headline ends (0 when the text does not start with it)."""
        title = (self.article.title or "").strip()
        if title and self.text.lstrip().startswith(title):
            return self.text.index(title) + len(title)
        return 0

    def _main_target(self) -> str | None:
        """The organisation the story is about: the one its headline says was sanctioned, else the most mentioned
        (the title counting double, people half)."""
        self.main_target = None
        counts = self._rank()
        end = self._title_end()
        if end:
            for si, sent in enumerate(self.sents):
                if sent.start_char >= end:
                    break
                sent_moneys = [m for m in self.moneys if sent.start <= m.start < sent.end]
                anchors = [(m.start, m.end) for m in sent_moneys if m.role == "sanction"]
                anchors += [(c.start, c.end) for c in self.cues_in("action", si) if not self._negated(c)]
                for a0, a1 in sorted(anchors):
                    name, explicit = self._attach_targets(a0, a1, si, sent_moneys)[0]
                    if explicit and name:
                        return name
        if not self.targets:
            return None
        title = (self.article.title or "").casefold()
        for key in list(counts):
            if key and key in title:
                counts[key] += 2
        key = counts.most_common(1)[0][0]
        return self.best_name(key)

    def _rank(self) -> Counter:
        """Mentions per target key (people count half); sets ``self.ranking``, the names most mentioned first."""
        counts: Counter = Counter()
        for t in self.targets:  # the company over the people quoted about it
            counts[t.key] += 0.5 if t.label == "PERSON" else 1
        self.ranking = [self.best_name(k) for k, _ in counts.most_common()]
        return counts

    def best_name(self, key: str) -> str:
        forms = Counter(t.text for t in self.targets if t.key == key)
        # The fullest form the article uses, among those it uses at all ("Clearview AI" over "Clearview").
        return max(forms, key=lambda f: (len(f.split()) <= 6, len(f), forms[f]))

    # -- money -------------------------------------------------------------------------------------------------
    def _moneys(self) -> list[MoneyRef]:
        out = []
        for money, span in zip(self.doc._.money or [], self.doc.spans.get("money", [])):
            out.append(MoneyRef(money, span.start, span.end))
        # "65 million kroner" in a story that also writes "NOK 65,000,000": the article says which kroner.
        explicit = {m.money.currency for m in out if m.money.currency}
        for m in out:
            if m.money.currency is None and m.money.currency_form:
                options = set(self.ex.ambiguous.get(m.money.currency_form.lower(), ())) & explicit
                if len(options) == 1:
                    m.money = replace(m.money, currency=options.pop())
        for i, m in enumerate(out):
            m.role = self._money_role(i, out)
        return out

    def _money_role(self, i: int, moneys: list[MoneyRef]) -> str | None:
        m = moneys[i]
        si = self.sent_of(m.start)
        if i > 0:
            prev = moneys[i - 1]
            between = self.words(prev.end, m.start)
            if self.sent_of(prev.start) == si and len(between) <= 4 and all(w in self.lex["conversion_gap"] for w in between):
                if prev.money.currency != m.money.currency or "(" in between:
                    m.anchor_of = i - 1
                    return "conversion"
        best_role, best_d = None, None
        for cue in self.cues_in("role", si):
            window = self.ex.role_windows[cue.id_]
            if cue.end <= m.start and m.start - cue.end <= window.left:
                d = m.start - cue.end
            elif cue.start >= m.end and cue.start - m.end <= window.right:
                d = cue.start - m.end
            else:
                continue
            if best_d is None or d < best_d:
                best_role, best_d = cue.id_, d
        sanction = [c for g in ("action", "sanction", "periodic") for c in self.cues_in(g, si)
                    if g != "action" or c.id_ in MONETARY]
        sanction_d = min((self.gap(m.start, m.end, c.start, c.end) for c in sanction), default=None)
        if best_role == "statutory_max":
            # "a maximum fine of €20m": the cap stands before the sanction word that stands before the amount.
            return best_role
        # "will pay $245 million to refund customers", "A$20 million in remediation": what the money is for, said
        # right after it, outweighs the payment verb before it.
        purpose = [c for c in self.cues_in("role", si) if 1 <= c.start - m.end <= 2
                   and all(w in self.lex["purpose"] for w in self.words(m.end, c.start))]
        if purpose:
            return purpose[0].id_
        if best_role is not None and (sanction_d is None or best_d < sanction_d):
            return best_role
        if sanction_d is not None:
            return "sanction"
        return None

    # -- dates -------------------------------------------------------------------------------------------------
    def _dates(self) -> list[tuple[int, int, Span, DateValue | None, bool]]:
        """(start, end, span, value, is_deadline) for every date expression."""
        published = self.article.published
        spans: list[Span] = [e for e in self.doc.ents if e.label_ == "DATE"]
        covered = {i for e in spans for i in range(e.start, e.end)}
        for m in _YEAR.finditer(self.text):  # bare years the model tags CARDINAL ("a 2022 settlement")
            sp = self.doc.char_span(m.start(), m.end())
            if sp is not None and not covered & set(range(sp.start, sp.end)) and not self.money_toks & set(range(sp.start, sp.end)):
                spans.append(sp)
        out = []
        last_day: DateValue | None = None
        for k, sp in enumerate(spans):
            # The model sometimes leaves the day out of "the same 17 October decision": take it back.
            if sp.start > 0 and self.doc[sp.start - 1].like_num and re.fullmatch("[0-9]+", self.doc[sp.start - 1].text) \
                    and 1 <= int(self.doc[sp.start - 1].text) <= 31 and sp[0].text in _CALENDAR:
                spans[k] = self.doc[sp.start - 1:sp.end]
        for sp in sorted(spans, key=lambda sp: sp.start):
            text = sp.text
            before = self.doc[max(0, sp.start - 3):sp.start].text + " "
            clause = self.doc[self._clause_start(sp.start):sp.start]
            if any(t.lower_ == "since" for t in clause):
                continue  # "the largest since the GDPR took effect in 2018": a reference point, not a date of action
            kind = "deadline" if _DEADLINE_INTRO.search(before) else ""
            if sp.start > 0 and self.doc[sp.start - 1].lower_ in self.lex["starting"]:
                kind = "start"  # "a fine of NOK 1m a day from 14 August": when it runs, not when it was decided
            value = parse_date(text, published)
            if value is None and _SAME_DAY.match(text) and last_day is not None:
                value = last_day  # "On the same day, the SEC said ...": the day last named
            if _YEAR.fullmatch(text) and sp.end < len(self.doc):
                nxt, prev = self.doc[sp.end], self.doc[sp.start - 1] if sp.start else None
                qualifies_action = any(sp.end <= c.start < sp.end + 3 for c in self.cues.get("action", []))
                if (nxt.is_alpha and nxt.is_lower and not nxt.is_stop or prev is not None and prev.lower_ in ("a", "an")) \
                        and not qualifies_action:  # "a 2022 lawsuit settlement" does date the settlement
                    kind = "attribute"  # "a 2012 consent order", "over 2018 cyber attack": what the year qualifies
            if value is not None and value.precision == "day":
                last_day = value
            out.append((sp.start, sp.end, sp, value, kind))
        return out

    def _clause_start(self, i: int) -> int:
        sent = self.sents[self.sent_of(i)]
        j = i - 1
        while j > sent.start and self.doc[j].text not in (",", ";", ":", "(", "—", "–"):
            j -= 1
        return j

    # -- the run -----------------------------------------------------------------------------------------------
    def run(self) -> tuple[list[Action], list[Mention]]:
        candidates: list[Candidate] = []
        last_reg: RegRef | None = None
        self.sanctioned: list[str] = []  # explicit targets of the actions read so far, in order
        for si, sent in enumerate(self.sents):
            referent = last_reg
            if self.cues_in("reg_ref", si) and last_reg is not None:
                referent = self._story_regulator(sent.start, candidates) or last_reg
            sent_cands = self._sentence_actions(si, referent)
            candidates.extend(sent_cands)
            self.sanctioned += [c.action.target for c in sent_cands if c.explicit_target and c.action.target]
            # "The regulator" refers back to the body that acted in the last sentence that reported an action, not to
            # one named there in passing ("according to a filing with the SEC"); else to the last one named.
            acting = [c.reg for c in sent_cands if c.explicit_regulator and c.reg is not None and c.reg.kind != "country-fallback"]
            explicit = [r for r in self.regs if sent.start <= r.start < sent.end and r.kind in ("registry", "description", "country") and (r.reg_id or r.country)]
            if acting:
                last_reg = acting[-1]
            elif explicit:
                last_reg = explicit[-1]
            self._cross_sentence_status(si, candidates, sent_cands)
        self._forward_regulator(candidates)
        actions = self._merge(candidates)
        for a in actions:
            self._finish(a)
        return [c.action for c in actions], self._mentions(actions, candidates)

    def _forward_regulator(self, candidates: list[Candidate]) -> None:
        """ "The company was fined €10,000 ... The Cypriot Data Protection Commissioner considered ...": an action
        stated before any regulator is named belongs to the story's regulator when the story names only one."""
        named = [r for r in self.regs if r.kind in ("registry", "description") and (r.reg_id or r.country)]
        bodies = {(r.reg_id, r.country) for r in named}
        if len(bodies) != 1:
            return
        ref = named[0]
        for c in candidates:
            a = c.action
            if a.regulator_id is None and a.regulator_country is None and c.start < ref.start:
                a.regulator_id, a.regulator_country = ref.reg_id, ref.country
                a.regulator = self.rules.regulator_by_id[ref.reg_id].name if ref.reg_id else ref.text
                c.reg = ref

    def _story_regulator(self, before: int, candidates: list[Candidate]) -> RegRef | None:
        """What "the watchdog" means in a story about one body that mentions others in passing: the body that has
        acted most so far, then the one named most, then the latest of them."""
        named = [r for r in self.regs if r.start < before and r.kind == "registry"]
        if not named:
            return None
        acted = Counter(c.reg.reg_id for c in candidates if c.explicit_regulator and c.reg is not None and c.reg.reg_id)
        mentions = Counter(r.reg_id for r in named)
        order = {r.reg_id: k for k, r in enumerate(named)}
        best = max(mentions, key=lambda rid: (acted[rid], mentions[rid], order[rid]))
        return next(r for r in reversed(named) if r.reg_id == best)

    def _sentence_actions(self, si: int, last_reg: RegRef | None) -> list[Candidate]:
        sent = self.sents[si]
        out: list[Candidate] = []
        sent_moneys = [m for m in self.moneys if sent.start <= m.start < sent.end]
        sanctions = [m for m in sent_moneys if m.role == "sanction"]
        for m in sanctions:
            atype = self._money_type(m, si)
            regs = self._attach_regs(m.start, m.end, si, sent_moneys, last_reg)
            targets = self._attach_targets(m.start, m.end, si, sent_moneys)
            # "ordered both Google and Facebook to ..., on pain of €100,000 a day": the penalty backs the order, on
            # each party it names.
            # "ordered Australian Clinical Labs to pay A$5.8 million": the party ordered is the one that pays.
            order_cues = [c for c in self.cues_in("action", si) if c.id_ == "order" and c.end <= m.start]
            if order_cues:
                named = self._order_targets(order_cues[-1], si)
                pays = self.words(m.start - 3, m.start)
                if named and named[0][1] and (not targets[0][1] or len(named) > 1 and atype == "penalty" or "pay" in pays):
                    targets = named
            for reg, reg_explicit in regs:
                for target, target_explicit in targets:
                    out.append(self._candidate(si, m.start, m.end, atype, reg, reg_explicit, target, target_explicit,
                                               money=m))
        # Orders, bans, warnings, reprimands, and fines stated without an amount.
        for cue in self.cues_in("action", si):
            kind = cue.id_
            if self._negated(cue):
                continue
            if kind == "order":
                measures = self._order(cue, si)
                if not measures:
                    continue
                regs = self._attach_regs(cue.start, cue.end, si, sent_moneys, last_reg)
                reg, rx = regs[0]
                if cue.text.lower() == "must":
                    targets = self._subject_of(cue, si)
                    if not targets:
                        continue  # "regulators must ensure ..." is not an order on anyone
                else:
                    targets = self._order_targets(cue, si) or self._attach_targets(cue.start, cue.end, si, sent_moneys)[:1]
                for text, deadline, deadline_date in measures:
                    for tgt, tx in targets:
                        c = self._candidate(si, cue.start, cue.end, "order", reg, rx, tgt, tx)
                        c.action.order_text, c.action.deadline, c.action.deadline_date = text, deadline, deadline_date
                        out.append(c)
            elif kind == "fine" and not sanctions and cue.text.lower() != "fined":
                # "issued surcharge orders against Chubu Electric Power and Kyushu Electric Power": fines without an
                # amount on each party listed after "against"/"on", when a sanction verb introduces them.
                if not any(0 <= cue.start - c.end <= 3 for c in self.cues_in("sanction", si)):
                    continue
                parties = self._listed_after(cue.end, si)
                reg, rx = self._attach_regs(cue.start, cue.end, si, sent_moneys, last_reg)[0]
                out.extend(self._candidate(si, cue.start, cue.end, "fine", reg, rx, name, True) for name in parties)
            elif kind in ("ban", "warning", "reprimand") or (kind == "fine" and cue.text.lower() == "fined" and not sanctions):
                regs = self._attach_regs(cue.start, cue.end, si, sent_moneys, None)
                reg, rx = regs[0]
                # "the Athens-based watchdog prohibited ...", "In July it grounded the rocket": the subject right
                # before the verb refers to the regulator last named.
                subject = [c for g in ("reg_ref", "reg_noun") for c in self.cues_in(g, si) if 0 <= cue.start - c.end <= 2]
                pronoun = kind == "ban" and cue.start > 0 and self.doc[cue.start - 1].lower_ == "it"
                if not rx and last_reg is not None and (subject or pronoun):
                    reg, rx = last_reg, True  # "the Athens-based watchdog prohibited ...": the regulator last named
                targets = self._attach_targets(cue.start, cue.end, si, sent_moneys)
                tgt, tx = targets[0]
                # Without a regulator in the sentence "banned" is rarely an enforcement action; "fined" with a named
                # party, a reprimand or a warning are ("Futura Internationale was fined because ...").
                if not rx and not (kind == "fine" and tx or kind in ("reprimand", "warning")):
                    continue
                if kind == "fine" and not tx:
                    continue
                if not rx:
                    reg = last_reg
                out.append(self._candidate(si, cue.start, cue.end, kind, reg, rx, tgt, tx))
        # "under threat of a daily penalty", "would otherwise face penalty payments of up to 5% of daily turnover":
        # a periodic penalty threatened without an amount.
        if not any(m.role == "sanction" for m in sent_moneys):
            for p in self.cues_in("periodic", si):
                threat = [c for c in self.cues_in("status", si)
                          if c.id_ == "threatened" and c.end <= p.start and p.start - c.end <= 8]
                if threat and not self._negated(p):
                    reg, rx = self._attach_regs(p.start, p.end, si, sent_moneys, last_reg)[0]
                    tgt, tx = self._attach_targets(p.start, p.end, si, sent_moneys)[0]
                    c = self._candidate(si, p.start, p.end, "penalty", reg, rx, tgt, tx)
                    c.action.status = "threatened"
                    out.append(c)
                    break
        return out

    def _listed_after(self, i: int, si: int) -> list[str]:
        """The parties listed after "on"/"against" within a few tokens of ``i``: "against Chubu and Kyushu"."""
        sent = self.sents[si]
        intro = next((t.i for t in self.doc[i:min(sent.end, i + 8)] if t.lower_ in self.lex["on_target"]
                      and t.i + 1 not in self.date_toks), None)  # not "on Thursday"
        if intro is None:
            return []
        parts, start, j = [], intro + 1, intro + 1
        while j < sent.end and (self.doc[j].text[:1].isupper() or self.doc[j].lower_ in ("and", ",", "&")
                                or self.doc[j].like_num or self.doc[j].is_space):
            if self.doc[j].lower_ in ("and", ","):
                parts.append((start, j))
                start = j + 1
            j += 1
        parts.append((start, j))
        return self._names_in(parts)

    def _names_in(self, parts: list[tuple[int, int]]) -> list[str]:
        """One party per part of a list ("both Google | and Facebook"): a known target, else a capitalised run."""
        names = []
        for a, b in parts:
            named = [t for t in self.targets if a <= t.start and t.end <= b]
            run = None if named else self._capitalised_run(a, b)
            names += [self.best_name(t.key) for t in named] + ([run] if run else [])
        return list(dict.fromkeys(names))

    def _subject_of(self, cue: Span, si: int) -> list[tuple[str | None, bool]]:
        """The party right before a modal: "Facebook must create ...", "the company must stop ..."."""
        named = [t for t in self.targets if t.end == cue.start]
        if named:
            return [(self.best_name(named[-1].key), True)]
        if any(c.end == cue.start for c in self.cues_in("target_ref", si)) and self.main_target:
            return [(self.main_target, False)]
        run = self._capitalised_run(max(self.sents[si].start, cue.start - 6), cue.start)
        return [(run, True)] if run else []

    def _order_targets(self, cue: Span, si: int) -> list[tuple[str | None, bool]]:
        """Who was ordered, named between the verb and its "to": "ordered both Google and Facebook to"."""
        sent = self.sents[si]
        stop = next((t.i for t in self.doc[cue.end:min(sent.end, cue.end + 10)] if t.lower_ == "to"), None)
        if stop is None or stop == cue.end:
            return []
        # Each part of a list ("both Google and Facebook") names a party: a known target, else a capitalised run.
        parts, start = [], cue.end
        for t in self.doc[cue.end:stop + 1]:
            if t.i == stop or t.lower_ in ("and", ",", "or"):
                parts.append((start, t.i))
                start = t.i + 1
        names = self._names_in(parts)
        if names:
            return [(name, True) for name in names]
        if any(cue.end <= c.start < stop and c.id_ == "targets" for c in self.cues_in("target_ref", si)):
            # "ordered both companies to ...": the two parties the story is about, or the two sanctioned so far
            parties = self.ranking if len(self.ranking) >= 2 else list(dict.fromkeys(reversed(self.sanctioned)))
            if len(parties) >= 2:
                return [(name, False) for name in parties[:2]]
        if any(w in ("it", "them") for w in self.words(cue.end, stop)) or \
                any(cue.end <= c.start < stop for c in self.cues_in("target_ref", si)):
            return [(self.main_target, False)]
        return []

    def _negated(self, cue: Span) -> bool:
        window = self.doc[max(self.sents[self.sent_of(cue.start)].start, cue.start - 5):cue.start]
        return any(n.start >= window.start and n.end <= cue.start for n in self.cues.get("negation", []))

    def _money_type(self, m: MoneyRef, si: int) -> str:
        if m.money.per_period:
            return "penalty"
        near_periodic = [c for c in self.cues_in("periodic", si) if self.gap(m.start, m.end, c.start, c.end) <= 6]
        monetary = [c for c in self.cues_in("action", si) if c.id_ in MONETARY]
        if near_periodic:
            return "penalty"
        if not monetary:
            return "fine"  # a sanction amount with no word for its kind ("ordered to pay €2m")
        nearest = min(monetary, key=lambda c: self.gap(m.start, m.end, c.start, c.end))
        return nearest.id_

    def _attach_regs(self, a0: int, a1: int, si: int, sent_moneys: list[MoneyRef],
                     last_reg: RegRef | None) -> list[tuple[RegRef | None, bool]]:
        sent = self.sents[si]
        regs = [r for r in self.regs if sent.start <= r.start < sent.end and r.kind != "anaphor"]
        prev_end = max((m.end for m in sent_moneys if m.end <= a0), default=sent.start)
        next_start = min((m.start for m in sent_moneys if m.start >= a1), default=sent.end)
        trailing = [r for r in regs if a1 <= r.start < next_start]
        group: list[RegRef] = []
        for r in trailing:
            intro = self.words(r.start - 2, r.start)
            # "the €14.5m fine that the Berlin authority imposed on ...": a relative clause names who imposed it
            relative = any(w in self.lex["relative"] for w in intro) and \
                any(r.end <= c.start <= r.end + 2 for c in self.cues_in("sanction", si))
            if not group and (any(w in self.lex["by_regulator"] for w in intro) or relative):
                group.append(r)
            elif group and all(w in self.lex["coordination"] or w in ("(", "the") for w in self.words(group[-1].end, r.start)):
                group.append(r)
            elif group:
                break
        leading = [r for r in regs if prev_end <= r.start and r.end <= a0]
        if group and not (all(r.kind == "country" for r in group) and any(r.kind != "country" for r in leading)):
            return [(r, True) for r in group]
        if leading:
            last = leading[-1]
            group = [last]
            for r in reversed(leading[:-1]):
                if all(w in self.lex["coordination"] for w in self.words(r.end, group[0].start)):
                    group.insert(0, r)
                else:
                    break
            if len(group) > 1 and not self._each(a1):
                group = [last]
            return [(r, True) for r in group]
        if regs:
            return [(min(regs, key=lambda r: self.gap(a0, a1, r.start, r.end)), True)]
        # "transfers to the US", "people in France": a country named as a place does not compete with last_reg.
        countries = {c.id_ for c in self.in_sent(self.countries, si)}
        actors = {c.id_ for c in self.in_sent(self.countries, si) if not self._place_or_adjective(c)}
        anaphor = any(r.kind == "anaphor" for r in self.regs if sent.start <= r.start < sent.end)
        monetary = any(m.start == a0 for m in sent_moneys)
        if len(countries) == 1 and not anaphor and monetary:
            code = countries.pop()
            if last_reg is not None and last_reg.country == code:
                return [(last_reg, False)]
            return [(RegRef(a0, a1, "", 0, 0, self.ex.resolve(code, self.domain), code, "country-fallback"), False)]
        if last_reg is not None and (not actors or actors == {last_reg.country}):
            return [(last_reg, False)]
        return [(None, False)]

    def _place_or_adjective(self, c: Span) -> bool:
        """ "transfers to the US", "people in France", "European users": a country that is not acting."""
        before = self.words(c.start - 2, c.start)
        if before and before[-1] == "the":
            before = before[:-1]
        if before and before[-1] in self.lex["place"]:
            return True
        nxt = self.doc[c.end] if c.end < len(self.doc) else None
        return nxt is not None and nxt.is_alpha and nxt.is_lower

    def _each(self, a1: int) -> bool:
        return any(w in self.lex["each"] for w in self.words(a1, a1 + 3))

    def _attach_targets(self, a0: int, a1: int, si: int,
                        sent_moneys: list[MoneyRef]) -> list[tuple[str | None, bool]]:
        sent = self.sents[si]
        tgts = [t for t in self.targets if sent.start <= t.start < sent.end]
        prev_end = max((m.end for m in sent_moneys if m.end <= a0), default=sent.start)
        next_start = min((m.start for m in sent_moneys if m.start >= a1), default=sent.end)
        # "fined Google €4.34bn for imposing restrictions on Android device makers": the name between the verb and
        # the amount is the party; an "on" after the amount is then part of the reason.
        direct = [t for t in tgts if prev_end <= t.start and 0 <= a0 - t.end <= 1 and t.start > 0
                  and self.doc[t.start - 1].lower_ in self.lex["name_intro"]]
        trailing = [t for t in tgts if a1 <= t.start < next_start and (
            self._introduced(t.start, self.lex["on_target"]) or
            # "the $136 million civil penalty that Google agreed to pay"
            t.start > 0 and self.doc[t.start - 1].lower_ in self.lex["relative"] and t.start - a1 <= 4 and
            any(t.end <= c.start <= t.end + 2 for g in ("sanction", "action") for c in self.cues_in(g, si)))]
        if trailing and not direct and self._capitalised_run(prev_end, a0) is None:
            return [(self.best_name(trailing[0].key), True)]
        leading = [t for t in tgts if prev_end <= t.start and t.end <= a0]
        refs = [c for c in self.cues_in("target_ref", si) if prev_end <= c.start and c.end <= a0 and c.id_ == "target"]
        if refs and self.main_target and (not leading or refs[-1].start > leading[-1].end):
            return [(self.main_target, True)]  # "sued Binance and Zhao ... said that the exchange would pay $2.7bn"
        if not leading:
            run = self._capitalised_run(prev_end, a0)
            if run is not None:
                return [(run, True)]
        if any(t.label == "ORG" for t in leading):
            leading = [t for t in leading if t.label == "ORG"]  # the company, not its chief executive
        if leading:
            last = leading[-1]
            owner = [t for t in leading[:-1] if t.end + 1 == last.start and self.doc[t.end].text in ("'s", "’s")]
            if owner:  # "Google's Android fine": the owner is the party, not its product
                leading = leading[:-1]
            group = [leading[-1]]
            for t in reversed(leading[:-1]):
                if all(w in self.lex["coordination"] for w in self.words(t.end, group[0].start)) and t.end < group[0].start:
                    group.insert(0, t)
                else:
                    break
            if len(group) > 1 and self._each(a1):
                return [(self.best_name(t.key), True) for t in group]
            return [(self.best_name(group[-1].key), True)]
        return [(self.main_target, False)]

    def _introduced(self, i: int, intro: frozenset[str]) -> bool:
        """An intro word stands before token ``i``, perhaps with a descriptor between: "on property company
        Deutsche Wohnen". Not across other words: "on makers of Android devices", "a cyberattack on its Medlab
        Pathology business" (a part of the party, not another one)."""
        j = i - 1
        while j >= 0 and i - j <= 4 and self.doc[j].is_alpha and self.doc[j].is_lower and \
                self.doc[j].lower_ not in intro and not self.doc[j].is_stop:
            j -= 1
        return j >= 0 and self.doc[j].lower_ in intro

    def _capitalised_run(self, start: int, end: int) -> str | None:
        """A name the model missed, right before the amount: "fined Google €150m and Facebook €60m"."""
        if self._run_blocked is None:
            self._run_blocked = self.named_toks | self.cue_toks | self.money_toks
        blocked, country_toks = self._run_blocked, self.country_toks
        i, toks = end - 1, []
        # A country word may open a company's name ("Australian Clinical Labs"), never end it.
        while i >= start and (self.doc[i].text[:1].isupper() or self.doc[i].text in ("&", "-")) and \
                (i not in blocked or toks and i in country_toks) \
                and not self.doc[i].is_sent_start and self.doc[i].text.lower() not in self.non_target:
            toks.insert(0, self.doc[i])
            i -= 1
        if not toks or not any(c.isalpha() for c in toks[0].text) or i >= start and self.doc[i].lower_ not in self.lex["name_intro"]:
            return None
        after = toks[-1].i + 1
        if after < len(self.doc) and any(c.start == after for c in self.cues.get("reg_noun", [])):
            return None  # "the Data Protection Commissioner": the start of a regulator's name
        return self.doc[toks[0].i:toks[-1].i + 1].text

    def _order(self, cue: Span, si: int) -> list[tuple[str, str | None, date | None]]:
        """The measures ordered and their deadlines: "ordered it to stop ... within two months"."""
        sent = self.sents[si]
        if "cease" in cue.text.lower():  # "agreed to a cease-and-desist order": the order names its measure
            return [("cease and desist", None, None)]
        toks = self.doc[cue.end:min(sent.end, cue.end + 8)]
        to_i = next((t.i for t in toks if t.lower_ == "to"), None)
        if cue.text.lower() == "must":  # "Facebook must create ...": the measure follows the modal directly
            to_i = cue.end - 1
        if to_i is None or to_i + 1 >= sent.end:
            return []
        # Between the verb and its "to" stands who was ordered ("the company", "both Google and Facebook", "Clearview
        # in November 2021"), not other content words: "a consent order by deceiving users about their ability to".
        ref_toks = {i for c in self.cues_in("target_ref", si) for i in range(c.start, c.end)}
        # "the US company": a reference with a country word inside it
        ref_toks |= {t.i for t in self.doc[cue.end:to_i] if t.lower_ in self.ex.ref_heads}
        if any(t.is_alpha and t.is_lower and not t.is_stop and t.i not in ref_toks and t.i not in self.date_toks
               for t in self.doc[cue.end:to_i]):
            return []
        verb = self.doc[to_i + 1]
        if verb.lower_ in self.lex["not_a_measure"] or not verb.is_alpha:
            return []  # a payment is the money action; "to comply" restates an earlier order
        rest = self.doc[to_i + 1:sent.end].text
        given = parse_duration(self.doc[cue.end:to_i].text) if to_i > cue.end else None  # "gave it two months to"
        measures = []
        while rest:
            end = _CLAUSE_END.search(rest)
            measure = self._measure(rest[:end.start()] if end else rest)
            if measure is not None:
                if given and measure[1] is None and not measures:
                    measure = (measure[0], given, measure[2])
                measures.append(measure)
            rest = rest[end.end():] if end else ""
            # "..., and to bring its processing into line within six months": a second measure with its own deadline
            nxt = re.match(r"\s*(?:and\s+)?to\s+", rest)
            if not nxt or not measures[-1:] or measures[-1][1] is None:
                break
            rest = rest[nxt.end():]
            following = self._measure(rest[:m.start()] if (m := _CLAUSE_END.search(rest)) else rest)
            if following is None or following[1] is None:
                break
        return measures

    def _measure(self, clause: str) -> tuple[str, str | None, date | None] | None:
        """A measure's text and its deadline, as a duration ("within two months") or a date ("by 31 March 2024")."""
        deadline = deadline_date = None
        dm = re.search(r"\b(?:within|in|over the next|no later than)\s+(?:the\s+next\s+)?\S+[\s-]+(?:business\s+|working\s+)?(?:days?|weeks?|months?|years?)\b", clause, re.I)
        if dm:
            deadline = parse_duration(dm.group(0))
            clause = clause[:dm.start()]
        bm = re.search(r"\b(?:by|no later than|before)\s+(.{3,30}?\d{4})", clause)
        if bm:
            dv = parse_date(bm.group(1), self.article.published)
            if dv is not None and dv.precision == "day":
                deadline_date = dv.start_date
            clause = clause[:bm.start()]
        text = re.sub(r"\s+", " ", clause).strip(" ,;:-—–")
        return (text, deadline, deadline_date) if text else None

    def _candidate(self, si: int, a0: int, a1: int, atype: str, reg: RegRef | None, reg_explicit: bool,
                   target: str | None, target_explicit: bool, money: MoneyRef | None = None) -> Candidate:
        sent = self.sents[si]
        a = Action(article_id=self.article.article_id, action_type=atype, status="imposed",
                   evidence=sent.text.strip(), char_start=sent.start_char, char_end=sent.end_char,
                   anchor_start=self.doc[a0].idx, anchor_end=self.doc[a1 - 1].idx + len(self.doc[a1 - 1]))
        if reg is not None:
            a.regulator_id = reg.reg_id
            a.regulator_country = reg.country or (self.rules.regulator_by_id[reg.reg_id].country if reg.reg_id else None)
            a.regulator = self.rules.regulator_by_id[reg.reg_id].name if reg.reg_id else (reg.text or None)
        a.target = target
        mentions = []
        if money is not None:
            mm = money.money
            a.amount, a.currency, a.amount_text = mm.amount, mm.currency, mm.text
            a.amount_min, a.amount_max, a.per_period = mm.amount_min, mm.amount_max, mm.per_period
            mentions.append(("money", mm.start, mm.end))
        a.status = self._status(a0, a1, si)
        if money is not None and money.money.per_period and a.status == "imposed" and \
                any(w in self.lex["conditional"] for w in self.words(self.sents[si].start, self.sents[si].end)):
            a.status = "threatened"  # "€100,000 for each day of delay if it fails to comply" has not been imposed
        dv = self._date_for(a0, a1, si)
        if dv is not None:
            (ds, de, dspan, val) = dv
            a.decision_date, a.date_precision = val.value, val.precision
            mentions.append(("date", dspan.start_char, dspan.end_char))
        a.legal_basis = self._legal_basis(si)
        conf = 0.45 + (0.25 if reg_explicit else 0.05 if reg is not None else 0) + (0.2 if target_explicit else 0.05 if target else 0)
        if money is not None and any(self.gap(a0, a1, c.start, c.end) <= 3 for c in self.cues_in("action", si)):
            conf += 0.1
        a.confidence = round(min(conf, 1.0), 2)
        if reg is not None and reg.char_end > reg.char_start:
            mentions.append(("regulator", reg.char_start, reg.char_end))
        return Candidate(a, si, a0, a1, reg_explicit, target_explicit, reg=reg, mentions=mentions)

    def _hypothetical(self, cue: Span) -> bool:
        """ "the option of a further appeal", "whether it seeks to challenge": not (yet) an appeal."""
        lo = max(self.sents[self.sent_of(cue.start)].start, cue.start - 4)
        return any(w in self.lex["hypothetical"] for w in self.words(lo, cue.start))

    def _status(self, a0: int, a1: int, si: int) -> str:
        sent = self.sents[si]
        best, best_d = "imposed", None
        for cue in self.cues_in("status", si):
            text = cue.text.lower()
            if cue.id_ == "appealed" and self._hypothetical(cue):
                continue
            if cue.end <= a0:
                d = a0 - cue.end
                if text in ("down from",) and d <= 2:
                    continue  # "£20m, down from £183m": the amount after "down from" is the earlier one
            else:
                d = cue.start - a1
                if cue.id_ == "threatened" and text.split()[0] not in self.lex["conditional"]:
                    continue  # after the amount only a condition threatens it ("if it fails"); "French faces" does not
                if cue.id_ == "reduced" and text == "down from" and d <= 2:
                    return "reduced"
                if cue.id_ in ("reduced", "annulled", "appealed") and d > 4 and cue.id_ != "appealed":
                    continue
            if d > (20 if cue.id_ == "appealed" and cue.start >= a1 else 12):
                continue  # "€1.49bn imposed in 2019 over ..., is still under challenge": the appeal comes late
            if best_d is None or d < best_d:
                best, best_d = cue.id_, d
        # "cut the fine to €4.125bn": a reduction verb before "to" + amount
        words = self.words(max(sent.start, a0 - 8), a0)
        if "to" in words[-2:] and any(w in self.lex["reduce_verb"] for w in words):
            return "reduced"
        return best

    def _date_for(self, a0: int, a1: int, si: int):
        sent = self.sents[si]
        found = [(s, e, sp, v) for (s, e, sp, v, dl) in self.dates if sent.start <= s < sent.end and v is not None and not dl]
        if not found:
            # "It said the decision, adopted in April, found ...": a date marked as the decision's, just after
            decided = [(s, e, sp, v) for (s, e, sp, v, dl) in self.dates
                       if sent.end <= s < self.sents[min(si + 2, len(self.sents) - 1)].end and v is not None
                       and not dl and any(w in self.lex["decided"] for w in self.words(s - 2, s))]
            if decided:
                return decided[0]
        if not found and si + 1 < len(self.sents):
            # "The watchdog announced the penalty on Friday." right after the sentence that states the penalty
            nxt = self.sents[si + 1]
            refers = any(self.cues_in(g, si + 1) for g in ("action", "sanction", "reg_ref"))
            own_money = any(nxt.start <= m.start < nxt.end and m.role == "sanction" for m in self.moneys)
            later = [(s, e, sp, v) for (s, e, sp, v, dl) in self.dates if nxt.start <= s < nxt.end and v is not None and not dl]
            if refers and not own_money and len(later) == 1:
                return later[0]
        if not found:
            return None
        # "In decisions dated 31 December and made public on Thursday": the decision date, not the announcement.
        decided = [d for d in found if not any(w in self.lex["announced"] for w in self.words(d[0] - 3, d[0]))]
        return min(decided or found, key=lambda d: self.gap(a0, a1, d[0], d[1]))

    def _legal_basis(self, si: int) -> list[str]:
        out = []
        sent = self.sents[si]
        for law in self.in_sent(self.laws, si):
            window = self.doc[max(sent.start, law.start - 12):law.start].text
            arts = _ARTICLE_NO.findall(window) or _ARTICLE_NO.findall(self.doc[law.end:min(sent.end, law.end + 6)].text)
            out.extend(f"{law.id_} Art. {''.join(a.split())}" for a in arts) if arts else out.append(law.id_)
        return list(dict.fromkeys(out))

    def _cross_sentence_status(self, si: int, candidates: list[Candidate], sent_cands: list[Candidate]) -> None:
        """ "Amazon said it would appeal" after the fine: the earlier actions of that target are appealed."""
        if sent_cands:
            return
        # Only an appeal carries over: "struck down" in a later sentence is too often about something else.
        cues = [c for c in self.cues_in("status", si) if c.id_ == "appealed"]
        if not cues or self._negated(cues[0]) or any(self._hypothetical(c) for c in cues):
            return  # a sentence that weighs an appeal ("whether it seeks to challenge") does not report one
        tgts = {t.key for t in self.in_sent(self.targets, si)}
        if self.cues_in("target_ref", si) and self.main_target:
            tgts.add(_target_key(self.main_target))
        # "said it would appeal the decision" covers the story's decision; "has taken that case to the Court of
        # Justice" only the case of the sentences just before.
        words = self.words(self.sents[si].start, self.sents[si].end)
        that = any(w == "that" and nxt in self.lex["case_noun"] for w, nxt in zip(words, words[1:]))
        recent = [c for c in candidates if si - 2 <= c.sent_index < si] if that else candidates
        # "Meta is appealing against both fines": the fines, not the orders of the same story
        kinds = {c.id_ for c in self.cues_in("action", si) if any(0 <= c.start - a.end <= 4 for a in cues)}
        for c in recent:
            a = c.action
            if kinds and a.action_type not in kinds:
                continue
            if a.status == "imposed" and _target_key(a.target or "") in tgts:
                a.status = cues[0].id_

    # -- merging -----------------------------------------------------------------------------------------------
    def _merge(self, cands: list[Candidate]) -> list[Candidate]:
        merged: list[Candidate] = []
        for c in cands:
            home = next((m for m in merged if _same_action(m.action, c.action)), None)
            if home is None:
                merged.append(c)
                continue
            _absorb(home, c)
        # A headline restates the story in other words ("orders it to erase French faces"): an action stated only
        # there merges into the body's action of the same kind, regulator and target, whatever its wording.
        title_end = self._title_end()
        body = [m for m in merged if m.action.char_start >= title_end]
        merged = _fold(merged, lambda c: next(
            (m for m in body if m.action.action_type == c.action.action_type and _same_party(m.action, c.action)), None)
            if c.action.char_start < title_end and not _has_amount(c.action) else None)
        # "told it to stop sending data" in the lede restates the order the body details with its deadline.
        merged = _fold(merged, lambda c: next(
            (m for m in merged if m is not c and m.action.action_type == "order" and
             (m.action.deadline or m.action.deadline_date) and _same_party(m.action, c.action) and
             _compatible((m.action.decision_date or "")[:7], (c.action.decision_date or "")[:7])), None)
            if c.action.action_type == "order" and not c.action.deadline and not c.action.deadline_date else None)
        # An amount-less "was fined" merges into the amount-bearing fine of the same regulator and target.
        return _fold(merged, lambda c: next(
            (m for m in merged if m is not c and m.action.action_type == c.action.action_type and
             _has_amount(m.action) and _same_party(m.action, c.action)), None)
            if c.action.action_type in MONETARY and not _has_amount(c.action) else None)

    def _finish(self, c: Candidate) -> None:
        a = c.action
        decision = None
        if a.decision_date and a.date_precision == "day":
            decision = date.fromisoformat(a.decision_date)
        if a.deadline and decision is not None and a.deadline_date is None:
            a.deadline_date = add_duration(decision, a.deadline)
        if a.decision_date and a.date_precision == "day":
            fx_on = decision
        elif self.article.published is not None:
            fx_on = self.article.published
        elif a.decision_date:
            fx_on = date(int(a.decision_date[:4]), int(a.decision_date[5:7]) if len(a.decision_date) >= 7 else 1, 1)
        else:
            fx_on = None
        amount = a.amount if a.amount is not None else None
        a.amount_eur = to_eur(amount, a.currency, fx_on)
        a.fx_date = fx_on if a.amount_eur is not None and a.currency != "EUR" else None

    def _mentions(self, actions: list[Candidate], all_cands: list[Candidate]) -> list[Mention]:
        aid = self.article.article_id
        owner: dict[tuple[str, int, int], str] = {}
        for c in actions:
            for key in c.mentions:
                owner.setdefault(key, c.action.action_id)
            if c.action.action_type == "order":
                owner.setdefault(("order", c.action.anchor_start, c.action.anchor_end), c.action.action_id)
        out: list[Mention] = []
        for r in self.regs:
            if r.kind == "anaphor":
                continue
            out.append(Mention(aid, "regulator", r.text, r.char_start, r.char_end, r.reg_id or r.country, r.kind,
                               action_id=owner.get(("regulator", r.char_start, r.char_end))))
        for t in self.targets:
            out.append(Mention(aid, "target", t.text, t.char_start, t.char_end, self.best_name(t.key), None,
                               action_id=owner.get(("target", t.char_start, t.char_end))))
        for m in self.moneys:
            mm = m.money
            out.append(Mention(aid, "money", mm.text, mm.start, mm.end, f"{mm.value_text} {mm.currency or ''}".strip(),
                               m.role or "unknown", mm.figure, mm.currency, owner.get(("money", mm.start, mm.end))))
        for s, e, sp, v, dl in self.dates:
            if v is None:
                continue
            out.append(Mention(aid, "date", sp.text, sp.start_char, sp.end_char, v.value,
                               dl or "date", action_id=owner.get(("date", sp.start_char, sp.end_char))))
        for c in actions:
            a = c.action
            if a.action_type == "order" and a.order_text:
                out.append(Mention(aid, "order", a.order_text, a.anchor_start, a.anchor_end, a.deadline, "order",
                                   action_id=a.action_id))
        for law in self.laws:
            out.append(Mention(aid, "legal_basis", law.text, law.start_char, law.end_char, law.id_, None))
        # one row per (kind, span)
        seen, unique = set(), []
        for m in out:
            k = (m.kind, m.char_start, m.char_end)
            if k not in seen:
                seen.add(k)
                unique.append(m)
        return unique


def _target_key(name: str) -> str:
    """Names of one organisation share a key: its first significant word ("Clearview AI" ~ "Clearview").

    >>> _target_key("Clearview AI"), _target_key("the Meta Platforms Ireland"), _target_key("H&M")
    ('clearview', 'meta', 'h&m')
    """
    words = [w for w in re.findall(r"[\w&.'-]+", name.casefold()) if w not in ("the", "a", "an")]
    return words[0].strip(".'") if words else ""


def _compatible(a: str | None, b: str | None) -> bool:
    return not a or not b or a == b


def _same_regulator(a: Action, b: Action) -> bool:
    """Same body, or one side knows only the country and it agrees."""
    if a.regulator_id and b.regulator_id:
        return a.regulator_id == b.regulator_id
    return _compatible(a.regulator_country, b.regulator_country)


def _same_action(a: Action, b: Action) -> bool:
    if a.action_type != b.action_type:
        return False
    if (a.amount, a.currency, a.amount_min, a.amount_max, a.per_period) != (b.amount, b.currency, b.amount_min, b.amount_max, b.per_period):
        return False
    if a.action_type == "order":
        if a.deadline != b.deadline and a.deadline and b.deadline:
            return False
        if a.decision_date and b.decision_date and a.decision_date[:7] != b.decision_date[:7]:
            return False  # the same measure ordered again a year later is a second order
        if not _compatible(a.regulator_id, b.regulator_id) or not _compatible(_target_key(a.target or ""), _target_key(b.target or "")):
            return False
        return bool(a.deadline and a.deadline == b.deadline) or _same_measure(a.order_text, b.order_text)
    reg_a = a.regulator_id or a.regulator_country
    reg_b = b.regulator_id or b.regulator_country
    if a.amount is None and a.amount_min is None and (not reg_a or not reg_b):
        return False
    return _same_regulator(a, b) and _compatible(_target_key(a.target or ""), _target_key(b.target or ""))


def _has_amount(a: Action) -> bool:
    return a.amount is not None or a.amount_min is not None


def _same_party(a: Action, b: Action) -> bool:
    """Same regulator (or a compatible country) and a compatible target."""
    return _same_regulator(a, b) and _compatible(_target_key(a.target or ""), _target_key(b.target or ""))


def _fold(cands: list[Candidate], home_of) -> list[Candidate]:
    """The candidates left once each is absorbed into the home ``home_of`` finds for it (``None``: it stays)."""
    kept = []
    for c in cands:
        home = home_of(c)
        if home is None:
            kept.append(c)
        else:
            _absorb(home, c)
    return kept


def _same_measure(a: str | None, b: str | None) -> bool:
    """Two wordings of one measure: the same verb and at least two more words in common.

    >>> _same_measure("run a six-month information campaign on radio", "run a public information campaign")
    True
    >>> _same_measure("stop processing the data", "delete the data")
    False
    """
    wa, wb = re.findall(r"[\w-]+", (a or "").lower()), re.findall(r"[\w-]+", (b or "").lower())
    if not wa or not wb or wa[0] != wb[0]:
        return False
    common = {w for w in wa[1:] if len(w) > 3} & {w for w in wb[1:] if len(w) > 3}
    return len(common) >= 2 or (a or "")[:20] == (b or "")[:20]


def _absorb(home: Candidate, other: Candidate) -> None:
    """Fill what ``home`` lacks from ``other``; keep the most advanced status."""
    a, b = home.action, other.action
    better_reg = (not home.explicit_regulator and other.explicit_regulator)
    for f in ("regulator_id", "regulator", "regulator_country"):
        if getattr(a, f) is None or better_reg:
            if getattr(b, f) is not None:
                setattr(a, f, getattr(b, f))
    if (a.target is None or (not home.explicit_target and other.explicit_target)) and b.target:
        a.target = b.target
    for f in ("decision_date", "order_text", "deadline", "deadline_date"):
        if getattr(a, f) is None and getattr(b, f) is not None:
            setattr(a, f, getattr(b, f))
            if f == "decision_date":
                a.date_precision = b.date_precision
    if STATUS_RANK[b.status] > STATUS_RANK[a.status]:
        a.status = b.status
    a.legal_basis = list(dict.fromkeys(a.legal_basis + b.legal_basis))
    a.confidence = max(a.confidence, b.confidence)
    home.explicit_regulator |= other.explicit_regulator
    home.explicit_target |= other.explicit_target
    home.mentions.extend(other.mentions)
