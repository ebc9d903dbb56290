"""``flowimpact sensitivity``: which assumption drives the answer (Sobol, Morris, one at a time)."""

from __future__ import annotations

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
from flowimpact.cli.compute_options import compute_config, scheduler_option, workers_option
from flowimpact.cli.output_options import output_options

if TYPE_CHECKING:
    import pandas as pd

@cli.command("sensitivity")
@config_option
@out_option("out/sensitivity")
@data_dir_option
@workers_option
@scheduler_option
@output_options
def sensitivity_command(
    config_path: Path | None,
    out_dir: Path,
    data_dir: Path,
    workers: int | None,
    scheduler: str | None,
    progress: bool,
) -> None:
    """Global sensitivity of the outputs to the [sensitivity.ranges] of the assumptions.

    Without --config: the packaged default analysis (eight assumptions, Sobol', N = 1024,
    50 paths). Writes sensitivity.csv, sensitivity_samples.csv, run.json and report.html.
    """
    from backtest.run import run_sensitivity
    from backtest.study.config import load_study
    from backtest.study.sensitivity.analysis import n_runs
    from backtest.study.sensitivity.plan import sensitivity_plan

    study = load_study(config_path)
    compute = compute_config(study.compute, workers, scheduler)
    plan = sensitivity_plan(study)
    config = plan.config
    click.echo(
        f"sensitivity: {config.method}, {len(plan.parameters)} parameters "
        f"({', '.join(p.key for p in plan.parameters)}), models {', '.join(plan.models)}: "
        f"{n_runs(plan):,} runs x {config.n_paths} paths x {len(study.data.symbols)} assets; "
        f"data in {data_dir}"
    )
    result = run_sensitivity(
        study,
        data_dir,
        out_dir,
        progress=progress,
        compute=compute,
    )
    _print_top(result.outcome.table, config.outputs[0])
    echo_warnings(result.warnings)
    for note in result.outcome.notes:  # constant outputs, rankings the intervals cannot carry
        click.echo(f"note: {note}")
    click.echo(f"report: {result.report_path.resolve()}")
    for name, path in sorted(result.files.items()):
        if name != "report.html":
            click.echo(f"  {name}: {path}")


def _print_top(table: pd.DataFrame, output: str) -> None:
    """The leading parameters per asset and model, for the headline output."""
    from backtest.report.sensitivity.figures import ranking

    rows = table[table["output"] == output]
    method = rows["method"].iloc[0]
    columns = {"sobol": ["S1", "S1_conf", "ST", "ST_conf"], "morris": ["mu_star", "sigma"]}.get(
        method, ["output_at_low", "output_at_high"]
    )
    click.echo(f"{output}: leading parameters per asset and model ({method})")
    for (asset, model), group in rows.groupby(["asset", "model"], sort=False):
        top = ranking(group).head(3)[["parameter", *columns]]
        click.echo(f"  {asset} {model}:")
        click.echo("    " + top.round(3).to_string(index=False).replace("\n", "\n    "))
