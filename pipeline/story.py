"""What every extraction stage reads of one article: its sentences, rule spans and word lists, built once.

The stages after it (:mod:`pipeline.regulators`, :mod:`pipeline.parties`, :mod:`pipeline.amounts`,
:mod:`pipeline.dates`, :mod:`pipeline.frames`) add what they find to the :class:`Story`; :mod:`pipeline.actions`
then reads it all to build the actions.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol, TypeVar

from spacy.tokens import Doc, Span, Token

from .records import Action, Article
from .rules import LEXICONS, Rules

if TYPE_CHECKING:  # the stages' records, for the fields below
    from .amounts import MoneyRef
    from .dates import DateRef
    from .parties import Name
    from .regulators import RegRef


def sentences(doc: Doc) -> list[Span]:
    """The Doc's sentences, listed once: walking ``doc.sents`` reads every token, and five stages need them.
    Sentence starts are final once the paragraph_breaks component has run (the parse keeps them, see
    :class:`pipeline.nlp.FrameParser`); a Doc that went through the pipeline gets its list there."""
    found = doc.user_data.get("sentences")
    if found is None:
        found = doc.user_data["sentences"] = list(doc.sents)
    return found


def idiom_tokens(doc: Doc) -> set[int]:
    """The tokens inside a fixed expression (``idiom`` in rules/cues.tsv: "in order to", "told reporters"): an
    action word there anchors no frame, so its sentence need not be parsed either."""
    return {i for sp in doc.spans.get("rules", []) if sp.label_ == "CUE_idiom" for i in range(sp.start, sp.end)}


class _Placed(Protocol):
    @property
    def start(self) -> int: ...


_P = TypeVar("_P", bound=_Placed)

HEADLINE_CHARS = 200  # a first line longer than this is a paragraph, not a headline


@dataclass(frozen=True)
class Lexicon:
    """The rule files' word lists, as the stages consult them; built once per run."""

    words: dict[str, frozenset[str]]  # lexicon name (rules/cues.tsv) -> its words
    ref_heads: frozenset[str]  # last words of the "the company"-style references
    non_target: frozenset[str]  # last words of names that decide rather than are sanctioned (courts, bodies)
    country_names: frozenset[str]  # every country name and adjective, case-folded
    legal_forms: frozenset[str]  # company legal forms, case-folded and without their dots ("sl", "inc")
    ref_regulator: frozenset[str]  # the body nouns of "the regulator", "the watchdog": a reference to the story's

    @classmethod
    def of(cls, rules: Rules) -> Lexicon:
        non_target = {p.lower() for c in rules.cues_of("non_target") for p in c.phrases}
        non_target |= {p.lower() for c in rules.cues_of("reg_noun") for p in c.phrases if " " not in p}
        return cls(
            words={name: rules.lexicon(name) for name in LEXICONS},
            ref_heads=frozenset(p.split()[-1].lower() for c in rules.cues_of("target_ref") for p in c.phrases),
            non_target=frozenset(non_target),
            country_names=frozenset(a.casefold() for name, aliases in rules.countries.values()
                                    for a in (name, *aliases)),
            legal_forms=frozenset(legal_key(f) for form in rules.legal_forms for f in form.split()),
            ref_regulator=frozenset(p.split()[-1].lower() for c in rules.cues_of("reg_ref") for p in c.phrases),
        )

    def __getitem__(self, name: str) -> frozenset[str]:
        return self.words[name]


def legal_key(word: str) -> str:
    """A legal form as compared: case-folded, dots and commas dropped ("S.L." ~ "SL" ~ "s.l").

    >>> legal_key("S.L."), legal_key("s.r.l"), legal_key("Inc.")
    ('sl', 'srl', 'inc')
    """
    return word.casefold().replace(".", "").replace(",", "")


