"""Table schemas (pandera) and the split of each table into valid rows and an errors report.

A row that breaks its schema is not written to its table; it goes to ``errors.parquet`` with the table, the row's
id, the column and the check it failed. Nothing is dropped silently.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from .records import EXTRACTIONS
from .records import STATUSES as ARTICLE_STATUSES
from .rules import ACTION_TYPES
from .rules import STATUSES as ACTION_STATUSES

ISO2 = r"^(?:[A-Z]{2})$"
ISO4217 = r"^[A-Z]{3}$"
DURATION = r"^P\d+[DWMY]$"
DATE_BY_PRECISION = {"day": r"^\d{4}-\d{2}-\d{2}$", "month": r"^\d{4}-\d{2}$", "year": r"^\d{4}$"}


def _positive_decimal(s: pd.Series) -> pd.Series:
    return s.map(lambda v: v is None or (isinstance(v, Decimal) and v > 0))


def _date_matches_precision(df: pd.DataFrame) -> pd.Series:
    def ok(row: pd.Series) -> bool:
        d, p = row["decision_date"], row["date_precision"]
        if d is None or pd.isna(d):
            return p is None or pd.isna(p)
        import re

        return isinstance(p, str) and p in DATE_BY_PRECISION and re.match(DATE_BY_PRECISION[p], d) is not None
    return df.apply(ok, axis=1)


def _amount_or_range(df: pd.DataFrame) -> pd.Series:
    def ok(row: pd.Series) -> bool:
        if row["amount"] is not None and (row["amount_min"] is not None or row["amount_max"] is not None):
            return False
        # A range has both ends in order; a bound ("up to", "at least") only one of them.
        if row["amount_min"] is not None and row["amount_max"] is not None \
                and not row["amount_min"] < row["amount_max"]:
            return False
        has_money = row["amount"] is not None or row["amount_min"] is not None or row["amount_max"] is not None
        return not has_money or row["action_type"] in ("fine", "penalty", "settlement")
    return df.apply(ok, axis=1)


def _offsets_inside(df: pd.DataFrame) -> pd.Series:
    return (df["char_start"] >= 0) & (df["char_end"] > df["char_start"]) & (df["char_end"] <= df["n_chars"])


ARTICLES = pa.DataFrameSchema(
    {
        "article_id": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]{16}$"), unique=True),
        "source": pa.Column(str, pa.Check.str_length(min_value=1), unique=True),
        "external_id": pa.Column(str, nullable=True),
        "url": pa.Column(str, nullable=True),
        "title": pa.Column(str, nullable=True),
        "published": pa.Column("datetime64[ms]", nullable=True),
        "language": pa.Column(str, nullable=True),
        "encoding": pa.Column(str, nullable=True),
        "extraction": pa.Column(str, pa.Check.isin(EXTRACTIONS), nullable=True),
        "n_chars": pa.Column(int, pa.Check.ge(0)),
        "status": pa.Column(str, pa.Check.isin(ARTICLE_STATUSES)),
        "error": pa.Column(str, nullable=True),
        "container": pa.Column(str, nullable=True),
        "duplicate_of": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]{16}$"), nullable=True),
    },
    checks=[pa.Check(lambda df: (df["status"] == "ok") | df["error"].notna(),
                     error="a rejected article needs an error"),
            pa.Check(lambda df: (df["status"] == "duplicate") == df["duplicate_of"].notna(),
                     error="a duplicate, and only a duplicate, points at the article it copies")],
    strict=True, coerce=False,
)

ACTIONS = pa.DataFrameSchema(
    {
        "action_id": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]{16}$"), unique=True),
        "article_id": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]{16}$")),
        "action_type": pa.Column(str, pa.Check.isin(ACTION_TYPES)),
        "status": pa.Column(str, pa.Check.isin(ACTION_STATUSES)),
        "regulator_id": pa.Column(str, nullable=True),
        "regulator": pa.Column(str, nullable=True),
        "regulator_country": pa.Column(str, pa.Check.str_matches(r"^(?:[A-Z]{2})$"), nullable=True),
        "target": pa.Column(str, nullable=True),
        "amount": pa.Column(object, pa.Check(_positive_decimal, error="amount must be a positive Decimal"),
                            nullable=True),
        "currency": pa.Column(str, pa.Check.str_matches(ISO4217), nullable=True),
        "amount_text": pa.Column(str, nullable=True),
        "amount_min": pa.Column(object, pa.Check(_positive_decimal), nullable=True),
        "amount_max": pa.Column(object, pa.Check(_positive_decimal), nullable=True),
        "per_period": pa.Column(str, pa.Check.isin(["day", "week", "month"]), nullable=True),
        "amount_eur": pa.Column(object, pa.Check(_positive_decimal), nullable=True),
        "fx_date": pa.Column("datetime64[ms]", nullable=True),
        "decision_date": pa.Column(str, nullable=True),
        "date_precision": pa.Column(str, pa.Check.isin(list(DATE_BY_PRECISION)), nullable=True),
        "order_text": pa.Column(str, nullable=True),
        "deadline": pa.Column(str, pa.Check.str_matches(DURATION), nullable=True),
        "deadline_date": pa.Column("datetime64[ms]", nullable=True),
        "legal_basis": pa.Column(object),
        "evidence": pa.Column(str, pa.Check.str_length(min_value=1)),
        "char_start": pa.Column(int),
        "char_end": pa.Column(int),
        "n_chars": pa.Column(int),
        "confidence": pa.Column(float, pa.Check.in_range(0, 1)),
        "target_kind": pa.Column(str, pa.Check.isin(["organisation", "person", "description"]), nullable=True),
        "stated_amount": pa.Column(object, pa.Check(_positive_decimal), nullable=True),
        "stated_currency": pa.Column(str, pa.Check.str_matches(ISO4217), nullable=True),
        "eur_source": pa.Column(str, pa.Check.isin(["ecb", "stated"]), nullable=True),
        # Set after validation by pipeline/events.py; checked when present.
        "event_id": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]{16}$"), nullable=True, required=False),
        "case_id": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]{16}$"), nullable=True, required=False),
    },
    checks=[
        pa.Check(_date_matches_precision, error="decision_date must match its date_precision"),
        pa.Check(_amount_or_range, error="an amount, a rising range or a bound, only on monetary actions"),
        pa.Check(_offsets_inside, error="evidence offsets must lie inside the article text"),
    ],
    strict=True, coerce=False,
)

MENTIONS = pa.DataFrameSchema(
    {
        "mention_id": pa.Column(str, unique=True),
        "article_id": pa.Column(str),
        "action_id": pa.Column(str, nullable=True),
        "kind": pa.Column(str, pa.Check.isin(["regulator", "target", "money", "date", "order", "legal_basis"])),
        "text": pa.Column(str),
        "char_start": pa.Column(int),
        "char_end": pa.Column(int),
        "n_chars": pa.Column(int),
        "normalized": pa.Column(str, nullable=True),
        "role": pa.Column(str, nullable=True),
        "amount": pa.Column(object, nullable=True),
        "currency": pa.Column(str, pa.Check.str_matches(ISO4217), nullable=True),
    },
    checks=[pa.Check(_offsets_inside, error="offsets must lie inside the article text")],
    strict=True, coerce=False,
)

HEX16 = r"^[0-9a-f]{16}$"


def _lists_of_str(s: pd.Series) -> pd.Series:
    return s.map(lambda v: v is not None and all(isinstance(x, str) for x in v))


EVENTS = pa.DataFrameSchema(
    {
        "event_id": pa.Column(str, pa.Check.str_matches(HEX16), unique=True),
        "case_id": pa.Column(str, pa.Check.str_matches(HEX16)),
        "case_seq": pa.Column(int, pa.Check.ge(1)),
        "action_type": pa.Column(str, pa.Check.isin(ACTION_TYPES)),
        "status": pa.Column(str, pa.Check.isin(ACTION_STATUSES)),
        "regulator_id": pa.Column(str, nullable=True),
        "regulator": pa.Column(str, nullable=True),
        "regulator_country": pa.Column(str, pa.Check.str_matches(ISO2), nullable=True),
        "target": pa.Column(str, nullable=True),
        "amount": pa.Column(object, pa.Check(_positive_decimal, error="amount must be a positive Decimal"),
                            nullable=True),
        "currency": pa.Column(str, pa.Check.str_matches(ISO4217), nullable=True),
        "per_period": pa.Column(str, pa.Check.isin(["day", "week", "month"]), nullable=True),
        "amount_eur": pa.Column(object, pa.Check(_positive_decimal), nullable=True),
        "decision_date": pa.Column(str, nullable=True),
        "date_precision": pa.Column(str, pa.Check.isin(list(DATE_BY_PRECISION)), nullable=True),
        "order_text": pa.Column(str, nullable=True),
        "deadline": pa.Column(str, pa.Check.str_matches(DURATION), nullable=True),
        "deadline_date": pa.Column("datetime64[ms]", nullable=True),
        "legal_basis": pa.Column(object, pa.Check(_lists_of_str)),
        "n_articles": pa.Column(int, pa.Check.ge(1)),
        "first_seen": pa.Column("datetime64[ms]", nullable=True),
        "last_seen": pa.Column("datetime64[ms]", nullable=True),
        "article_ids": pa.Column(object, pa.Check(_lists_of_str)),
        "urls": pa.Column(object, pa.Check(_lists_of_str)),
        "action_ids": pa.Column(object, pa.Check(_lists_of_str)),
        "conflicts": pa.Column(object, pa.Check(_lists_of_str)),
        "conflict_values": pa.Column(str, nullable=True),
        "evidence": pa.Column(str, pa.Check.str_length(min_value=1)),
        "confidence": pa.Column(float, pa.Check.in_range(0, 1)),
    },
    checks=[
        pa.Check(_date_matches_precision, error="decision_date must match its date_precision"),
        pa.Check(lambda df: df["n_articles"] == df["article_ids"].map(len), error="n_articles counts article_ids"),
        pa.Check(lambda df: df["first_seen"].isna() | (df["first_seen"] <= df["last_seen"]),
                 error="first_seen after last_seen"),
        pa.Check(lambda df: (df["conflicts"].map(len) > 0) == df["conflict_values"].notna(),
                 error="conflict_values exactly when conflicts"),
    ],
    strict=True, coerce=False,
)

SCHEMAS = {"articles": ARTICLES, "actions": ACTIONS, "mentions": MENTIONS, "events": EVENTS}
ID_COLUMN = {"articles": "article_id", "actions": "action_id", "mentions": "mention_id", "events": "event_id"}


def split_valid(table: str, df: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """Rows that pass the table's schema, and one error record per failed check of the others."""
    if df.empty:
        return df, []
    try:
        SCHEMAS[table].validate(df, lazy=True)
        return df, []
    except SchemaErrors as exc:
        cases = exc.failure_cases
    errors, bad = [], set()
    for _, case in cases.iterrows():
        idx = case.get("index")
        rows = [idx] if idx is not None and not pd.isna(idx) and idx in df.index else list(df.index)
        if case.get("schema_context") == "DataFrameSchema" and case.get("check") == "column_in_schema":
            raise ValueError(f"{table}: unexpected column {case.get('failure_case')!r}")  # a bug, not bad data
        for i in rows:
            bad.add(i)
            errors.append({"table": table, "row_id": str(df.at[i, ID_COLUMN[table]]),
                           "article_id": str(df.at[i, "article_id"]) if "article_id" in df else None,
                           "column": str(case.get("column")),
                           "check": str(case.get("check")), "failure": str(case.get("failure_case"))})
    return df.drop(index=list(bad)), errors
