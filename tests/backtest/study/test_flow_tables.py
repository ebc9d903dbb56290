"""[flows]: dated tables and a replay added to every scenario; bad tables refused before work."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tomli_w

import feeds
from backtest.run import run_flows, run_study
from backtest.study.chunks import scenario_paths
from backtest.study.config import load_study
from backtest.study.flow_tables import for_study
from flowimpact.cli import main
from flowimpact.errors import ConfigError, DataFormatError
from tests.backtest.fixtures import SMALL_STUDY, write_synthetic_store

ETF_DAYS = pd.date_range("2024-01-11", periods=40, freq="D", tz="UTC", name="date")


def _study(path: Path, **sections: dict[str, object]) -> Path:
    study = {name: dict(values) for name, values in SMALL_STUDY.items()}
    study["inflow"] = {**study["inflow"], "allocation": [0.0]}  # the table alone
    for name, values in sections.items():
        study[name] = {**study.get(name, {}), **values}
    path.write_text(tomli_w.dumps(study), encoding="utf-8")
    return path


def _store_with_etf(root: Path) -> Path:
    write_synthetic_store(root / "data")
    total = np.linspace(1e8, 5e8, ETF_DAYS.size)
    feeds.write_etf_flows(
        root / "data", "BTC", pd.DataFrame({"ibit_usd": total, "total_usd": total}, ETF_DAYS)
    )
    return root / "data"


@pytest.mark.parametrize(
    ("flows", "message"),
    [
        ({"tables": ["etf_BTC"]}, r"\[flows\] tables: 'etf_BTC' is neither etf:<ASSET>"),
        ({"tables": ["a.csv", "a.csv"]}, r"\[flows\] tables: 'a.csv' is listed twice"),
        ({"replay": {"table": "etf:BTC"}}, r"\[flows\] replay needs start"),
        ({"replay": {"table": "etf:BTC", "start": "2026-02-01", "speed": 2}},
         r"\[flows\] replay: unknown key 'speed'"),
        ({"replay": {"table": "etf:BTC", "start": "Feb 2026"}}, r"\[flows\] replay.start"),
        ({"replay": {"table": "etf:BTC", "start": "2026-02-01", "scale": -1}},
         r"\[flows\] replay.scale: -1"),
        ({"tables": "etf:BTC"}, r"\[flows\] tables"),
    ],
)
def test_a_bad_flows_section_is_refused_naming_the_key(
    tmp_path: Path, flows: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_study(_study(tmp_path / "study.toml", flows=flows))


def test_a_table_with_bad_rows_stops_the_run_with_exit_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _store_with_etf(tmp_path)
    (tmp_path / "treasury.csv").write_text(
        "date,asset,flow_usd\n2026-02-02,BTC,1e9\n2026-02-03,BTC,1e9\n2026-02-04,BTC,one\n",
        encoding="utf-8",
    )
    study = _study(tmp_path / "study.toml", flows={"tables": ["treasury.csv"]})
    for command in ("run", "flows"):
        out = tmp_path / f"out_{command}"
        args = [command, "--config", str(study), "--data-dir", str(data), "--out", str(out)]
        code = main([*args, "--no-progress"] if command == "run" else args)
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2
        assert err == [
            "flowimpact: error: treasury.csv line 4: flow_usd is not a number; nothing "
            "was imported, fix the file"
        ]
        assert not out.exists()
    with pytest.raises(DataFormatError):  # the library refuses the same file the same way
        for_study(load_study(study), data)


@pytest.mark.parametrize(
    ("text", "said"),
    [("", "the file is empty"), ("\n\n", "the file is empty"),
     ("date,asset,flow_usd\n", "no flow rows after the header")],
    ids=["empty", "blank lines", "header only"],
)
def test_an_empty_or_header_only_table_is_exit_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, said: str
) -> None:
    data = _store_with_etf(tmp_path)
    (tmp_path / "treasury.csv").write_text(text, encoding="utf-8")
    study = _study(tmp_path / "study.toml", flows={"tables": ["treasury.csv"]})
    out = tmp_path / "out"
    code = main(["run", "--no-progress", "--config", str(study), "--data-dir", str(data),
                 "--out", str(out)])
    [line] = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert line.startswith(f"flowimpact: error: treasury.csv: {said}")
    assert not out.exists()


def test_tables_and_a_replay_land_on_their_days(tmp_path: Path) -> None:
    data = _store_with_etf(tmp_path)
    (tmp_path / "treasury.csv").write_text(
        "date,asset,flow_usd\n2026-02-02,BTC,1e9\n2026-02-02,ETH,2e8\n2030-01-01,BTC,7e9\n",
        encoding="utf-8",
    )
    replay = {"table": "etf:BTC", "start": "2026-03-01", "scale": 0.5}
    study = load_study(
        _study(tmp_path / "study.toml", flows={"tables": ["treasury.csv"], "replay": replay})
    )
    extra = for_study(study, data)
    assert extra is not None
    assert list(extra.by_source) == ["treasury.csv", "replay of etf:BTC from 2026-03-01 x 0.5"]
    treasury = extra.by_source["treasury.csv"]
    assert treasury.loc["2026-02-02"].tolist() == [1e9, 2e8]
    assert treasury.to_numpy().sum() == pytest.approx(1.2e9)
    assert extra.outside_usd["treasury.csv"] == 7e9  # 2030 is past the horizon
    replayed = extra.by_source["replay of etf:BTC from 2026-03-01 x 0.5"]["BTC"]
    flowing = replayed[replayed != 0]
    assert flowing.index[0] == pd.Timestamp("2026-03-01", tz="UTC")
    assert flowing.index[-1] == pd.Timestamp("2026-03-01", tz="UTC") + pd.Timedelta(days=39)
    np.testing.assert_allclose(flowing.to_numpy(), 0.5 * np.linspace(1e8, 5e8, 40))
    assert extra.sources("BTC") == list(extra.by_source)
    assert extra.sources("ETH") == ["treasury.csv"]
    # the flows command shows them in every inflow's rows and in the summary
    result = run_flows(study, data, tmp_path / "out")
    table = pd.read_csv(result.path)
    assert {"table_usd", "flow_source"} <= set(table.columns)
    assert table["table_usd"].sum() == pytest.approx(1.2e9 + 0.5 * np.linspace(1e8, 5e8, 40).sum())
    assert (table["net_usd"] == table["table_usd"]).all()  # allocation 0: the tables alone
    assert "[flows] treasury.csv" in set(result.summary["inflow"])


def test_a_replayed_etf_history_moves_the_study_by_itself(tmp_path: Path) -> None:
    data = _store_with_etf(tmp_path)
    replay = {"table": "etf:BTC", "start": "2026-02-01", "scale": 1.0}
    study = load_study(_study(tmp_path / "study.toml", flows={"replay": replay}))
    result = run_study(study, data, tmp_path / "out", progress=False)
    scenarios = pd.read_csv(tmp_path / "out" / "scenarios.csv").set_index("asset")
    label = "replay of etf:BTC from 2026-02-01 x 1"
    assert scenarios.loc["BTC", "flow_source"] == label
    assert scenarios.loc["ETH", "flow_source"] == "none"
    total = np.linspace(1e8, 5e8, ETF_DAYS.size).sum()
    assert scenarios.loc["BTC", "cum_flow_usd_p50"] == pytest.approx(total, rel=1e-9)
    assert scenarios.loc["BTC", "price_uplift_at_horizon_pct_p50"] > 0
    assert scenarios.loc["ETH", "price_uplift_at_horizon_pct_p50"] == 0
    run = result.run  # the run keeps no paths: recompute scenario 0's
    flows = scenario_paths(run.baseline, run.inputs, run.scenarios, 0).array("flow_usd")[0, 0, :, 0]
    day = list(result.run.baseline.days).index(pd.Timestamp("2026-02-01", tz="UTC"))
    assert flows[day] == pytest.approx(1e8) and not flows[:day].any()
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "[flows] tables, in every scenario" in report and label in report
    manifest = (tmp_path / "out" / "run.json").read_text(encoding="utf-8")
    assert '"table": "flows"' in manifest
