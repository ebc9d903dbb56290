"""``flowimpact analogs`` (event study and flow comparison) and ``flowimpact calibrate``.

Both read the study (``--config``, merged over the default study), the stored candles of
``[data]`` (as daily bars, like the run) and the stored ETF-flow tables, and write their files
atomically into ``--out`` (see ``backtest.run.run_analogs`` and ``run_calibration``):

- ``analogs``: ``analogs.csv``, ``analogs_aligned.csv``, ``flow_comparison.csv`` and
  ``flow_cumulative.csv`` (when ETF flows are stored) and ``analogs.html``;
- ``calibrate``: ``calibration.csv``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from flowimpact.cli._app import (
    cli,
    config_option,
    data_dir_option,
    echo_warnings,
    out_option,
)
from flowimpact.cli.output_options import log, output_options

if TYPE_CHECKING:
    import pandas as pd


@cli.command("analogs")
@config_option
@out_option("out/analogs")
@data_dir_option
@output_options
def analogs_command(
    config_path: Path | None, out_dir: Path, data_dir: Path, progress: bool
) -> None:
    """The event study of the ETF launches and the 401(k) order, and the flow comparison."""
    from backtest.run import run_analogs
    from backtest.study.config import load_study
    from backtest.study.results import HOW_TO_IMPORT_ETF_FLOWS

    result = run_analogs(load_study(config_path), data_dir, out_dir, progress=progress)
    echo_warnings(result.warnings)
    if result.outcome.comparison is None:
        log.warning("no ETF flows stored: flow comparison skipped (%s)", HOW_TO_IMPORT_ETF_FLOWS)
    events = result.outcome.events
    _echo_cars(events.table, events.config.car_horizons_days)
    _echo_paths(result.files.values())


@cli.command("calibrate")
@config_option
@out_option("out/calibration")
@data_dir_option
@output_options
def calibrate_command(
    config_path: Path | None, out_dir: Path, data_dir: Path, progress: bool
) -> None:
    """Impact parameters (M, Y, λ) from the stored ETF flows: calibration.csv."""
    from backtest.analogs.calibrate import PARAMETERS
    from backtest.run import run_calibration
    from backtest.study.config import load_study

    result = run_calibration(load_study(config_path), data_dir, out_dir, progress=progress)
    echo_warnings(result.warnings)
    table = result.outcome.calibration.table if result.outcome.calibration is not None else None
    if table is not None:
        same_day = table[
            table["parameter"].isin(list(PARAMETERS))
        ]
        click.echo(
            same_day[["asset", "parameter", "estimate", "ci_low", "ci_high", "n_obs"]].to_string(
                index=False, float_format=lambda v: f"{v:.4g}"
            )
        )
    click.echo("flows also follow prices: see the flows_on_returns rows (reverse regression)")
    _echo_paths(result.files.values())


def _echo_cars(table: pd.DataFrame, horizons: tuple[int, ...]) -> None:
    cars = [f"car_{h}d_{part}" for h in horizons[:3] for part in ("pct", "p")]
    columns = ["event", "asset", "model", *cars, "status"]
    click.echo(table[columns].to_string(index=False, float_format=lambda v: f"{v:.3g}"))


def _echo_paths(paths: Iterable[Path]) -> None:
    for path in paths:
        click.echo(f"  {path}")
