"""TableWriter: a table written piece by piece, in bounded row groups, renamed into place only on commit."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.write import TableWriter

SCHEMA = pa.schema([("id", pa.int64()), ("text", pa.string())])


def pieces(n: int, rows: int = 10) -> list[pa.Table]:
    return [pa.table({"text": [f"sentence {i}-{j} " * 20 for j in range(rows)],  # columns out of order: selected
                      "id": list(range(i * rows, (i + 1) * rows))}) for i in range(n)]


@pytest.mark.parametrize("rows_per_group, bytes_per_group, groups", [
    (50_000, 8 << 20, 1),  # everything fits one group
    (25, 8 << 20, 4),      # 30 rows a group (pieces are never split), 100 rows
    (50_000, 8_000, 4),    # wide rows (2.7 kB a piece): the byte bound cuts the groups
])
def test_row_groups_are_bounded_by_rows_and_by_bytes(tmp_path, rows_per_group, bytes_per_group, groups):
    w = TableWriter(tmp_path / "t.parquet", SCHEMA, rows_per_group=rows_per_group, bytes_per_group=bytes_per_group)
    for p in pieces(10):
        w.write(p)
    w.commit()
    f = pq.ParquetFile(tmp_path / "t.parquet")
    assert f.metadata.num_row_groups == groups
    assert f.read().equals(pa.concat_tables(p.select(SCHEMA.names) for p in pieces(10)))


def test_readers_see_the_old_table_until_commit_and_abort_leaves_it(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pieces(1)[0].select(SCHEMA.names), path)
    old = pq.read_table(path)
    w = TableWriter(path, SCHEMA)
    w.write(pieces(3)[2])
    w.close()
    assert pq.read_table(path).equals(old)
    w.abort()
    assert pq.read_table(path).equals(old)
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left
