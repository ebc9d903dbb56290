"""scheduler/archive.py: OUT/index.html, read from the dated folders' own files."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler import archive
from scheduler.job import run_once
from scheduler.steps import UpdateSteps

DAY1 = datetime(2026, 1, 6, 0, 15, tzinfo=UTC)
NETWORK_REFERENCE = re.compile(
    r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*[\"']?\s*(https?:)?//", re.IGNORECASE
)
HEADER = "scenario_id,label,asset,allocation,model,price_uplift_at_horizon_pct_p50\n"


def _scenarios_csv(uplift_btc: float) -> str:
    """Three allocations; at the middle one (0.02) two scenarios per asset and model."""
    rows = [
        ("a", "BTC", 0.01, "multiplier", 1.0),
        ("b", "BTC", 0.02, "multiplier", uplift_btc),
        ("c", "BTC", 0.02, "multiplier", uplift_btc + 2.0),
        ("b", "ETH", 0.02, "multiplier", 7.0),
        ("c", "ETH", 0.02, "multiplier", 9.0),
        ("b", "BTC", 0.02, "sqrt", 50.0),
        ("d", "BTC", 0.05, "multiplier", 99.0),
    ]
    return HEADER + "".join(f"{s},{s},{a},{x},{m},{u}\n" for s, a, x, m, u in rows)


def _run_json(run_id: str, lasts: list[str]) -> str:
    data = [{"table": "prices", "asset": f"A{i}", "last": f"{last}T00:00:00+00:00"}
            for i, last in enumerate(lasts)]
    data.append({"table": "etf_flows", "asset": "BTC", "last": "2026-01-09T00:00:00+00:00"})
    return json.dumps({"run_id": run_id, "data": data})


def _steps(uplifts: dict[str, float]) -> UpdateSteps:
    def study(staging: Path, now: datetime) -> str:
        day = now.date().isoformat()
        (staging / "scenarios.csv").write_text(_scenarios_csv(uplifts[day]), encoding="utf-8")
        (staging / "run.json").write_text(
            _run_json(f"run{day[-2:]}", ["2026-01-05", day]), encoding="utf-8"
        )
        (staging / "report.html").write_text(f"<p>{day}</p>", encoding="utf-8")
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


def test_the_headline_is_the_median_at_the_middle_allocation(tmp_path: Path) -> None:
    path = tmp_path / "scenarios.csv"
    path.write_text(_scenarios_csv(10.0), encoding="utf-8")
    allocation, headlines = archive.headline_uplift(path)
    assert allocation == 0.02
    assert headlines == {
        ("BTC", "multiplier"): 11.0,  # median of 10 and 12
        ("ETH", "multiplier"): 8.0,
        ("BTC", "sqrt"): 50.0,
    }


def test_an_entry_reads_run_id_and_the_earliest_last_candle(tmp_path: Path) -> None:
    folder = tmp_path / "2026-01-07"
    folder.mkdir()
    (folder / "run.json").write_text(_run_json("abc123", ["2026-01-06", "2026-01-04"]))
    (folder / "scenarios.csv").write_text(_scenarios_csv(3.0))
    (folder / "report.html").write_text("<p>x</p>")
    entry = archive.read_entry(folder)
    assert (entry.day, entry.report, entry.run_id) == ("2026-01-07", "2026-01-07/report.html",
                                                        "abc123")
    assert entry.last_candle == "2026-01-04"  # prices only: the ETF table's later day is not it
    assert entry.problem is None


def test_a_broken_folder_still_gets_its_row_saying_what_is_wrong(tmp_path: Path) -> None:
    folder = tmp_path / "2026-01-07"
    folder.mkdir()
    (folder / "run.json").write_text("{not json")
    entry = archive.read_entry(folder)
    assert entry.report is None
    assert "no report.html" in entry.problem
    assert "run.json" in entry.problem and "scenarios.csv" in entry.problem
    page = archive.render_index([entry])
    assert "2026-01-07" in page and "no report.html" in page
    assert 'href="2026-01-07/report.html"' not in page


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
    assert "run09" in page and "+14.00" in page  # 13 and 15 at the middle allocation
    assert NETWORK_REFERENCE.search(page) is None
    assert not list(out.glob("*.tmp")) and not list(out.glob(".index*"))


def test_the_chart_holds_one_line_per_asset_and_model_over_the_days(tmp_path: Path) -> None:
    out = _publish(tmp_path, days=3)
    page = (out / "index.html").read_text(encoding="utf-8")
    payload = re.search(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*(\[.*?\]),\s*\{", page, re.S)
    assert payload is not None
    traces = json.loads(payload.group(1))
    assert sorted(t["name"] for t in traces) == ["BTC · multiplier", "BTC · sqrt",
                                                 "ETH · multiplier"]
    btc = next(t for t in traces if t["name"] == "BTC · multiplier")
    assert btc["x"] == ["2026-01-06", "2026-01-07", "2026-01-08"]
    assert btc["y"] == [11.0, 12.0, 13.0]


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
