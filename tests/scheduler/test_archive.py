"""scheduler/archive.py: OUT/index.html, read from the dated folders' own files."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs

from scheduler import archive, shared_js
from scheduler.job import run_once
from scheduler.steps import UpdateSteps

DAY1 = datetime(2026, 1, 6, 0, 15, tzinfo=UTC)
NETWORK_REFERENCE = re.compile(
    r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*[\"']?\s*(https?:)?//", re.IGNORECASE
)


def _headline(median_pct: float, *, model: str = "multiplier") -> dict[str, object]:
    """A run.json headline object (the keys of flowimpact.headline)."""
    return {
        "rule": "the test's rule",
        "scenario_id": "s1",
        "asset": "BTC",
        "allocation": 0.01,
        "reallocation_share": 0.25,
        "model": model,
        "parameter": "multiplier",
        "parameter_value": 5.0,
        "etf_explained_share": None,
        "horizon": "2028-12-31",
        "price_uplift_at_horizon_pct": {"p05": median_pct - 3, "p50": median_pct,
                                        "p95": median_pct + 10},
        "cum_flow_usd": 41.5e9,
        "sources_usd": 87e9,
    }


def _run_json(run_id: str, lasts: list[str], median_pct: float | None = 10.0,
              warnings: tuple[str, ...] = ()) -> str:
    data = [{"table": "prices", "asset": f"A{i}", "last": f"{last}T00:00:00+00:00"}
            for i, last in enumerate(lasts)]
    data.append({"table": "etf_flows", "asset": "BTC", "last": "2026-01-09T00:00:00+00:00"})
    manifest: dict[str, object] = {"run_id": run_id, "data": data, "warnings": list(warnings)}
    if median_pct is not None:
        manifest["headline"] = _headline(median_pct)
    return json.dumps(manifest)


def _steps(uplifts: dict[str, float]) -> UpdateSteps:
    def study(staging: Path, now: datetime) -> str:
        day = now.date().isoformat()
        (staging / "run.json").write_text(
            _run_json(f"run{day[-2:]}", ["2026-01-05", day], uplifts[day]), encoding="utf-8"
        )
        page = f'<script type="text/javascript">{get_plotlyjs()}</script><p>{day}</p>'
        (staging / "report.html").write_text(page, encoding="utf-8")
        return "report.html"

    return UpdateSteps(fetch=lambda _now: None, study=study)


def _publish(tmp_path: Path, days: int, keep_days: int = 30) -> Path:
    out = tmp_path / "reports"
    uplifts = {(DAY1 + timedelta(days=i)).date().isoformat(): 10.0 + i for i in range(days)}
    for i in range(days):
        outcome = run_once(
            DAY1 + timedelta(days=i),
            steps=_steps(uplifts),
            data_dir=tmp_path / "data",
            out_dir=out,
            keep_days=keep_days,
            lock_timeout_seconds=0.0,
        )
        assert outcome.ok, outcome.describe()
    return out


def test_an_entry_reads_run_id_the_earliest_last_candle_headline_and_warnings(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "2026-01-07"
    folder.mkdir()
    stale = ("the newest candle is from 2026-01-04, 3 days before this run",)
    (folder / "run.json").write_text(_run_json("abc123", ["2026-01-06", "2026-01-04"], 3.0,
                                               stale))
    (folder / "report.html").write_text("<p>x</p>")
    entry = archive.read_entry(folder)
    assert (entry.day, entry.report, entry.run_id) == ("2026-01-07", "2026-01-07/report.html",
                                                        "abc123")
    assert entry.last_candle == "2026-01-04"  # prices only: the ETF table's later day is not it
    assert entry.headline is not None and entry.headline["price_uplift_at_horizon_pct"]["p50"] == 3
    assert entry.warnings == stale and entry.problem is None
    page = archive.render_index([entry])
    assert "Warning: the newest candle is from 2026-01-04" in page  # in the row's note
    assert "<td>+3.0%</td>" in page and "+0.0% to +13.0%" in page
    assert '<meta name="viewport"' in page


def test_a_broken_folder_still_gets_its_row_saying_what_is_wrong(tmp_path: Path) -> None:
    folder = tmp_path / "2026-01-07"
    folder.mkdir()
    (folder / "run.json").write_text("{not json")
    entry = archive.read_entry(folder)
    assert entry.report is None
    assert "no report.html" in entry.problem and "run.json" in entry.problem
    page = archive.render_index([entry])
    assert "2026-01-07" in page and "no report.html" in page
    assert 'href="2026-01-07/report.html"' not in page
    older = tmp_path / "2026-01-08"
    older.mkdir()
    (older / "run.json").write_text(_run_json("old", ["2026-01-06"], None))
    assert "has no headline" in archive.read_entry(older).problem


def test_each_publish_rewrites_the_index_pruned_with_the_reports(tmp_path: Path) -> None:
    out = _publish(tmp_path, days=4, keep_days=2)
    page = (out / "index.html").read_text(encoding="utf-8")
    # the two kept days are linked, the pruned ones are gone from the page too
    assert sorted(p.name for p in out.iterdir() if p.name.startswith("2026")) == [
        "2026-01-08", "2026-01-09"
    ]
    assert re.findall(r'href="(2026-[\d-]+/report\.html)"', page) == [
        "2026-01-09/report.html", "2026-01-08/report.html"  # newest first
    ]
    assert "2026-01-06" not in page and "2026-01-07/" not in page
    assert "run09" in page and "<td>+13.0%</td>" in page  # the day's run.json headline
    assert NETWORK_REFERENCE.search(page) is None
    assert not list(out.glob("*.tmp")) and not list(out.glob(".index*"))


def test_the_chart_draws_the_headline_and_its_path_band_over_the_days(tmp_path: Path) -> None:
    out = _publish(tmp_path, days=3)
    page = (out / "index.html").read_text(encoding="utf-8")
    payload = re.search(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*(\[.*?\]),\s*\{", page, re.S)
    assert payload is not None
    [trace] = json.loads(payload.group(1))
    assert trace["name"].startswith("BTC · 1% allocation, reallocation_share 0.25, multiplier")
    assert trace["x"] == ["2026-01-06", "2026-01-07", "2026-01-08"]
    assert trace["y"] == [10.0, 11.0, 12.0]
    assert trace["error_y"]["array"] == [10.0] * 3 and trace["error_y"]["arrayminus"] == [3.0] * 3


def test_the_dated_reports_and_the_index_share_one_plotly_file(tmp_path: Path) -> None:
    out = _publish(tmp_path, days=2)
    name = shared_js.plotly_file_name()
    assert (out / name).read_text(encoding="utf-8") == get_plotlyjs()
    for day in ("2026-01-06", "2026-01-07"):
        page = (out / day / "report.html").read_text(encoding="utf-8")
        assert get_plotlyjs() not in page
        assert f'src="../{name}"' in page and f"<p>{day}</p>" in page
    index = (out / "index.html").read_text(encoding="utf-8")
    assert f'src="{name}"' in index and get_plotlyjs() not in index
    assert len(index.encode("utf-8")) < 100_000  # was 4.83 MB for a one-row table


def test_an_archive_that_cannot_be_written_does_not_unpublish_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(_out: Path) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(archive, "write_index", refuse)
    outcome = run_once(
        DAY1,
        steps=_steps({"2026-01-06": 1.0}),
        data_dir=tmp_path / "data",
        out_dir=tmp_path / "reports",
        keep_days=3,
        lock_timeout_seconds=0.0,
    )
    assert outcome.ok
    assert (tmp_path / "reports" / "2026-01-06" / "report.html").exists()
    assert outcome.summaries["archive"].startswith("not written: ")
    assert "No space left" in outcome.summaries["archive"]
