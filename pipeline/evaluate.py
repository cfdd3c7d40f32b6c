"""Accuracy against the team's gold labels: precision, recall and F1 per field (floors: :mod:`pipeline.realtext`).

Matching: within one article, each gold action is paired with at most one predicted action, greedily by a score
(same amount, same type, same regulator, same target, evidence sentence). A pair needs the same amount (or range)
when the gold has one, else the same action type and no amount. For each field, a correct value on a matched pair
is a true positive; a wrong or extra predicted value is a false positive; a gold value not produced is a false
negative. Unmatched predictions and unmatched gold actions count against every field they fill.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

FIELDS = ["action", "type", "status", "regulator", "country", "target", "amount", "date", "deadline"]
_LEGAL = {"inc", "ltd", "llc", "plc", "sa", "s.a", "ag", "gmbh", "kg", "co", "corp", "corporation", "limited", "the",
          "a.b", "ab", "se", "nv", "bv", "spa", "s.p.a", "srl", "company", "group", "holdings"}


def _dec(v: Any) -> Decimal | None:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    return Decimal(str(v)).normalize()


def _name_tokens(name: str | None) -> set[str]:
    if not name:
        return set()
    return {w for w in re.findall(r"[\w&]+(?:\.\w+)*", name.casefold()) if w not in _LEGAL}


def same_target(a: str | None, b: str | None) -> bool:
    """Two names of one organisation: one's significant words are a subset of the other's.

    >>> same_target("Meta Platforms Ireland", "Meta"), same_target("Clearview AI Inc.", "Clearview AI")
    (True, True)
    >>> same_target("Google", "Meta")
    False
    """
    ta, tb = _name_tokens(a), _name_tokens(b)
    return bool(ta and tb) and (ta <= tb or tb <= ta)


def _field(action: dict, name: str) -> Any:
    """The comparable value of one field of a gold or predicted action (None when not set)."""
    if name == "type":
        return action.get("action_type")
    if name == "status":
        return action.get("status")
    if name == "regulator":
        return action.get("regulator_id")
    if name == "country":
        return action.get("regulator_country")
    if name == "target":
        return action.get("target")
    if name == "amount":
        amt, lo, hi = (_dec(action.get(k)) for k in ("amount", "amount_min", "amount_max"))
        if amt is None and lo is None:
            return None
        return (amt, lo, hi, action.get("currency"), action.get("per_period"))
    if name == "date":
        return (action.get("decision_date"), action.get("date_precision")) if action.get("decision_date") else None
    if name == "deadline":
        dd = action.get("deadline_date")
        dd = None if dd is None or (not isinstance(dd, str) and pd.isna(dd)) else str(dd)[:10]
        return (action.get("deadline"), dd) if action.get("deadline") or dd else None
    raise KeyError(name)


def _equal(name: str, gold: Any, pred: Any) -> bool:
    if gold is None or pred is None:
        return False
    if name == "target":
        return same_target(gold, pred)
    return bool(gold == pred)  # strings and tuples: already a bool


def _pair_score(g: dict, p: dict) -> float | None:
    ga, pa_ = _field(g, "amount"), _field(p, "amount")
    if ga is not None:
        if pa_ is None or ga[:3] != pa_[:3]:
            return None
    elif pa_ is not None or g.get("action_type") != p.get("action_type"):
        return None
    score = 4.0 if ga is not None else 0.0
    score += 2 * (g.get("action_type") == p.get("action_type"))
    score += ((g.get("regulator_id") or g.get("regulator_country"))
              == (p.get("regulator_id") or p.get("regulator_country")))
    score += same_target(g.get("target"), p.get("target"))
    ev = (g.get("evidence_contains") or "").casefold()
    score += 2 * bool(ev and ev in (p.get("evidence") or "").casefold())
    return score


def match(gold: list[dict], pred: list[dict]) -> list[tuple[dict | None, dict | None]]:
    """Greedy one-to-one pairs by score, then the unmatched gold and predicted actions alone."""
    scored = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(pred):
            s = _pair_score(g, p)
            if s is not None:
                scored.append((s, gi, pi))
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs: list[tuple[dict | None, dict | None]] = []
    for _, gi, pi in sorted(scored, key=lambda t: (-t[0], t[1], t[2])):
        if gi in used_g or pi in used_p:
            continue
        used_g.add(gi)
        used_p.add(pi)
        pairs.append((gold[gi], pred[pi]))
    pairs += [(g, None) for i, g in enumerate(gold) if i not in used_g]
    pairs += [(None, p) for i, p in enumerate(pred) if i not in used_p]
    return pairs


def score(pairs: list[tuple[dict | None, dict | None]]) -> dict[str, dict[str, float]]:
    counts = {f: {"tp": 0, "fp": 0, "fn": 0} for f in FIELDS}
    for g, p in pairs:
        if g is not None and p is not None:
            counts["action"]["tp"] += 1
        elif g is not None:
            counts["action"]["fn"] += 1
        else:
            counts["action"]["fp"] += 1
        for f in FIELDS[1:]:
            gv = _field(g, f) if g is not None else None
            pv = _field(p, f) if p is not None else None
            if _equal(f, gv, pv):
                counts[f]["tp"] += 1
                continue
            if pv is not None:
                counts[f]["fp"] += 1
            if gv is not None:
                counts[f]["fn"] += 1
    total = {"tp": 0, "fp": 0, "fn": 0}
    for c in counts.values():
        for k in total:
            total[k] += c[k]
    counts["overall"] = total
    return {f: _prf(c) for f, c in counts.items()}


def _prf(c: dict[str, int]) -> dict[str, float]:
    p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
    r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f1, **c}


def _records(df: pd.DataFrame) -> list[dict]:
    out = []
    for rec in df.to_dict("records"):
        out.append({k: (None if not isinstance(v, (list, tuple)) and not hasattr(v, "__len__") and pd.isna(v) else v)
                    for k, v in rec.items()})
    return out


def load_gold(corpus: Path) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((corpus / "gold").glob("*.json"))]


def evaluate_corpus(corpus: Path, out: Path, details: list | None = None) -> dict[str, dict[str, float]]:
    """Run the pipeline over ``corpus/articles`` into ``out`` and score it against ``corpus/gold``."""
    from .run import run

    corpus, out = Path(corpus), Path(out)
    run([corpus / "articles"], out)
    articles = pd.read_parquet(out / "articles.parquet")
    actions = pd.read_parquet(out / "actions.parquet")
    by_key = {}
    for a in _records(articles):
        src = Path(a["source"].rsplit(":", 1)[0] if re.search(r":\d+$", a["source"]) else a["source"])
        rel = src.resolve().relative_to(corpus.resolve()).as_posix()
        by_key[(rel, a.get("external_id") if src.suffix.lower() in (".jsonl", ".json") else None)] = a["article_id"]
    preds = defaultdict(list)
    for a in _records(actions):
        preds[a["article_id"]].append(a)
    pairs = []
    for gold in load_gold(corpus):
        key = (gold["source"], gold.get("external_id"))
        if key not in by_key:
            raise ValueError(f"gold file for {key} has no article in the run (rejected or missing?)")
        art_pairs = match(gold["actions"], preds.pop(by_key[key], []))
        pairs += art_pairs
        if details is not None:
            details.append((gold["source"], gold.get("external_id"), art_pairs))
    for rest in preds.values():  # actions in articles without gold are all false positives
        pairs += [(None, p) for p in rest]
    return score(pairs)


def format_scores(title: str, scores: dict[str, dict[str, float]]) -> str:
    """Precision, recall and F1 per field, as a plain-text table."""
    lines = [f"{title}", f"  {'field':10} {'precision':>9} {'recall':>7} {'F1':>7}   tp/fp/fn"]
    for f, s in scores.items():
        lines.append(f"  {f:10} {s['precision']:9.3f} {s['recall']:7.3f} {s['f1']:7.3f}   "
                     f"{s['tp']}/{s['fp']}/{s['fn']}")
    return "\n".join(lines)
