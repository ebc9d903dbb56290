"""The study file: the default study, a user's overrides, validation and the scenario grid.

A study is TOML. The default study ships in ``backtest/study/default.toml``; a user's file
holds only what differs from it and is merged over it section by section. Each section maps to
one frozen config class (``SECTIONS``) whose field names are the keys, so an unknown key, a
wrong type or a bad value is refused with one line naming the key (exit 2) before any work.

In ``[inflow]`` and ``[impact]`` a list given for a scalar key is a grid axis; the grid is the
Cartesian product of all axes, one scenario per combination. Lists elsewhere are refused for
scalar keys, because a grid over, say, the number of bootstrap paths is not a scenario but a
different study. A grid value may also be a calibrated token such as ``"calibrated:btc_etf"``
(resolved from the ETF-flow calibration when the study runs). ``[impact]
etf_explained_share`` is an axis too, but not a field of ``ImpactConfig``: each of its values
has the model's parameter solved on the ETF record (``backtest.study.evidence_config``).
"""

from __future__ import annotations

import copy
import difflib
import itertools
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from backtest.analogs.config import AnalogsConfig
from backtest.sim.baseline import PathsConfig, baseline_peak_bytes
from backtest.sim.evaluate_config import EvaluateConfig
from backtest.sim.impact import ImpactConfig
from backtest.study.coerce import coerce, field_hints, takes_sequence
from backtest.study.compute import ComputeConfig
from backtest.study.evidence_config import (
    REFERENCE_KEY,
    SHARE_AXIS,
    SHARE_KEY,
    EvidenceConfig,
    EvidenceSolver,
    as_given,
    split_impact,
)
from backtest.study.flows_config import FlowsConfig
from backtest.study.sensitivity.config import SensitivityConfig
from feeds.config import DataConfig
from flowimpact.config import config_id, day, jsonable, number, whole
from flowimpact.errors import ConfigError
from flowimpact.schedule_config import ScheduleConfig
from flowimpact.secrets import redact
from strategies.inflow_config import InflowConfig

#: sections in which a list for a scalar key is a grid axis.
GRID_SECTIONS = ("inflow", "impact")
CALIBRATED_PREFIX = "calibrated:"
#: a grid value as written: a number, a choice, or a ``calibrated:`` token
GridValue = float | int | str | bool


@dataclass(frozen=True, kw_only=True)
class StudyConfig:
    """The ``[study]`` section: the name, the window, and the guard on the grid's size.

    ``start`` is the first day of the evaluated window (history before it still feeds the
    trailing volatility and the bootstrap). The default, 2025-01-01, puts seven months of
    ordinary market before the 2025-08-07 order. ``max_minutes`` (default 30, an assumption:
    a coffee break) caps the estimated run time (printed before the run,
    ``backtest.study.compute``); memory needs no cap, the grid runs in chunks. ``max_columns``
    (default 0: none) optionally caps scenario × path × asset columns as well. A run over
    either needs ``--allow-large-grid``.
    """

    name: str = "401(k) crypto inflows: default study"
    start: str = "2025-01-01"
    max_minutes: float = 30.0
    max_columns: int = 0

    def __post_init__(self) -> None:
        day("study", "start", self.start)
        number("study", "max_minutes", self.max_minutes, low=0, low_open=True)
        whole("study", "max_columns", self.max_columns, low=0)


#: study-file section -> its frozen config class; ``Study`` has one field of each.
SECTIONS: Mapping[str, type] = {
    "study": StudyConfig,
    "data": DataConfig,
    "inflow": InflowConfig,
    "impact": ImpactConfig,
    "paths": PathsConfig,
    "evaluate": EvaluateConfig,
    "analogs": AnalogsConfig,
    "schedule": ScheduleConfig,
    "flows": FlowsConfig,
    "sensitivity": SensitivityConfig,
    "compute": ComputeConfig,
}


class AxisKey(str):
    """A grid axis's key, ``"inflow.lag_months"``: a string (so tables, ids and JSON are as
    before) that knows its ``section`` and its key ``name`` (no ``split(".")`` at every use)."""

    __slots__ = ()

    @classmethod
    def of(cls, section: str, name: str) -> AxisKey:
        return cls(f"{section}.{name}")

    @property
    def section(self) -> str:
        return self.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.split(".", 1)[1]


