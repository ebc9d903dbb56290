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
from typing import TYPE_CHECKING, Any

import click

from backtest.cli._app import cli, config_option, data_dir_option, out_option

if TYPE_CHECKING:
    import pandas as pd

    from backtest.calibrate import CalibrationResult


@cli.command("analogs")
@config_option
@out_option("out")
@data_dir_option
def analogs_command(config_path: Path | None, out_dir: Path, data_dir: Path) -> None:
    """The event study of the ETF launches and the 401(k) order, and the flow comparison."""
    import feeds
    from backtest.analogs import event_study
    from backtest.study import load_study

    study = load_study(config_path)
    prices = feeds.load_prices(data_dir, study.data)
    result = event_study(prices, study.analogs)
    files = {
        "analogs.csv": result.table,
        "analogs_aligned.csv": result.aligned,
    }
    etf_flows = load_etf_flows(data_dir, tuple(prices))
    comparison = None
    if etf_flows:
        from backtest.flow_compare import compare_flows

        calibration = _calibration_if_needed(study, prices, etf_flows)
        resolve = calibration.value if calibration is not None else None
        comparison = compare_flows(etf_flows, scenario_flows(study, prices, resolve))
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
    _echo_cars(result.table)
    for path in written:
        click.echo(f"  {path}")


@cli.command("calibrate")
@config_option
@out_option("out")
@data_dir_option
def calibrate_command(config_path: Path | None, out_dir: Path, data_dir: Path) -> None:
    """Impact parameters (M, Y, λ) from the stored ETF flows: calibration.csv."""
    import feeds
    from backtest.calibrate import CalibrationConfig, calibrate
    from backtest.study import load_study
    from flowimpact.errors import DataUnavailableError

    study = load_study(config_path)
    prices = feeds.load_prices(data_dir, study.data)
    etf_flows = load_etf_flows(data_dir, tuple(prices))
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


def load_etf_flows(data_dir: Path, assets: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """The stored ETF-flow table of each asset that has one (the others are skipped)."""
    import feeds
    from flowimpact.errors import DataUnavailableError

    flows = {}
    for asset in assets:
        try:
            flows[asset] = feeds.read_etf_flows(data_dir, asset)
        except DataUnavailableError:
            continue  # an asset without spot ETFs, or a table not imported: nothing to compare
    return flows


def scenario_flows(
    study: Any,
    prices: Mapping[str, pd.DataFrame],
    resolve: Any = None,
) -> pd.DataFrame:
    """Net direct 401(k) flows per day, columns (inflow label, asset), one per distinct inflow.

    Scenarios that differ only in ``[impact]`` have the same flows and appear once, labelled by
    their ``[inflow]`` grid values.
    """
    import pandas as pd

    from strategies.inflow import schedule_flows

    days = pd.date_range(study.study.start, study.paths.horizon_end, freq="D", tz="UTC")
    assets = tuple(study.data.assets)
    frames: dict[str, pd.DataFrame] = {}
    for scenario in study.scenarios(resolve):
        label = _inflow_label(scenario.axes)
        if label in frames:
            continue
        caps = _market_caps(scenario, prices) if scenario.inflow.split == "market_cap" else None
        frames[label] = schedule_flows(scenario.inflow, days, assets, caps).net_flow_usd
    return pd.concat(frames, axis=1)


def _inflow_label(axes: Mapping[str, Any]) -> str:
    parts = [
        f"{key.split('.', 1)[1]}={value}"
        for key, value in axes.items()
        if key.startswith("inflow.")
    ]
    return ", ".join(parts) or "inflow"


def _market_caps(scenario: Any, prices: Mapping[str, pd.DataFrame]) -> dict[str, float]:
    day = scenario.inflow.announcement_day
    caps = {}
    for asset, frame in prices.items():
        before = frame["close"].loc[:day]
        if before.empty:
            from flowimpact.errors import DataUnavailableError

            raise DataUnavailableError(
                f"no {asset} price on or before the announcement {day.date()} for the "
                "market-cap split: fetch or import older candles"
            )
        caps[asset] = float(before.iloc[-1]) * scenario.impact.supply_coins(asset)
    return caps


def _calibration_if_needed(
    study: Any, prices: Mapping[str, pd.DataFrame], etf_flows: Mapping[str, pd.DataFrame]
) -> CalibrationResult | None:
    if not study.calibrated_tokens:
        return None
    from backtest.calibrate import CalibrationConfig, calibrate

    return calibrate(prices, etf_flows, CalibrationConfig.from_study(study))


def _write_tables(out_dir: Path, tables: Mapping[str, pd.DataFrame]) -> list[Path]:
    from flowimpact.atomic import atomic_write_text

    paths = []
    for name, frame in tables.items():
        path = out_dir / name
        atomic_write_text(path, frame.to_csv(index=False, float_format="%.8g"))
        paths.append(path)
    return paths


def _write_page(path: Path, result: Any, comparison: Any) -> Path:
    from backtest import analogs_figures as figures
    from backtest.report import Section, write_report

    sections = [
        Section(
            title="Event study",
            intro_html=(
                f"Abnormal returns against the {result.config.model} model; CAR t-test with the "
                "estimation window's variance and a Corrado rank test (Wilcoxon rank-sum form)."
            ),
            figures=(figures.aligned_paths_figure(result), figures.car_table_figure(result)),
        )
    ]
    if comparison is not None:
        sections.append(
            Section(
                title="Flow comparison",
                figures=(figures.flow_comparison_figure(comparison),),
                tables=(
                    ("Days of each scenario that equal the ETFs' first year", comparison.table),
                ),
            )
        )
    return write_report(
        path, "flowimpact: analogs", "US spot-ETF launches and the 401(k) order", sections
    )


def _echo_cars(table: pd.DataFrame) -> None:
    columns = [
        "event",
        "asset",
        "model",
        "car_5d_pct",
        "car_5d_p",
        "car_30d_pct",
        "car_30d_p",
        "status",
    ]
    shown = [c for c in columns if c in table.columns]
    click.echo(table[shown].to_string(index=False, float_format=lambda v: f"{v:.3g}"))
