"""``flowimpact analogs`` (event study and flow comparison) and ``flowimpact calibrate``.

Both read the study (``--config``, merged over the default study), the stored candles of
``[data]`` and the stored ETF-flow tables, and write their CSV files atomically into ``--out``:

- ``analogs``: ``analogs.csv`` (one row per event × asset), ``analogs_aligned.csv`` (the
  window's bars aligned on day 0), ``flow_comparison.csv`` and ``flow_cumulative.csv`` (when
  ETF flows are stored) and ``analogs.html`` (the figures, self-contained).
- ``calibrate``: ``calibration.csv``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import click

from flowimpact.cli._app import cli, config_option, data_dir_option, out_option

if TYPE_CHECKING:
    import pandas as pd

    from backtest.analogs.event_study import EventStudyResult
    from backtest.analogs.flow_compare import FlowComparison
    from backtest.study.config import Study


@cli.command("analogs")
@config_option
@out_option("out")
@data_dir_option
def analogs_command(config_path: Path | None, out_dir: Path, data_dir: Path) -> None:
    """The event study of the ETF launches and the 401(k) order, and the flow comparison."""
    import feeds
    from backtest.analogs.event_study import event_study
    from backtest.study.config import load_study

    study = load_study(config_path)
    prices = feeds.load_prices(data_dir, study.data)
    result = event_study(prices, study.analogs)
    files = {
        "analogs.csv": result.table,
        "analogs_aligned.csv": result.aligned,
    }
    etf_flows = feeds.read_stored_etf_flows(data_dir, prices)
    comparison = None
    if etf_flows:
        from backtest.analogs.flow_compare import compare_flows, study_scenario_flows

        flows = study_scenario_flows(study, _daily(study, prices))
        comparison = compare_flows(etf_flows, flows)
        files["flow_comparison.csv"] = comparison.table
        files["flow_cumulative.csv"] = comparison.cumulative
    else:
        click.echo(
            "no ETF flows stored: flow comparison skipped (run `flowimpact import "
            "../shared/data/etf_flows/*.csv`)",
            err=True,
        )
    written = _write_tables(out_dir, files)
    written.append(_write_page(out_dir / "analogs.html", result, comparison))
    _echo_cars(result.table, result.config.car_horizons_days)
    for path in written:
        click.echo(f"  {path}")


@cli.command("calibrate")
@config_option
@out_option("out")
@data_dir_option
def calibrate_command(config_path: Path | None, out_dir: Path, data_dir: Path) -> None:
    """Impact parameters (M, Y, λ) from the stored ETF flows: calibration.csv."""
    import feeds
    from backtest.analogs.calibrate import CalibrationConfig, calibrate
    from backtest.study.config import load_study
    from flowimpact.errors import DataUnavailableError

    study = load_study(config_path)
    prices = feeds.load_prices(data_dir, study.data)
    etf_flows = feeds.read_stored_etf_flows(data_dir, prices)
    if not etf_flows:
        raise DataUnavailableError(
            f"no ETF flow table for {', '.join(prices)} in {data_dir}: run `flowimpact import "
            "../shared/data/etf_flows/*.csv`"
        )
    result = calibrate(prices, etf_flows, CalibrationConfig.from_study(study))
    written = _write_tables(out_dir, {"calibration.csv": result.table})
    same_day = result.table[
        result.table["parameter"].isin(["multiplier", "sqrt_y", "lambda_per_billion_usd"])
    ]
    click.echo(
        same_day[["asset", "parameter", "estimate", "ci_low", "ci_high", "n_obs"]].to_string(
            index=False, float_format=lambda v: f"{v:.4g}"
        )
    )
    click.echo("flows also follow prices: see the flows_on_returns rows (reverse regression)")
    for path in written:
        click.echo(f"  {path}")


def _daily(study: Study, prices: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Daily candles for the market-cap split, whatever the study's timeframe."""
    from feeds import daily_from_intraday

    return {a: daily_from_intraday(f, study.data.timeframe) for a, f in prices.items()}


def _write_tables(out_dir: Path, tables: Mapping[str, pd.DataFrame]) -> list[Path]:
    from flowimpact.atomic import atomic_write_text

    paths = []
    for name, frame in tables.items():
        path = out_dir / name
        atomic_write_text(path, frame.to_csv(index=False, float_format="%.8g"))
        paths.append(path)
    return paths


def _write_page(path: Path, result: EventStudyResult, comparison: FlowComparison | None) -> Path:
    from backtest.report.analogs_sections import report_sections
    from backtest.report.html import write_report

    sections = report_sections(result, comparison, None)
    title = "flowimpact: analogs"
    return write_report(path, title, "US spot-ETF launches and the 401(k) order", sections)


def _echo_cars(table: pd.DataFrame, horizons: tuple[int, ...]) -> None:
    cars = [f"car_{h}d_{part}" for h in horizons[:3] for part in ("pct", "p")]
    columns = ["event", "asset", "model", *cars, "status"]
    click.echo(table[columns].to_string(index=False, float_format=lambda v: f"{v:.3g}"))
