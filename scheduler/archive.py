"""``OUT/index.html``: the archive of dated reports and how their headline moved day to day.

Written after every publish (``run_once``), atomically, from the dated folders that are left
after pruning, so it lists exactly the reports on disk. Each row is read from the folder's own
files, never from the study code (the scheduler imports neither ``backtest`` nor ``feeds``):

- ``run.json``: ``run_id``, and the last candle (the earliest ``last`` of its price tables:
  the day the report's history really ends);
- ``scenarios.csv``: the headline, ``price_uplift_at_horizon_pct_p50`` at the middle
  allocation (the middle of the sorted allocations; the lower middle for an even count),
  the median over that allocation's scenarios per asset and impact model, as the report's
  answer table computes its cells.

A folder whose files are missing or unreadable still gets its row, with what is wrong. The
page is self-contained like the reports (plotly inlined, nothing from the network).
"""

from __future__ import annotations

import contextlib
import csv
import html
import json
import logging
import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from flowimpact.atomic import atomic_write_text
from scheduler.publish import dated_reports

logger = logging.getLogger("flowimpact.scheduler")

INDEX_NAME = "index.html"
HEADLINE = "price_uplift_at_horizon_pct_p50"

_STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2rem auto;
       max-width: 1200px; color: #222; line-height: 1.45; padding: 0 1rem; }
.meta, .note { color: #555; font-size: 0.9rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.8rem 0; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: right; }
th { background: #f5f5f5; } td:first-child, th:first-child { text-align: left; }
"""


@dataclass(frozen=True)
class ArchiveEntry:
    """One dated report as the archive shows it."""

    day: str
    report: str | None  # link relative to OUT, None if the folder has no report.html
    run_id: str = "–"
    last_candle: str = "–"
    allocation: float | None = None
    headlines_pct: dict[tuple[str, str], float] = field(default_factory=dict)
    problem: str | None = None


def read_entry(folder: Path) -> ArchiveEntry:
    """The archive's row for one dated folder; what cannot be read is named in ``problem``."""
    report = f"{folder.name}/report.html" if (folder / "report.html").is_file() else None
    problems = [] if report else ["no report.html"]
    run_id, last_candle = "–", "–"
    try:
        manifest = json.loads((folder / "run.json").read_text("utf-8"))
        run_id = str(manifest.get("run_id", "–"))
        data = manifest.get("data", [])
        lasts = [str(d["last"])[:10] for d in data if d.get("table") == "prices"]
        last_candle = min(lasts) if lasts else "–"
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        problems.append(f"run.json unreadable ({type(exc).__name__})")
    allocation: float | None = None
    headlines: dict[tuple[str, str], float] = {}
    try:
        allocation, headlines = headline_uplift(folder / "scenarios.csv")
    except (OSError, ValueError, KeyError) as exc:
        problems.append(f"scenarios.csv unreadable ({exc})")
    return ArchiveEntry(
        day=folder.name,
        report=report,
        run_id=run_id,
        last_candle=last_candle,
        allocation=allocation,
        headlines_pct=headlines,
        problem="; ".join(problems) or None,
    )


def headline_uplift(path: Path) -> tuple[float | None, dict[tuple[str, str], float]]:
    """The middle allocation of ``scenarios.csv`` and its median uplift per (asset, model)."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        return None, {}
    if HEADLINE not in rows[0]:
        raise KeyError(f"no {HEADLINE} column")
    allocations = sorted({float(row["allocation"]) for row in rows})
    middle = allocations[(len(allocations) - 1) // 2]
    values: dict[tuple[str, str], list[float]] = {}
    for row in rows:
        if float(row["allocation"]) == middle and row[HEADLINE] not in ("", "nan"):
            values.setdefault((row["asset"], row["model"]), []).append(float(row[HEADLINE]))
    return middle, {key: statistics.median(v) for key, v in values.items()}


def render_index(entries: list[ArchiveEntry]) -> str:
    """The page: a chart of the headlines over the days, then the table, newest first."""
    from plotly import graph_objects as go
    from plotly.offline import get_plotlyjs

    series = sorted({key for entry in entries for key in entry.headlines_pct})
    figure = go.Figure()
    for asset, model in series:
        points = [(e.day, e.headlines_pct[(asset, model)]) for e in entries
                  if (asset, model) in e.headlines_pct]
        figure.add_trace(
            go.Scatter(
                x=[day for day, _ in points],
                y=[value for _, value in points],
                mode="lines+markers",
                name=f"{asset} · {model}",
                hovertemplate="%{x}: %{y:+.2f}%<extra>" + f"{asset} · {model}</extra>",
            )
        )
    figure.update_layout(
        title="Headline uplift by report day (middle allocation, median)",
        xaxis_title="report day (UTC)",
        yaxis_title="price uplift at the horizon (%)",
        template="plotly_white",
        # whole days: a short archive would otherwise be labelled in milliseconds
        xaxis={"type": "date", "tickformat": "%Y-%m-%d", "range": _day_range(entries)},
    )
    chart = figure.to_html(full_html=False, include_plotlyjs=False, config={"responsive": True})
    head = ["date", "last candle", "run_id", "middle allocation"] + [
        f"{asset} · {model} uplift %" for asset, model in series
    ] + ["note"]
    body = "".join(_row(entry, series) for entry in reversed(entries))
    table = (
        "<table><thead><tr>"
        + "".join(f"<th>{html.escape(h)}</th>" for h in head)
        + f"</tr></thead><tbody>{body}</tbody></table>"
    )
    intro = (
        f'<p class="meta">{len(entries)} dated report(s), newest first. The headline is '
        "the median price uplift at the horizon over the scenarios at the middle allocation, "
        "per asset and impact model, as in each report's answer table; it moves as new "
        "candles and ETF flows arrive (last candle) or the study changes (run_id).</p>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>flowimpact: archive of daily reports</title><style>{_STYLE}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head><body>'
        f"<h1>flowimpact: archive of daily reports</h1>{intro}{chart}{table}</body></html>\n"
    )


def _day_range(entries: list[ArchiveEntry]) -> list[str] | None:
    """The chart's x range, at least a week wide, so one or two days still read as days."""
    days = []
    for entry in entries:
        with contextlib.suppress(ValueError):  # a folder named like a date that is none
            days.append(date.fromisoformat(entry.day))
    if not days:
        return None
    first, last = min(days), max(days)
    pad = timedelta(days=max(1, 3 - (last - first).days // 2))
    return [(first - pad).isoformat(), (last + pad).isoformat()]


def _row(entry: ArchiveEntry, series: list[tuple[str, str]]) -> str:
    day = html.escape(entry.day)
    link = f'<a href="{html.escape(entry.report)}">{day}</a>' if entry.report else day
    allocation = "–" if entry.allocation is None else f"{entry.allocation * 100:.4g}%"
    cells = [link, html.escape(entry.last_candle), html.escape(entry.run_id), allocation]
    for key in series:
        value = entry.headlines_pct.get(key)
        cells.append("–" if value is None else f"{value:+.2f}")
    cells.append(html.escape(entry.problem or ""))
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def write_index(out_dir: Path) -> Path:
    """Write ``OUT/index.html`` atomically from the dated folders in ``out_dir``."""
    entries = [read_entry(folder) for folder in dated_reports(out_dir)]
    path = Path(out_dir) / INDEX_NAME
    atomic_write_text(path, render_index(entries))
    return path


__all__ = ["HEADLINE", "INDEX_NAME", "ArchiveEntry", "headline_uplift", "read_entry",
           "render_index", "write_index"]