@dataclass(frozen=True)
class Scenario:
    """One point of the grid: an inflow config and an impact config.

    ``axes`` holds the grid values that distinguish it (for labels and scenarios.csv);
    ``scenario_id`` is a short hash of both resolved configs, stable across runs and grids.
    ``implied_share`` (with an ``etf_explained_share`` axis) maps each asset with a stored ETF
    table to the share of its ETF-era move the solved parameter attributes to its flows.
    """

    scenario_id: str
    axes: Mapping[AxisKey, GridValue]
    inflow: InflowConfig
    impact: ImpactConfig
    implied_share: Mapping[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return ", ".join(f"{key.name}={value}" for key, value in self.axes.items())


@dataclass(frozen=True, kw_only=True)
class Study:
    """A validated study: one config per section plus the grid axes of ``[inflow]``/``[impact]``.

    ``inflow`` and ``impact`` hold the first grid point; ``scenarios()`` gives every point.
    ``raw`` keeps the grid sections' values as written (before grid expansion), from which each
    scenario's configs are built.
    """

    study: StudyConfig
    data: DataConfig
    inflow: InflowConfig
    impact: ImpactConfig
    paths: PathsConfig
    evaluate: EvaluateConfig
    analogs: AnalogsConfig
    schedule: ScheduleConfig
    flows: FlowsConfig
    sensitivity: SensitivityConfig
    compute: ComputeConfig
    grid_axes: Mapping[AxisKey, tuple[GridValue, ...]] = field(default_factory=dict)
    source: str = "default study"
    evidence: EvidenceConfig = field(default_factory=EvidenceConfig)
    raw: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: the whole mapping as merged (default, file, overrides), grid axes still lists:
    #: what ``replace`` merges over
    written: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)

    @property
    def configs(self) -> dict[str, Any]:
        """Section name -> its config, in the order of ``SECTIONS``."""
        return {section: getattr(self, section) for section in SECTIONS}

    @property
    def days(self) -> pd.DatetimeIndex:
        """The evaluated window: UTC days from ``[study] start`` to ``[paths] horizon_end``."""
        return pd.date_range(self.study.start, self.paths.horizon_end, freq="D", tz="UTC")

    @property
    def n_scenarios(self) -> int:
        count = 1
        for values in self.grid_axes.values():
            count *= len(values)
        return count

    @property
    def calibrated_tokens(self) -> set[str]:
        return {
            value
            for values in self.grid_axes.values()
            for value in values
            if isinstance(value, str) and value.startswith(CALIBRATED_PREFIX)
        }

    def scenarios(
        self,
        resolve: Callable[[str, str], float] | None = None,
        solve: EvidenceSolver | None = None,
    ) -> list[Scenario]:
        """Every grid point as a ``Scenario``, in a stable order (axes in file order).

        ``resolve(token, key)`` turns a calibrated token into a number; without it a study that
        holds one is refused. ``solve(impact, share)`` sets the model's parameter for an
        ``etf_explained_share`` value (``backtest.study.evidence``); without it a study with
        that axis is refused.
        """
        keys = list(self.grid_axes)
        scenarios = []
        for combo in itertools.product(*(self.grid_axes[key] for key in keys)):
            point = dict(zip(keys, combo, strict=True))
            built = {}
            for section in GRID_SECTIONS:
                values = dict(self.raw.get(section, {}))
                for key, value in point.items():
                    if key.section == section and key != SHARE_AXIS:
                        values[key.name] = _resolve_token(value, key, resolve)
                built[section] = build_config(section, values)
            implied: Mapping[str, float] = {}
            if SHARE_AXIS in point:
                share = point[AxisKey(SHARE_AXIS)]
                solved = _solver(solve)(built["impact"], float(share))
                built["impact"], implied = solved.impact, solved.implied_share
            scenarios.append(
                Scenario(
                    scenario_id=config_id(built["inflow"], built["impact"], prefix="s"),
                    axes=point,
                    inflow=built["inflow"],
                    impact=built["impact"],
                    implied_share=implied,
                )
            )
        return scenarios

    def inflow_scenarios(self) -> list[Scenario]:
        """The scenarios as far as their flows go, without calibrating anything.

        Flows depend on ``[inflow]`` only, and a calibrated token can stand only in
        ``[impact]``; such a token is replaced by a neutral placeholder here, so the impact
        configs (and scenario ids) of these scenarios are not the run's: use them for flows.
        """
        return self.scenarios(lambda _token, _key: _placeholder(_token), as_given)

    def resolved(self) -> dict[str, Any]:
        """Every section with every default filled in, grid axes as lists (for run.json).

        Credentials in any section (ccxt keys, headers, a proxy's user:password) are
        ``"<redacted>"``: this is what every output, ``--print-config`` and the report show.
        """
        out: dict[str, Any] = {}
        for section, config in self.configs.items():
            values = redact(jsonable(config))
            for key, axis in self.grid_axes.items():
                if key.section == section:
                    values[key.name] = list(axis)
            if section == "impact":
                values[SHARE_KEY] = list(self.evidence.shares)
                values[REFERENCE_KEY] = self.evidence.reference
            out[section] = values
        return out

    def replace(self, section: str, /, **keys: Any) -> Study:
        """This study with ``keys`` merged over one section, validated as a study file is.

        ``study.replace("paths", n_paths=50)`` or ``study.replace("inflow", allocation=[0.01,
        0.02])`` (a list in ``[inflow]``/``[impact]`` is a grid axis); a table merges key by
        key (``study.replace("data", ccxt={"timeout": 5000})`` keeps the default options).
        """
        try:
            raw = merge_sections(
                self.written, {section: _plain(keys)}, where="replace"
            )
            return study_from_mapping(raw, source=f"{self.source} + [{section}] replaced")
        except ConfigError as exc:
            raise exc.with_traceback(None) from None

    def __repr__(self) -> str:
        axes = "".join(
            f"\n  {key} = {list(values)!r}" for key, values in self.grid_axes.items()
        )
        assets = ", ".join(self.data.symbols)
        return (
            f"Study({self.source!r}: {self.n_scenarios} scenarios x {self.paths.n_paths} paths "
            f"x {assets}, {self.study.start} to {self.paths.horizon_end}; "
            f"grid axes:{axes or ' none'}\n  (study.inflow and study.impact hold the first "
            "grid point; study.scenarios() gives every one))"
        )


