"""``flowimpact run`` (the main job) and ``flowimpact flows`` (the inflow schedules alone)."""

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
from flowimpact.cli.output_options import log, output_options

if TYPE_CHECKING:
    from backtest.run import RunResult


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
@output_options
@workers_option
@scheduler_option
def run_command(
    config_path: Path | None,
    out_dir: Path,
    data_dir: Path,
    print_config: bool,
    allow_large_grid: bool,
    progress: bool,
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
        progress=progress,
        allow_large_grid=allow_large_grid,
        compute=compute,
    )
    echo_warnings(result.run.warnings)
    log.debug("seconds by step: %s", result.run.timings_s)
    _print_headline(result)
    click.echo(f"report: {result.report_path.resolve()}")
    for name, path in sorted(result.files.items()):
        if name != "report.html":
            click.echo(f"  {name}: {path}")


@cli.command("flows")
@config_option
@out_option("out/flows")
@data_dir_option
@output_options
def flows_command(config_path: Path | None, out_dir: Path, data_dir: Path, progress: bool) -> None:
    """The 401(k) inflow schedule of each scenario: flows.csv and a short summary."""
    from backtest.run import run_flows
    from backtest.study.config import load_study

    result = run_flows(load_study(config_path), data_dir, out_dir, progress=progress)
    click.echo(result.summary.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    click.echo(f"flows: {result.path.resolve()}")


def _print_headline(result: RunResult) -> None:
    """The answer in the terminal: run.json's headline, then one scenario per cell."""
    import json

    from backtest.report.headline import answer_grid, fixed_axes
    from flowimpact.headline import headline_text

    manifest = json.loads(result.files["run.json"].read_text(encoding="utf-8"))
    click.echo(f"headline: {headline_text(manifest['headline'])}")
    grid = answer_grid(result.run)
    grid.columns = [f"{float(a) * 100:.4g}" for a in grid.columns]
    others = fixed_axes(result.run.study, ["asset", "model", "reallocation_share"])
    at = ", ".join(f"{k} = {v}" for k, v in others.items()) or "no other axes"
    click.echo(f"median price uplift at the horizon (%) by allocation (%), one scenario per cell "
               f"({at}; every scenario in scenarios.csv):")
    click.echo(grid.round(1).to_string())
