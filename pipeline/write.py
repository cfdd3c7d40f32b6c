"""Records to DataFrames to Parquet, written atomically (temporary file in the same folder, then rename)."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .records import Action, Article, Mention

MONEY = pa.decimal128(38, 6)  # exact: up to 10^32 with six decimals, far beyond any fine in any currency

ARTICLE_COLUMNS = ["article_id", "source", "external_id", "url", "title", "published", "language", "encoding",
                   "extraction", "n_chars", "status", "error", "container", "duplicate_of"]
ACTION_COLUMNS = ["action_id", "article_id", "action_type", "status", "regulator_id", "regulator", "regulator_country",
                  "target", "amount", "currency", "amount_text", "amount_min", "amount_max", "per_period", "amount_eur",
                  "fx_date", "decision_date", "date_precision", "order_text", "deadline", "deadline_date",
                  "legal_basis", "evidence", "char_start", "char_end", "confidence", "target_kind", "stated_amount",
                  "stated_currency", "eur_source", "event_id", "case_id"]
# Filled in after validation by pipeline/events.py (link_events), not by the extractor.
LINK_COLUMNS = ["event_id", "case_id"]
MENTION_COLUMNS = ["mention_id", "article_id", "action_id", "kind", "text", "char_start", "char_end", "normalized",
                   "role", "amount", "currency"]

ARROW_TYPES = {
    "published": pa.date32(), "fx_date": pa.date32(), "deadline_date": pa.date32(),
    "amount": MONEY, "amount_min": MONEY, "amount_max": MONEY, "amount_eur": MONEY, "stated_amount": MONEY,
    "n_chars": pa.int64(), "char_start": pa.int64(), "char_end": pa.int64(), "confidence": pa.float64(),
    "legal_basis": pa.list_(pa.string()),
    # events.parquet
    "first_seen": pa.date32(), "last_seen": pa.date32(), "case_seq": pa.int64(), "n_articles": pa.int64(),
    "article_ids": pa.list_(pa.string()), "urls": pa.list_(pa.string()), "action_ids": pa.list_(pa.string()),
    "conflicts": pa.list_(pa.string()),
}


def _dates(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    for c in cols:
        if c in df:
            df[c] = pd.to_datetime(df[c], errors="raise").astype("datetime64[ms]")
    return df


def _obj(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Python objects with None for missing, the form the schemas and pyarrow both expect."""
    for c in df.columns:
        if df[c].dtype == "str" or df[c].dtype == "string" or str(df[c].dtype) == "str":
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df


def article_row(a: Article) -> dict:
    """The row of ``articles.parquet`` for an article: everything but its text (a run buffers rows, not texts)."""
    return {"article_id": a.article_id, "source": a.source, "external_id": a.external_id, "url": a.url,
            "title": a.title, "published": a.published, "language": a.language, "encoding": a.encoding,
            "extraction": a.extraction, "n_chars": a.n_chars, "status": a.status, "error": a.error,
            "container": a.container, "duplicate_of": a.duplicate_of}


def articles_frame(articles: list[Article] | list[dict]) -> pd.DataFrame:
    """The articles table of ``articles`` (Article objects, or their :func:`article_row` rows)."""
    rows = [a if isinstance(a, dict) else article_row(a) for a in articles]
    df = pd.DataFrame(rows, columns=ARTICLE_COLUMNS)
    df["n_chars"] = df["n_chars"].astype("int64")
    return _obj(_dates(df, ["published"]))


def actions_frame(actions: list[Action], n_chars: dict[str, int]) -> pd.DataFrame:
    rows = []
    for a in actions:
        row = {c: getattr(a, c) for c in ACTION_COLUMNS if c != "action_id" and c not in LINK_COLUMNS}
        row["action_id"] = a.action_id
        row["n_chars"] = n_chars.get(a.article_id, 0)
        rows.append(row)
    df = pd.DataFrame(rows, columns=[c for c in ACTION_COLUMNS if c not in LINK_COLUMNS] + ["n_chars"])
    for c in ("char_start", "char_end", "n_chars"):
        df[c] = df[c].astype("int64")
    df["confidence"] = df["confidence"].astype("float64")
    for c in ("amount", "amount_min", "amount_max", "amount_eur", "stated_amount"):
        df[c] = df[c].astype(object).where(df[c].notna(), None)
    return _obj(_dates(df, ["fx_date", "deadline_date"]))


