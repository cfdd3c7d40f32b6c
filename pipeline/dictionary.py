"""The data dictionary: what each output table holds and what every column means, in one place.

The spreadsheet export's ``dictionary`` sheet (:mod:`pipeline.export`) and the column tables of ``docs/outputs.md``
(``make docs``, :mod:`pipeline.docs`) are made from it, and ``tests/test_docs.py`` checks it against the columns
the tables are written with, both ways: a column written but not described here, or described here but not
written, fails. So a new column is one entry here, beside the schema (``pipeline/validate.py``) and the writer
(``pipeline/write.py``) that say how it is stored. Meanings are plain text: a spreadsheet cell shows them as
they are.
"""

from __future__ import annotations

from .records import STATUSES as ARTICLE_STATUSES
from .rules import ACTION_TYPES
from .rules import STATUSES as ACTION_STATUSES

_TYPES = ", ".join(ACTION_TYPES).replace("penalty", "penalty (periodic, daily or overdue-payment)")

# What one row of each table is, in the order an analyst opens them (the workbook's sheet order).
TABLES: dict[str, str] = {
    "events": "one row per enforcement action however many articles report it (each action once)",
    "actions": "one row per enforcement action an article reports (an action repeated within a story is one row)",
    "articles": "one row per input file or record inside a container, whatever happened to it",
    "mentions": "every regulator, target, money, date, order and legal-basis span found, part of an action or not",
    "errors": "rows that failed their table's schema and were kept out of it: nothing is dropped silently",
}

