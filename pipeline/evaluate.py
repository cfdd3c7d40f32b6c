"""Accuracy against gold labels: precision, recall and F1 per field, with floors that fail ``make eval``.

Matching: within one article, each gold action is paired with at most one predicted action, greedily by a score
(same amount, same type, same regulator, same target, evidence sentence). A pair needs the same amount (or range)
when the gold has one, else the same action type and no amount. For each field, a correct value on a matched pair
is a true positive; a wrong or extra predicted value is a false positive; a gold value not produced is a false
negative. Unmatched predictions and unmatched gold actions count against every field they fill.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pandas as pd

FIELDS = ["action", "type", "status", "regulator", "country", "target", "amount", "date", "deadline"]
# Floors never drop silently: raising one is a commit, lowering one needs a reason in the commit message.
FLOORS = {f: 0.90 for f in FIELDS} | {"overall": 0.90}
_LEGAL = {"inc", "ltd", "llc", "plc", "sa", "s.a", "ag", "gmbh", "kg", "co", "corp", "corporation", "limited", "the",
          "a.b", "ab", "se", "nv", "bv", "spa", "s.p.a", "srl", "company", "group", "holdings"}


def _dec(v) -> Decimal | None:
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


def _field(action: dict, name: str):
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


def _equal(name: str, gold, pred) -> bool:
    if gold is None or pred is None:
        return False
    if name == "target":
        return same_target(gold, pred)
    return gold == pred


def _pair_score(g: dict, p: dict) -> float | None:
    ga, pa_ = _field(g, "amount"), _field(p, "amount")
    if ga is not None:
        if pa_ is None or ga[:3] != pa_[:3]:
            return None
    elif pa_ is not None or g.get("action_type") != p.get("action_type"):
        return None
    score = 4.0 if ga is not None else 0.0
    score += 2 * (g.get("action_type") == p.get("action_type"))
    score += (g.get("regulator_id") or g.get("regulator_country")) == (p.get("regulator_id") or p.get("regulator_country"))
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
    used_g, used_p, pairs = set(), set(), []
    for s, gi, pi in sorted(scored, key=lambda t: (-t[0], t[1], t[2])):
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
    lines = [f"{title}", f"  {'field':10} {'precision':>9} {'recall':>7} {'F1':>7} {'floor':>6}   tp/fp/fn"]
    for f, s in scores.items():
        floor = f"{FLOORS[f]:.2f}" if f in FLOORS and title == "team corpus" else "-"
        lines.append(f"  {f:10} {s['precision']:9.3f} {s['recall']:7.3f} {s['f1']:7.3f} {floor:>6}   "
                     f"{s['tp']}/{s['fp']}/{s['fn']}")
    return "\n".join(lines)


# --- external data: the PrivacyAffairs GDPR fines table (summaries of real decisions) ---------------------------

def _stated_amount(summary: str, price: Decimal) -> bool:
    """The summary states the fine in EUR when a number in it equals the table's price."""
    for m in re.finditer(r"\d[\d,. ]*\d|\d", summary):
        digits = re.sub(r"[,. ](?=\d{3}\b)", "", m.group(0)).replace(",", ".")
        try:
            if Decimal(digits) == price:
                return True
        except Exception:
            continue
    return False


# A summary states a sanction when it uses one of these words; one that only tells what the controller did wrong
# ("The company sent marketing e-mails without consent") states no action, so its country and target are not asked.
_STATES_SANCTION = re.compile(r"\b(?:fined|fines?|penalt(?:y|ies)|penalised|penalized|sanction(?:ed|s)?|imposed|"
                              r"reprimand(?:ed|s)?|warn(?:ed|ing)|ordered|banned|ban)\b", re.I)
_UNNAMED = {"", "not available", "unknown", "n/a"}


def _article_of_record(out: Path) -> dict[str, str]:
    """Record id -> the article its actions are under: a record whose text repeats an earlier one's is a duplicate
    of it, and shares its actions."""
    articles = pd.read_parquet(out / "articles.parquet")
    return {ext: dup if isinstance(dup, str) else aid for ext, aid, dup in
            zip(articles["external_id"], articles["article_id"], articles["duplicate_of"])}


