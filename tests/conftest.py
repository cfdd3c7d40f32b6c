from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "seeds" / "000_9686abffc0f42f1c.txt"


@pytest.fixture(scope="session")
def corpus_run(tmp_path_factory):
    """The pipeline run once over the team corpus; tests read its tables."""
    import pandas as pd

    from pipeline.run import run

    out = tmp_path_factory.mktemp("corpus_out")
    summary = run([ROOT / "corpus" / "articles"], out)
    tables = {n: pd.read_parquet(out / f"{n}.parquet") for n in ("articles", "actions", "mentions", "events", "errors")}
    return summary, tables
