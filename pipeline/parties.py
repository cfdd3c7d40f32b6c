"""The parties a story names, and the party a frame's patient token stands for.

Names come from the model's entities (ORG, PERSON) and from what the model misses: a run of capitalised or
all-capital words ending in a legal form ("NORDIC TELECOM, S.L.", "Alpha Beta s.r.l.", "KAPPA Sp. z o.o."), an
all-capital run of two words or more ("PLUS ALPHA MARKETING"), and a capitalised run the story repeats. A patient
token resolves to the name it belongs to, to the antecedent of a pronoun ("he", "it", "they", "which"), to the
story's main party for "the company", or else to its own noun phrase ("a hotel chain", "a school teacher"), and says
which kind it is (:data:`KINDS`).
"""

from __future__ import annotations

import calendar
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache

from spacy.tokens import Span, Token

from .regulators import COURT_WORDS, phrase_bounds
from .story import Story, legal_key

KINDS = ("organisation", "person", "description")
_CALENDAR = {*calendar.day_name, *calendar.month_name, *calendar.day_abbr, *calendar.month_abbr} - {""}
# Lower-case words that may stand inside a name: "Bank of New York", "Banco de Sabadell", "Marks & Spencer".
_NAME_PARTICLES = {"of", "and", "&", "de", "del", "della", "di", "du", "des", "der", "von", "van", "la", "le", "y",
                   "e", "-", "'s", "’s"}
_PERSONAL = {"he": "person", "him": "person", "she": "person", "her": "person", "it": "organisation",
             "they": None, "them": None}
_RELATIVE = {"which", "that", "who", "whom"}


@dataclass
class Name:
    """A named party: an entity of the model, or a name it missed."""

    start: int
    end: int
    text: str
    char_start: int
    char_end: int
    key: str
    label: str = "ORG"  # ORG | PERSON | NAME (found by the rules)

    @property
    def kind(self) -> str:
        return "person" if self.label == "PERSON" else "organisation"


@dataclass
class Party:
    """What a patient token stands for: the name or words to report and their kind."""

    text: str
    kind: str  # organisation | person | description
    key: str
    start: int  # token offsets of the words in the text (of the antecedent, for a pronoun)
    end: int
    explicit: bool = True  # named in the frame's own sentence, not taken from the story


def target_key(name: str) -> str:
    """Names of one organisation share a key: its first significant word ("Clearview AI" ~ "Clearview").

    >>> target_key("Clearview AI"), target_key("the Meta Platforms Ireland"), target_key("H&M")
    ('clearview', 'meta', 'h&m')
    """
    words = [w for w in re.findall(r"[\w&.'-]+", name.casefold()) if w not in ("the", "a", "an")]
    return words[0].strip(".'") if words else ""


# -- names ---------------------------------------------------------------------------------------------------------

def find_names(story: Story) -> None:
    """Fill ``story.names``, sorted by position."""
    # Tokens of regulators and laws are never part of a party's name; a country inside a longer name is ("British
    # Airways").
    blocked = {i for sp in (*story.regs, *story.laws, *story.doc.spans.get("dateline", []))
               for i in range(sp.start, sp.end)}
    found = _entities(story, blocked)
    ruled = _legal_names(story, blocked) + _capital_runs(story, blocked)
    # A rule-found name that covers more of the words wins over the entity inside it ("NORDIC TELECOM, S.L." over
    # "NORDIC TELECOM"); an entity that is not inside one stays.
    taken = {i for n in ruled for i in range(n.start, n.end)}
    found = [n for n in found if not taken & set(range(n.start, n.end))] + ruled
    found += _recurring_names(story, blocked, found)
    _one_word_persons(story, found)
    doc = story.doc
    # "the Microsoft-backed company", "a Paris-based bank": a name inside a modifier describes the party, is not it
    found = [n for n in found if not (n.end + 1 < len(doc) and doc[n.end].text == "-" and doc[n.end + 1].is_lower)]
    story.names = sorted(found, key=lambda n: n.start)


def _one_word_persons(story: Story, names: list[Name]) -> None:
    """News names a person in full before it uses the surname alone ("Tim Cook ... Cook said"), or with a title
    ("Mr Cook"). A one-word PERSON entity with neither is the model's misreading of a company ("fined Meta"): an
    organisation, so "it" can refer to it."""
    doc = story.doc
    surnames = {doc[n.end - 1].lower_: n.key for n in names if n.label == "PERSON" and n.end - n.start > 1}
    for n in names:
        if n.end - n.start != 1:
            continue
        if doc[n.start].lower_ in surnames:
            # "Grossman is charged" read as an organisation after "Israel G. Grossman"; and one person, one key
            n.label, n.key = "PERSON", surnames[doc[n.start].lower_]
        elif n.label == "PERSON" and not (
                n.start > 0 and doc[n.start - 1].lower_.rstrip(".") in story.lex["person_title"]):
            n.label = "ORG"