COLUMNS: dict[str, dict[str, str]] = {
    "events": {
        "event_id": "16 hex characters: the action_id of the earliest report, so it stays when later articles join",
        "case_id": "16 hex characters, shared by a decision and what followed it (order, penalties, appeal), same "
                   "regulator and target",
        "case_seq": "the event's place in its case, in time order (1 = first)",
        "action_type": f"{_TYPES}, as in actions",
        "status": f"{', '.join(ACTION_STATUSES)}: the value most reports give (on a tie, the latest article's)",
        "regulator_id": "registry id (rules/regulators.tsv): the best-supported value",
        "regulator": "registry name",
        "regulator_country": "ISO 3166-1 alpha-2 or EU",
        "target": "the organisation or person sanctioned: the best-supported name",
        "amount": "the amount most reports give, in currency (exact decimal)",
        "currency": "ISO 4217 code",
        "per_period": "day, week or month for periodic penalties",
        "amount_eur": "EUR at the ECB reference rate",
        "decision_date": "the most precise date the reports agree on: YYYY-MM-DD, YYYY-MM or YYYY",
        "date_precision": "day, month or year",
        "order_text": "the measure ordered, from the most confident report that has one",
        "deadline": "ISO 8601 duration to comply (P2M)",
        "deadline_date": "the date to comply by, when computable",
        "legal_basis": "every law any report cites (a list)",
        "n_articles": "how many articles report this action",
        "first_seen": "earliest publication date among them (null when none has one)",
        "last_seen": "latest publication date among them",
        "article_ids": "the reporting articles, in publication order (a list)",
        "urls": "their URLs (a list)",
        "action_ids": "the rows of the actions table merged into this event (a list)",
        "conflicts": "the fields the reports disagree on: status, amount (not a rounding of each other), currency, "
                     "decision_date, deadline (a list)",
        "conflict_values": "the disagreeing values, as field: value | value; null when none",
        "evidence": "the sentence of the most confident report",
        "confidence": "0-1, that report's confidence",
    },
    "actions": {
        "action_id": "16 hex characters from the article, type, anchor span, regulator, target and measure: the "
                     "same input always gives the same id",
        "article_id": "the article it was read from (articles table)",
        "action_type": _TYPES,
        "status": ", ".join(ACTION_STATUSES),
        "regulator_id": "registry id (rules/regulators.tsv); null when only a country is known",
        "regulator": "registry name; for a body outside the registry, the words that name or describe it (\"the "
                     "Manhattan federal court\", \"the Data Protection Commissioner\")",
        "regulator_country": "ISO 3166-1 alpha-2 (GB, GR) or EU",
        "target": "who was sanctioned: the fullest name the story gives, or the words that describe the party "
                  "(\"hotel chain\", \"private individual\") when it names none",
        "amount": "the exact amount in currency (Parquet decimal128(38,6)), as decided: of an amount and its stated "
                  "equivalent in another currency, the one in the regulator's own currency; null for a range or a "
                  "bound, or when none is stated",
        "currency": "ISO 4217 code; null when the text does not say which",
        "amount_text": "the amount as written",
        "amount_min": "low end of a range ($1 to $5 million); amount is then null",
        "amount_max": "high end of a range",
        "per_period": "day, week or month for periodic penalties",
        "amount_eur": "EUR at the ECB reference rate of fx_date; when the ECB has no rate for the currency, the EUR "
                      "equivalent the text states (eur_source says which); null otherwise",
        "fx_date": "the date of the rate: the decision date when known to the day, else the publication date, else "
                   "the first day of the decision month or year; null for EUR amounts",
        "decision_date": "YYYY-MM-DD, YYYY-MM or YYYY: text, since a month is not a day",
        "date_precision": "day, month or year",
        "order_text": "the measure ordered",
        "deadline": "ISO 8601 duration to comply (P2M)",
        "deadline_date": "the date to comply by, computed only when the decision date is known to the day",
        "legal_basis": "laws cited, such as GDPR Art. 6 (a list)",
        "evidence": "the sentence the action was read from",
        "char_start": "offset of that sentence in the article's normalised text",
        "char_end": "its end offset",
        "confidence": "0-1: 0.45, plus 0.25 when the sentence's grammar names the regulator (0.05 when it is taken "
                      "from the story), plus 0.2 when the grammar binds the target (0.1 when it is named in the "
                      "sentence, 0.05 when taken from the story), plus 0.1 when the grammar binds the amount; 0.1 "
                      "less for an amount bound by its position alone",
        "target_kind": "organisation, person, or description (the target is not a name but the words for the party)",
        "stated_amount": "the same amount as the text also states it in another currency (\"€35,100 (£30,000)\"): "
                         "never a second action",
        "stated_currency": "ISO 4217 code of stated_amount",
        "eur_source": "how amount_eur was found: ecb (the reference rate; an EUR amount as it is) or stated (the "
                      "text's own EUR equivalent)",
        "event_id": "the event this report belongs to (events table)",
        "case_id": "the case of that event",
    },
    "articles": {
        "article_id": "16 hex characters from the normalised text (a duplicate's id also hashes its source)",
        "source": "the path as given; for a record inside a container file.jsonl:LINE, file.json:ITEM, "
                  "file.warc.gz:RECORD or file.zip!member",
        "external_id": "the record's id (JSON, JSONL), the id: header line, or an e-mail's Message-ID",
        "url": "the article's URL, when the input gives one",
        "title": "the article's title",
        "published": "publication date, only when the input names a day",
        "language": "ISO 639-1 code (en, fr, de...); und for a short text that shows no language (read as English); "
                    "null when the text is in a script whose language cannot be told",
        "encoding": "the encoding the bytes were decoded with (utf-8+ftfy when mojibake was repaired, pdf for a "
                    "text layer)",
        "extraction": "for HTML: main (trafilatura's main text) or plain (the visible text, when the main text was "
                      "missing or much shorter: a short fragment); null for other inputs",
        "n_chars": "characters of normalised text",
        "status": f"{ARTICLE_STATUSES[0]}, or why it was rejected: {', '.join(ARTICLE_STATUSES[1:])}",
        "error": "why it was rejected: the file, line or record, and what was wrong; null when ok",
        "container": "the input file a record was read from (a .jsonl, .zip, .warc, .gz); null when the row is the "
                     "file itself",
        "duplicate_of": "for a duplicate: the article_id of the first row with the same text; else null",
    },
    "mentions": {
        "mention_id": "16 hex characters from the article, kind and offsets",
        "article_id": "the article",
        "action_id": "the action the span is part of; null when none",
        "kind": "regulator, target, money, date, order or legal_basis",
        "text": "the span as written",
        "char_start": "offset in the article's normalised text",
        "char_end": "end offset",
        "normalized": "the value read: registry id or country, target name, amount and currency, ISO date, "
                      "deadline, law",
        "role": "for money: sanction, or what else the amount is (valuation, revenue, profit, funding, "
                "statutory_max, damages_claimed, redress, price, market_size, acquisition, provision, "
                "shareholder_return, conversion) or unknown; for a regulator how it was named (registry, "
                "description, country); for a date date, deadline, start or attribute",
        "amount": "the amount of a money span (exact decimal)",
        "currency": "its ISO 4217 code",
    },
    "errors": {
        "table": "the table the row failed",
        "row_id": "the row's id in that table",
        "article_id": "its article",
        "column": "the column that failed",
        "check": "the check it failed",
        "failure": "the failing value",
    },
}


def written_columns() -> dict[str, list[str]]:
    """The columns each table is written with, in order, as the writers define them."""
    from .events import EVENT_COLUMNS
    from .run import ERROR_COLUMNS
    from .write import ACTION_COLUMNS, ARTICLE_COLUMNS, MENTION_COLUMNS

    return {"events": EVENT_COLUMNS, "actions": ACTION_COLUMNS, "articles": ARTICLE_COLUMNS,
            "mentions": MENTION_COLUMNS, "errors": ERROR_COLUMNS}


def meaning(table: str, column: str) -> str:
    """What ``column`` of ``table`` means; empty for a column the dictionary does not know (a test keeps that from
    happening to a column the pipeline writes).

    >>> meaning("actions", "date_precision"), meaning("actions", "no_such_column")
    ('day, month or year', '')
    """
    return COLUMNS.get(table, {}).get(column, "")