def load_study(
    path: Path | str | None = None, overrides: Mapping[str, Any] | None = None
) -> Study:
    """The default study, with the sections of ``path`` (if given) merged over it, then
    ``overrides`` (a nested mapping, section -> keys) merged over that, key by key.

    ``overrides`` merge exactly as a study file's sections do (``_merged``) and are validated
    the same way, so ``load_study(overrides={"inflow": {"allocation": [0.01, 0.02]},
    "paths": {"n_paths": 50}})`` is the study file holding those two tables. A tuple is read as
    a list (a grid axis in ``[inflow]``/``[impact]``). Bad input raises ``ConfigError`` with one
    line naming the key, as ``flowimpact run --config`` says it (exit 2 on the command line).
    """
    try:
        raw = _default_raw()
        sources = []
        if path is not None:
            raw = merge_sections(raw, _read_toml(Path(path)), where=str(path))
            sources.append(str(path))
        if overrides is not None:
            raw = merge_sections(raw, _plain(overrides), where="overrides")
            sources.append("overrides")
        return study_from_mapping(raw, source=" + ".join(sources) or "default study")
    except ConfigError as exc:
        # one line for a notebook as for the command line: no chained or inner frames
        raise exc.with_traceback(None) from None


def merge_sections(
    raw: Mapping[str, Mapping[str, Any]], user: Mapping[str, Any], *, where: str
) -> dict[str, dict[str, Any]]:
    """``user``'s sections merged over ``raw``'s (``_merged``); an unknown section or a section
    that is not a table is refused naming ``where`` (the file, or ``overrides``)."""
    out = {section: dict(values) for section, values in raw.items()}
    for section, values in user.items():
        if section not in SECTIONS:
            raise ConfigError(
                f"{where}: unknown section [{section}]{_suggest(section, SECTIONS)}; "
                f"allowed: {', '.join(SECTIONS)}"
            )
        if not isinstance(values, dict):
            raise ConfigError(f"{where}: [{section}] must be a table of keys")
        out[section] = _merged(out.get(section, {}), values)
    return out


