"""The status of an action: imposed, or threatened, proposed, appealed, reduced, annulled.

The frame's own grammar speaks first: a pattern that sets a status ("X faces a fine", "the SEC seeks a penalty",
"a notice of intention to fine", "appealed the fine"), a modal on the trigger or its support verb ("could be
fined": threatened; "said it would fine": proposed), a condition governing it ("will be fined €100,000 a day if it
fails to comply": threatened). Failing those, the status cue phrases of the sentence around the anchor decide
(:func:`cue_status`), and a later sentence's appeal carries back to the actions of its party
(:func:`carry_appeals`).
"""

from __future__ import annotations

from itertools import pairwise

from spacy.tokens import Token

from .frames import Frame
from .parties import target_key
from .story import Candidate, Story

THREAT_MODALS = frozenset({"could", "may", "might", "can"})
INTENT_MODALS = frozenset({"would", "will", "shall", "'ll"})
CONDITIONS = frozenset({"if", "unless"})
_SAYING = frozenset({"said", "says", "say", "told", "announced", "added"})
PROPOSED_WORDS = frozenset({"proposed", "draft", "provisional", "preliminary", "planned", "intended"})
INTENT_HEADS = frozenset({"intend", "intends", "intended", "plan", "plans", "planned", "propose", "proposes",
                          "proposed", "seek", "seeks", "sought", "want", "wants", "wanted", "aims", "aimed", "ask",
                          "asks", "asked", "request", "requests", "requested", "urge", "urges", "urged"})
# A frame whose word is one of these asserts what happened even under "will": "will pay $5m to settle".
_AGREED_CLASSES = ("settle",)


def frame_status(story: Story, frame: Frame, support: Token | None) -> str | None:
    """What the frame's grammar says of its status, or ``None`` when it says nothing."""
    if frame.statuses:
        return frame.statuses[0]
    if frame.cls == "seek":
        return "proposed"  # "the £27m the regulator proposed", "the penalty the agency seeks"
    trig = story.doc[frame.trigger]
    heads = [trig] + ([support] if support is not None else [])
    for verb in heads:
        modals = {c.lower_ for c in verb.children if c.dep_ == "aux" and c.tag_ == "MD"}
        if modals & THREAT_MODALS:
            return "threatened"
        if modals & INTENT_MODALS and frame.cls not in _AGREED_CLASSES and (support is None or support.lower_ not in
                                                                          story.rules.trigger_forms("pay", "agree")) \
                and not _under_instrument(story, verb):
            return "proposed"
    if _conditional(trig) or _awaited(trig):
        return "threatened"
    for verb in heads:  # "said it intended to impose a fine", "would ask the court to order it to pay a penalty"
        for _ in range(3):
            if verb.dep_ not in ("xcomp", "ccomp") or verb.head.i == verb.i:
                break
            verb = verb.head
            modals = {c.lower_ for c in verb.children if c.dep_ == "aux" and c.tag_ == "MD"}
            if verb.lower_ in INTENT_HEADS or modals & INTENT_MODALS and verb.lower_ not in _SAYING:
                return "proposed"
    if any(c.dep_ in ("amod", "compound") and c.lower_ in PROPOSED_WORDS for c in trig.children):
        return "proposed"  # "a proposed settlement", "the draft decision"
    return None


def _under_instrument(story: Story, verb: Token) -> bool:
    """The verb happens "under" a decision already taken: "will also be barred for life under the settlement",
    "must stop within 90 days under the order": a term of it, not an intention."""
    nouns = story.rules.trigger_forms("noun")
    return any(c.dep_ == "prep" and c.lower_ == "under" and any(
        g.dep_ == "pobj" and (g.lower_ in nouns or g.lower_ in story.lex["instrument"]) for g in c.children)
        for c in verb.children)


def _conditional(tok: Token) -> bool:
    """An "if"/"unless" clause attached to the trigger or a verb above it in its clause."""
    t = tok
    for _ in range(4):
        if any(c.dep_ == "advcl" and any(m.dep_ == "mark" and m.lower_ in CONDITIONS for m in c.children)
               for c in t.children):
            return True
        if t.head.i == t.i or t.dep_ in ("ccomp", "relcl", "advcl"):
            return False
        t = t.head
    return False