def _name(story: Story, span: Span, label: str) -> Name:
    text = span.text.strip()
    return Name(span.start, span.end, text, span.start_char, span.end_char, target_key(text), label)


def _entities(story: Story, blocked: set[int]) -> list[Name]:
    doc, out = story.doc, []
    for ent in doc.ents:
        if ent.label_ not in ("ORG", "PERSON"):
            continue
        # NER sometimes runs the end of a line (a headline, a paragraph) into the next sentence: keep the part
        # after the last sentence start. A line wrapped at a fixed width starts none ("Judge Robert|Sweet").
        cut = max((k for k, t in enumerate(ent) if k and t.is_sent_start), default=None)
        span = ent if cut is None else doc[ent.start + cut:ent.end]
        money_in = [m for m in range(span.start, span.end) if m in story.money_toks]
        if money_in:  # "Klarna SEK 7.5 million" tagged as one ORG: the name ends where the amount begins
            span = doc[span.start:min(money_in)]
        if span.start > 0 and doc[span.start - 1].text == "<" or span.end < len(doc) and doc[span.end].text == ">":
            continue  # a newswire ticker, "Occidental Petroleum Corp <OXY>": the name is the words before it
        while len(span) and span[0].lower_ in ("the", "a", "an"):
            span = span[1:]
        while len(span) and (span[-1].text in ("'s", "’s", "'", "’", ",") or span[-1].text.endswith(">")):
            span = span[:-1]  # a possessive, or a newswire ticker ("Occidental Petroleum Corp <OXY>")
        while len(span) and span[-1].text in ("<", "(") or len(span) and span[0].text in ("<", ">"):
            span = span[:-1] if span[-1].text in ("<", "(") else span[1:]
        inside = [i for i in range(span.start, span.end) if i in blocked]
        if inside and inside[0] - 1 > span.start and doc[inside[0] - 1].text in _SEPARATORS:
            span = doc[span.start:inside[0] - 1]  # "Meta Platforms Ireland Limited - Data Protection Commission":
            # two names the model ran together across a dash; the party is the one before it
        if not len(span) or any(i in blocked for i in range(span.start, span.end)):
            continue
        text = span.text.strip()
        if text.casefold() in story.lex["not_target"] or text.casefold() in story.lex.country_names or len(text) < 2:
            continue
        if any(t.lower_ in COURT_WORDS for t in span):
            continue  # courts decide, they are not sanctioned ("Court of Justice"); a ministry or an agency may be
        out.append(_name(story, span, ent.label_))
    return out


@lru_cache(maxsize=4)
def _first_words(forms: tuple[str, ...]) -> frozenset[str]:
    return frozenset(legal_key(f.split()[0]) for f in forms)


def _legal_form_at(story: Story, i: int) -> int:
    """The end of a legal form starting at token ``i`` ("Sp." "z" "o.o." is one), else ``i``."""
    doc, best = story.tokens, i
    if legal_key(doc[i].text) not in _first_words(tuple(story.rules.legal_forms)):
        return i  # the common case, answered without trying every form
    for form in story.rules.legal_forms:
        end = i
        for written in form.split():
            p = legal_key(written)
            # ", Ltd." of "Co., Ltd.": a comma between the parts of one form
            while end < len(doc) and doc[end].text == "," and p != ",":
                end += 1
            text = doc[end].text if end < len(doc) else ""
            if end >= len(doc) or legal_key(text) != p or len(p) <= 4 and "." not in form and \
                    not text.isupper() and not text.istitle() and text != written:
                break  # "AS", "SA", "AB" only as written in capitals or in the rules ("Hafslund AS", "GmbH"), not
                # the words "as", "sa"
            end += 1
        else:
            best = max(best, end)
    return best


def has_legal_form(story: Story, n: Name) -> bool:
    """Whether a legal form stands among the name's words ("Wheeling Steel Corp", "KAPPA Sp. z o.o.")."""
    return any(_legal_form_at(story, k) > k for k in range(n.start, n.end))


