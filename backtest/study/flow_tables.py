"""The ``[flows]`` of a study as dated USD flows on its days, one frame per source.

Sources (``backtest.study.flows_config``): each entry of ``tables`` on its own dates, and the
``replay`` moved in time and scaled. A stored ETF table contributes its ``total_usd`` column
(``feeds.read_etf_flows``); a CSV file is read by ``feeds.flow_csv.read_flow_csv`` (bad rows
refused with file and line, nothing half-read). Every source is read before any work of the
run, and every scenario carries all of them on top of its 401(k) flows
(``backtest.study.scenario_inputs``). Flows dated outside the study window are left out and
counted (``outside_usd``), so the report can say what was dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from backtest.study.config import Study
from backtest.study.flows_config import ETF_PREFIX, FlowsConfig
from flowimpact.errors import ConfigError
from strategies.inflow_schedule import FlowSchedule


@dataclass(frozen=True, eq=False)
class ExtraFlows:
    """``[flows]`` on the study's ``days``: per source label, days × assets in USD (0 if none).

    ``tables`` holds each source before it is cut to the window (the replay already moved and
    scaled), for the data fingerprints; ``outside_usd`` the sum of each source's flows outside
    the window.
    """

    days: pd.DatetimeIndex
    assets: tuple[str, ...]
    by_source: dict[str, pd.DataFrame]
    tables: dict[str, pd.DataFrame]
    outside_usd: dict[str, float]

    @property
    def total_usd(self) -> pd.DataFrame:
        """Days × assets: every source added up."""
        total = pd.DataFrame(0.0, index=self.days, columns=list(self.assets))
        for frame in self.by_source.values():
            total = total + frame
        return total

    def sources(self, asset: str) -> list[str]:
        """The labels of the sources with some flow into ``asset`` inside the window."""
        return [label for label, frame in self.by_source.items() if frame[asset].ne(0.0).any()]


def for_study(study: Study, data_dir: Path) -> ExtraFlows | None:
    """The ``[flows]`` of ``study`` (None without any); CSV paths are relative to its file."""
    source = Path(study.source)
    base_dir = source.parent if source.is_file() else Path.cwd()
    return load_extra_flows(study.flows, data_dir, base_dir, study.days, study.data.assets)


def load_extra_flows(
    config: FlowsConfig,
    data_dir: Path,
    base_dir: Path,
    days: pd.DatetimeIndex,
    assets: Sequence[str],
) -> ExtraFlows | None:
    """Every source of ``config`` on ``days`` and ``assets``; None when ``[flows]`` is empty."""
    if config.is_empty:
        return None
    tables = {table: _read(table, data_dir, base_dir, assets) for table in config.tables}
    replay = config.replay_spec
    if replay is not None:
        original = _read(replay.table, data_dir, base_dir, assets)
        shift = pd.Timestamp(replay.start, tz="UTC") - original.index.min()
        tables[replay.label] = original.set_axis(original.index + shift) * replay.scale
    by_source, outside = {}, {}
    for label, frame in tables.items():
        inside = frame.index.isin(days)
        outside[label] = float(frame[~inside].to_numpy().sum())
        by_source[label] = (
            frame.reindex(index=days, columns=list(assets)).fillna(0.0).astype("float64")
        )
    return ExtraFlows(
        days=days,
        assets=tuple(assets),
        by_source=by_source,
        tables=tables,
        outside_usd=outside,
    )


def _read(table: str, data_dir: Path, base_dir: Path, assets: Sequence[str]) -> pd.DataFrame:
    """One source as days × assets (USD), indexed by UTC midnight."""
    from feeds import read_etf_flows
    from feeds.flow_csv import read_flow_csv

    if table.startswith(ETF_PREFIX):
        asset = table[len(ETF_PREFIX) :].upper()
        if asset not in assets:
            raise ConfigError(
                f"[flows] {table}: {asset} is not an asset of the study ({', '.join(assets)})"
            )
        total = read_etf_flows(data_dir, asset)["total_usd"].astype("float64")
        frame = total.to_frame(asset)
    else:
        path = Path(table).expanduser()
        frame = read_flow_csv(path if path.is_absolute() else base_dir / path, assets)
    index = pd.DatetimeIndex(frame.index)
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    return frame.set_axis(index.normalize().as_unit("ns")).sort_index()


def flow_source(
    schedule: FlowSchedule, assets: Sequence[str], extra_flows: ExtraFlows | None
) -> dict[str, str]:
    """Per asset, the flows a scenario carries: ``401(k)`` and the ``[flows]`` sources, or none."""
    out = {}
    for asset in assets:
        parts = []
        own = schedule.net_flow_usd[asset].ne(0.0).any() if asset in schedule.assets else False
        sleeve = schedule.sleeve is not None and schedule.sleeve.target_weight.get(asset, 0) > 0
        if own or sleeve:
            parts.append("401(k)")
        if extra_flows is not None:
            parts += extra_flows.sources(asset)
        out[asset] = " + ".join(parts) or "none"
    return out


__all__ = ["ExtraFlows", "flow_source", "for_study", "load_extra_flows"]