def mentions_frame(mentions: list[Mention], n_chars: dict[str, int]) -> pd.DataFrame:
    rows = []
    for m in mentions:
        row = {f.name: getattr(m, f.name) for f in dataclasses.fields(m)}
        row["mention_id"] = m.mention_id
        row["n_chars"] = n_chars.get(m.article_id, 0)
        rows.append(row)
    df = pd.DataFrame(rows, columns=MENTION_COLUMNS + ["n_chars"])
    for c in ("char_start", "char_end", "n_chars"):
        df[c] = df[c].astype("int64")
    df["amount"] = df["amount"].astype(object).where(df["amount"].notna(), None)
    return _obj(df)


def to_arrow(df: pd.DataFrame, columns: list[str]) -> pa.Table:
    fields = [pa.field(c, ARROW_TYPES.get(c, pa.string())) for c in columns]
    data = {}
    for f in fields:
        values = df[f.name].tolist() if f.name in df else [None] * len(df)
        if not pa.types.is_floating(f.type):  # pandas writes a missing string as NaN; Arrow wants None
            values = [None if isinstance(v, float) and v != v else v for v in values]
        if pa.types.is_date32(f.type):
            values = [None if v is None or pd.isna(v) else pd.Timestamp(v).date() for v in values]
        data[f.name] = pa.array(values, type=f.type)
    return pa.table(data, schema=pa.schema(fields))


def umask() -> int:
    """This process's umask, read without changing it (``os.umask`` can only set it, racing other threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def mkstemp_shared(path: Path) -> str:
    """A temporary file beside ``path`` (to be renamed over it) with the mode the user's umask gives a new file
    (0644 under 022), not mkstemp's 0600: the renamed file keeps it, and a team share, a BI service running as
    another user or a colleague must be able to read the tables."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~umask())
    finally:
        os.close(fd)
    return tmp


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` atomically: readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = mkstemp_shared(path)
    try:
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class TableWriter:
    """A Parquet table written piece by piece into a temporary file and renamed into place by :meth:`commit`.

    Pieces are buffered into row groups of at most ``rows_per_group`` rows or ``bytes_per_group`` bytes (in
    Arrow), whichever comes first, so a table of any size is written with the memory of one row group, and
    readers of ``path`` keep seeing the previous table until the rename. The byte bound matters for wide rows:
    50,000 actions with their evidence sentences hold some 50 MB. 1 MB (about 2,000 actions, 5,000 article rows)
    is what a 1,000-article run fills anyway: 4 MB groups made the 20,000-article run's peak 13 MB higher
    (measured), and readers (pandas, DuckDB) read such groups at full speed.
    """

    PIECES = 64  # pieces held before they are copied into one

    def __init__(self, path: Path, schema: pa.Schema, rows_per_group: int = 50_000, bytes_per_group: int = 1 << 20):
        self.path, self.schema = Path(path), schema
        self.rows_per_group, self.bytes_per_group = rows_per_group, bytes_per_group
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = mkstemp_shared(self.path)
        self._writer = pq.ParquetWriter(self.tmp, schema, compression="zstd")
        self._pending: list[pa.Table] = []
        self._n = self._bytes = 0
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            piece = table.select(self.schema.names).cast(self.schema)
            self._pending.append(piece)
            self._n += piece.num_rows
            self._bytes += piece.nbytes
            self.rows += piece.num_rows
            if self._n >= self.rows_per_group or self._bytes >= self.bytes_per_group:
                self._flush()
            elif len(self._pending) >= self.PIECES:
                # Each piece costs some 700 bytes of C++ objects a column whatever its rows: 2,000 one-article
                # pieces of the actions held 40 MB of them for 3 MB of data (measured). Copied into one, they don't.
                self._pending = [pa.concat_tables(self._pending).combine_chunks()]

    def _flush(self) -> None:
        if self._pending:
            self._writer.write_table(pa.concat_tables(self._pending), row_group_size=max(self._n, 1))
        self._pending, self._n, self._bytes = [], 0, 0

    def close(self) -> None:
        """Finish the temporary file (``tmp``), to be read before it is committed or aborted."""
        if self._writer is not None:
            self._flush()
            self._writer.close()
            self._writer = None

    def commit(self) -> None:
        """Finish the file, flush it to disk and rename it over ``path``."""
        self.close()
        with open(self.tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        try:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        finally:
            if os.path.exists(self.tmp):
                os.unlink(self.tmp)
