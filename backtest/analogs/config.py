"""``AnalogsConfig``: the ``[analogs]`` section (events, windows, the normal-return model).

Kept apart from the statistics (``backtest.analogs.event_study``) so that reading a study file
costs no SciPy import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

from flowimpact.config import choice, day, frozen, whole
from flowimpact.errors import ConfigError, InputError

_SECTION = "analogs"
NormalModel = Literal["constant_mean", "market"]
MODELS: tuple[str, ...] = get_args(NormalModel)
#: fewer estimation days than this give no test (too few bars for a variance).
MIN_ESTIMATION_DAYS = 30

DEFAULT_EVENTS: Mapping[str, str] = {
    "btc_spot_etf": "2024-01-11",  # first trading day of the US spot bitcoin ETFs (SEC 2024-01-10)
    "eth_spot_etf": "2024-07-23",  # first trading day of the US spot ether ETFs
    "us_401k_order": "2025-08-07",  # executive order on alternative assets in 401(k) plans
}


@dataclass(frozen=True, kw_only=True)
class AnalogsConfig:
    """The ``[analogs]`` section: events, windows and the normal-return model.

    Field names are the study-file keys. Defaults and their sources:

    - ``events``: name -> "YYYY-MM-DD" (UTC day 0); the US spot-ETF launches (BTC 2024-01-11,
      ETH 2024-07-23) and the 401(k) executive order (2025-08-07).
    - ``event_assets``: name -> assets, for events whose assets the name does not say. Without
      an entry, a name starting with ``<asset>_`` (``btc_spot_etf``) concerns that asset if the
      prices hold it, any other name every asset.
    - ``window_start_days`` / ``window_end_days``: -30 / +180, the design's event window.
    - ``estimation_start_days`` / ``estimation_end_days``: -250 / -31, about a trading year
      ending before the event window (MacKinlay 1997 uses 250 days); an assumption.
    - ``model``: "constant_mean" or "market"; ``benchmark``: the market asset, "BTC".
    - ``car_horizons_days``: CAR(0, h) for h = 0, 5, 30, 90, 180 days.
    - ``compare_days``: 30, the span of the before/after volatility and volume (assumption).
    - ``flow_lags_days``: 2, lags of the ETF flows in the calibration (assumption: creations
      settle T+1, so a flow's buying can reach the spot market a day or two later).
    - ``hac_max_lags_days``: 5, Newey-West lags of the calibration's standard errors (about
      4·(n/100)^(2/9) for n ≈ 600 days, Newey & West 1994 rule of thumb).
    """

    events: Mapping[str, str] = field(default_factory=lambda: frozen(DEFAULT_EVENTS))
    event_assets: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: frozen({}))
    window_start_days: int = -30
    window_end_days: int = 180
    estimation_start_days: int = -250
    estimation_end_days: int = -31
    model: NormalModel = "constant_mean"
    benchmark: str = "BTC"
    car_horizons_days: tuple[int, ...] = (0, 5, 30, 90, 180)
    compare_days: int = 30
    flow_lags_days: int = 2
    hac_max_lags_days: int = 5

    def __post_init__(self) -> None:
        self._check_events()
        for key in (
            "window_start_days",
            "window_end_days",
            "estimation_start_days",
            "estimation_end_days",
        ):
            whole(_SECTION, key, getattr(self, key))
        for key, low in (("compare_days", 2), ("flow_lags_days", 0), ("hac_max_lags_days", 0)):
            whole(_SECTION, key, getattr(self, key), low=low)
        self._check_windows()
        choice(_SECTION, "model", self.model, MODELS)
        if not isinstance(self.benchmark, str) or not self.benchmark:
            raise ConfigError('[analogs] benchmark: name the market asset, e.g. "BTC"')

    def _check_events(self) -> None:
        if not isinstance(self.events, Mapping) or not self.events:
            raise ConfigError('[analogs] events: give a table of name = "YYYY-MM-DD"')
        for name, when in self.events.items():
            if not str(name).strip():
                raise ConfigError("[analogs] events: an event name is empty")
            day(_SECTION, f"events.{name}", when)
        for name, assets in self.event_assets.items():
            if name not in self.events:
                raise ConfigError(
                    f"[analogs] event_assets: {name!r} is not an event; events are "
                    f"{', '.join(self.events)}"
                )
            if not assets or not all(isinstance(a, str) and a for a in assets):
                raise ConfigError(f'[analogs] event_assets.{name}: give a list like ["BTC"]')
        object.__setattr__(self, "events", frozen(self.events))
        object.__setattr__(
            self, "event_assets", frozen({k: tuple(v) for k, v in self.event_assets.items()})
        )

    def _check_windows(self) -> None:
        if self.window_start_days > 0 or self.window_end_days < 0:
            raise ConfigError(
                "[analogs] window_start_days must be <= 0 and window_end_days >= 0 (day 0 is "
                f"the event), got {self.window_start_days}..{self.window_end_days}"
            )
        if self.estimation_end_days >= self.window_start_days:
            raise ConfigError(
                f"[analogs] estimation_end_days: {self.estimation_end_days} must be before "
                f"window_start_days ({self.window_start_days}) to keep the estimation clear of "
                "the event"
            )
        if self.estimation_end_days - self.estimation_start_days + 1 < MIN_ESTIMATION_DAYS:
            raise ConfigError(
                f"[analogs] estimation_start_days: the estimation window needs at least "
                f"{MIN_ESTIMATION_DAYS} days, got {self.estimation_start_days}.."
                f"{self.estimation_end_days}"
            )
        horizons = self.car_horizons_days
        if not horizons or any(
            isinstance(h, bool) or not isinstance(h, int) or not 0 <= h <= self.window_end_days
            for h in horizons
        ):
            raise ConfigError(
                f"[analogs] car_horizons_days: {list(horizons)!r} must be whole days between 0 "
                f"and window_end_days ({self.window_end_days})"
            )

    def assets_of(self, event: str, available: tuple[str, ...]) -> tuple[str, ...]:
        """The assets ``event`` concerns, among the ``available`` price series."""
        if event in self.event_assets:
            wanted = tuple(a.upper() for a in self.event_assets[event])
            missing = [a for a in wanted if a not in available]
            if missing:
                raise InputError(
                    f"[analogs] event_assets.{event} names {', '.join(missing)} but the prices "
                    f"hold {', '.join(available)}; add the symbol to [data] symbols"
                )
            return wanted
        prefix = event.split("_", 1)[0].upper()
        return (prefix,) if prefix in available and "_" in event else available


__all__ = ["DEFAULT_EVENTS", "MIN_ESTIMATION_DAYS", "MODELS", "AnalogsConfig", "NormalModel"]