_SEPARATORS = frozenset({"-", "–", "—", ",", "(", ":", ";", "/"})
_NUMBERED_NAME = re.compile(r"[0-9]+(&[0-9]+|[A-Z][A-Za-z]*)")
_DOMAIN_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*(\.[a-z0-9-]+)*\.[a-z]{2,6}$")


def _name_token(t: Token) -> bool:
    """A word that can be part of a name: capitalised, a number joined to a capital or another number ("3M",
    "1&1"), or a brand written in lower case as a web address or with an inner capital ("notebooksbilliger.de AG",
    "eBay Inc")."""
    text = t.text
    if text[:1].isupper():
        return any(c.isalpha() for c in text)
    if _NUMBERED_NAME.fullmatch(text):
        return True  # "1&1 Telecom GmbH", "3M Co"
    if text.islower() and "." not in text:
        return False  # most words: answered without the patterns below
    return any(c.isalpha() for c in text) and (bool(_DOMAIN_NAME.match(text)) or
                                               t.is_alpha and any(c.isupper() for c in text[1:]))


def _legal_names(story: Story, blocked: set[int]) -> list[Name]:
    """Capitalised runs that end in a legal form: "Alpha Beta s.r.l.", "NORDIC TELECOM, S.L.", "KAPPA Sp. z o.o."."""
    doc, toks, out = story.doc, story.tokens, []
    firsts = _first_words(tuple(story.rules.legal_forms))
    i = 1
    while i < len(toks):
        if legal_key(toks[i].text) not in firsts or i in story.money_toks:
            i += 1
            continue
        end = _legal_form_at(story, i)
        if end == i:
            i += 1
            continue
        j = i - 1
        if doc[j].text == "," and j > 0 and _name_token(doc[j - 1]):
            j -= 1  # "NORDIC TELECOM, S.L."
        start = j + 1
        while j >= 0 and j not in blocked and j not in story.money_toks and j not in story.cue_toks and (
                _name_token(doc[j]) and not (doc[j].is_stop and doc[j].is_title and (j == 0 or doc[j].is_sent_start))
                or doc[j].lower_ in _NAME_PARTICLES and j > 0 and _name_token(doc[j - 1])
                or doc[j].is_space and "\n\n" not in doc[j].text and j > 0 and _name_token(doc[j - 1])):
            start = j  # a line break inside a name wrapped at a fixed width is part of it
            if doc[j].is_sent_start:
                break
            j -= 1
        if start <= i - 1 and _name_token(doc[start]):
            out.append(_name(story, doc[start:end], "NAME"))
        i = end
    return out


def _capital_runs(story: Story, blocked: set[int]) -> list[Name]:
    """All-capital runs of two words or more outside an all-capital line: "PLUS ALPHA MARKETING"."""
    doc, out = story.doc, []
    skip = blocked | story.money_toks | story.cue_toks | {i for c in story.countries for i in range(c.start, c.end)}
    for sent in story.sents:
        words = [t for t in sent if t.is_alpha]
        if not words or sum(t.is_upper for t in words) * 2 > len(words):
            continue  # a headline in capitals: every word is upper case
        run: list[Token] = []
        for t in (*sent, None):
            if t is not None and t.i not in skip and \
                    (t.is_upper and t.is_alpha and len(t) >= 2 or run and t.text in ("&", "-")):
                run.append(t)
                continue
            while run and not run[-1].is_alpha:
                run.pop()
            if len(run) >= 2:
                out.append(_name(story, doc[run[0].i:run[-1].i + 1], "NAME"))
            run = []
    return out


