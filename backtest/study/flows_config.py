"""``FlowsConfig``: the ``[flows]`` section, dated flows added to every scenario of a study.

Beside the 401(k) inflow model a study can carry flows that are written down rather than
modelled (``backtest.study.flow_tables`` reads them)::

    [flows]
    tables = ["etf:BTC", "my_flows.csv"]
    replay = { table = "etf:BTC", start = "2026-02-01", scale = 1.0 }

A table is ``etf:<ASSET>`` (the stored US spot-ETF net flows of that asset, ``flowimpact
import`` of a Farside table) or a CSV file of ``date,asset,flow_usd`` rows (a path relative to
the study file's folder, or absolute). ``tables`` adds each table's flows on their own dates;
``replay`` moves one table in time so that its first day falls on ``start`` (every day keeps its
calendar-day distance from the first) and multiplies it by ``scale``: the ETF history replayed
from a future date, for example. Flows outside the study window are left out. Defaults: no
tables and no replay (the study's flows are the 401(k) model's alone); ``scale`` 1.0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flowimpact.config import day, frozen, number
from flowimpact.errors import ConfigError

ETF_PREFIX = "etf:"
_REPLAY_KEYS = ("table", "start", "scale")


@dataclass(frozen=True)
class FlowReplay:
    """``[flows] replay``: ``table`` moved so that its first day is ``start``, times ``scale``."""

    table: str
    start: dt.date
    scale: float = 1.0

    @property
    def label(self) -> str:
        return f"replay of {self.table} from {self.start.isoformat()} x {self.scale:g}"


@dataclass(frozen=True, kw_only=True)
class FlowsConfig:
    """The ``[flows]`` section (see the module docstring); empty by default."""

    tables: tuple[str, ...] = ()
    replay: Mapping[str, Any] = field(default_factory=lambda: frozen({}))

    def __post_init__(self) -> None:
        for table in self.tables:
            check_table("tables", table)
        repeated = sorted({t for t in self.tables if self.tables.count(t) > 1})
        if repeated:
            raise ConfigError(
                f"[flows] tables: {repeated[0]!r} is listed twice; list each table once"
            )
        if not isinstance(self.replay, Mapping):
            raise ConfigError(
                '[flows] replay: give a table, e.g. { table = "etf:BTC", start = "2026-02-01" }'
            )
        object.__setattr__(self, "replay", frozen(self.replay))
        self.replay_spec  # noqa: B018 - validates the replay table now, before any work

    @property
    def replay_spec(self) -> FlowReplay | None:
        """``replay`` as a typed value; None without one."""
        if not self.replay:
            return None
        unknown = sorted(set(self.replay) - set(_REPLAY_KEYS))
        if unknown:
            raise ConfigError(
                f"[flows] replay: unknown key {unknown[0]!r}; allowed: {', '.join(_REPLAY_KEYS)}"
            )
        for key in ("table", "start"):
            if key not in self.replay:
                raise ConfigError(
                    f'[flows] replay needs {key}, e.g. {{ table = "etf:BTC", '
                    'start = "2026-02-01", scale = 1.0 }'
                )
        return FlowReplay(
            table=check_table("replay.table", self.replay["table"]),
            start=day("flows", "replay.start", self.replay["start"]),
            scale=number("flows", "replay.scale", self.replay.get("scale", 1.0), low=0.0),
        )

    @property
    def is_empty(self) -> bool:
        return not self.tables and not self.replay


def check_table(key: str, table: object) -> str:
    """``etf:<ASSET>`` or a path ending in ``.csv``; ConfigError naming ``[flows] key`` else."""
    if isinstance(table, str):
        if table.startswith(ETF_PREFIX) and table[len(ETF_PREFIX) :].isalnum():
            return table
        if table.lower().endswith(".csv") and not table.startswith(ETF_PREFIX):
            return table
    raise ConfigError(
        f"[flows] {key}: {table!r} is neither etf:<ASSET> (a stored ETF-flow table, e.g. "
        "etf:BTC) nor a .csv file of date,asset,flow_usd rows"
    )


__all__ = ["ETF_PREFIX", "FlowReplay", "FlowsConfig", "check_table"]
