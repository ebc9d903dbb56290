"""flowimpact run / flows through the real entry point: exit codes, one-line errors, outputs."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest

from backtest.study.config import load_study
from backtest.study.evidence_config import as_given
from backtest.study.schedules import inflow_label
from flowimpact.cli import main
from tests.backtest.fixtures import write_study, write_synthetic_store

BAD_STUDIES = {
    "unknown key": ("[inflow]\nalocation = 0.01\n", "alocation"),
    "unknown section": ("[inflows]\nallocation = 0.01\n", "[inflows]"),
    "wrong type": ('[inflow]\nlag_months = "six"\n', "lag_months"),
    "allocation outside [0, 1]": ("[inflow]\nallocation = [0.01, 2.0]\n", "allocation"),
    "negative ramp": ("[inflow]\nramp_months = -1\n", "ramp_months"),
    "unknown model": ('[impact]\nmodel = "kyle"\n', "model"),
    "unknown symbol format": ('[data]\nsymbols = ["BTC-USDT"]\n', "symbols"),
    "end before start": ('[paths]\nhorizon_end = "2024-12-31"\n', "horizon_end"),
    "list in a non-grid section": ('[data]\nexchange = ["binance", "kraken"]\n', "exchange"),
    "invalid TOML": ("[inflow]\nallocation = \n", "TOML"),
    "no strategy": ("[evaluate]\nstrategies = []\n", "strategies"),
    "empty chunk": ("[compute]\nchunk_columns = 0\n", "chunk_columns"),
    "scheduler without scheme": ('[compute]\nscheduler = "localhost"\n', "scheduler"),
    "unknown write_flows": ('[compute]\nwrite_flows = "some"\n', "write_flows"),
    "no time budget": ("[study]\nmax_minutes = 0\n", "max_minutes"),
}


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("case", sorted(BAD_STUDIES))
def test_bad_study_exits_2_with_one_line(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, key = BAD_STUDIES[case]
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    code, out, err = _run(
        capsys, "run", "--config", str(path), "--data-dir", str(tmp_path / "data"),
        "--out", str(tmp_path / "out"),
    )
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("flowimpact: error: ")
    assert key in lines[0]
    assert "Traceback" not in err
    assert out == ""
    assert not (tmp_path / "out").exists()  # refused before any work
    assert not (tmp_path / "data").exists()


def test_missing_config_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "run", "--config", str(tmp_path / "nope.toml"))
    assert code == 2
    assert "nope.toml" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


def test_an_unknown_option_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "run", "--bogus")
    assert code == 2
    assert out == ""
    (line,) = err.strip().splitlines()  # click's Usage/Try/Error block became one line
    assert line.startswith("flowimpact: error: No such option '--bogus'")
    assert line.endswith("(see flowimpact --help)")


def test_print_config_prints_toml_that_loads_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "study.toml"
    path.write_text("[inflow]\nallocation = [0.0, 0.03]\n[paths]\nn_paths = 9\n", encoding="utf-8")
    code, out, err = _run(capsys, "run", "--config", str(path), "--print-config")
    assert code == 0, err
    printed = tomllib.loads(out)  # the comment line on top is TOML too
    study = load_study(path)
    assert printed == study.resolved()
    assert printed["inflow"]["allocation"] == [0.0, 0.03]
    assert printed["paths"]["n_paths"] == 9
    echoed = tmp_path / "printed.toml"
    echoed.write_text(out, encoding="utf-8")
    again = load_study(echoed)
    assert again.resolved() == study.resolved()
    assert again.evidence == study.evidence
    assert [s.scenario_id for s in again.scenarios(solve=as_given)] == [
        s.scenario_id for s in study.scenarios(solve=as_given)
    ]


def test_default_study_print_config_shows_the_24_scenario_grid(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _run(capsys, "run", "--print-config")
    assert code == 0
    printed = tomllib.loads(out)
    assert printed["inflow"]["allocation"] == [0.01, 0.02, 0.05]
    assert printed["impact"]["model"] == ["multiplier", "sqrt"]
    grid = 1
    inflow_axes = ("allocation", "lag_months", "ramp_months", "reallocation_share")
    for values in (printed["inflow"][k] for k in inflow_axes):
        grid *= len(values)
    assert grid * len(printed["impact"]["model"]) == 48


@pytest.mark.slow
def test_large_grid_needs_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / "data"
    write_synthetic_store(data_dir)
    # 2 scenarios x 2 paths x 2 assets = 8 columns, over a limit of 4
    study = write_study(
        tmp_path / "study.toml", study={"max_columns": 4}, paths={"n_paths": 2}
    )
    out = tmp_path / "out"
    common = ("run", "--config", str(study), "--data-dir", str(data_dir), "--out", str(out))
    code, _, err = _run(capsys, *common, "--no-progress")
    assert code == 2
    errors = [line for line in err.splitlines() if line.startswith("flowimpact: error")]
    assert len(errors) == 1
    assert "max_columns" in errors[0] and "--allow-large-grid" in errors[0]
    assert "Traceback" not in err
    assert not out.exists()

    code, stdout, err = _run(capsys, *common, "--no-progress", "--allow-large-grid")
    assert code == 0, err
    assert "estimated run time: about" in stdout and "in this process" in stdout
    assert f"report: {(out / 'report.html').resolve()}" in stdout
    assert "median price uplift" in stdout
    table = pd.read_csv(out / "scenarios.csv")
    assert len(table) == 4
    assert {"report.html", "run.json", "flows.csv"} <= {p.name for p in out.iterdir()}


@pytest.mark.parametrize("command", ["run", "sensitivity"])
def test_paths_that_cannot_fit_in_memory_are_refused_before_any_work_even_with_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    # ten million paths need terabytes on any machine: refused with the memory, not a
    # MemoryError after the prices are loaded
    many = {"n_paths": 10_000_000}
    study = write_study(tmp_path / "study.toml", paths=many, sensitivity=many,
                        inflow={"allocation": 0.02})
    out = tmp_path / "out"
    args = [command, "--config", str(study), "--data-dir", str(tmp_path / "empty"),
            "--out", str(out), "--no-progress"]
    code, _, err = _run(capsys, *args, *(["--allow-large-grid"] if command == "run" else []))
    [line] = [line for line in err.splitlines() if line.startswith("flowimpact: error")]
    assert code == 2, err
    assert "n_paths = 10,000,000" in line and "GiB of memory" in line
    assert "or fewer" in line and "Traceback" not in err
    assert not out.exists() and not (tmp_path / "empty").exists()


def test_a_grid_over_the_time_budget_needs_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 8 columns take well under a second, so a budget of a millionth of a minute refuses them
    study = write_study(
        tmp_path / "study.toml", study={"max_minutes": 1e-6}, paths={"n_paths": 2}
    )
    out = tmp_path / "out"
    code, stdout, err = _run(
        capsys, "run", "--config", str(study), "--data-dir", str(tmp_path / "data"),
        "--out", str(out), "--no-progress", "--workers", "2",
    )
    assert code == 2
    errors = [line for line in err.splitlines() if line.startswith("flowimpact: error")]
    assert len(errors) == 1, err
    assert "8 columns" in errors[0] and "estimated" in errors[0]
    assert "max_minutes" in errors[0] and "--allow-large-grid" in errors[0]
    assert "local Dask cluster of 2 worker processes" in stdout  # the estimate, printed first
    assert not out.exists()


@pytest.mark.parametrize(
    ("flags", "needle"),
    [(("--workers", "-1"), "--workers"), (("--scheduler", "nowhere"), "scheduler")],
)
def test_bad_compute_flags_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: tuple[str, str], needle: str
) -> None:
    code, _, err = _run(capsys, "run", "--out", str(tmp_path / "out"), *flags)
    assert code == 2
    lines = [line for line in err.strip().splitlines() if line]
    assert len(lines) == 1 and needle in lines[0], err
    assert not (tmp_path / "out").exists()


def test_calibrated_value_without_etf_flows_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    write_synthetic_store(data_dir)  # prices, but no ETF-flow tables
    study = write_study(
        tmp_path / "study.toml", impact={"multiplier": [5.0, "calibrated:btc_etf"]}
    )
    out = tmp_path / "out"
    code, _, err = _run(
        capsys, "run", "--config", str(study), "--data-dir", str(data_dir), "--out", str(out),
        "--no-progress",
    )
    assert code == 2, err
    errors = [line for line in err.splitlines() if line.startswith("flowimpact: error")]
    assert len(errors) == 1
    assert "multiplier" in errors[0] and "calibrated:btc_etf" in errors[0]
    assert "flowimpact import" in errors[0]
    assert "Traceback" not in err
    assert not (out / "report.html").exists()


def test_flows_writes_the_schedules_without_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = write_study(tmp_path / "study.toml")
    out = tmp_path / "out"
    code, stdout, err = _run(
        capsys, "flows", "--config", str(study), "--data-dir", str(tmp_path / "empty"),
        "--out", str(out),
    )
    assert code == 0, err
    flows = pd.read_csv(out / "flows.csv")
    scenarios = load_study(study).scenarios()
    with_flow = {inflow_label(s) for s in scenarios if s.inflow.allocation > 0}
    assert set(flows["inflow"]) == with_flow
    assert f"flows: {(out / 'flows.csv').resolve()}" in stdout
    assert "allocation=0.02" in stdout


@pytest.mark.slow
def test_credentials_never_reach_run_json_report_or_print_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secrets = {"apiKey": "AKIA-live-1234", "secret": "s3cr3t-5678", "password": "pw-9012"}
    study = write_study(tmp_path / "study.toml")
    extra = "".join(f'{key} = "{value}"\n' for key, value in secrets.items())
    # outside the ccxt key names: a proxy's user:password and HTTP headers
    extra += (
        'httpsProxy = "http://proxyuser:PASS-3456@proxy.invalid:8080"\n'
        'headers = { Authorization = "Bearer tok-7890", Cookie = "sid=ck-1111" }\n'
        'options = { nested = { sessionCookie = "ck-2222" } }\n'
    )
    secrets |= {"proxy": "PASS-3456", "bearer": "tok-7890", "cookie": "ck-1111",
                "deep": "ck-2222"}
    study.write_text(study.read_text(encoding="utf-8") + "\n[data.ccxt]\n" + extra, "utf-8")
    write_synthetic_store(tmp_path / "data")
    code, printed, err = _run(capsys, "run", "--config", str(study), "--print-config")
    assert code == 0, err
    out = tmp_path / "out"
    code, stdout, err = _run(
        capsys, "run", "--no-progress", "--config", str(study), "--data-dir",
        str(tmp_path / "data"), "--out", str(out),
    )
    assert code == 0, err
    for text in (printed, stdout, err, *(p.read_text("utf-8") for p in out.iterdir())):
        for value in secrets.values():
            assert value not in text
    assert '"apiKey": "<redacted>"' in (out / "run.json").read_text("utf-8")


def test_an_out_folder_that_cannot_be_written_exits_2_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # an empty store: were the study to start, it would end in exit 3 (no data)
    (tmp_path / "a_file").write_text("x", encoding="utf-8")
    code, _, err = _run(
        capsys, "run", "--no-progress", "--data-dir", str(tmp_path / "empty"),
        "--out", str(tmp_path / "a_file" / "out"),
    )
    assert code == 2, err
    assert "a_file" in err and err.count("\n") == 1


def test_a_binary_study_file_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = tmp_path / "study.toml"
    study.write_bytes(b"\xff\xfe[\x00i\x00n\x00f\x00l\x00o\x00w\x00]\x00")
    code, _, err = _run(capsys, "run", "--config", str(study), "--print-config")
    assert code == 2 and "UTF-8" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "command", [["data", "list"], ["import", "x.csv"], ["run", "--no-progress"], ["flows"]]
)
def test_a_data_dir_that_is_a_file_exits_2_for_every_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    not_a_folder = tmp_path / "store.txt"
    not_a_folder.write_text("x", encoding="utf-8")
    (tmp_path / "x.csv").write_text("timestamp,open,high,low,close,volume\n", encoding="utf-8")
    monkeypatch.setenv("FLOWIMPACT_DATA_DIR", str(not_a_folder))
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(capsys, *command)
    assert code == 2, err
    assert "FLOWIMPACT_DATA_DIR" in err and "is a file" in err


def test_run_from_a_restricted_location_exits_3_in_one_line_saying_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.fake_exchange import serve_fake_exchange

    with serve_fake_exchange() as server:
        server.add_fault("451", times=None)
        study = write_study(tmp_path / "study.toml",
                            data={"ccxt": server.ccxt_config("binance")})
        code, _out, err = _run(capsys, "run", "--config", str(study), "--data-dir",
                               str(tmp_path / "data"), "--out", str(tmp_path / "out"),
                               "--no-progress")
        assert len(server.requests) == 1
    assert code == 3
    errors = [line for line in err.splitlines() if line.startswith("flowimpact: error")]
    assert len(errors) == 1 and "Traceback" not in err
    assert "binance refuses requests from this location (HTTP 451" in errors[0]
    assert "[data] fallbacks = [{ exchange = \"coinbaseexchange\"" in errors[0]
    assert not (tmp_path / "out" / "report.html").exists()