def _recurring_names(story: Story, blocked: set[int], found: list[Name]) -> list[Name]:
    """Names the model missed but the story repeats: "Facebook" untagged in every sentence it opens, or tagged in
    one sentence and not in another.

    A run of capitalised words outside every entity and rule span counts when it also stands inside a sentence at
    least once (a capital there is a name, not the start of a sentence) and occurs twice or more.
    """
    doc, lex = story.doc, story.lex
    skip = set(blocked) | {i for sp in (*story.countries, *story.regions) for i in range(sp.start, sp.end)}
    skip |= {i for t in found for i in range(t.start, t.end)}
    skip |= {i for e in doc.ents if e.label_ not in ("ORG", "PERSON") for i in range(e.start, e.end)}
    skip |= story.cue_toks | story.money_toks
    runs: list[Span] = []
    toks = story.tokens
    i, n = 0, len(doc)
    while i < n:
        t = toks[i]
        if i in skip or not _name_token(t) or t.is_stop:
            i += 1
            continue
        j = i + 1
        while j < n and j not in skip and (toks[j].text[:1].isupper() or toks[j].text in ("&",)) \
                and not toks[j].is_sent_start and "\n" not in toks[j - 1].whitespace_:
            j += 1
        runs.append(doc[i:j])
        i = j
    by_text: dict[str, list[Span]] = {}
    # "General" of "General Court": a run cut short by a court or government word is part of that body's name
    runs = [r for r in runs if r.end >= n or doc[r.end].lower_ not in lex.non_target]
    for r in runs:
        if r[-1].lower_ not in lex.non_target and r.text.casefold() not in lex.country_names \
                and r.text not in _CALENDAR:
            by_text.setdefault(r.text, []).append(r)
    out: list[Name] = []
    labels = {name.text: name.label for name in found}
    for name in found:  # "notebooksbilliger.de AG ... notebooksbilliger.de said": the name without its legal form
        form = next((k for k in range(name.start + 1, name.end) if _legal_form_at(story, k) > k), None)
        if form is not None:
            labels.setdefault(doc[name.start:form].text.rstrip(" ,"), name.label)
    for text, spans in by_text.items():
        if text in labels:  # a mention of a name the model tagged elsewhere ("fined Meta ... Meta said")
            out.extend(_name(story, sp, labels[text]) for sp in spans)
        elif len(spans) >= 2 and any(not sp[0].is_sent_start for sp in spans):
            out.extend(_name(story, sp, "NAME") for sp in spans)
    return out


def best_name(story: Story, key: str, said: Name | None = None) -> str:
    # The fullest form the story introduces its party with, in its headline or first two sentences ("Clearview AI"
    # over "Clearview"); a longer form only later is most often something of the party's ("Google Search").
    opening = story.sents[min(2, len(story.sents) - 1)].end if story.sents else 0
    forms = Counter(t.text for t in story.names if t.key == key)
    early = {t.text for t in story.names if t.key == key and t.start < opening}
    # A form with a legal form is the party's own name ("Exxon Corp" over "Exxon Valdez", its tanker).
    legal = {t.text for t in story.names if t.key == key and has_legal_form(story, t)}
    best = max(forms, key=lambda f: (f in early, f in legal, len(f.split()) <= 6, len(f), forms[f])) if forms else key
    if said is not None and said.label != "PERSON" and not best.casefold().startswith(said.text.casefold()):
        return said.text  # names that only share a first word are two parties: "Google LLC", "Google Ireland Limited"
    return best


def ranking(story: Story) -> dict[str, float]:
    """Mentions per name key, people counting half (the company over the people quoted about it)."""
    counts: dict[str, float] = defaultdict(float)
    for t in story.names:
        counts[t.key] += 0.5 if t.label == "PERSON" else 1
    return counts


def main_target(story: Story, title_parties: list[Party], kinds: tuple[str, ...] = KINDS) -> str | None:
    """The party of ``kinds`` the story is about: the one its headline says was sanctioned, else the most mentioned
    (the title counting double, people half), when the story names it twice or in its title."""
    named = [p for p in title_parties if p.kind != "description" and p.kind in kinds]
    if named:
        return named[0].text
    counts = {k: n for k, n in ranking(story).items() if any(t.key == k and t.kind in kinds for t in story.names)}
    if not counts:
        return None
    title = story.text[:story.title_end()].casefold()
    for key in list(counts):
        if key and key in title:
            counts[key] += 2
    key = max(counts, key=counts.__getitem__)  # the first of the most mentioned, as Counter.most_common gives it
    # A name said once ("complained to the KZLD") is no evidence of what "the bank" refers to.
    said = sum(1 for n in story.names if n.key == key)
    return best_name(story, key) if said >= 2 or key in title else None


# -- the party of a patient token ---------------------------------------------------------------------------------

