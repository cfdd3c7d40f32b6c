"""Sanction frames: a trigger word and the roles its sentence's parse binds to it.

A frame is what one action word says: "The CNIL fined Clearview AI €20 million" is the frame of "fined" with the
agent "CNIL", the patient "AI" (the head of "Clearview AI") and the money "million" (the last token of "€20
million", which :class:`pipeline.nlp.FrameParser` parses as one word). The patterns that bind roles are data
(``rules/frames.jsonl``): each is a path in the dependency tree from the trigger to one role, written and validated
as a spaCy DependencyMatcher pattern and matched by walking the parse from each trigger (:func:`walk`, held to the
matcher's results by tests/test_frames.py). This module only finds the frames; what their roles name (a regulator,
a target, an amount) is read by the stages after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from spacy.matcher import DependencyMatcher
from spacy.tokens import Doc, Token
from spacy.vocab import Vocab

from .rules import (ACTION_CLASSES, AMOUNT_CLASSES, FRAME_CLASSES, STATUS_CLASSES, FramePattern, Rules, RulesError,
                    anchor_word)
from .story import idiom_tokens

VERB_TAGS = ["VB", "VBD", "VBG", "VBN", "VBP", "VBZ"]
NOUN_TAGS = ["NN", "NNS", "NNP", "NNPS"]
# What part of speech an anchor of each trigger class must have: the tagger tells "fined" (verb) from "fine"
# (noun) and "orders" (verb) from "orders" (noun).
CLASS_TAGS = {"verb": VERB_TAGS, "settle": VERB_TAGS, "noun": NOUN_TAGS, "modal": ["MD"], "impose": VERB_TAGS,
              "seek": VERB_TAGS, "grant": VERB_TAGS}
# The tagger often calls "fine" an adjective or adverb after other modifiers ("a €5 million data protection fine":
# JJ); in a noun's place in the tree it is the noun.
NOMINAL_DEPS = {"nsubj", "nsubjpass", "dobj", "pobj", "conj", "appos", "attr", "dative", "ROOT", "npadvmod", "oprd"}

if not Token.has_extension("frame"):
    Token.set_extension("frame", default=None)


@dataclass
class Frame:
    """One trigger and what its patterns bound: role -> token offsets in the Doc, in the order found."""

    trigger: int
    cls: str  # the trigger class (rules/triggers.tsv): verb, noun, settle, modal
    action: str  # the action type its words give
    roles: dict[str, list[int]] = field(default_factory=dict)
    statuses: list[str] = field(default_factory=list)  # statuses the matching patterns set, in file order
    patterns: list[str] = field(default_factory=list)  # ids of the patterns that matched, for evidence and tests

    def first(self, role: str) -> int | None:
        found = self.roles.get(role)
        return found[0] if found else None


_TOKEN_ATTRS = {"DEP": "dep_", "TAG": "tag_", "LOWER": "lower_"}  # what rules/frames.jsonl may test
_STEPS: dict[str, Callable[[Token], Iterable[Token]]] = {  # the DependencyMatcher operators it may use
    ">": lambda t: t.children,
    "<": lambda t: (t.head,) if t.head.i != t.i else (),
    ">>": lambda t: (d for d in t.subtree if d.i != t.i),
    "<<": lambda t: t.ancestors,
}


def walk(doc: Doc, trig: int, p: FramePattern) -> list[tuple[int, ...]]:
    """The matches of a pattern anchored on the trigger at ``trig``, as spaCy's DependencyMatcher finds them: each
    the token offsets of the path's nodes, the trigger first, in order. (A node may be a token already on the path,
    as in the matcher.)"""
    t0 = doc[trig]
    if not _fits(t0, p.when) or any(not any(_fits(t, a) for t in _STEPS[op](t0)) for op, a in p.also):
        return []
    paths: list[tuple[int, ...]] = [(trig,)]
    for op, attrs in p.path:
        paths = [path + (t.i,) for path in paths for t in _STEPS[op](doc[path[-1]]) if _fits(t, attrs)]
    return sorted(paths)


def _fits(tok: Token, attrs: dict) -> bool:
    """Whether a token has the attributes a pattern's node asks for: a value, or {"IN": [values]}."""
    for attr, want in attrs.items():
        have = getattr(tok, _TOKEN_ATTRS[attr])
        if have not in want["IN"] if isinstance(want, dict) else have != want:
            return False
    return True


def _node(attrs: dict, name: str, left: str | None, op: str | None) -> dict:
    node: dict[str, Any] = {"RIGHT_ID": name, "RIGHT_ATTRS": attrs}
    if left is not None:
        node.update({"LEFT_ID": left, "REL_OP": op})
    return node


