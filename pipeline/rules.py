"""Load and validate the data files in ``rules/``.

Strict on configuration: a malformed rule file stops the run with one :class:`RulesError` that names every bad
line, instead of silently dropping a regulator or a cue.
"""

from __future__ import annotations

from collections import Counter

import csv
import io
import json
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

RULES_DIR = Path(os.environ.get("PIPELINE_RULES_DIR", Path(__file__).resolve().parent.parent / "rules"))

ACTION_TYPES = ("fine", "penalty", "order", "ban", "settlement", "warning", "reprimand")
STATUSES = ("imposed", "threatened", "proposed", "appealed", "reduced", "annulled")
DOMAINS = ("data_protection", "competition", "financial", "consumer", "telecom", "aviation", "environment", "general")
JURISDICTIONS = ("national", "regional", "supranational")
CUE_GROUPS = ("periodic", "sanction", "role", "status", "negation", "reg_noun", "domain", "target_ref", "reg_ref",
              "non_target", "idiom", "lexicon")
# Word lists the extractor's logic consults token by token (not matched as spans); each must be present once.
LEXICONS = ("by_regulator", "on_target", "coordination", "each", "conversion_gap", "conditional", "announced",
            "not_target", "name_intro", "reduce_verb", "place", "hypothetical", "case_noun", "relative", "decided",
            "starting", "purpose", "acting_noun", "acting_verb", "auxiliary",
            "not_a_measure", "legal_matter", "sanction_word", "instrument", "shared_name", "no_party",
            "person_title", "permission", "weak_trigger", "destination")


class RulesError(ValueError):
    """A rule file is malformed; the message lists every problem found."""


@dataclass(frozen=True)
class Regulator:
    id: str
    name: str
    acronym: str
    aliases: tuple[str, ...]
    country: str
    region: str
    jurisdiction: str
    domain: str
    source: str


@dataclass(frozen=True)
class Currency:
    form: str
    code: str | None
    position: str  # before | after | both
    exact_case: bool
    candidates: tuple[str, ...] = ()  # for an ambiguous form (code None): the codes it may stand for


@dataclass(frozen=True)
class NumberWord:
    word: str
    value: Decimal
    kind: str  # unit | tens | hundred | scale | article | minor
    exact_case: bool


@dataclass(frozen=True)
class Cue:
    group: str
    value: str
    left: int
    right: int
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class Trigger:
    """One row of triggers.tsv: the forms of a class of frame words and the action type (or status) they give."""

    cls: str
    action: str
    forms: tuple[str, ...]


@dataclass(frozen=True)
class FramePattern:
    """One line of frames.jsonl: a path in the parse from a trigger to the token it binds to a role."""

    id: str
    trigger: tuple[str, ...]
    path: tuple[tuple[str, dict], ...]
    binds: str
    when: dict = field(default_factory=dict)
    also: tuple[tuple[str, dict], ...] = ()
    voice: str = "any"
    sets: str | None = None
    example: str = ""
    expect: str = ""


@dataclass(frozen=True)
class Law:
    short: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class EventRules:
    """Tolerances and windows for merging actions into events and events into cases (``rules/events.tsv``)."""

    amount_tolerance: Decimal
    eur_tolerance: Decimal
    date_slack_days: int
    case_window_days: int
    case_head_types: tuple[str, ...]
    case_new_statuses: tuple[str, ...]
    case_closed_statuses: tuple[str, ...]
    case_late_statuses: tuple[str, ...]
    target_stopwords: tuple[str, ...]


