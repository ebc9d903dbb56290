"""The ``[impact]`` section: which impact model, its parameter, the decay and the anticipation.

Per asset and day t, with net flow F_t (USD, buys positive) and the BASELINE's state (its
market cap MC = B × supply, trailing daily volatility σ and market-wide USD volume V,
``backtest.sim.market``), a model gives ONE per-dollar coefficient κ per path and asset, read
before the window's first day, and a transient part (``backtest.sim.models``, the registry, has
each model's equation for the impacted close P'_t)::

    Π_t = J + Σ_{s≤t} θ_s · κ · F_s        (linear in dollars, time-independent)
    I_t = ln(P'_t / B_t)

with θ the permanent share, G the decay kernel of the transient (``backtest.sim.decay``, G(0) =
1) and J the anticipation (``backtest.sim.engine``). ``ImpactConfig`` is the study section
``[impact]`` and ``impact_model(config)`` builds the model class it names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from backtest.sim.models import (
    SPECS,
    ImpactModel,
    LinearImpact,
    MultiplierImpact,
    SquareRootImpact,
)
from flowimpact.config import choice, frozen, number, whole
from flowimpact.errors import ConfigError

#: the ``[impact] model`` choices: the registry's names (``backtest.sim.models``; a test pins them)
ImpactModelName = Literal["linear", "sqrt", "multiplier"]
DecayName = Literal["exponential", "power"]
MODELS: tuple[str, ...] = get_args(ImpactModelName)
DECAYS: tuple[str, ...] = get_args(DecayName)
_SECTION = "impact"
FloatArray = npt.NDArray[np.float64]

# Circulating supply around 2025-08 (public trackers: CoinGecko and blockchain.com for BTC,
# ultrasound.money for ETH), in coins. Held fixed over the horizon: an assumption, since BTC
# issuance adds about 0.8% a year and ETH supply moves by well under 1% a year.
DEFAULT_SUPPLY_COINS: Mapping[str, float] = {"BTC": 19_900_000.0, "ETH": 120_700_000.0}

# Market-wide spot USD volume over the venue's, per ccxt venue id (sources in ImpactConfig's
# docstring). The same market-wide V whatever venue served the prices: Coinbase's BTC-USD USD
# volume is about 0.37 x Binance's BTC/USDT, so its coverage is 10 / 0.37.
DEFAULT_VOLUME_COVERAGE: Mapping[str, float] = {"binance": 10.0, "coinbaseexchange": 27.0}
#: the coverage of a venue the table does not name (Binance's: an assumption, said in a warning)
GENERIC_VOLUME_COVERAGE = 10.0


@dataclass(frozen=True, kw_only=True)
class ImpactConfig:
    """The ``[impact]`` section: which impact model, its parameters, decay and anticipation.

    Field names are the study-file keys. Defaults and their sources:

    - ``model``: "multiplier" (the design's headline model); "linear" and "sqrt" also allowed.
    - ``lambda_per_billion_usd`` (linear, log impact per $1 billion of net flow): 0.0022, chosen
      to equal the multiplier model with M = 5 on a $2.3 trillion BTC market cap
      (5 / 2,300 per $1bn); an assumption, to be replaced by ``calibrated:`` values.
    - ``sqrt_y`` (square root, dimensionless): 1.0; Tóth et al. (2011, Phys. Rev. X 1, 021006)
      and Almgren et al. (2005, Risk 18(7)) find Y of order 1. Its permanent κ = Y·σ/V per
      dollar (the law's impact per dollar of a metaorder of one day's volume).
    - ``multiplier`` (M, dimensionless): 5.0, Gabaix & Koijen (2021, "In Search of the Origins
      of Financial Fluctuations: The Inelastic Markets Hypothesis", NBER WP 28967) for the US
      equity market; published crypto estimates range from about 4 to over 100. κ = M/MC per
      dollar, MC the baseline's previous close × supply.
    - ``permanent_share`` (θ): 0.5; an assumption (metaorder studies such as Moro et al. 2009
      see impact relax to roughly half to two thirds of its peak).
    - ``decay``: "exponential" with ``half_life_days`` 30 (assumption), or "power",
      G(Δ) = (1 + Δ/τ)^-β with ``power_tau_days`` 1 and ``power_beta`` 0.5 (assumption; the
      propagator literature, Bouchaud et al. 2004, reports exponents of 0.2 to 0.5).
    - ``anticipation_share``: 0.0 (assumption: nothing priced in ahead of the flows). A share
      α of the expected permanent impact of the announced flows is priced on the announcement
      day and taken out of the later flows' permanent part (see ``backtest.sim.engine``).
    - ``volume_coverage``: market-wide spot USD volume / the venue's, a plain number (every
      venue) or a table per ccxt venue id; default ``{ binance = 10, coinbaseexchange = 27 }``.
      Binance 10: an assumption; CoinGecko Research's 2025 annual exchange report puts Binance
      at 39.2 % of the top-10 centralized exchanges' spot volume (so top-10 / Binance is 2.6),
      and the top ten are only part of the market (other venues, OTC desks, DEXs). Coinbase
      27 = 10 / 0.37: the same market-wide volume, Coinbase's BTC-USD USD volume being about
      0.37 x Binance's BTC/USDT (measured by the project on the stored candles, issue 17; an
      assumption for ETH). CoinGecko's venue-wide shares (Coinbase 6.1 % vs Binance 39.2 %,
      all pairs) would give about 64: pair-level volume is what V reads, so 27 is kept. A venue
      the table does not name runs with ``GENERIC_VOLUME_COVERAGE`` (10) and a warning.
    - ``volatility_window_days`` and ``volume_window_days``: 30 trailing days (assumption).
    - ``circulating_supply`` (coins per asset, for MC = price × supply): BTC 19.9M, ETH 120.7M
      around 2025-08 (CoinGecko, ultrasound.money), held fixed: an assumption.
    """

    model: ImpactModelName = "multiplier"
    lambda_per_billion_usd: float = 0.0022
    sqrt_y: float = 1.0
    multiplier: float = 5.0
    permanent_share: float = 0.5
    decay: DecayName = "exponential"
    half_life_days: float = 30.0
    power_tau_days: float = 1.0
    power_beta: float = 0.5
    anticipation_share: float = 0.0
    volume_coverage: float | Mapping[str, float] = field(
        default_factory=lambda: frozen(DEFAULT_VOLUME_COVERAGE)
    )
    volatility_window_days: int = 30
    volume_window_days: int = 30
    circulating_supply: Mapping[str, float] = field(
        default_factory=lambda: frozen(DEFAULT_SUPPLY_COINS)
    )

    def __post_init__(self) -> None:
        choice(_SECTION, "model", self.model, MODELS)
        choice(_SECTION, "decay", self.decay, DECAYS)
        for key in (spec.parameter_key for spec in SPECS.values()):
            number(_SECTION, key, getattr(self, key), low=0.0)
        for key in ("permanent_share", "anticipation_share"):
            number(_SECTION, key, getattr(self, key), low=0.0, high=1.0)
        for key in ("power_tau_days", "power_beta"):
            number(_SECTION, key, getattr(self, key), low=0.0, low_open=True)
        self._check_volume_coverage()
        # inf: the transient part never fades
        number(_SECTION, "half_life_days", self.half_life_days, low=0.0, low_open=True,
               allow_inf=True)
        for key in ("volatility_window_days", "volume_window_days"):
            whole(_SECTION, key, getattr(self, key), low=2)
        if not isinstance(self.circulating_supply, Mapping) or not self.circulating_supply:
            raise ConfigError(
                "[impact] circulating_supply: give a table of coins per asset, e.g. "
                "{ BTC = 19900000, ETH = 120700000 }"
            )
        for asset, coins in self.circulating_supply.items():
            number(_SECTION, f"circulating_supply.{asset}", coins, low=0.0, low_open=True)
        object.__setattr__(self, "circulating_supply", frozen(self.circulating_supply))

    def _check_volume_coverage(self) -> None:
        coverage = self.volume_coverage
        if not isinstance(coverage, Mapping):
            number(_SECTION, "volume_coverage", coverage, low=0.0, low_open=True)
            return
        if not coverage:
            raise ConfigError(
                "[impact] volume_coverage: give a number or a table per venue, e.g. "
                "{ binance = 10, coinbaseexchange = 27 }"
            )
        for venue, value in coverage.items():
            number(_SECTION, f"volume_coverage.{venue}", value, low=0.0, low_open=True)
        object.__setattr__(self, "volume_coverage", frozen(coverage))

    def __hash__(self) -> int:
        # the tables are read-only mappings: hash their items so configs can key caches
        return hash(tuple(
            tuple(sorted(value.items())) if isinstance(value, Mapping) else value
            for value in (getattr(self, f.name) for f in fields(self))
        ))

    def volume_coverage_for(self, venue: str | None) -> tuple[float, str]:
        """``(coverage, warning)`` for prices from ``venue`` (a ccxt id; None: not known).

        A plain number applies to every venue; a table gives the venue's value, or for a venue
        it does not name ``GENERIC_VOLUME_COVERAGE`` and a one-line warning naming the
        assumption (empty otherwise). An unknown venue (None) takes the generic value silently.
        """
        coverage = self.volume_coverage
        if not isinstance(coverage, Mapping):
            return float(coverage), ""
        if venue is None:
            return GENERIC_VOLUME_COVERAGE, ""
        if venue in coverage:
            return float(coverage[venue]), ""
        return GENERIC_VOLUME_COVERAGE, (
            f"[impact] volume_coverage names no value for {venue}: its volume is scaled by the "
            f"generic {GENERIC_VOLUME_COVERAGE:g} (market-wide / Binance volume, an assumption); "
            f"add {venue} = <market-wide / {venue} volume> to the table"
        )

    def supply_coins(self, asset: str) -> float:
        """Circulating supply of ``asset`` in coins; ConfigError if the study gives none."""
        try:
            return float(self.circulating_supply[asset])
        except KeyError:
            raise ConfigError(
                f"[impact] circulating_supply has no entry for {asset}: add {asset} = <coins>"
            ) from None


def coverage_table(
    impacts: Sequence[ImpactConfig], assets: Sequence[str], venues: Sequence[str]
) -> tuple[FloatArray, tuple[str, ...]]:
    """Volume coverage ``[scenario, asset]`` for prices from ``venues`` (per asset; empty:
    not known), and the distinct warnings of the venues the configs' tables do not name."""
    known = list(venues) if venues else [None] * len(assets)
    table = np.empty((len(impacts), len(assets)))
    warnings: dict[str, None] = {}
    for row, config in enumerate(impacts):
        for column, venue in enumerate(known):
            table[row, column], warning = config.volume_coverage_for(venue)
            if warning:
                warnings[warning] = None
    return table, tuple(warnings)


def impact_model(config: ImpactConfig) -> ImpactModel:
    """The NumPy model ``config.model`` names, with its parameter (``backtest.sim.models``)."""
    spec = SPECS[config.model]
    return spec.model(float(getattr(config, spec.parameter_key)))


__all__ = [
    "DECAYS",
    "DEFAULT_SUPPLY_COINS",
    "DEFAULT_VOLUME_COVERAGE",
    "GENERIC_VOLUME_COVERAGE",
    "MODELS",
    "ImpactConfig",
    "ImpactModel",
    "LinearImpact",
    "MultiplierImpact",
    "SquareRootImpact",
    "coverage_table",
    "impact_model",
]
