"""The parts of the documentation that are made from the code and the data: ``make docs`` (``python -m pipeline.docs``).

- ``docs/outputs.md``: each table's column list, between ``<!-- columns:TABLE -->`` and ``<!-- /columns:TABLE -->``,
  from :mod:`pipeline.dictionary` in the order the columns are written.
- ``README.md``: the sample between ``<!-- sample -->`` and ``<!-- /sample -->``: the DuckDB one-liner written
  there, run over ``outputs/actions.parquet`` (a ``make run``), and its rows as a table.

Everything outside the markers is written by hand. ``tests/test_docs.py`` fails when a committed file differs from
what this writes.
"""

from __future__ import annotations

import math
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from .dictionary import TABLES, meaning, written_columns

ROOT = Path(__file__).resolve().parent.parent
OUTPUTS_MD = ROOT / "docs" / "outputs.md"
README = ROOT / "README.md"
# the SQL inside the README's one-liner: .venv/bin/python -c "import duckdb; duckdb.sql(\"SQL\").show()"
_ONE_LINER_SQL = re.compile(r'duckdb\.sql\(\\"(.+?)\\"\)\.show\(\)')


def _cell(value: Any) -> str:
    """A value as a Markdown table cell.

    >>> _cell(Decimal("14700000000.000000")), _cell(None), _cell(float("nan")), _cell("a | b")
    ('14700000000', '', '', 'a \\\\| b')
    """
    if value is None or isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, Decimal):
        value = f"{value.normalize():f}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(header: list[str], rows: list[list]) -> str:
    """A Markdown table.

    >>> print(markdown_table(["a", "b"], [[1, None]]))
    | a | b |
    |---|---|
    | 1 |  |
    """
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def column_table(table: str) -> str:
    """The Markdown list of ``table``'s columns and their meanings, in the order the table is written."""
    return markdown_table(["column", "meaning"], [[f"`{c}`", meaning(table, c)] for c in written_columns()[table]])


def fill(text: str, key: str, content: str) -> str:
    """``text`` with what stands between ``<!-- key -->`` and ``<!-- /key -->`` replaced by ``content``.

    >>> fill("a\\n<!-- x -->\\nold\\n<!-- /x -->\\nb", "x", "new")
    'a\\n<!-- x -->\\nnew\\n<!-- /x -->\\nb'
    """
    pattern = re.compile(rf"(<!-- {re.escape(key)}(?=[\s:])[^>]*-->\n).*?(<!-- /{re.escape(key)} -->)", re.S)
    if not pattern.search(text):
        raise ValueError(f"no <!-- {key} --> ... <!-- /{key} --> markers to fill")
    return pattern.sub(lambda m: m.group(1) + content + "\n" + m.group(2), text, count=1)


def outputs_md(text: str) -> str:
    """``docs/outputs.md`` with every table's column list made anew."""
    for table in TABLES:
        text = fill(text, f"columns:{table}", column_table(table))
    return text


def sample_sql(readme: str) -> str:
    """The SQL of the README's DuckDB one-liner (the first in its sample block)."""
    block = readme.split("<!-- sample", 1)[1].split("<!-- /sample -->", 1)[0]
    found = _ONE_LINER_SQL.search(block)
    if not found:
        raise ValueError("README.md's sample block has no duckdb.sql(\\\"...\\\").show() one-liner")
    return found.group(1)


def sample_table(sql: str, outputs: Path = Path("outputs")) -> str:
    """The rows of the sample query over the tables in ``outputs``, as a Markdown table."""
    import duckdb

    rows = duckdb.connect().sql(sql.replace("'outputs/", f"'{Path(outputs).as_posix()}/"))
    return markdown_table(rows.columns, [list(r) for r in rows.fetchall()])  # exact decimals, not pandas floats


def readme_with_sample(readme: str, outputs: Path = Path("outputs")) -> str:
    """``README.md`` with its sample table made anew from the query its one-liner runs."""
    block = readme.split("<!-- sample", 1)[1].split("<!-- /sample -->", 1)[0]
    one_liner = block[block.index("```sh"):block.index("```\n", block.index("```sh") + 5) + 3]
    return fill(readme, "sample", one_liner + "\n\n" + sample_table(sample_sql(readme), outputs))


def main(argv: list[str]) -> int:
    outputs = Path(argv[0]) if argv else Path("outputs")
    OUTPUTS_MD.write_text(outputs_md(OUTPUTS_MD.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {OUTPUTS_MD.relative_to(ROOT)}")
    if not (outputs / "actions.parquet").is_file():
        print(f"{outputs}/actions.parquet not found: run `make run` first for README.md's sample", file=sys.stderr)
        return 2
    README.write_text(readme_with_sample(README.read_text(encoding="utf-8"), outputs), encoding="utf-8")
    print(f"wrote {README.relative_to(ROOT)} (sample from {outputs}/actions.parquet)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