@dataclass(frozen=True, eq=False)  # hashed by identity: caches key on the loaded rules object
class Rules:
    regulators: tuple[Regulator, ...]
    countries: dict[str, tuple[str, tuple[str, ...]]]  # code -> (name, aliases)
    currencies: tuple[Currency, ...]
    numbers: tuple[NumberWord, ...]
    cues: tuple[Cue, ...]
    laws: tuple[Law, ...]
    events: EventRules
    regulator_by_id: dict[str, Regulator] = field(default_factory=dict)
    regions: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)  # ISO 3166-2 -> (name, aliases)
    country_currencies: dict[str, tuple[str, ...]] = field(default_factory=dict)  # ISO 3166 -> ISO 4217 codes
    triggers: tuple[Trigger, ...] = ()
    frames: tuple[FramePattern, ...] = ()
    legal_forms: tuple[str, ...] = ()

    def trigger_forms(self, *classes: str) -> frozenset[str]:
        """The lower-cased forms of the trigger classes named."""
        return frozenset(f for t in self.triggers if t.cls in classes for f in t.forms)
    bounds: tuple[tuple[str, str], ...] = ()  # (phrase, "max" | "min"): "up to", "at least"
    function_words: dict[str, frozenset[str]] = field(default_factory=dict)  # language -> its function words

    def cues_of(self, group: str) -> tuple[Cue, ...]:
        return tuple(c for c in self.cues if c.group == group)

    def lexicon(self, name: str) -> frozenset[str]:
        """The lower-cased words of one ``lexicon`` row of cues.tsv (its presence is checked at load time)."""
        return frozenset(p.lower() for c in self.cues if c.group == "lexicon" and c.value == name for p in c.phrases)