def party_at(story: Story, tok: Token, depth: int = 0) -> Party | None:
    """The party a frame's patient token names, or ``None`` (a regulator, a money amount, a word with no party)."""
    if depth > 3 or tok.i in story.money_toks:
        return None
    low = tok.lower_
    if low in _RELATIVE and tok.tag_ in ("WDT", "WP", "IN") and tok.head.dep_ in ("relcl", "acl"):
        return party_at(story, tok.head.head, depth + 1)  # "the bank, which was fined": the bank
    if low in _PERSONAL and tok.tag_ == "PRP":
        return _antecedent(story, tok)
    if any(r.start <= tok.i < r.end for r in story.regs if r.kind != "anaphor"):
        return None
    if any(sp.start <= tok.i < sp.end for sp in (*story.countries, *story.regions)) or \
            any(d.start <= tok.i < d.end for d in story.dates):
        return None  # "ordered the US ...", "fined X on Thursday": a place or a time is not a party
    lo, hi = phrase_bounds(tok)
    name = next((n for n in story.names if n.start <= tok.i < n.end), None)
    if name is None:  # "the Royal Bank of Scotland plc" headed by "plc"; not "Replika developer" (its developer)
        name = next((n for n in story.names if lo <= n.start and n.end <= hi and n.end >= tok.i and
                     not (n.end <= tok.i and doc_noun(story, tok))), None)
    if name is None:
        name = _appositive_name(story, tok)
    if name is not None:
        return Party(best_name(story, name.key, name), name.kind, name.key, name.start, name.end)
    definite = any(c.dep_ == "det" and c.lower_ in ("the", "this") for c in tok.children)
    if any(c.start == lo or c.start == lo + 1 for c in story.cues.get("target_ref", []) if c.end >= tok.i + 1) or \
            definite and low in story.lex.ref_heads and tok.tag_ == "NN":
        # "the company", and "the controversial facial recognition outfit": a known party, not a new one
        # "the company", "the firm": a name the story described with that noun ("investigating Occidental, a
        # U.S.-owned firm ... the firm could face a fine"), else the story's main party, else the organisation named
        # last in the two sentences before
        found = _described_as(story, tok.lower_, tok.i)
        if found is not None:
            return found
        if story.main_org:
            return Party(story.main_org, "organisation", target_key(story.main_org), lo, hi, explicit=False)
        found = named_before(story, tok.i, "organisation", company=True)
        if found is not None:
            return found
    if tok.tag_ in ("PRP", "PRP$", "DT", "EX", "WDT", "WP", "CD") or not tok.is_alpha or \
            low in ("days", "weeks", "months", "years", "day", "week", "month", "year"):
        return None
    if tok.lower_ in story.lex["no_party"]:
        owner = next((c for c in tok.children if c.dep_ == "poss"), None)  # "a ban on X's processing": X
        return party_at(story, owner, depth + 1) if owner is not None else None
    if tok.lower_ in COURT_WORDS or tok.lower_ in story.lex["instrument"]:
        return None  # "the court", "the decision": they decide; "both sides": no party at all
    following = next((n for n in story.names if n.start == tok.i + 1), None)
    if following is not None and tok.tag_ in ("NN", "NNS"):
        # "online electronics retailer Morele.net", "payments company Klarna": the name the noun introduces
        return Party(best_name(story, following.key, following), following.kind, following.key, following.start,
                     following.end)
    return _description(story, lo, hi, tok)


def doc_noun(story: Story, tok: Token) -> bool:
    """A common noun heads the phrase: the names before it only modify it."""
    return tok.tag_ in ("NN", "NNS") and tok.is_lower


def _appositive_name(story: Story, tok: Token) -> Name | None:
    """ "The subsidiary, Citizens First National Bank, pleaded guilty": the name in apposition."""
    for child in tok.children:
        if child.dep_ == "appos":
            name = next((n for n in story.names if n.start <= child.i < n.end), None)
            if name is not None:
                return name
    return None


def _description(story: Story, lo: int, hi: int, tok: Token) -> Party | None:
    """The words of a described party: "a hotel chain" -> "hotel chain", "a notary in Bucharest". A phrase of proper
    nouns the model did not tag is a name all the same ("Clearview AI" in a sentence where NER saw nothing)."""
    doc = story.doc
    while lo < tok.i and doc[lo].lower_ in ("a", "an", "the", "this", "that", "these", "those", "another", "one"):
        lo += 1
    if hi - lo > 8:  # a long phrase: the head with the words before it
        hi = tok.i + 1
    money = [i for i in range(tok.i + 1, hi) if i in story.money_toks]
    if money:  # "a hotel chain €30,000" parsed as one phrase: the party ends where the amount begins
        hi = money[0]
    words = doc[lo:hi]
    text = re.sub(r"\s*['’]s$", "", re.sub(r"\s+", " ", words.text).strip(" ,;:"))  # "X's processing": X
    if not text or not any(t.is_alpha for t in words) or text.startswith(("#", "@")):
        return None  # "#privacy": a hashtag names no party
    if doc[lo].lower_ in ("its", "their") and doc[lo].tag_ == "PRP$":
        # "its banking subsidiary": the subsidiary of the organisation "its" refers to
        owner = named_before(story, lo, "organisation")
        if owner is not None:
            text = f"{owner.text}'s {doc[lo + 1:hi].text}".strip()
    key = target_key(text)
    head = [t for t in doc[lo:tok.i + 1] if t.is_alpha]
    if head and all(t.tag_ in ("NNP", "NNPS") and t.text[:1].isupper() for t in head):
        known = next((n for n in story.names if n.key == key), None)
        if known is not None:
            return Party(best_name(story, key), known.kind, key, lo, hi)
        return Party(text, "organisation", key, lo, hi)
    return Party(text, "description", key, lo, hi)