def _awaited(tok: Token) -> bool:
    """The action is the object of "pending" or "awaiting": something asked for, not yet imposed ("suspended its
    attacks pending the government's levy of a tax and an 800 mln dlrs fine on the company")."""
    t = tok
    for _ in range(4):
        if t.dep_ not in ("pobj", "conj", "dobj") or t.head.i == t.i:
            return False
        t = t.head
        if t.lower_ in ("pending", "awaiting"):
            return True
    return False


def generic(tok: Token) -> bool:
    """The trigger stands in a "when"/"whenever" clause: what happens in general, not an event ("it issues boilerplate
    responses when it is hit with fines")."""
    t = tok
    for _ in range(5):
        if t.dep_ == "advcl" and any(m.dep_ == "advmod" and m.lower_ in ("when", "whenever") and m.i < t.i
                                     for m in t.children):
            return True
        if t.head.i == t.i:
            return False
        t = t.head
    return False


def cue_status(story: Story, a0: int, a1: int, si: int) -> str:
    """The status the cue phrases nearest the anchor ``[a0, a1)`` give, else "imposed"."""
    best, best_d = "imposed", None
    for cue in story.cues_in("status", si):
        text = cue.text.lower()
        if cue.id_ == "appealed" and story.hypothetical(cue.start):
            continue
        if cue.end <= a0:
            d = a0 - cue.end
            if text in ("down from",) and d <= 2:
                continue  # "£20m, down from £183m": the amount after "down from" is the earlier one
        else:
            d = cue.start - a1
            if cue.id_ == "threatened" and text.split()[0] not in story.lex["conditional"]:
                continue  # after the amount only a condition threatens it ("if it fails"); "French faces" does not
            if cue.id_ == "reduced" and text == "down from" and d <= 2:
                return "reduced"
            if cue.id_ in ("reduced", "annulled") and d > 4:
                continue
        if d > (20 if cue.id_ == "appealed" and cue.start >= a1 else 12):
            continue  # "€1.49bn imposed in 2019 over ..., is still under challenge": the appeal comes late
        if best_d is None or d < best_d:
            best, best_d = cue.id_, d
    # "cut the fine to €4.125bn": a reduction verb before "to" + amount
    words = story.words(max(story.sents[si].start, a0 - 8), a0)
    if "to" in words[-2:] and any(w in story.lex["reduce_verb"] for w in words):
        return "reduced"
    return best


def carry_appeals(story: Story, si: int, candidates: list[Candidate], own: list[Candidate]) -> None:
    """ "Amazon said it would appeal" after the fine: the earlier actions of that party are appealed."""
    if own:
        return
    # Only an appeal carries over: "struck down" in a later sentence is too often about something else.
    cues = [c for c in story.cues_in("status", si) if c.id_ == "appealed"]
    if not cues or story.negated(cues[0].start) or any(story.hypothetical(c.start) for c in cues):
        return  # a sentence that weighs an appeal ("whether it seeks to challenge") does not report one
    parties = {n.key for n in story.in_sent(story.names, si)}
    if story.cues_in("target_ref", si) and story.main_org:
        parties.add(target_key(story.main_org))
    # "said it would appeal the decision" covers the story's decision; "has taken that case to the Court of
    # Justice" only the case of the sentences just before.
    words = story.words(story.sents[si].start, story.sents[si].end)
    that = any(w == "that" and nxt in story.lex["case_noun"] for w, nxt in pairwise(words))
    recent = [c for c in candidates if si - 2 <= c.sent_index < si] if that else candidates
    if not parties and any(w in story.lex["case_noun"] for w in words):
        # "The decision is not yet final, as it has been appealed": the decision just told, whoever its party
        recent = [c for c in candidates if si - 3 <= c.sent_index < si]
        parties = {target_key(c.action.target or "") for c in recent}
    # "Meta is appealing against both fines": the fines, not the orders of the same story
    kinds = {c.id_ for c in story.cues_in("action", si) if any(0 <= c.start - a.end <= 4 for a in cues)}
    for c in recent:
        a = c.action
        if kinds and a.action_type not in kinds:
            continue
        if a.status == "imposed" and target_key(a.target or "") in parties:
            a.status = cues[0].id_