def _read_tsv(path: Path, columns: list[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a TSV whose leading ``#`` lines are documentation; the header must be exactly ``columns``."""
    if not path.is_file():
        raise RulesError(f"{path}: rule file is missing")
    lines = path.read_text(encoding="utf-8").splitlines()
    body = [(n, line) for n, line in enumerate(lines, 1) if line.strip() and not line.startswith("#")]
    if not body:
        raise RulesError(f"{path}: no header line")
    header_no, header = body[0]
    if header.split("\t") != columns:
        raise RulesError(f"{path}:{header_no}: header must be {columns}, got {header.split(chr(9))}")
    rows, errors = [], []
    for n, line in body[1:]:
        cells = next(csv.reader(io.StringIO(line), delimiter="\t", quoting=csv.QUOTE_NONE))
        if len(cells) != len(columns):
            errors.append(f"{path}:{n}: expected {len(columns)} fields, got {len(cells)}")
            continue
        rows.append((n, {k: v.strip() for k, v in zip(columns, cells, strict=True)}))
    if errors:
        raise RulesError("\n".join(errors))
    return rows


def _split(value: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in value.split("|") if p.strip())


def load_regulators(path: Path, country_codes: set[str]) -> tuple[Regulator, ...]:
    cols = ["id", "name", "acronym", "aliases", "country", "region", "jurisdiction", "domain", "source"]
    out, errors, seen = [], [], set()
    for n, r in _read_tsv(path, cols):
        where = f"{path}:{n}"
        if not re.fullmatch(r"[a-z]{2}(-[a-z0-9]+)+", r["id"]):
            errors.append(f"{where}: bad id {r['id']!r}")
        if r["id"] in seen:
            errors.append(f"{where}: duplicate id {r['id']!r}")
        seen.add(r["id"])
        if r["country"] not in country_codes:
            errors.append(f"{where}: unknown country {r['country']!r}")
        if r["jurisdiction"] not in JURISDICTIONS:
            errors.append(f"{where}: jurisdiction {r['jurisdiction']!r} not in {JURISDICTIONS}")
        if r["domain"] not in DOMAINS:
            errors.append(f"{where}: domain {r['domain']!r} not in {DOMAINS}")
        if not r["name"]:
            errors.append(f"{where}: empty name")
        out.append(Regulator(r["id"], r["name"], r["acronym"], _split(r["aliases"]), r["country"], r["region"],
                             r["jurisdiction"], r["domain"], r["source"]))
    if errors:
        raise RulesError("\n".join(errors))
    return tuple(out)


def load_countries(path: Path) -> tuple[dict[str, tuple[str, tuple[str, ...]]], dict[str, tuple[str, ...]]]:
    """Countries by code (name, aliases), and the currencies each one's authorities decide in."""
    out, currencies, errors = {}, {}, []
    for n, r in _read_tsv(path, ["code", "name", "aliases", "currency"]):
        if not re.fullmatch(r"[A-Z]{2}", r["code"]) or r["code"] in out:
            errors.append(f"{path}:{n}: bad or duplicate code {r['code']!r}")
        codes = _split(r["currency"])
        if not codes or any(not re.fullmatch(r"[A-Z]{3}", c) for c in codes):
            errors.append(f"{path}:{n}: bad ISO 4217 currency {r['currency']!r}")
        out[r["code"]] = (r["name"], _split(r["aliases"]))
        currencies[r["code"]] = codes
    if errors:
        raise RulesError("\n".join(errors))
    return out, currencies


def load_regions(path: Path, country_codes: set[str]) -> dict[str, tuple[str, tuple[str, ...]]]:
    out, errors = {}, []
    for n, r in _read_tsv(path, ["code", "name", "aliases"]):
        m = re.fullmatch(r"([A-Z]{2})-[A-Z0-9]{1,3}", r["code"])
        if not m or r["code"] in out or m.group(1) not in country_codes:
            errors.append(f"{path}:{n}: bad, duplicate or unknown-country ISO 3166-2 code {r['code']!r}")
        out[r["code"]] = (r["name"], _split(r["aliases"]))
    if errors:
        raise RulesError("\n".join(errors))
    return out


def load_currencies(path: Path) -> tuple[Currency, ...]:
    out, errors = [], []
    seen: set[str] = set()
    for n, r in _read_tsv(path, ["form", "code", "position", "case"]):
        if r["form"] in seen:
            errors.append(f"{path}:{n}: form {r['form']!r} listed twice")
        seen.add(r["form"])
        codes = _split(r["code"])
        if not codes or any(not re.fullmatch(r"[A-Z]{3}", c) for c in codes):
            errors.append(f"{path}:{n}: bad ISO 4217 code {r['code']!r}")
        if r["position"] not in ("before", "after", "both") or r["case"] not in ("exact", "any"):
            errors.append(f"{path}:{n}: position must be before/after/both and case exact/any")
        code = codes[0] if len(codes) == 1 else None
        out.append(Currency(r["form"], code, r["position"], r["case"] == "exact", tuple(codes) if code is None else ()))
    if errors:
        raise RulesError("\n".join(errors))
    return tuple(out)


def load_numbers(path: Path) -> tuple[NumberWord, ...]:
    out, errors = [], []
    for n, r in _read_tsv(path, ["word", "value", "kind", "case"]):
        try:
            value = Decimal(r["value"])
        except InvalidOperation:
            errors.append(f"{path}:{n}: value {r['value']!r} is not a decimal")
            continue
        if r["kind"] not in ("unit", "tens", "hundred", "scale", "article", "minor"):
            errors.append(f"{path}:{n}: unknown kind {r['kind']!r}")
        out.append(NumberWord(r["word"], value, r["kind"], r["case"] == "exact"))
    if errors:
        raise RulesError("\n".join(errors))
    return tuple(out)


def load_bounds(path: Path) -> tuple[tuple[str, str], ...]:
    out, errors = [], []
    for n, r in _read_tsv(path, ["phrase", "bound"]):
        if r["bound"] not in ("max", "min") or not r["phrase"]:
            errors.append(f"{path}:{n}: bound must be max or min, with a phrase")
        out.append((r["phrase"], r["bound"]))
    if errors:
        raise RulesError("\n".join(errors))
    return tuple(out)


def load_function_words(path: Path) -> dict[str, frozenset[str]]:
    """Each language's function words; a word listed for English and for another language is an error, since
    the language decision compares the two counts."""
    out: dict[str, frozenset[str]] = {}
    errors = []
    for n, r in _read_tsv(path, ["language", "words"]):
        words = frozenset(w.casefold() for w in r["words"].split())
        if not re.fullmatch(r"[a-z]{2}", r["language"]) or r["language"] in out or not words:
            errors.append(f"{path}:{n}: bad or repeated ISO 639-1 code {r['language']!r}, or no words")
        out[r["language"]] = words
    if "en" not in out:
        errors.append(f"{path}: no row for English (en)")
    for lang, words in out.items():
        shared = sorted(words & out.get("en", frozenset())) if lang != "en" else []
        if shared:
            errors.append(f"{path}: {lang} lists English function words: {', '.join(shared)}")
    if errors:
        raise RulesError("\n".join(errors))
    return out


def load_cues(path: Path) -> tuple[Cue, ...]:
    out, errors = [], []
    for n, r in _read_tsv(path, ["group", "value", "left", "right", "phrases"]):
        if r["group"] not in CUE_GROUPS:
            errors.append(f"{path}:{n}: unknown group {r['group']!r}")
        if r["group"] == "status" and r["value"] not in STATUSES:
            errors.append(f"{path}:{n}: unknown status {r['value']!r}")
        if r["group"] == "domain" and r["value"] not in DOMAINS:
            errors.append(f"{path}:{n}: unknown domain {r['value']!r}")
        if r["group"] == "lexicon" and r["value"] not in LEXICONS:
            errors.append(f"{path}:{n}: unknown lexicon {r['value']!r} (known: {', '.join(LEXICONS)})")
        if not (re.fullmatch("[0-9]+", r["left"]) and re.fullmatch("[0-9]+", r["right"])):
            errors.append(f"{path}:{n}: left/right must be token counts")
            continue
        out.append(Cue(r["group"], r["value"], int(r["left"]), int(r["right"]), _split(r["phrases"])))
    lexicons = Counter(c.value for c in out if c.group == "lexicon")
    for name in LEXICONS:
        if lexicons[name] != 1:
            errors.append(f"{path}: lexicon {name!r} must appear exactly once (found {lexicons[name]})")
    if errors:
        raise RulesError("\n".join(errors))
    return tuple(out)


TRIGGER_CLASSES = ("verb", "noun", "settle", "modal", "grant", "impose", "pay", "receive", "face", "seek", "agree",
                   "sentence", "appeal", "reduce", "annul")
ACTION_CLASSES = ("verb", "noun", "settle", "modal", "grant")  # the classes whose words are actions, not support verbs
# Classes whose words anchor a frame: the action words, and the verbs that impose or seek an amount ("the €50m that
# the CNIL imposed on Google", "the £27m the regulator proposed": a fine when, and only when, it binds an amount).
AMOUNT_CLASSES = ("impose", "seek")
FRAME_CLASSES = (*ACTION_CLASSES, *AMOUNT_CLASSES)
STATUS_CLASSES = {"appeal": "appealed", "reduce": "reduced", "annul": "annulled"}
ROLES = ("agent", "patient", "money", "revised", "owner", "measure", "legal", "status")
REL_OPS = (">", "<", ">>", "<<", ".", ";", "$+", "$-", ".*", ";*", "$++", "$--")


def load_triggers(path: Path) -> tuple[Trigger, ...]:
    out, errors = [], []
    seen: dict[tuple[str, str], tuple[str, str]] = {}  # (form, class) -> (class, action)
    for n, r in _read_tsv(path, ["class", "action", "forms"]):
        where, cls, action = f"{path}:{n}", r["class"], r["action"]
        if cls not in TRIGGER_CLASSES:
            errors.append(f"{where}: unknown class {cls!r} (known: {', '.join(TRIGGER_CLASSES)})")
        elif cls in ACTION_CLASSES and action not in ACTION_TYPES:
            errors.append(f"{where}: unknown action type {action!r}")
        elif cls in STATUS_CLASSES and action != STATUS_CLASSES[cls]:
            errors.append(f"{where}: class {cls!r} gives the status {STATUS_CLASSES[cls]!r}, not {action!r}")
        elif cls not in ACTION_CLASSES and cls not in STATUS_CLASSES and action != "-":
            errors.append(f"{where}: a support verb's action must be '-', got {action!r}")
        forms = tuple(f.lower() for f in _split(r["forms"]))
        for f in forms:
            # A form may be a verb and a noun ("fine", "orders": the tagger tells them apart), once in each class.
            key = (f, cls)
            if key in seen and seen[key] != (cls, action):
                errors.append(f"{where}: form {f!r} is already in {seen[key][0]} {seen[key][1]}")
            seen[key] = (cls, action)
        out.append(Trigger(cls, action, forms))
    if errors:
        raise RulesError("\n".join(errors))
    return tuple(out)


def anchor_word(form: str) -> str:
    """The word a multi-word trigger is anchored on: its head noun, the last word before a preposition, else the
    last ("consent decree" -> "decree", "limitation on processing" -> "limitation").

    >>> anchor_word("consent decree"), anchor_word("limitation on processing"), anchor_word("fine")
    ('decree', 'limitation', 'fine')
    """
    words = form.split()
    for k, w in enumerate(words[1:], 1):
        if w in ("on", "of", "for", "to", "against"):
            return words[k - 1]
    return words[-1]


def _expand_attrs(attrs: dict, classes: dict[str, list[str]], where: str, errors: list[str]) -> dict:
    """spaCy token attributes from the file's shorthand: a list means IN, "@class" the class's anchor words,
    "@class:action" those of its rows of that action ("@verb:order": ordered, required, ...)."""
    out = {}
    for key, value in attrs.items():
        values = value if isinstance(value, list) else [value] if isinstance(value, str) and value.startswith("@") \
            else None
        if values is None:
            out[key] = value
            continue
        words: list[str] = []
        for v in values:
            if isinstance(v, str) and v.startswith("@"):
                if v[1:] not in classes:
                    errors.append(f"{where}: unknown trigger class {v!r}")
                words += classes.get(v[1:], [])
            else:
                words.append(v)
        out[key] = {"IN": sorted(set(words))}
    return out


def load_frames(path: Path, triggers: tuple[Trigger, ...]) -> tuple[FramePattern, ...]:
    """The patterns of frames.jsonl, with their shorthands expanded; every mistake in the file is reported at once."""
    if not path.is_file():
        raise RulesError(f"{path}: rule file is missing")
    classes: dict[str, list[str]] = {}
    for t in triggers:
        classes.setdefault(t.cls, []).extend(anchor_word(f) for f in t.forms)
        classes.setdefault(f"{t.cls}:{t.action}", []).extend(anchor_word(f) for f in t.forms)
    out, errors, ids = [], [], set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        where = f"{path}:{n}"
        try:
            d = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{where}: not JSON: {exc}")
            continue
        unknown = set(d) - {"id", "trigger", "when", "path", "also", "binds", "voice", "sets", "example", "expect"}
        missing = {"id", "trigger", "path", "binds", "example", "expect"} - set(d)
        if unknown or missing:
            errors.append(f"{where}: unknown keys {sorted(unknown)} / missing keys {sorted(missing)}")
            continue
        if d["id"] in ids:
            errors.append(f"{where}: id {d['id']!r} used twice")
        ids.add(d["id"])
        if d["binds"] not in ROLES:
            errors.append(f"{where}: binds {d['binds']!r}, not one of {ROLES}")
        if d.get("voice", "any") not in ("any", "active", "passive"):
            errors.append(f"{where}: voice must be active or passive")
        if d.get("sets") not in (None, *STATUSES):
            errors.append(f"{where}: sets {d['sets']!r}, not a status")
        bad = [c for c in d["trigger"] if c not in TRIGGER_CLASSES]
        if bad or not d["trigger"]:
            errors.append(f"{where}: unknown trigger classes {bad}")
        steps = []
        for op, attrs in d["path"] + d.get("also", []):
            if op not in REL_OPS or not isinstance(attrs, dict):
                errors.append(f"{where}: bad step {[op, attrs]}")
            steps.append((op, _expand_attrs(attrs, classes, where, errors)))
        if not d["path"]:
            errors.append(f"{where}: empty path")
        k = len(d["path"])
        out.append(FramePattern(d["id"], tuple(d["trigger"]), tuple(steps[:k]), d["binds"],
                                _expand_attrs(d.get("when", {}), classes, where, errors), tuple(steps[k:]),
                                d.get("voice", "any"), d.get("sets"), d["example"], d["expect"]))
    if errors:
        raise RulesError("\n".join(errors))
    return tuple(out)


def load_legal_forms(path: Path) -> tuple[str, ...]:
    return tuple(r["form"] for _, r in _read_tsv(path, ["form", "where"]))


def load_laws(path: Path) -> tuple[Law, ...]:
    return tuple(Law(r["short"], _split(r["aliases"])) for _, r in _read_tsv(path, ["short", "aliases"]))


def load_event_rules(path: Path) -> EventRules:
    """The settings of ``events.tsv``: each exactly once, each of its kind; anything else is a :class:`RulesError`."""
    kinds = {"amount_tolerance": "fraction", "eur_tolerance": "fraction", "date_slack_days": "days",
             "case_window_days": "days", "case_head_types": ACTION_TYPES, "case_new_statuses": STATUSES,
             "case_closed_statuses": STATUSES, "case_late_statuses": STATUSES, "target_stopwords": "words"}
    values: dict[str, Any] = {}  # each value of its setting's kind: a Decimal, an int or a tuple of words
    errors = []
    for n, r in _read_tsv(path, ["setting", "value", "meaning"]):
        where, name, raw = f"{path}:{n}", r["setting"], r["value"]
        kind = kinds.get(name)
        if name in values:
            errors.append(f"{where}: setting {name!r} given twice")
        if kind is None:
            errors.append(f"{where}: unknown setting {name!r}")
        elif kind == "fraction":
            try:
                values[name] = Decimal(raw)
                if not 0 <= values[name] < 1:
                    errors.append(f"{where}: {name} must be a fraction in [0, 1), got {raw!r}")
            except InvalidOperation:
                errors.append(f"{where}: {name} must be a decimal, got {raw!r}")
        elif kind == "days":
            if not re.fullmatch("[0-9]+", raw):
                errors.append(f"{where}: {name} must be a whole number of days, got {raw!r}")
            else:
                values[name] = int(raw)
        else:
            words = _split(raw)
            bad = [w for w in words if kind != "words" and w not in kind]
            if bad or not words:
                errors.append(f"{where}: {name} has unknown values {bad or [raw]}; allowed: {kind}")
            values[name] = tuple(w.casefold() for w in words)
    missing = [k for k in kinds if k not in values and not any(f"{k!r}" in e for e in errors)]
    errors += [f"{path}: setting {k!r} is missing" for k in missing]
    if errors:
        raise RulesError("\n".join(errors))
    return EventRules(**values)


@lru_cache(maxsize=4)
def load_rules(rules_dir: Path = RULES_DIR) -> Rules:
    """Load every rule file; raises :class:`RulesError` naming each malformed line."""
    rules_dir = Path(rules_dir)
    countries, country_currencies = load_countries(rules_dir / "countries.tsv")
    regulators = load_regulators(rules_dir / "regulators.tsv", set(countries) | {"EU"})
    regions = load_regions(rules_dir / "regions.tsv", set(countries))
    unknown = sorted({r.region for r in regulators if r.region and r.region not in regions})
    if unknown:
        raise RulesError(f"{rules_dir / 'regulators.tsv'}: regions missing from regions.tsv: {', '.join(unknown)}")
    triggers = load_triggers(rules_dir / "triggers.tsv")
    rules = Rules(
        regulators=regulators,
        countries=countries,
        currencies=load_currencies(rules_dir / "currencies.tsv"),
        numbers=load_numbers(rules_dir / "numbers.tsv"),
        cues=load_cues(rules_dir / "cues.tsv"),
        laws=load_laws(rules_dir / "laws.tsv"),
        regulator_by_id={r.id: r for r in regulators},
        regions=regions,
        events=load_event_rules(rules_dir / "events.tsv"),
        country_currencies=country_currencies,
        triggers=triggers,
        frames=load_frames(rules_dir / "frames.jsonl", triggers),
        legal_forms=load_legal_forms(rules_dir / "legal_forms.tsv"),
        bounds=load_bounds(rules_dir / "bounds.tsv"),
        function_words=load_function_words(rules_dir / "languages.tsv"),
    )
    return rules