class FrameFinder:
    """Compiles the frame patterns once; called on a parsed Doc, returns its frames in text order."""

    def __init__(self, vocab: Vocab, rules: Rules):
        self.rules, self.vocab = rules, vocab
        # The patterns are spaCy DependencyMatcher patterns, compiled here (the reference their matches are tested
        # against, tests/test_frames.py); a Doc is matched by walking the parse from each trigger (walk below):
        # the matcher tests every node of every pattern on every word, most of the extractor's time.
        self.reference = DependencyMatcher(vocab, validate=True)
        self.patterns: dict[int, FramePattern] = {}
        self.by_class: dict[str, list[int]] = {cls: [] for cls in FRAME_CLASSES}  # the patterns a class anchors
        self.order: dict[int, int] = {}  # pattern key -> its line in rules/frames.jsonl
        # The last word of each multi-word action form, by class: what a pattern's anchor may be.
        self.words: dict[str, set[str]] = {t.cls: set() for t in rules.triggers}
        self.kind: dict[tuple[str, ...], str] = {}  # an action phrase's words -> its action type
        for t in rules.triggers:
            for form in t.forms:
                self.words[t.cls].add(anchor_word(form))
                if t.cls in ACTION_CLASSES:
                    words = form.split()
                    # the words up to the anchor: "limitation on processing" is told by "limitation"
                    self.kind[(t.cls, *words[:words.index(anchor_word(form)) + 1])] = t.action
        self.longest = max((len(k) - 1 for k in self.kind), default=1)
        self.anchors = set().union(*(self.words.get(cls, set()) for cls in FRAME_CLASSES))
        errors = []
        for p in rules.frames:
            key = vocab.strings.add(p.id)
            self.patterns[key] = p
            self.order[key] = len(self.order)
            anchor = {"_": {"frame": {"IN": list(p.trigger)}}, **p.when}
            nodes = [_node(anchor, "trigger", None, None)]
            prev = "trigger"
            for k, (op, attrs) in enumerate(p.path):
                nodes.append(_node(attrs, f"n{k}", prev, op))
                prev = f"n{k}"
            for k, (op, attrs) in enumerate(p.also):
                nodes.append(_node(attrs, f"also{k}", "trigger", op))
            unread = {a for attrs in (p.when, *(a for _, a in p.path), *(a for _, a in p.also)) for a in attrs} - \
                set(_TOKEN_ATTRS) | {op for op, _ in (*p.path, *p.also)} - set(_STEPS)
            if unread:
                errors.append(f"frames.jsonl: pattern {p.id!r} uses {sorted(unread)}; the frames read only "
                              f"{sorted(_TOKEN_ATTRS)} and the operators {sorted(_STEPS)}")
            try:  # every pattern is a valid DependencyMatcher pattern: spaCy's validation names a bad attribute
                self.reference.add(p.id, [nodes])
            except ValueError as exc:
                errors.append(f"frames.jsonl: pattern {p.id!r} does not compile: {exc}")
            for cls in p.trigger:
                if cls in self.by_class:  # a status class ("@appeal") anchors nothing of its own
                    self.by_class[cls].append(key)
        if errors:
            raise RulesError("\n".join(errors))

    def __call__(self, doc: Doc) -> list[Frame]:
        """The frames of ``doc``: one per trigger token of an action class in a parsed sentence."""
        frames: dict[int, Frame] = {}
        # "in order to", "fine print": an action word inside a fixed expression anchors nothing
        idioms = idiom_tokens(doc)
        for t in doc:
            # The other sentences have flat trees (pipeline.nlp.FrameParser): their words have no tag.
            if t.lower_ not in self.anchors or not t.tag_ or t.i in idioms:
                continue
            cls = self._class(t)
            action = self._action(t, cls) if cls is not None else None
            if cls is not None and action is not None:  # (an action always has its class)
                frames[t.i] = Frame(t.i, cls, action)
        if frames:
            for key in sorted({k for f in frames.values() for k in self.by_class[f.cls]}, key=self.order.__getitem__):
                p = self.patterns[key]
                for i in sorted(i for i, f in frames.items() if f.cls in p.trigger):
                    for path in walk(doc, i, p):
                        self._bind(doc, frames, p, i, list(path))
            _object_relatives(doc, frames)
            _inherit_agents(doc, frames)
        return [frames[i] for i in sorted(frames)]

    def _class(self, t: Token) -> str | None:
        """The action class of a token that can anchor a frame, or ``None``."""
        low = t.lower_
        for cls in FRAME_CLASSES:
            if low in self.words.get(cls, ()) and (t.tag_ in CLASS_TAGS[cls] or cls == "noun" and t.dep_ in NOMINAL_DEPS
                                                   and not t.tag_.startswith("VB")):
                return cls
        return None

    def _action(self, t: Token, cls: str) -> str | None:
        """The action type of the longest action phrase that ends with ``t`` ("consent decree": settlement), or
        ``None`` when the word is only the end of a phrase that is not there ("payments" without "penalty")."""
        doc = t.doc
        for n in range(min(self.longest, t.i + 1), 0, -1):
            words = tuple(w.lower_ for w in doc[t.i - n + 1:t.i + 1] if not w.is_space)
            hit = self.kind.get((cls, *words)) or self.kind.get((cls, *[w for w in words if w != "-"]))
            if hit:
                return hit
        if cls in AMOUNT_CLASSES:
            return "fine"  # the amount an authority imposes or seeks is a fine
        return None

    def _bind(self, doc: Doc, frames: dict[int, Frame], p: FramePattern, trig: int, toks: list[int]) -> None:
        frame = frames.get(trig)
        if frame is None:
            return
        if p.voice != "any" and (p.voice == "passive") != _passive(doc[trig]):
            return
        bound = toks[len(p.path)]
        if bound == trig:
            return
        if p.path[0][0] == "<" and doc[bound].dep_ in ("nsubj", "nsubjpass") and doc[bound].head.i != trig and \
                any(c.dep_ in ("nsubj", "nsubjpass") for c in doc[trig].children):
            return  # a subject shared from the verb above, when the trigger has one of its own
        found = frame.roles.setdefault(p.binds, [])
        if bound not in found:
            found.append(bound)
        if p.sets and p.sets not in frame.statuses:
            frame.statuses.append(p.sets)
        if p.id not in frame.patterns:
            frame.patterns.append(p.id)


