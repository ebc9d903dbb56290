"""``flowimpact schedule --once`` through the real entry point (exit codes, one-line errors).

The update steps are the file-driven fakes (``flowimpact.cli.update_steps.default_steps`` is
swapped for them); the study file, the lock and the publishing are the real ones.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from flowimpact.cli import main, update_steps
from scheduler.publish import latest_report
from scheduler.runlog import read_runs, run_log_path
from tests.scheduler import fakes


@pytest.fixture
def fake_steps(monkeypatch):
    monkeypatch.setattr(
        update_steps,
        "default_steps",
        lambda data_dir, config_path, progress=False: fakes.file_steps(data_dir, config_path),
    )


def _args(tmp_path: Path, *extra: str) -> list[str]:
    return ["schedule", "--once", "--data-dir", str(tmp_path / "data"),
            "--out", str(tmp_path / "reports"), *extra]


def _study(tmp_path: Path, text: str) -> str:
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_once_publishes_todays_report_and_exits_0(tmp_path, fake_steps, capsys):
    assert main(_args(tmp_path)) == 0
    today = datetime.now(UTC).date().isoformat()
    out = capsys.readouterr().out
    assert out.strip() == f"published {tmp_path / 'reports' / today} ({today})"
    assert latest_report(tmp_path / "reports") == tmp_path / "reports" / today
    assert read_runs(run_log_path(tmp_path / "data"))[-1].status == "published"


def test_once_during_an_outage_exits_3_with_one_line_and_keeps_the_last_report(
    tmp_path, fake_steps, capsys
):
    assert main(_args(tmp_path)) == 0
    published = latest_report(tmp_path / "reports")
    capsys.readouterr()
    (tmp_path / "data" / fakes.EXCHANGE_DOWN).touch()
    assert main(_args(tmp_path, "-q")) == 3  # -q: the steps' lines are not said, the error is
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("flowimpact: error: update of ")
    assert "failed at fetch: fake exchange unreachable" in err
    assert latest_report(tmp_path / "reports") == published
    assert (published / "report.html").is_file()


def test_once_while_another_process_holds_the_lock_exits_1(
    tmp_path, fake_steps, other_process_holding_lock, capsys
):
    study = _study(tmp_path, "[schedule]\nlock_timeout_seconds = 0.2\n")
    assert main(_args(tmp_path, "--config", study, "-q")) == 1
    waiting, error = capsys.readouterr().err.splitlines()
    assert ".flowimpact.lock is held by pid " in waiting and "a scheduled update" in waiting
    assert waiting.endswith("waiting up to 0.2 s")
    assert error.startswith("flowimpact: error: ")
    assert "another flowimpact process is writing" in error and ".flowimpact.lock" in error
    assert fakes.fetch_calls(tmp_path / "data") == []


def test_a_bad_at_flag_exits_2_naming_the_flag(tmp_path, fake_steps, capsys):
    assert main(_args(tmp_path, "--at", "25:00")) == 2
    err = capsys.readouterr().err
    assert err == "flowimpact: error: --at '25:00' is not a time of day; write HH:MM in UTC, " \
        "e.g. --at 00:15\n"
    assert not (tmp_path / "reports").exists()


def test_a_bad_schedule_section_exits_2_before_any_work(tmp_path, fake_steps, capsys):
    study = _study(tmp_path, '[schedule]\nkeep_days = 0\n')
    assert main(_args(tmp_path, "--config", study)) == 2
    assert "[schedule] keep_days" in capsys.readouterr().err
    assert fakes.fetch_calls(tmp_path / "data") == []


def test_an_unknown_schedule_key_exits_2(tmp_path, fake_steps, capsys):
    study = _study(tmp_path, '[schedule]\nkeep = 3\n')
    assert main(_args(tmp_path, "--config", study)) == 2
    assert "[schedule] unknown key 'keep'" in capsys.readouterr().err


@pytest.fixture
def quick_real_steps(monkeypatch):
    """The real ``default_steps`` with the network fetch and the study swapped for quick fakes."""
    import backtest.run
    import feeds

    monkeypatch.setattr(feeds, "update_store", lambda *_a, **_k: [])

    def run_study(_study, _data_dir, out_dir, **_kwargs):
        (Path(out_dir) / "report.html").write_text("report", encoding="utf-8")
        run = type("Run", (), {"warnings": ()})()
        return type(
            "Result", (), {"report_path": Path(out_dir) / "report.html", "files": {}, "run": run}
        )()

    monkeypatch.setattr(backtest.run, "run_study", run_study)


def test_once_says_each_step_as_it_goes(tmp_path, quick_real_steps, capsys):
    log_file = tmp_path / "schedule.log"
    assert main(_args(tmp_path, "--log-file", str(log_file))) == 0
    lines = capsys.readouterr().err.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(("fetch:", "study:"))]
    assert [lines[i].split(":")[0] for i in starts] == ["fetch", "study"]
    assert lines[0].startswith("schedule --once: one update into ")
    published = next(i for i, line in enumerate(lines) if line.startswith("published "))
    assert starts[-1] < published  # said before the step ran, not only in the summary
    logged = log_file.read_text(encoding="utf-8").splitlines()
    assert len(logged) == len(lines)  # the same lines, each with its UTC time and level
    assert all(line[:20].endswith("Z") and " INFO " in line for line in logged)


def test_once_quiet_says_nothing_but_the_result(tmp_path, quick_real_steps, capsys):
    assert main(_args(tmp_path, "-q")) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.startswith("published ")
