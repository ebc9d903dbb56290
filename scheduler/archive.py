"""``OUT/index.html``: the archive of dated reports and how their headline moved day to day.

Written after every publish (``run_once``), atomically, from the dated folders that are left
after pruning, so it lists exactly the reports on disk. Each row is read from the folder's own
``run.json``, never from the study code (the scheduler imports neither ``backtest`` nor
``feeds``): ``run_id``; the last candle (the earliest ``last`` of its price tables: the day the
report's history really ends); ``headline``, the one scenario's figure the report and the
terminal lead with (``flowimpact.headline`` formats it, so the row reads the same number);
and ``warnings`` (stale prices or ETF tables, files that could not be imported), in the note.

A folder whose files are missing or unreadable still gets its row, with what is wrong. The
page loads the archive's one plotly.js (``scheduler.shared_js``) beside it and nothing from
the network.
"""

from __future__ import annotations

import contextlib
import html
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flowimpact.atomic import atomic_write_text
from flowimpact.headline import band_text, median_text, scenario_text, uplift_pct
from scheduler import shared_js
from scheduler.publish import dated_reports

logger = logging.getLogger("flowimpact.scheduler")

INDEX_NAME = "index.html"
HEADLINE = "headline"

#: the pages' look at any width: a phone (390 px) reads it without zooming or side-scrolling
_STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 1rem auto;
       max-width: 1200px; color: #222; line-height: 1.45; padding: 0 0.8rem; }