def evaluate_external(tsv: Path, out: Path, details: list | None = None) -> dict[str, dict[str, float]]:
    """Score only what each summary states: the amount (when a number in it equals the EUR price), the
    regulator's country (when the summary names the authority and states a sanction) and the target (when it
    quotes the controller and states a sanction)."""
    import html

    from .rules import load_rules
    from .run import run

    rows = list(csv.DictReader(tsv.open(encoding="utf-8"), delimiter="\t"))
    countries = {name.casefold(): code for code, (name, _a) in load_rules().countries.items()}
    out.mkdir(parents=True, exist_ok=True)
    src = out / "input"
    src.mkdir(exist_ok=True)
    with (src / "gdpr_summaries.jsonl").open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"id": r["id"], "text": html.unescape(r["summary"] or "")}) + "\n")
    run([src], out)
    art_of = _article_of_record(out)
    acts = defaultdict(list)
    for a in _records(pd.read_parquet(out / "actions.parquet")):
        acts[a["article_id"]].append(a)
    counts = {f: {"tp": 0, "fp": 0, "fn": 0} for f in ("amount", "country", "target")}
    for r in rows:
        summary = html.unescape(r["summary"] or "")
        preds = acts.get(art_of.get(r["id"]), [])
        price = Decimal(r["price"]) if re.fullmatch("[0-9]+", r["price"].strip()) else None
        if price and _stated_amount(summary, price):
            hit = any(price in (_dec(p.get("amount")), _dec(p.get("amount_eur")), _dec(p.get("stated_amount")))
                      for p in preds)
            counts["amount"]["tp" if hit else "fn"] += 1
            counts["amount"]["fp"] += sum(1 for p in preds if p.get("amount") is not None) - (1 if hit else 0)
            if details is not None and (not hit or len([p for p in preds if p.get("amount") is not None]) > 1):
                details.append(("amount", r["id"], price, summary, preds))
        states = bool(_STATES_SANCTION.search(summary))
        acronym = re.search(r"\(([^)]+)\)", r["authority"] or "")
        if states and (acronym and acronym.group(1) in summary or (r["authority"] and r["authority"] in summary)):
            code = countries.get((r["name"] or "").casefold())
            hit = any(p.get("regulator_country") == code for p in preds)
            counts["country"]["tp" if hit else "fn"] += 1
            counts["country"]["fp"] += sum(1 for p in preds if p.get("regulator_country") not in (None, code))
            if details is not None and not hit:
                details.append(("country", r["id"], code, summary, preds))
        controller = (r["controller"] or "").strip()
        if states and controller.casefold() not in _UNNAMED and controller in summary:
            hit = any(same_target(controller, p.get("target")) for p in preds)
            counts["target"]["tp" if hit else "fn"] += 1
            wrong = [p for p in preds if p.get("target") and not same_target(controller, p.get("target"))]
            counts["target"]["fp"] += len(wrong)
            if details is not None and (not hit or wrong):
                details.append(("target", r["id"], controller, summary, preds))
    return {f: _prf(c) for f, c in counts.items()}


# Duckling's ambiguous units: which ISO codes count as the same currency. For riyals, rials and dinars the text
# alone cannot say which country's, so the right reading is a null currency (resolved later from the article).
_DUCKLING_UNITS = {"Dollar": {"USD", "AUD", "CAD", "NZD", "HKD", "SGD"}, "Pound": {"GBP", "EGP", "LBP"},
                   "Riyal": {None}, "Rial": {None}, "Dinar": {None}}
# Coin names and slang name no currency and are not how news states an amount ("a quarter" is a fraction or three
# months, "a grand jury" no money).
_NO_CURRENCY_NAMED = re.compile(r"\b(?:nickels?|dimes?|quarters?|grand|bucks)\b", re.I)
# Floors on the money normaliser (recall of Duckling's expressions that name a currency); `pipeline eval` fails
# below them. Never lowered silently, as FLOORS.
MONEY_FLOORS = {"value": 0.90, "currency": 0.95}


def evaluate_money(jsonl: Path) -> tuple[dict[str, dict[str, float]], dict[str, int]]:
    """Score the money normaliser on Duckling's English AmountOfMoney corpus, over the expressions that name a
    currency (a sign, a code or a currency word). Returns the scores and the number of expressions left out by
    reason: no currency named (Duckling's Unnamed, coin names, "grand", "bucks"), cents alone (Duckling's Cent),
    and its negative examples.

    value: the one money expression found has the labelled value. A simple amount is ``amount``; "between" is
    ``amount_min`` and ``amount_max``; "under" (at most, less than) is ``amount_max`` alone and "above" (at
    least, more than) ``amount_min`` alone, as :class:`pipeline.normalise.Money` represents bounds.
    currency: among the expressions where one money expression was found, the share whose ISO code is right
    (any dollar for Duckling's ambiguous "Dollar"; null for riyals, rials and dinars).
    """
    from .normalise import find_money

    counts = {f: {"tp": 0, "fp": 0, "fn": 0} for f in ("value", "currency")}
    skipped = {"no currency named": 0, "cents alone": 0, "negative example": 0}
    for line in jsonl.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        unit, kind = r.get("currency"), r["kind"]
        if kind not in ("simple", "between", "under", "above"):
            skipped["negative example"] += 1
            continue
        if unit in (None, "Unnamed") or _NO_CURRENCY_NAMED.search(r["text"]):
            skipped["no currency named"] += 1
            continue
        if unit == "Cent":
            skipped["cents alone"] += 1
            continue
        found = find_money(r["text"])
        m = found[0] if len(found) == 1 else None
        d = {k: Decimal(str(r[k])).normalize() for k in ("value", "from", "to") if r.get(k) is not None}
        want = {"simple": (d.get("value"), None, None), "between": (None, d.get("from"), d.get("to")),
                "under": (None, None, d.get("value")), "above": (None, d.get("value"), None)}[kind]
        got = None if m is None else tuple(None if v is None else v.normalize() for v in (m.amount, m.amount_min, m.amount_max))
        counts["value"]["tp" if got == want else "fn"] += 1
        counts["value"]["fp"] += got is not None and got != want
        if m is not None:
            right = m.currency in _DUCKLING_UNITS.get(unit, {unit}) and (m.currency or m.currency_form)
            counts["currency"]["tp" if right else "fp"] += 1
            counts["currency"]["fn"] += not right
    return {f: _prf(c) for f, c in counts.items()}, skipped


