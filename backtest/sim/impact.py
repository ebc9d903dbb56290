"""Impact models: how a day's net USD flow moves the log price.

Per asset and day t, with net flow F_t (USD, buys positive), market cap MC_t (USD), market-wide
USD volume V_t and daily volatility σ_t (trailing, no look-ahead; see ``backtest.sim.engine``), a
model gives the instantaneous log impact u_t. The decay kernels in ``backtest.sim.decay`` spread it
over time::

    I_t = Σ_{s≤t} u_s · (θ + (1 - θ) · G(t - s)),   P'_t = B_t · exp(I_t)

with θ the permanent share, G the decay kernel (G(0) = 1) and B the baseline price path.

Every model is one small class behind the ``ImpactModel`` protocol; ``ImpactConfig`` is the
study section ``[impact]`` and ``impact_model(config)`` picks the class it names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import ClassVar, Literal, Protocol, get_args, runtime_checkable

import numpy as np
import numpy.typing as npt

from backtest.sim.codes import ImpactModelCode
from flowimpact.config import choice, frozen, number, whole
from flowimpact.errors import ConfigError
from flowimpact.units import USD_PER_BILLION

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike

#: the ``[impact] model`` choices: the names of ``ImpactModelCode``'s members (a test pins them)
ImpactModelName = Literal["linear", "sqrt", "multiplier"]
DecayName = Literal["exponential", "power"]
MODELS: tuple[str, ...] = get_args(ImpactModelName)
DECAYS: tuple[str, ...] = get_args(DecayName)
_SECTION = "impact"

# Circulating supply around 2025-08 (public trackers: CoinGecko and blockchain.com for BTC,
# ultrasound.money for ETH), in coins. Held fixed over the horizon: an assumption, since BTC
# issuance adds about 0.8% a year and ETH supply moves by well under 1% a year.
DEFAULT_SUPPLY_COINS: Mapping[str, float] = {"BTC": 19_900_000.0, "ETH": 120_700_000.0}


@dataclass(frozen=True, kw_only=True)
class ImpactConfig:
    """The ``[impact]`` section: which impact model, its parameters, decay and anticipation.

    Field names are the study-file keys. Defaults and their sources:

    - ``model``: "multiplier" (the design's headline model); "linear" and "sqrt" also allowed.
    - ``lambda_per_billion_usd`` (linear, log impact per $1 billion of net flow): 0.0022, chosen
      to equal the multiplier model with M = 5 on a $2.3 trillion BTC market cap
      (5 / 2,300 per $1bn); an assumption, to be replaced by ``calibrated:`` values.
    - ``sqrt_y`` (square root, dimensionless): 1.0; Tóth et al. (2011, Phys. Rev. X 1, 021006)
      and Almgren et al. (2005, Risk 18(7)) find Y of order 1.
    - ``multiplier`` (M, dimensionless): 5.0, Gabaix & Koijen (2021, "In Search of the Origins
      of Financial Fluctuations: The Inelastic Markets Hypothesis", NBER WP 28967) for the US
      equity market; published crypto estimates range from about 4 to over 100.
    - ``permanent_share`` (θ): 0.5; an assumption (metaorder studies such as Moro et al. 2009
      see impact relax to roughly half to two thirds of its peak).
    - ``decay``: "exponential" with ``half_life_days`` 30 (assumption), or "power",
      G(Δ) = (1 + Δ/τ)^-β with ``power_tau_days`` 1 and ``power_beta`` 0.5 (assumption; the
      propagator literature, Bouchaud et al. 2004, reports exponents of 0.2 to 0.5).
    - ``anticipation_share``: 0.0 (assumption: nothing priced in ahead of the flows). A share
      α of the expected permanent impact of the announced flows is priced on the announcement
      day and taken out of the later flows' permanent part (see ``backtest.sim.engine``).
    - ``volume_coverage``: 10.0, market-wide USD volume / the venue's volume; an assumption
      (Binance is one spot venue of many; see the reference data's SOURCES.md).
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
    volume_coverage: float = 10.0
    volatility_window_days: int = 30
    volume_window_days: int = 30
    circulating_supply: Mapping[str, float] = field(
        default_factory=lambda: frozen(DEFAULT_SUPPLY_COINS)
    )

    def __post_init__(self) -> None:
        choice(_SECTION, "model", self.model, MODELS)
        choice(_SECTION, "decay", self.decay, DECAYS)
        for key in ("lambda_per_billion_usd", "sqrt_y", "multiplier"):
            number(_SECTION, key, getattr(self, key), low=0.0)
        for key in ("permanent_share", "anticipation_share"):
            number(_SECTION, key, getattr(self, key), low=0.0, high=1.0)
        for key in ("power_tau_days", "power_beta", "volume_coverage"):
            number(_SECTION, key, getattr(self, key), low=0.0, low_open=True)
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

    def __hash__(self) -> int:
        # the supply table is a read-only mapping: hash its items so configs can key caches
        return hash(tuple(sorted(self.circulating_supply.items())) + tuple(
            getattr(self, f.name) for f in fields(self) if f.name != "circulating_supply"
        ))

    def supply_coins(self, asset: str) -> float:
        """Circulating supply of ``asset`` in coins; ConfigError if the study gives none."""
        try:
            return float(self.circulating_supply[asset])
        except KeyError:
            raise ConfigError(
                f"[impact] circulating_supply has no entry for {asset}: add {asset} = <coins>"
            ) from None


@runtime_checkable
class ImpactModel(Protocol):
    """Instantaneous log impact of one day's net flow.

    ``instant_log_impact(flow_usd, close_usd, volume_usd, sigma, market_cap_usd) -> u``, all
    arguments broadcastable float arrays: net flow in USD (buys positive), the close the flow
    meets (USD), market-wide USD volume (trailing, coverage applied), the daily log-return
    volatility (a fraction, e.g. 0.03) and the market cap (USD). ``u`` is a log-price change.
    ``code`` and ``parameter`` hand the model to the numba kernel (``backtest.sim.kernels``);
    ``reads_sigma_and_volume`` says whether u depends on σ and V at all (the kernel loads them
    only for a model that reads them).
    """

    name: ClassVar[str]
    code: ClassVar[ImpactModelCode]
    reads_sigma_and_volume: ClassVar[bool]

    @property
    def parameter(self) -> float: ...

    def instant_log_impact(
        self,
        flow_usd: ArrayLike,
        close_usd: ArrayLike,
        volume_usd: ArrayLike,
        sigma: ArrayLike,
        market_cap_usd: ArrayLike,
    ) -> FloatArray: ...


@dataclass(frozen=True)
class LinearImpact:
    """Kyle (1985) linear impact: u_t = λ · F_t.

    λ in log-price per USD (the config gives it per $1 billion). Additive in flows and blind to
    volume and volatility, which makes it the easiest to calibrate and the least realistic
    for very large flows.
    """

    lambda_per_usd: float
    name: ClassVar[str] = ImpactModelCode.LINEAR.model_name
    code: ClassVar[ImpactModelCode] = ImpactModelCode.LINEAR
    reads_sigma_and_volume: ClassVar[bool] = False

    @property
    def parameter(self) -> float:
        return self.lambda_per_usd

    def instant_log_impact(
        self,
        flow_usd: ArrayLike,
        close_usd: ArrayLike,
        volume_usd: ArrayLike,
        sigma: ArrayLike,
        market_cap_usd: ArrayLike,
    ) -> FloatArray:
        return self.lambda_per_usd * np.asarray(flow_usd, dtype=np.float64)


@dataclass(frozen=True)
class SquareRootImpact:
    """Square-root law: u_t = Y · σ_t · sign(F_t) · sqrt(|F_t| / V_t).

    Tóth et al. (2011) and Almgren et al. (2005): impact grows with the square root of the flow
    as a share of daily volume, in units of daily volatility; Y of order 1. σ_t is a daily
    log-return standard deviation, V_t market-wide daily USD volume.
    """

    y: float
    name: ClassVar[str] = ImpactModelCode.SQRT.model_name
    code: ClassVar[ImpactModelCode] = ImpactModelCode.SQRT
    reads_sigma_and_volume: ClassVar[bool] = True

    @property
    def parameter(self) -> float:
        return self.y

    def instant_log_impact(
        self,
        flow_usd: ArrayLike,
        close_usd: ArrayLike,
        volume_usd: ArrayLike,
        sigma: ArrayLike,
        market_cap_usd: ArrayLike,
    ) -> FloatArray:
        flow = np.asarray(flow_usd, dtype=np.float64)
        share = np.abs(flow) / np.asarray(volume_usd, dtype=np.float64)
        return self.y * np.asarray(sigma, dtype=np.float64) * np.sign(flow) * np.sqrt(share)


@dataclass(frozen=True)
class MultiplierImpact:
    """Inelastic-markets multiplier: u_t = ln(1 + M · F_t / MC_t).

    Gabaix & Koijen (2021): a dollar of flow into the market raises its value by M dollars;
    M about 5 for US equities, crypto estimates 4 to over 100. The log keeps large sells above
    zero price; a sell of MC/M or more has no price and gives NaN (the engine refuses it).
    """

    m: float
    name: ClassVar[str] = ImpactModelCode.MULTIPLIER.model_name
    code: ClassVar[ImpactModelCode] = ImpactModelCode.MULTIPLIER
    reads_sigma_and_volume: ClassVar[bool] = False

    @property
    def parameter(self) -> float:
        return self.m

    def instant_log_impact(
        self,
        flow_usd: ArrayLike,
        close_usd: ArrayLike,
        volume_usd: ArrayLike,
        sigma: ArrayLike,
        market_cap_usd: ArrayLike,
    ) -> FloatArray:
        ratio = self.m * np.asarray(flow_usd, dtype=np.float64) / np.asarray(market_cap_usd)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.log1p(ratio)


def impact_model(config: ImpactConfig) -> ImpactModel:
    """The model class ``config.model`` names, with its parameter."""
    if config.model == LinearImpact.name:
        return LinearImpact(config.lambda_per_billion_usd / USD_PER_BILLION)
    if config.model == SquareRootImpact.name:
        return SquareRootImpact(config.sqrt_y)
    return MultiplierImpact(config.multiplier)


__all__ = [
    "DECAYS",
    "DEFAULT_SUPPLY_COINS",
    "MODELS",
    "ImpactConfig",
    "ImpactModel",
    "LinearImpact",
    "MultiplierImpact",
    "SquareRootImpact",
    "impact_model",
]