def _antecedent(story: Story, tok: Token) -> Party | None:
    """The party a personal pronoun refers to: the last person ("he", "she") or organisation ("it") named in its
    sentence or the two before; for "it", else the subject of its sentence or the one before ("The organisation
    processed data even after the AEPD warned it"); for "they", first a plural subject of its own sentence ("Local
    police in Sweden made use of the system, something that they were fined for"); else the story's main party."""
    want = _PERSONAL[tok.lower_]
    si = story.sent_of(tok.i)
    if want is None:
        found = _subject_before(story, tok, story.sents[si].start, ("NNS", "NNPS")) or named_before(story, tok.i, want)
    elif want == "organisation":
        found = named_before(story, tok.i, want) or _subject_before(story, tok, story.sents[max(0, si - 1)].start,
                                                                    ("NN", "NNP"))
    else:
        found = named_before(story, tok.i, want)
    if found is not None:
        return found
    if want in ("organisation", None) and story.main_org:
        return Party(story.main_org, "organisation", target_key(story.main_org), tok.i, tok.i + 1,
                     explicit=False)
    return None


def _described_as(story: Story, noun: str, i: int) -> Party | None:
    """The last name before token ``i`` that the story put in apposition with ``noun`` ("Occidental, a U.S.-owned
    firm"), or ``None``."""
    doc = story.doc
    for n in reversed([n for n in story.names if n.end < i and n.kind == "organisation"]):
        words = [t for t in doc[n.end:min(n.end + 7, i)] if not t.is_space]
        if len(words) >= 3 and words[0].text == "," and words[1].lower_ in ("a", "an", "the") and \
                any(t.lower_ == noun for t in words[2:] if not t.is_punct):
            return Party(best_name(story, n.key, n), n.kind, n.key, n.start, n.end, explicit=False)
    return None


def named_before(story: Story, i: int, want: str | None, sentences: int = 2, company: bool = False) -> Party | None:
    """The last party of kind ``want`` (any when ``None``) named before token ``i``, in its sentence or the
    ``sentences`` before, that is not a regulator. For ``company`` ("the company"), a name with a legal form
    ("Wheeling Steel Corp") comes before a bare one, which may be a place or a product."""
    lo = story.sents[max(0, story.sent_of(i) - sentences)].start
    names = [n for n in story.names if lo <= n.start and n.end <= i and (want is None or n.kind == want)
             and not any(r.start <= n.start < r.end for r in story.regs)]
    if company:
        names = [n for n in names if has_legal_form(story, n)] or names
    if not names:
        return None
    n = names[-1]
    possessor = n.end < len(story.doc) and story.doc[n.end].text in ("'s", "’s")
    if possessor and want != "person" and story.main_org:
        # "on Facebook's owner, and told it to": "it" is the owner, the story's party, not Facebook
        return Party(story.main_org, "organisation", target_key(story.main_org), n.start, n.end, explicit=False)
    return Party(best_name(story, n.key, n), n.kind, n.key, n.start, n.end, explicit=False)


def _subject_before(story: Story, tok: Token, lo: int, tags: tuple[str, ...]) -> Party | None:
    """The last subject before ``tok``, or a party word such as "the company" in any role ("sent the company a
    notice of intention to fine it")."""
    subj = [t for t in story.doc[lo:tok.i] if (t.dep_ in ("nsubj", "nsubjpass") or t.lower_ in story.lex.ref_heads)
            and t.tag_ in tags and not any(r.start <= t.i < r.end for r in story.regs)]
    for t in reversed(subj):
        party = party_at(story, t, depth=3)
        if party is not None:
            return Party(party.text, party.kind, party.key, party.start, party.end, explicit=False)
    return None