def _plain(value: Any) -> Any:
    """A Python mapping as TOML would have given it: dicts and lists (tuples become lists)."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def check_memory(
    study: Study, *, n_paths: int | None = None, available_bytes: int | None = None
) -> None:
    """ConfigError, before any work, when the baseline paths would not fit in memory.

    The baseline is held whole (every path, day and asset) while the scenarios run in
    chunks, so its size (``backtest.sim.baseline.baseline_peak_bytes``, an upper bound) is
    what ``--allow-large-grid`` cannot make fit. ``n_paths`` defaults to ``[paths] n_paths``
    (``flowimpact sensitivity`` gives its own); ``available_bytes`` to the memory the system
    has available now (``/proc/meminfo`` MemAvailable; no check where it cannot be read).
    """
    paths = study.paths.n_paths if n_paths is None else n_paths
    available = _available_memory_bytes() if available_bytes is None else available_bytes
    if available is None:
        return
    n_days, n_assets = len(study.days), len(study.data.symbols)
    needed = baseline_peak_bytes(paths, n_days, n_assets, study.paths.warmup_days)
    if needed <= available:
        return
    per_path = baseline_peak_bytes(1, n_days, n_assets, study.paths.warmup_days)
    fits = available // per_path
    raise ConfigError(
        f"[paths] n_paths = {paths:,}: the baseline paths ({paths:,} paths x "
        f"{n_days + study.paths.warmup_days:,} days x {n_assets} assets) need up to "
        f"{_gib(needed)} of memory, and {_gib(available)} is available; give n_paths = "
        f"{fits:,} or fewer (or a shorter window), or run on a machine with more memory"
    )


def _available_memory_bytes() -> int | None:
    """MemAvailable of ``/proc/meminfo`` (Linux), else free physical pages; None if unknown."""
    try:
        with Path("/proc/meminfo").open(encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024  # the file says kB
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return None


def _gib(n_bytes: int) -> str:
    return f"{n_bytes / 2**30:,.1f} GiB"


def _merged(default: Mapping[str, Any], user: Mapping[str, Any]) -> dict[str, Any]:
    """The user's keys over the default's; a table given in both merges key by key.

    So ``[data.ccxt] urls = ...`` keeps the default ``options``, and ``[analogs] events``
    adds events to the default three (give an event the same name to move its date).
    """
    out = dict(default)
    for key, value in user.items():
        base = out.get(key)
        if isinstance(base, dict) and isinstance(value, dict):
            out[key] = {**base, **value}
        else:
            out[key] = value
    return out


def study_from_mapping(raw: Mapping[str, Any], *, source: str = "mapping") -> Study:
    """Validate a complete study mapping (section -> keys) and build the ``Study``."""
    configs: dict[str, Any] = {}
    grid_axes: dict[AxisKey, tuple[Any, ...]] = {}
    first_points: dict[str, dict[str, Any]] = {}
    impact_values, evidence = split_impact(raw.get("impact", {}))
    for section in SECTIONS:
        values = impact_values if section == "impact" else dict(raw.get(section, {}))
        cls = config_class(section)
        hints = field_hints(cls)
        for key, value in values.items():
            if key not in hints:
                raise ConfigError(
                    f"[{section}] unknown key {key!r}{_suggest(key, hints)}; "
                    f"allowed: {', '.join(hints)}"
                )
            if isinstance(value, list) and not takes_sequence(hints[key]):
                values[key] = _list_value(section, key, value, hints[key], grid_axes)
        if section == "impact" and evidence.active:
            grid_axes[AxisKey(SHARE_AXIS)] = evidence.shares
        first_points[section] = values
    for section in SECTIONS:
        values = {
            key: (_placeholder(value) if _is_token(value) else value)
            for key, value in first_points[section].items()
        }
        configs[section] = build_config(section, values)
    _check_window(configs["study"], configs["paths"])
    # every grid point must build (for example a combination of values that contradict)
    study = Study(
        **configs,
        grid_axes=grid_axes,
        source=source,
        raw=first_points,
        written=copy.deepcopy({section: dict(raw.get(section, {})) for section in SECTIONS}),
        evidence=evidence,
    )
    if not study.calibrated_tokens:
        study.scenarios(solve=as_given)
    return study


def _list_value(
    section: str, key: str, value: list[Any], hint: Any, grid_axes: dict[AxisKey, tuple[Any, ...]]
) -> Any:
    """A list given for a one-value key: a grid axis in ``[inflow]``/``[impact]`` (recorded in
    ``grid_axes``, its first value returned), else its one value; ConfigError otherwise."""
    if len(value) == 1 and section not in GRID_SECTIONS:
        return value[0]  # a one-element list is its one value, everywhere
    if section not in GRID_SECTIONS:
        raise ConfigError(
            f"[{section}] {key}: a list (grid axis) is allowed only in "
            f"[{'] and ['.join(GRID_SECTIONS)}]; give one value"
        )
    if not value:
        raise ConfigError(f"[{section}] {key}: an empty list gives no scenario")
    grid_axes[AxisKey.of(section, key)] = tuple(value)
    # validate every axis value now, so a bad one fails before any work
    for item in value:
        if not _is_token(item):
            coerce(item, hint, section, key)
    return value[0]


def build_config(section: str, values: Mapping[str, Any]) -> Any:
    """One section's config class from plain values, each coerced to its field's type."""
    cls = config_class(section)
    hints = field_hints(cls)
    kwargs = {}
    for key, value in values.items():
        if key not in hints:
            raise ConfigError(f"[{section}] unknown key {key!r}{_suggest(key, hints)}")
        kwargs[key] = coerce(value, hints[key], section, key)
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"[{section}] {exc}") from exc


def config_class(section: str) -> type:
    """The frozen config class of a study-file section."""
    return SECTIONS[section]


def default_study_text() -> str:
    return resources.files("backtest.study").joinpath("default.toml").read_text("utf-8")


def _default_raw() -> dict[str, Any]:
    return {key: dict(value) for key, value in tomllib.loads(default_study_text()).items()}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"study file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(
            f"{path} is not a text file in UTF-8; a study file is TOML text (see "
            "`flowimpact run --print-config`)"
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"study file {path} is a folder; give a .toml file") from None


def _is_token(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(CALIBRATED_PREFIX)


def _placeholder(token: str) -> float:
    # the first grid point stands in for the section before calibration; a neutral number lets
    # the config class validate everything else
    return 1.0


def _solver(solve: EvidenceSolver | None) -> EvidenceSolver:
    if solve is None:
        raise ConfigError(
            f"[impact] {SHARE_AXIS.split('.', 1)[1]} needs the stored ETF-flow tables to solve "
            "the impact parameter: import the Farside tables (flowimpact import) and run the "
            "study, or set etf_explained_share = [] to run the parameters as given"
        )
    return solve


def _resolve_token(
    value: Any, key: AxisKey, resolve: Callable[[str, str], float] | None
) -> Any:
    if not _is_token(value):
        return value
    if resolve is None:
        raise ConfigError(
            f"[{key.section}] {key.name} = {value!r} needs the ETF-flow "
            "calibration: import the Farside tables (flowimpact import) and run the study"
        )
    return resolve(value, key.name)


def _check_window(study: StudyConfig, paths: PathsConfig) -> None:
    """The window runs forward: ``[paths] horizon_end`` must come after ``[study] start``."""
    start = day("study", "start", study.start)
    end = day("paths", "horizon_end", paths.horizon_end)
    if end <= start:
        raise ConfigError(
            f"[paths] horizon_end {paths.horizon_end} is not after [study] start {study.start}; "
            "give a horizon_end later than the start"
        )


def _suggest(word: str, choices: Mapping[str, Any] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
