"""One self-contained HTML page over a run's tables: charts (inline SVG), the largest actions with their evidence,
counts by type and status, and the articles rejected and why. Nothing in it loads from the network.

Money is summed over **events** (each action once, however many articles report it), in EUR at the ECB rate, and
only for sanctions actually owed: fines, settlements and one-off penalties that were imposed, appealed or reduced.
Threatened and proposed amounts, periodic rates ("€100,000 a day") and annulled decisions are left out, and when a
case holds a reduced amount, the amount it replaced is not counted again.
"""

from __future__ import annotations

import base64
import html
import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from .export import read_tables, write_atomic

MONEY_TYPES = ("fine", "settlement", "penalty")
OWED = ("imposed", "appealed", "reduced")
SUPERSEDING = ("reduced", "annulled")  # a later decision on the same sanction replaces the earlier amount
TOP_N = 15


def _year(row: pd.Series) -> int | None:
    d = row["decision_date"]
    if isinstance(d, str) and d:
        return int(d[:4])
    seen = row["first_seen"]
    return None if seen is None or pd.isna(seen) else pd.Timestamp(seen).year


def counted_money(events: pd.DataFrame) -> pd.DataFrame:
    """The events whose EUR amount counts towards totals (see the module docstring), with a ``year`` column.

    >>> ev = pd.DataFrame({"case_id": ["c1", "c1", "c2", "c3"], "case_seq": [1, 2, 1, 1],
    ...     "action_type": ["fine", "fine", "penalty", "fine"],
    ...     "status": ["imposed", "reduced", "threatened", "imposed"],
    ...     "per_period": [None, None, "day", None], "amount_eur": [Decimal(100), Decimal(80), Decimal(1), None],
    ...     "decision_date": ["2018-07", "2022-09-14", None, "2020"], "first_seen": [None, None, None, None]})
    >>> counted_money(ev)[["case_id", "amount_eur", "year"]].values.tolist()
    [['c1', Decimal('80'), 2022]]
    """
    if events.empty:
        return events.assign(year=pd.Series(dtype="Int64"))
    ev = events[events["action_type"].isin(MONEY_TYPES) & events["per_period"].isna()
                & events["amount_eur"].map(lambda v: v is not None and not pd.isna(v))]
    keep = []
    for _, e in ev.iterrows():
        if e["status"] not in OWED:
            continue
        later = events[(events["case_id"] == e["case_id"]) & (events["action_type"] == e["action_type"])
                       & (events["case_seq"] > e["case_seq"]) & events["status"].isin(SUPERSEDING)]
        if later.empty:
            keep.append(e.name)
    out = ev.loc[keep].copy()
    out["year"] = [_year(r) for _, r in out.iterrows()]
    return out


def _eur(v: Any) -> str:
    """Short EUR text for a chart label or a table.

    >>> _eur(Decimal("1200000000")), _eur(Decimal("746000000")), _eur(Decimal("5200000")), _eur(Decimal("950"))
    ('€1.20bn', '€746.0m', '€5.2m', '€950')
    """
    v = float(v)
    if v >= 1e9:
        return f"€{v / 1e9:.2f}bn"
    if v >= 1e6:
        return f"€{v / 1e6:.1f}m"
    return f"€{v:,.0f}"