.meta, .note { color: #555; font-size: 0.9rem; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.8rem 0; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: right; }
th { background: #f5f5f5; } td:first-child, th:first-child { text-align: left; }
td.note { text-align: left; min-width: 12rem; }
"""


@dataclass(frozen=True)
class ArchiveEntry:
    """One dated report as the archive shows it."""

    day: str
    report: str | None  # link relative to OUT, None if the folder has no report.html
    run_id: str = "–"
    last_candle: str = "–"
    headline: Mapping[str, Any] | None = None  # run.json's headline object
    warnings: tuple[str, ...] = field(default_factory=tuple)  # run.json's warnings
    problem: str | None = None


def read_entry(folder: Path) -> ArchiveEntry:
    """The archive's row for one dated folder; what cannot be read is named in ``problem``."""
    report = f"{folder.name}/report.html" if (folder / "report.html").is_file() else None
    problems = [] if report else ["no report.html"]
    run_id, last_candle = "–", "–"
    headline: Mapping[str, Any] | None = None
    warnings: tuple[str, ...] = ()
    try:
        manifest = json.loads((folder / "run.json").read_text("utf-8"))
        run_id = str(manifest.get("run_id", "–"))
        data = manifest.get("data", [])
        lasts = [str(d["last"])[:10] for d in data if d.get("table") == "prices"]
        last_candle = min(lasts) if lasts else "–"
        warnings = tuple(str(w) for w in manifest.get("warnings", []))
        headline = manifest.get(HEADLINE)
        if headline is None:
            problems.append("run.json has no headline (written by an older flowimpact)")
        else:
            uplift_pct(headline)  # a malformed headline is named here, not on the page
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        problems.append(f"run.json unreadable ({type(exc).__name__})")
        headline = None
    return ArchiveEntry(
        day=folder.name,
        report=report,
        run_id=run_id,
        last_candle=last_candle,
        headline=headline,
        warnings=warnings,
        problem="; ".join(problems) or None,
    )


def _series_name(headline: Mapping[str, Any]) -> str:
    return f"{headline['asset']} · {scenario_text(headline)}"


def render_index(entries: list[ArchiveEntry], plotly_src: str | None = None) -> str:
    """The page: a chart of the headline over the days, then the table, newest first.

    ``plotly_src``: the shared plotly.js to load (``scheduler.shared_js``); without it the
    page inlines plotly.js and stands alone.
    """
    from plotly import graph_objects as go
    from plotly.offline import get_plotlyjs

    shown = [e for e in entries if e.headline is not None]
    figure = go.Figure()
    # one line per headline scenario: a study change that moves the headline starts a new one
    for name in dict.fromkeys(_series_name(e.headline) for e in shown if e.headline):
        points = [(e.day, *uplift_pct(e.headline)) for e in shown
                  if e.headline and _series_name(e.headline) == name]
        figure.add_trace(
            go.Scatter(
                x=[day for day, *_ in points],
                y=[mid for _, mid, _, _ in points],
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [high - mid for _, mid, _, high in points],
                    "arrayminus": [mid - low for _, mid, low, _ in points],
                },
                mode="lines+markers",
                name=name,
                hovertemplate="%{x}: %{y:+.1f}%<extra>" + html.escape(name) + "</extra>",
            )
        )
    figure.update_layout(
        title="Headline uplift by report day (median, 5-95% of the scenario's paths)",
        xaxis_title="report day (UTC)",
        yaxis_title="price uplift at the horizon (%)",
        template="plotly_white",
        showlegend=True,  # names the scenario even when there is one line
        legend={"orientation": "h", "y": -0.3},
        # whole days: a short archive would otherwise be labelled in milliseconds
        xaxis={"type": "date", "tickformat": "%Y-%m-%d", "range": _day_range(entries)},
    )
    chart = figure.to_html(full_html=False, include_plotlyjs=False, config={"responsive": True})
    head = ["date", "last candle", "run_id", "asset", "headline scenario", "median uplift",
            "5-95% of paths", "USD reaching it (bn)", "note"]
    body = "".join(_row(entry) for entry in reversed(entries))
    table = (
        '<div class="scroll"><table><thead><tr>'
        + "".join(f"<th>{html.escape(h)}</th>" for h in head)
        + f"</tr></thead><tbody>{body}</tbody></table></div>"
    )
    intro = (
        f'<p class="meta">{len(entries)} dated report(s), newest first. The headline is each '
        "report's first sentence, from its run.json: one scenario's median price uplift at the "
        "horizon and the 5th-95th percentile over that scenario's bootstrap paths (the rule "
        "that picks the scenario is in the report). It moves as new candles and ETF flows "
        "arrive (last candle) or the study changes (run_id); the note says when the data was "
        "stale.</p>"
    )
    script = (
        shared_js.script_tag(plotly_src)
        if plotly_src
        else f'<script type="text/javascript">{get_plotlyjs()}</script>'
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>flowimpact: archive of daily reports</title><style>{_STYLE}</style>"
        f"{script}</head><body>"
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


def _row(entry: ArchiveEntry) -> str:
    day = html.escape(entry.day)
    link = f'<a href="{html.escape(entry.report)}">{day}</a>' if entry.report else day
    cells = [link, html.escape(entry.last_candle), html.escape(entry.run_id)]
    if entry.headline is not None:
        head = entry.headline
        cells += [
            html.escape(str(head["asset"])),
            html.escape(scenario_text(head)),
            median_text(head),
            html.escape(band_text(head).removeprefix("5-95% of paths ")),
            f"{float(head['cum_flow_usd']) / 1e9:,.1f}",
        ]
    else:
        cells += ["–"] * 5
    notes = [f"Warning: {w}" for w in entry.warnings] + ([entry.problem] if entry.problem else [])
    cells.append(html.escape("; ".join(notes)))
    tds = "".join(f"<td>{cell}</td>" for cell in cells[:-1])
    return f'<tr>{tds}<td class="note">{cells[-1]}</td></tr>'


def write_index(out_dir: Path) -> Path:
    """Write ``OUT/index.html`` atomically from the dated folders in ``out_dir``."""
    entries = [read_entry(folder) for folder in dated_reports(out_dir)]
    path = Path(out_dir) / INDEX_NAME
    atomic_write_text(path, render_index(entries, shared_js.ensure_plotly(out_dir)))
    return path


__all__ = ["HEADLINE", "INDEX_NAME", "ArchiveEntry", "read_entry", "render_index",
           "write_index"]
