"""The jobs' scaffold: one staging place, nothing written without an out_dir, timed steps."""

from __future__ import annotations

from pathlib import Path

from backtest.study.job import Job, file_writer, final_files, staged


def _write(into: Path) -> dict[str, Path]:
    (into / "a.csv").write_text("x\n1\n", encoding="utf-8")
    return {"a.csv": into / "a.csv"}


def test_without_out_dir_nothing_is_staged_or_written(tmp_path: Path) -> None:
    with staged(None, command="test") as staging:
        assert staging is None
    assert final_files({"a.csv": tmp_path / "x" / "a.csv"}, None) == {}
    assert list(tmp_path.iterdir()) == []


def test_staged_files_land_under_their_final_names(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with staged(out, command="test") as staging:
        # staged inside the target, never beside it (the folder itself is never renamed)
        assert staging is not None and staging.parent == out
        files = final_files(_write(staging), out)
    assert files == {"a.csv": out / "a.csv"}
    assert (out / "a.csv").read_text(encoding="utf-8") == "x\n1\n"
    # a writer kept for later writes the same bytes into another folder
    later = file_writer(_write, command="test")(tmp_path / "later")
    assert later["a.csv"].read_bytes() == files["a.csv"].read_bytes()


def test_each_step_is_timed(tmp_path: Path) -> None:
    with Job(("one", "two"), progress=False) as job:
        with job.step("one"):
            pass
        with job.step("two"):
            sum(range(10_000))
    assert set(job.timings) == {"one", "two"}
    assert all(seconds >= 0 for seconds in job.timings.values())