def _svg_bar(labels: list[str], values: list[float], title: str, xlabel: str, money: bool = True) -> str:
    """A horizontal bar chart as an ``<img>`` of SVG (fonts drawn as paths, so the page needs no font files)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    plt.rcParams.update({"svg.fonttype": "path", "svg.hashsalt": "enforcement-report", "font.size": 9})
    height = max(1.6, 0.32 * len(labels) + 0.9)
    fig, ax = plt.subplots(figsize=(7.5, height))
    try:
        if not labels:
            ax.text(0.5, 0.5, "nothing to show", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
        else:
            y = list(range(len(labels)))[::-1]
            ax.barh(y, values, color="#3b6ea5")
            ax.set_yticks(y, labels)
            ax.set_xlabel(xlabel)
            for yi, v in zip(y, values, strict=True):
                ax.text(v, yi, " " + (_eur(v) if money else f"{v:g}"), va="center", fontsize=8)
            ax.set_xlim(0, max(values) * 1.25 if max(values) > 0 else 1)
            ax.spines[["top", "right"]].set_visible(False)
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))
            if money:
                ax.xaxis.set_major_formatter(lambda v, _: _eur(v) if v else "0")
        ax.set_title(title, loc="left", fontsize=10)
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    finally:
        plt.close(fig)
    # An <img> with a data: URI keeps each chart's glyph and clip-path ids to itself (inline SVGs would share them).
    data = base64.b64encode(buf.getvalue().encode("utf-8")).decode("ascii")
    return f'<img alt="{html.escape(title, quote=True)}" src="data:image/svg+xml;base64,{data}">'



def _totals(df: pd.DataFrame, by: str, limit: int | None = 20) -> tuple[list[str], list[float]]:
    if df.empty:
        return [], []
    s = df.groupby(by)["amount_eur"].apply(lambda x: float(sum(x, Decimal(0)))).sort_values(ascending=False)
    if by == "year":
        s = s.sort_index()
    if limit:
        s = s.head(limit)
    return [str(k) for k in s.index], [float(v) for v in s.values]


def _table(df: pd.DataFrame, escape_cols: list[str] | None = None) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = []
    for _, r in df.iterrows():
        cells = []
        for c in df.columns:
            v = r[c]
            raw = c in (escape_cols or [])  # already-built HTML (links), escaped when it was built
            text = "" if v is None or (not isinstance(v, (list, tuple)) and pd.isna(v)) else str(v)
            cells.append(f"<td>{text if raw else html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _links(urls: Any) -> str:
    """Article links; only http(s) URLs become links (a ``javascript:`` URL from an article stays text)."""
    out = []
    for u in list(urls if urls is not None else []):
        u = str(u)
        if u.startswith(("http://", "https://")):
            out.append(f'<a href="{html.escape(u, quote=True)}" rel="noreferrer noopener">{html.escape(u)}</a>')
        else:
            out.append(html.escape(u))
    return "<br>".join(out)


CSS = """body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:72rem;
color:#222;padding:0 1rem}h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}th,td{border:1px solid #ddd;padding:.25rem .5rem;
text-align:left;vertical-align:top}th{background:#f3f3f3}td.num{text-align:right}.note{color:#555;font-size:.85rem}
.charts img{max-width:100%;height:auto;display:block;margin:1rem 0}"""


def render(tables: dict[str, pd.DataFrame], generated: date | None = None) -> str:
    """The report page as an HTML string."""
    events, actions, articles = tables["events"], tables["actions"], tables["articles"]
    money = counted_money(events)
    # A report that names only the country ("the French regulator") is its own bar, not folded into a body.
    who = [r if isinstance(r, str) else f"{c} (body not named)" if isinstance(c, str) else "(not named)"
           for r, c in zip(money["regulator"], money["regulator_country"], strict=True)]
    by_reg = money.assign(who=who)
    charts = [
        _svg_bar(*_totals(by_reg, "who"), "Fines and settlements owed, by regulator (top 20)", "EUR"),
        _svg_bar(*_totals(money.dropna(subset=["year"]).astype({"year": int}), "year", None),
                 "By year of decision (else of first report)", "EUR"),
        _svg_bar(*_totals(money.assign(cc=money["regulator_country"].fillna("(unknown)")), "cc"),
                 "By country where the target was sanctioned (the regulator's country)", "EUR"),
    ]
    counts = (events.groupby(["action_type", "status"]).size().rename("events").reset_index()
              if not events.empty else pd.DataFrame(columns=["action_type", "status", "events"]))
    type_counts = events["action_type"].value_counts() if not events.empty else pd.Series(dtype=int)
    charts.append(_svg_bar(list(type_counts.index), [float(v) for v in type_counts.values],
                           "Events by action type", "events", money=False))
    pivot = (counts.pivot_table(index="action_type", columns="status", values="events", aggfunc="sum", fill_value=0)
             .reset_index() if not counts.empty else counts)

    top = money.sort_values("amount_eur", ascending=False, key=lambda s: s.map(float)).head(TOP_N)
    largest = pd.DataFrame({
        "EUR": [_eur(v) for v in top["amount_eur"]],
        "as decided": [f"{Decimal(str(a)).normalize():,f} {c}" if a is not None else "" for a, c in
                       zip(top["amount"], top["currency"], strict=True)],
        "regulator": top["regulator"].fillna(top["regulator_country"]),
        "target": top["target"], "type": top["action_type"], "status": top["status"],
        "date": top["decision_date"], "articles": top["n_articles"],
        "evidence": top["evidence"], "sources": [_links(u) for u in top["urls"]],
    })
    rejected = articles[articles["status"] != "ok"]
    reasons = (rejected.groupby("status").size().rename("articles").reset_index()
               if not rejected.empty else pd.DataFrame({"status": [], "articles": []}))
    conflicting = int((events["conflicts"].map(len) > 0).sum()) if not events.empty else 0
    total = sum(money["amount_eur"], Decimal(0)) if not money.empty else Decimal(0)
    summary = (f"{len(articles)} articles read ({len(articles) - len(rejected)} ok, {len(rejected)} rejected); "
               f"{len(actions)} actions reported, {len(events)} distinct events in "
               f"{events['case_id'].nunique() if not events.empty else 0} cases; "
               f"{int((events['n_articles'] > 1).sum()) if not events.empty else 0} events reported by more than "
               f"one article, {conflicting} with articles that disagree. Owed in total: {_eur(total)}.")
    when = (generated or date.today()).isoformat()
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>Enforcement actions report</title><style>{CSS}</style></head><body>",
        "<h1>Enforcement actions</h1>",
        f"<p>{html.escape(summary)}</p>",
        f"<p class='note'>Generated {when}. Amounts are summed over events (each action once however many "
        "articles report it), in EUR at the ECB reference rate: fines, settlements and one-off penalties imposed, "
        "under appeal or reduced; threatened and proposed amounts, daily rates and annulled decisions are left "
        "out, and a reduced amount replaces the one it cut. Actions without an EUR amount (no date for the rate) "
        "are not in the totals.</p>",
        "<h2>Money owed</h2><div class='charts'>", *charts[:3], "</div>",
        f"<h2>The {TOP_N} largest</h2>", _table(largest, escape_cols=["sources"]),
        "<h2>Events by type and status</h2><div class='charts'>", charts[3], "</div>", _table(pivot),
        "<h2>Articles rejected, by reason</h2>",
        _table(reasons) if not reasons.empty else "<p>None: every article was read.</p>",
        "</body></html>",
    ]
    return "\n".join(parts)


def report(folder: Path) -> Path:
    """Read the run's tables in ``folder`` and write ``folder/report.html``."""
    folder = Path(folder)
    page = render(read_tables(folder, ("events", "actions", "articles")))
    path = folder / "report.html"
    write_atomic(path, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return path