def _object_relatives(doc: Doc, frames: dict[int, Frame]) -> None:
    """ "the €14.5 million fine that the Berlin authority imposed on Deutsche Wohnen": the model does not parse an
    object relative clause (it hangs "imposed" under "authority"). When an imposing verb's clause opens with
    "that"/"which" right after an action noun (or the amount before one), the verb's agent and patient are that
    noun's, and the verb is no frame of its own. Read from the words' order, so the patterns' ids record it."""
    for i, f in list(frames.items()):
        if f.cls != "impose":
            continue
        sent = doc[i].sent
        rel = next((t for t in reversed(doc[sent.start:i]) if t.lower_ in ("that", "which")), None)
        if rel is None or rel.i == sent.start or any(t.tag_.startswith("VB") for t in doc[rel.i + 1:i]):
            continue
        noun = frames.get(rel.i - 1)
        if noun is None or noun.cls != "noun":
            continue
        for role in ("agent", "patient"):
            for t in f.roles.get(role, []):
                if t not in noun.roles.setdefault(role, []):
                    noun.roles[role].append(t)
        noun.patterns.append("relative.imposed")
        del frames[i]


def _inherit_agents(doc: Doc, frames: dict[int, Frame]) -> None:
    """ "would ban Avast from selling ..., and would require it to delete ...": a coordinated action verb with no
    agent of its own shares the agent of the one it is coordinated with."""
    for i, f in frames.items():
        t = doc[i]
        if f.cls != "verb" or "agent" in f.roles or t.dep_ != "conj" or _passive(t):
            continue
        head = frames.get(t.head.i)
        if head is not None and head.cls == "verb" and "agent" in head.roles:
            f.roles["agent"] = list(head.roles["agent"])
            f.patterns.append("inherited.agent")


def _passive(t: Token) -> bool:
    """ "was fined", "has been banned": the trigger has a passive auxiliary or a passive subject; or it has a "by"
    agent, as a headline drops the auxiliary ("British Airways fined £20m by ICO")."""
    if any(c.dep_ in ("auxpass", "nsubjpass") or c.dep_ in ("prep", "agent") and c.lower_ == "by" and
           any(g.dep_ == "pobj" and not g.like_num for g in c.children) for c in t.children):
        return True
    # "Alibaba fined 18.228 billion yuan": a headline's "fined" whose only object is an amount is a passive too
    objects = [c for c in t.children if c.dep_ in ("dobj", "dative")]
    return t.tag_ in ("VBD", "VBN") and t.dep_ == "ROOT" and bool(objects) and \
        all(c.tag_ == "CD" and c.i in _money_tokens(t.doc) for c in objects) and \
        any(c.dep_ == "nsubj" and not _is_regulator(c) for c in t.children)


def _money_tokens(doc: Doc) -> set[int]:
    return {i for sp in doc.spans.get("money", []) for i in range(sp.start, sp.end)}


def _is_regulator(t: Token) -> bool:
    return any(sp.label_ in ("REG", "COUNTRY") and sp.start <= t.i < sp.end or sp.label_ == "CUE_reg_noun" and
               sp.end == t.i + 1 for sp in t.doc.spans.get("rules", []))


def status_class(rules: Rules, word: str) -> str | None:
    """The status a status verb gives ("appealed" -> appealed), for code that reads those verbs outside a pattern."""
    for t in rules.triggers:
        if t.cls in STATUS_CLASSES and word.lower() in t.forms:
            return t.action
    return None
