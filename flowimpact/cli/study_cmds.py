"""``flowimpact run`` (the main job) and ``flowimpact flows`` (the inflow schedules alone)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from flowimpact.cli._app import cli, config_option, data_dir_option, out_option
from flowimpact.cli.compute_options import compute_config, scheduler_option, workers_option

if TYPE_CHECKING:
    import pandas as pd


@cli.command("run")
@config_option
@out_option("out")
@data_dir_option
@click.option(
    "--print-config", is_flag=True, help="Print the resolved study (every default) and exit."
)
@click.option(
    "--allow-large-grid",
    is_flag=True,
    help="Run a grid whose estimated time is over [study] max_minutes.",
)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@workers_option
@scheduler_option
def run_command(
    config_path: Path | None,
    out_dir: Path,
    data_dir: Path,
    print_config: bool,
    allow_large_grid: bool,
    no_progress: bool,
    workers: int | None,
    scheduler: str | None,
) -> None:
    """The main job: the whole study and its report (report.html, scenarios.csv, ...)."""
    import tomli_w

    from backtest.run import check_run_time, run_study
    from backtest.sim.compile_cache import compile_note
    from backtest.study.compute import duration_text
    from backtest.study.config import load_study

    study = load_study(config_path)
    if print_config:
        click.echo(f"# resolved study: {study.source}; a list in [inflow]/[impact] is a grid axis")
        click.echo(tomli_w.dumps(study.resolved()))
        return
    compute = compute_config(study.compute, workers, scheduler)
    n_columns = study.n_scenarios * study.paths.n_paths * len(study.data.symbols)
    click.echo(
        f"study: {study.study.name} — {study.n_scenarios} scenarios x {study.paths.n_paths} "
        f"paths x {len(study.data.symbols)} assets = {n_columns:,} columns; data in {data_dir}"
    )
    seconds = check_run_time(study, compute, allow_large_grid=True)
    click.echo(
        f"estimated run time: about {duration_text(seconds)} {compute.describe()}{compile_note()}"
    )
    result = run_study(
        study,
        data_dir,
        out_dir,
        progress=not no_progress,
        allow_large_grid=allow_large_grid,
        compute=compute,
    )
    for warning in result.run.warnings:
        click.echo(f"flowimpact: warning: {warning}", err=True)
    _print_headline(result.run.table)
    click.echo(f"report: {result.report_path.resolve()}")
    for name, path in sorted(result.files.items()):
        if name != "report.html":
            click.echo(f"  {name}: {path}")


@cli.command("flows")
@config_option
@out_option("out")
@data_dir_option
def flows_command(config_path: Path | None, out_dir: Path, data_dir: Path) -> None:
    """The 401(k) inflow schedule of each scenario: flows.csv and a short summary."""
    from backtest.run import run_flows
    from backtest.study.config import load_study

    result = run_flows(load_study(config_path), data_dir, out_dir)
    click.echo(result.summary.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    click.echo(f"flows: {result.path.resolve()}")


def _print_headline(table: pd.DataFrame) -> None:
    """The answer in the terminal: median price uplift at the horizon by allocation and model."""
    pivot = table.pivot_table(
        index=["asset", "model"],
        columns="allocation",
        values="price_uplift_at_horizon_pct_p50",
        aggfunc="median",
    )
    pivot.columns = [f"{a:.0%}" for a in pivot.columns]
    click.echo("median price uplift at the horizon (%), by allocation (median over other axes):")
    click.echo(pivot.round(1).to_string())