@dataclass
class Story:
    """One article being read: the Doc, its sentences and rule spans, and what each stage found in it."""

    doc: Doc
    article: Article
    rules: Rules
    lex: Lexicon
    text: str = ""
    sents: list[Span] = field(default_factory=list)
    sent_starts: list[int] = field(default_factory=list)
    tokens: list[Token] = field(default_factory=list)  # doc[i] builds a new Token each call: loops index this
    cues: dict[str, list[Span]] = field(default_factory=dict)  # cue group -> spans ("action", "status", ...)
    laws: list[Span] = field(default_factory=list)
    cue_toks: set[int] = field(default_factory=set)
    money_toks: set[int] = field(default_factory=set)
    # filled by the stages
    regs: list[RegRef] = field(default_factory=list)
    countries: list[Span] = field(default_factory=list)
    regions: list[Span] = field(default_factory=list)
    domain: str | None = None
    names: list[Name] = field(default_factory=list)
    moneys: list[MoneyRef] = field(default_factory=list)
    dates: list[DateRef] = field(default_factory=list)
    main_target: str | None = None  # the party the story is about, of any kind
    main_org: str | None = None  # the organisation it is about: what "the company", "it" refer to

    @classmethod
    def read(cls, doc: Doc, article: Article, rules: Rules, lex: Lexicon) -> Story:
        story = cls(doc, article, rules, lex, text=doc.text)  # Doc.text joins every token: built once
        story.sents = sentences(doc)
        story.sent_starts = [s.start for s in story.sents]
        story.tokens = list(doc)
        for sp in doc.spans.get("rules", []):
            if sp.label_.startswith("CUE_"):
                story.cues.setdefault(sp.label_[4:], []).append(sp)
            elif sp.label_ == "LAW":
                story.laws.append(sp)
        story.cue_toks = {i for g in story.cues.values() for sp in g for i in range(sp.start, sp.end)}
        story.money_toks = {i for sp in doc.spans.get("money", []) for i in range(sp.start, sp.end)}
        return story

    # -- where things are ------------------------------------------------------------------------------------------
    def sent_of(self, token_i: int) -> int:
        return bisect_right(self.sent_starts, token_i) - 1

    def in_sent(self, items: Iterable[_P], si: int) -> list[_P]:
        s = self.sents[si]
        return [x for x in items if s.start <= x.start < s.end]

    def cues_in(self, group: str, si: int) -> list[Span]:
        return self.in_sent(self.cues.get(group, []), si)

    def words(self, start: int, end: int) -> list[str]:
        return [t.lower_ for t in self.doc[max(0, start):max(0, end)]]

    def title_end(self) -> int:
        """Character offset where the headline ends (0 when the text does not start with one). A record with no
        title of its own gets its first line as title: when that line is the whole text (a one-paragraph summary),
        or longer than a headline, there is no headline."""
        title = (self.article.title or "").strip()
        if title and len(title) <= HEADLINE_CHARS and self.text.lstrip().startswith(title) and \
                len(title) < len(self.text.strip()):
            return self.text.index(title) + len(title)
        return 0

    def negated(self, start: int) -> bool:
        """A negation cue in the five tokens before ``start``, inside its sentence ("did not fine", "no fine")."""
        lo = max(self.sents[self.sent_of(start)].start, start - 5)
        return any(lo <= n.start and n.end <= start for n in self.cues.get("negation", []))

    def hypothetical(self, start: int) -> bool:
        """ "the option of a further appeal", "whether it seeks to challenge": a possibility, not an event."""
        lo = max(self.sents[self.sent_of(start)].start, start - 4)
        return any(w in self.lex["hypothetical"] for w in self.words(lo, start))


@dataclass
class Candidate:
    """An action before merging, with the tokens that anchor it and how its parties were found."""

    action: Action
    sent_index: int
    start: int  # token offsets of the anchor (the amount, else the trigger)
    end: int
    explicit_regulator: bool = False  # bound by the frame or named in its sentence, not taken from the story
    explicit_target: bool = False
    reg: RegRef | None = None
    mentions: list[tuple[str, int, int]] = field(default_factory=list)  # (kind, char start, char end) it used


def gap(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
    """Tokens between two spans (0 when adjacent or overlapping).

    >>> gap(0, 2, 5, 6), gap(5, 6, 0, 2), gap(0, 4, 2, 3)
    (3, 3, 0)
    """
    if b_end <= a_start:
        return a_start - b_end
    if b_start >= a_end:
        return b_start - a_end
    return 0


def clause_root(tok: Token) -> Token:
    """The verb whose clause holds ``tok``: up the tree past nouns and prepositions to the first verb (or the root)."""
    t = tok
    while t.head.i != t.i and not (t.tag_.startswith("VB") and t.i != tok.i):
        t = t.head
    return t