def below_money_floors(scores: dict[str, dict[str, float]]) -> dict[str, float]:
    """The money figures (recall) below :data:`MONEY_FLOORS`."""
    return {k: scores[k]["recall"] for k in MONEY_FLOORS if scores[k]["recall"] < MONEY_FLOORS[k]}


# --- external data: the Reuters development set (real 1987 newswire, hand-labelled) -----------------------------

_WIRE_LEGAL = {"inc", "corp", "co", "ltd", "plc", "llc", "lp", "sa", "ag", "nv", "bv", "the", "corporation",
               "company", "incorporated", "limited", "group"}


def wire_same_target(gold: str | None, pred: str | None) -> bool:
    """The Reuters set's rule: lower-cased, punctuation and legal suffixes dropped, one name containing the other or
    half the words shared.

    >>> wire_same_target("Baker International", "Baker International Corp"), wire_same_target("Baker", "Hughes")
    (True, False)
    >>> wire_same_target("Daniel J. Silverman", "Silverman"), wire_same_target("Shell Oil", "Shell Oil Co.")
    (True, True)
    """
    def words(name: str | None) -> list[str]:
        return [w for w in re.findall(r"[a-z0-9]+", (name or "").casefold()) if w not in _WIRE_LEGAL]

    a, b = words(gold), words(pred)
    if not a or not b:
        return False
    ja, jb = " ".join(a), " ".join(b)
    if f" {ja} " in f" {jb} " or f" {jb} " in f" {ja} ":
        return True
    return len(set(a) & set(b)) * 2 >= min(len(set(a)), len(set(b)))


def _near(a, b) -> bool:
    a, b = _dec(a), _dec(b)
    return a is not None and b is not None and abs(a - b) <= Decimal("0.005") * max(abs(a), abs(b))


def _wire_fields(req: dict, pred: dict) -> dict[str, bool]:
    """Which of a required action's fields an output action gets right."""
    out = {"action_type": pred.get("action_type") in req["action_type"],
           "target": wire_same_target(req["target"], pred.get("target"))}
    if "amount" in req:
        out["amount"] = any(_near(req["amount"], pred.get(k)) for k in ("amount", "amount_max", "amount_min"))
    for f in ("currency", "regulator_country", "status"):
        if f in req:
            out[f] = pred.get(f) == req[f]
    return out


def _forbidden_hits(story: dict, preds: list[dict]) -> list[tuple[list, dict]]:
    hits = []
    for pair, soft in [(p, False) for p in story["forbidden"]] + [(p, True) for p in story["forbidden_imposed"]]:
        amount, currency = pair
        for p in preds:
            if soft and p.get("status") in ("threatened", "proposed"):
                continue
            if any(_near(amount, p.get(k)) for k in ("amount", "amount_max", "amount_min")) \
                    and p.get("currency") in (None, currency):
                hits.append((pair, p))
    return hits


def evaluate_wire(folder: Path, out: Path, details: list | None = None) -> dict[str, float]:
    """Score ``stories.jsonl`` against ``gold.json`` as the set's README says: for each required action the output
    action of its story with most fields right; fields right / fields asked; actions with every field right; and
    forbidden amounts (prices, purchases, losses) reported as actions."""
    from .run import run

    gold = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
    run([folder / "stories.jsonl"], out)
    art_of = _article_of_record(out)
    acts = defaultdict(list)
    for a in _records(pd.read_parquet(out / "actions.parquet")):
        acts[a["article_id"]].append(a)
    asked = right = whole = n_req = violations = 0
    for sid, story in gold.items():
        preds = acts.get(art_of.get(sid), [])
        for req in story["required"]:
            n_req += 1
            fields = {k for k in req if k not in ("note",)}
            best = max((_wire_fields(req, p) for p in preds), key=lambda f: sum(f.values()), default={})
            got = sum(best.values())
            asked += len(fields)
            right += got
            whole += got == len(fields)
            if details is not None:
                details.append((sid, "required", req, best))
        hits = _forbidden_hits(story, preds)
        violations += len(hits)
        if details is not None:
            details.extend((sid, "forbidden", pair, p) for pair, p in hits)
    return {"fields": right / asked if asked else 1.0, "fields_right": right, "fields_asked": asked,
            "actions_whole": whole, "actions": n_req, "forbidden": violations}
