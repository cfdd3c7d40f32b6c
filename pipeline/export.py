"""Spreadsheets for analysts: the Parquet tables as one XLSX workbook and as CSV files, ready to open.

The workbook has one sheet per table with typed cells (amounts are numbers with the currency in the next column,
calendar dates are dates), a frozen header row, an autofilter and column widths that fit, and a ``dictionary``
sheet saying what every column means (from :mod:`pipeline.dictionary`). CSV files are UTF-8 with a byte-order
mark, which is how Excel recognises UTF-8. In both, no text cell can be run as a formula (:func:`inert`): article
text is untrusted input.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .dictionary import TABLES as DICTIONARY_TABLES
from .dictionary import meaning

TABLES = tuple(DICTIONARY_TABLES)  # sheet order: what analysts open first
# A spreadsheet runs a cell that starts with one of these as a formula (or a DDE command, in older Excel).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL = 32_767  # Excel's limit on characters in one cell
MAX_ROWS = 1_048_576 - 1  # Excel's row limit, less the header
AMOUNT_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"



def inert(text: str) -> str:
    """Text a spreadsheet will show but never run: a leading ``'`` when it starts like a formula.

    >>> inert('=HYPERLINK("http://evil.example","click")')
    '\\'=HYPERLINK("http://evil.example","click")'
    >>> inert("+1 555 0100"), inert("-2%"), inert("@SUM(A1)"), inert("\\t=1+1")
    ("'+1 555 0100", "'-2%", "'@SUM(A1)", "'\\t=1+1")
    >>> inert("Clearview AI"), inert("")
    ('Clearview AI', '')
    """
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _missing(v: Any) -> bool:
    if v is None or v is pd.NaT or v is pd.NA:
        return True
    return isinstance(v, float) and math.isnan(v)


def cell_value(v: Any) -> Any:
    """One table value as a spreadsheet cell value: a number, a date, inert text, or None.

    >>> (cell_value(Decimal("20000000.000000")), cell_value(dt.date(2022, 10, 17)),
    ...  cell_value(["GDPR Art. 6", "GDPR Art. 9"]))
    (20000000.0, datetime.date(2022, 10, 17), 'GDPR Art. 6; GDPR Art. 9')
    >>> cell_value(float("nan")) is None, cell_value("=1+1")
    (True, "'=1+1")
    """
    if isinstance(v, (list, tuple, np.ndarray)):
        return inert("; ".join(str(x) for x in v)) if len(v) else None
    if _missing(v):
        return None
    if isinstance(v, Decimal):
        return float(v)  # a spreadsheet number is a double; the exact value stays in the Parquet and CSV files
    if isinstance(v, dt.datetime):  # also pd.Timestamp; the tables hold calendar dates, not times
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (bool, int, float)):
        return v
    return inert(str(v))


def csv_value(v: Any) -> str:
    """One table value as CSV text: exact decimals, ISO dates, inert text, empty for missing.

    >>> csv_value(Decimal("13377600000.000000")), csv_value(dt.date(2023, 5, 22)), csv_value("@cmd"), csv_value(None)
    ('13377600000', '2023-05-22', "'@cmd", '')
    """
    if isinstance(v, Decimal):
        return f"{v.normalize():f}"
    value = cell_value(v)
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write`` on a temporary file beside ``path``, then rename it over ``path``: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; analysts share these files
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _width(header: str, values: list) -> float:
    longest = max([len(header)] + [len(str(v)) for v in values[:500] if v is not None])
    return min(max(longest, 8), 60) + 2  # wide enough to read, narrow enough that a sentence wraps off-screen


def write_xlsx(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """One sheet per table (in :data:`TABLES` order), then the data dictionary, written atomically."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    def clean(v: Any) -> Any:
        if isinstance(v, str):  # control characters are not allowed in XLSX; articles may contain them
            v = ILLEGAL_CHARACTERS_RE.sub(" ", v)
            return v[:MAX_CELL]
        return v

    wb = Workbook()
    wb.remove(wb.worksheets[0])  # the empty sheet a new workbook starts with
    for name in [t for t in TABLES if t in tables]:
        df = tables[name]
        if len(df) > MAX_ROWS:
            raise ValueError(f"{name}: {len(df)} rows do not fit in a spreadsheet ({MAX_ROWS}); use the CSV file")
        ws = wb.create_sheet(name)
        columns = list(df.columns)
        ws.append(columns)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        rows = [[clean(cell_value(v)) for v in row] for row in df.itertuples(index=False, name=None)]
        for row in rows:
            ws.append(row)
        for j, col in enumerate(columns, 1):
            letter = get_column_letter(j)
            values = [r[j - 1] for r in rows]
            fmt = None
            if any(isinstance(v, dt.date) for v in values):
                fmt = DATE_FORMAT
            elif col.startswith("amount") and any(isinstance(v, float) for v in values):
                fmt = AMOUNT_FORMAT
            if fmt:
                for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                    cell.number_format = fmt
            width = 12 if fmt == DATE_FORMAT else 18 if fmt else _width(col, values)
            ws.column_dimensions[letter].width = width
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{get_column_letter(max(len(columns), 1))}{len(rows) + 1}"
    ws = wb.create_sheet("dictionary")
    ws.append(["table", "column", "meaning"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for name in [t for t in TABLES if t in tables]:
        for col in tables[name].columns:
            ws.append([name, col, inert(meaning(name, col))])
    for letter, width in zip("ABC", (12, 18, 100), strict=True):
        ws.column_dimensions[letter].width = width
    for (cell,) in ws.iter_rows(min_row=2, min_col=3, max_col=3):
        cell.alignment = Alignment(wrap_text=True)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:C{ws.max_row}"
    write_atomic(path, lambda tmp: wb.save(tmp))


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """``df`` as CSV, UTF-8 with BOM, every field quoted where needed, written atomically."""
    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(list(df.columns))
            for row in df.itertuples(index=False, name=None):
                w.writerow([csv_value(v) for v in row])
    write_atomic(path, write)


def export_tables(tables: dict[str, pd.DataFrame], out: Path) -> list[Path]:
    """Write ``out/enforcement.xlsx`` and ``out/csv/<table>.csv`` for each table; the paths written."""
    out = Path(out)
    written = []
    for name in [t for t in TABLES if t in tables]:
        path = out / "csv" / f"{name}.csv"
        write_csv(tables[name], path)
        written.append(path)
    xlsx = out / "enforcement.xlsx"
    write_xlsx(tables, xlsx)
    return [xlsx] + written


def read_tables(folder: Path, names: tuple[str, ...] = TABLES) -> dict[str, pd.DataFrame]:
    """The Parquet tables of a run; a missing one is an error naming it (run the pipeline first)."""
    folder = Path(folder)
    missing = [n for n in names if not (folder / f"{n}.parquet").is_file()]
    if missing:
        raise FileNotFoundError(f"{folder}: no {', '.join(m + '.parquet' for m in missing)}; run the pipeline first")
    return {n: pd.read_parquet(folder / f"{n}.parquet") for n in names}


def export(folder: Path) -> list[Path]:
    """Read the run's Parquet tables in ``folder`` and write the spreadsheet files beside them."""
    return export_tables(read_tables(folder), folder)
