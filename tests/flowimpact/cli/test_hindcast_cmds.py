"""flowimpact hindcast end to end on the real data, imported through `flowimpact import`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from backtest.analogs.hindcast import COLUMNS, EXPLAINING_COLUMNS, PATH_COLUMNS
from flowimpact.cli import main
from flowimpact.staging import RECORD

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def out(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hindcast")
    files = [str(p) for p in sorted((shared_data / "prices").glob("*_1d.csv"))]
    files += [str(p) for p in sorted((shared_data / "etf_flows").glob("*.csv"))]
    assert main(["import", "--data-dir", str(root / "data"), *files]) == 0
    code = main(["hindcast", "--data-dir", str(root / "data"), "--out", str(root / "out")])
    assert code == 0
    return root / "out"


@pytest.fixture(scope="module")
def table(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "hindcast.csv")


def test_the_files_and_the_table_shape(out: Path, table: pd.DataFrame) -> None:
    assert {p.name for p in out.iterdir()} == {
        "hindcast.csv", "hindcast_paths.csv", "hindcast_explaining.csv", "run.json", "report.html",
        RECORD,  # which command wrote which file, so that another never replaces them
        "hindcast_phi_curve.csv", "hindcast_explaining_by_end.csv", "hindcast_noise.csv",
    }
    assert list(table.columns) == list(COLUMNS)
    # default study: multiplier (M = 5) and sqrt (Y = 1), each also at the asset's calibrated value
    assert len(table) == 2 * 2 * 2
    assert sorted(set(zip(table["asset"], table["model"], strict=True))) == [
        ("BTC", "multiplier"), ("BTC", "sqrt"), ("ETH", "multiplier"), ("ETH", "sqrt")
    ]
    btc = table[table["asset"] == "BTC"]
    assert set(btc["first_day"]) == {"2024-01-11"} and set(btc["last_day"]) == {"2025-09-02"}
    paths = pd.read_csv(out / "hindcast_paths.csv")
    assert list(paths.columns) == list(PATH_COLUMNS)
    n_btc_days = (pd.Timestamp("2025-09-02") - pd.Timestamp("2024-01-11")).days + 1
    assert (paths["asset"] == "BTC").sum() == 4 * n_btc_days
    explaining = pd.read_csv(out / "hindcast_explaining.csv", keep_default_na=False)
    assert list(explaining.columns) == list(EXPLAINING_COLUMNS)
    assert len(explaining) == 4
    manifest = json.loads((out / "run.json").read_text())
    assert {"run_id", "config", "data", "versions", "seconds_by_step"} <= set(manifest)
    assert {d["table"] for d in manifest["data"]} == {"prices", "etf_flows"}
    page = (out / "report.html").read_text()
    assert "What the ETF flows did" in page and "<script src" not in page.lower()
    # one figure per asset, then the level set's two (φ curves, explaining value by end date)
    assert page.count('class="plotly-graph-div"') == 2 + 2
    assert "The hindcast as a level set" in page


def test_btc_under_m5_is_positive_below_all_and_matches_a_plain_computation(
    shared_data: Path, table: pd.DataFrame
) -> None:
    row = table.query("asset == 'BTC' and model == 'multiplier' and value == 5").iloc[0]
    assert 0 < row["attributed_share_pct"] < 100
    # independently from the raw CSVs, the exact inverse day by day: each dollar adds M = 5
    # dollars of market value, half of it for good (θ = 0.5) and half fading with a 30-day
    # half-life, V_s = 5 (0.5 C_s + 0.5 A_s) with C the cumulative flow and A_s = 2^(−1/30)
    # A_{s−1} + F_s; the implied no-ETF close B_s = P_s − V_s / 19.9M, I = ln(P / B)
    close = pd.read_csv(shared_data / "prices" / "binance_BTCUSDT_1d.csv", index_col=0)["close"]
    flows = pd.read_csv(shared_data / "etf_flows" / "farside_btc_etf_flows_daily.csv",
                        index_col=0)["Total"] * 1e6
    days = list(close.index)
    first, last = days.index("2024-01-11"), days.index("2025-09-02")
    realized_close = close.iloc[first : last + 1].to_numpy()
    flow = flows.reindex(close.index[first : last + 1], fill_value=0.0).to_numpy()
    cumulative, fading = 0.0, 0.0
    for day_flow in flow:
        cumulative += day_flow
        fading = 2.0 ** (-1 / 30) * fading + day_flow
    added_value_usd = 5 * (0.5 * cumulative + 0.5 * fading)
    attributed = math.log(realized_close[-1] / (realized_close[-1] - added_value_usd / 19.9e6))
    realized = math.log(close.iloc[last] / close.iloc[first - 1])
    assert row["attributed_log_impact_bps"] == pytest.approx(attributed * 1e4, rel=1e-9)
    assert row["realized_log_return_bps"] == pytest.approx(realized * 1e4, rel=1e-9)
    assert row["cum_flow_usd"] == pytest.approx(flows.sum(), rel=1e-9)


def test_the_calibrated_value_and_the_explaining_value(out: Path, table: pd.DataFrame) -> None:
    explaining = pd.read_csv(out / "hindcast_explaining.csv", keep_default_na=False)
    assert len(explaining) == 4 and (explaining["reason"] == "").all()
    for note in explaining.itertuples():
        rows = table[(table["asset"] == note.asset) & (table["model"] == note.model)]
        assert note.calibrated_token == f"calibrated:{note.asset.lower()}_etf"
        assert float(note.calibrated_value) in set(rows["value"])
        # at the root the flows explain the move: the share is monotone in the parameter, so
        # values below the root explain less than all of it and values above more
        for value, share in zip(rows["value"], rows["attributed_share_pct"], strict=True):
            assert (share < 100) == (value < float(note.explaining_value))


def test_without_etf_flows_the_hindcast_exits_3(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [str(p) for p in sorted((shared_data / "prices").glob("*_1d.csv"))]
    assert main(["import", "--data-dir", str(tmp_path / "data"), *files]) == 0
    capsys.readouterr()
    code = main(["hindcast", "--data-dir", str(tmp_path / "data"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 3
    assert "no ETF flow table" in err and "flowimpact import" in err
    assert not (tmp_path / "o").exists()


def test_the_level_set_ends_on_the_explaining_value(out: Path) -> None:
    explaining = pd.read_csv(out / "hindcast_explaining.csv")
    by_end = pd.read_csv(out / "hindcast_explaining_by_end.csv")
    for row in explaining.itertuples():
        last = by_end[(by_end["asset"] == row.asset) & (by_end["model"] == row.model)]
        assert last["last_day"].iloc[-1] == row.last_day
        assert last["explaining_value"].iloc[-1] == pytest.approx(row.explaining_value, rel=1e-6)
        assert len(last) >= 6  # monthly ends from launch + 6 months
    noise = pd.read_csv(out / "hindcast_noise.csv").set_index("asset")
    realized = explaining.groupby("asset")["realized_log_return_bps"].first()
    assert noise["realized_log_return_bps"].to_dict() == pytest.approx(realized.to_dict())
    assert (noise["bootstrap_std_bps"] > 0).all()
