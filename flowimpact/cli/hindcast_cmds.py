"""``flowimpact hindcast``: the realized ETF flows run back through the study's impact models.

Reads the study (``--config``, merged over the default study), the stored candles of ``[data]``
(as daily bars) and the stored ETF-flow tables, and writes hindcast.csv, hindcast_paths.csv,
hindcast_explaining.csv, run.json and report.html into ``--out`` (``backtest.run.run_hindcast``;
the definitions are in ``backtest.analogs.hindcast``). Exit 3 when no ETF-flow table is stored.
"""

from __future__ import annotations

from pathlib import Path

import click

from flowimpact.cli._app import (
    cli,
    config_option,
    data_dir_option,
    echo_warnings,
    out_option,
)
from flowimpact.cli.output_options import output_options

_SHOWN = ["asset", "model", "value", "first_day", "last_day", "realized_log_return_bps",
          "attributed_log_impact_bps", "attributed_share_pct"]


@cli.command("hindcast")
@config_option
@out_option("out/hindcast")
@data_dir_option
@output_options
def hindcast_command(
    config_path: Path | None, out_dir: Path, data_dir: Path, progress: bool
) -> None:
    """What the spot-ETF flows did, under each impact model of the study (hindcast.csv)."""
    from backtest.run import run_hindcast
    from backtest.study.config import load_study

    output = run_hindcast(load_study(config_path), data_dir, out_dir, progress=progress)
    echo_warnings(output.run.warnings)
    result = output.run.hindcast
    click.echo(result.table[_SHOWN].to_string(index=False, float_format=lambda v: f"{v:,.4g}"))
    click.echo("value at which the flows alone explain the whole move (brentq root):")
    explaining = result.explaining[["asset", "model", "explaining_value", "reason"]]
    click.echo(explaining.to_string(index=False, float_format=lambda v: f"{v:,.4g}"))
    click.echo(f"report: {(out_dir / 'report.html').resolve()}")
