"""The impact-model registry: every fact about a model in one place.

Per model a frozen ``ModelSpec``: its study-file name, its numba kernel code
(``ImpactModelCode``), the ``[impact]`` key of its parameter with label, symbol and unit, the
calibration's regressor, the hindcast's root-finding bracket and the NumPy model class. Every
consumer (``backtest.sim.impact.impact_model``, the calibration, the hindcast, the report's
labels) reads ``SPECS``; the numba formulas are ``backtest.sim.impact_steps``.

Adding a model touches three files: this one (code, class, spec), ``backtest.sim.impact_steps``
(its branch in each step function) and ``backtest.sim.impact`` (the ``[impact]`` field of its
parameter, its default and source, and the ``ImpactModelName`` literal).

The models (day t; F_t net USD flow, buys positive; B the BASELINE path, what the market does
without the flows). Every model reads only the baseline's state, never the impacted path, so
its per-dollar coefficient κ_t does not depend on the flows::

    Π_t = Σ_{s≤t} θ_s · κ_s · F_s           the permanent part, linear in dollars
    I_t = J_t + Π_t + (1 − θ) · T_t,         P'_t = B_t · exp(I_t)

θ_s = θ, or θ(1 − α) after an announcement whose anticipation J is priced on its day
(``backtest.sim.engine``). The transient part T_t is the model's (see each class). Linear
permanent impact is what rules out price manipulation when impact is permanent (Huberman &
Stanzl 2004, "Price Manipulation and Quasi-Arbitrage", Econometrica 72(4), 1247-1275: with a
temporary part too, only the permanent part must be linear); so the same dollars spread over
more days leave the same permanent impact, and flows that net to zero leave none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from flowimpact.units import USD_PER_BILLION

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike


class ImpactModelCode(IntEnum):
    """The integer that stands for a model inside the numba kernels (``impact_steps``).

    The lowercase member names are the ``[impact] model`` values of a study file.
    """

    LINEAR = 0  # κ = λ
    SQRT = 1  # κ_t = Y·σ_t / V_t, transient Y·σ·sign(E)·sqrt(|E|/V)
    MULTIPLIER = 2  # κ_t = M / MC_t

    @property
    def model_name(self) -> str:
        """The study-file name of the model (``"linear"``, ``"sqrt"``, ``"multiplier"``)."""
        return self.name.lower()


@runtime_checkable
class ImpactModel(Protocol):
    """One model's formulas on NumPy arrays (the numba kernels mirror them in ``impact_steps``).

    ``per_dollar(market_cap_usd, sigma, volume_usd) -> κ``: log impact per USD of flow, from
    the baseline's market cap MC_t = B_{t-1} × supply (USD), its trailing daily log-return
    volatility σ_t (a fraction) and market-wide USD volume V_t (``backtest.sim.market``).
    ``transient_feed(flow_usd, dollars_log_impact) -> x``: what the decay kernel accumulates
    (A_t = Σ_{s≤t} x_s · G(t − s)); ``transient_log_impact(accumulated, sigma, volume_usd)``:
    T_t from A_t. ``reads_sigma_and_volume`` says whether σ and V enter at all.
    """

    name: ClassVar[str]
    code: ClassVar[ImpactModelCode]
    reads_sigma_and_volume: ClassVar[bool]

    @property
    def parameter(self) -> float: ...

    def per_dollar(
        self, market_cap_usd: ArrayLike, sigma: ArrayLike, volume_usd: ArrayLike
    ) -> FloatArray: ...

    def transient_feed(self, flow_usd: ArrayLike, dollars_log_impact: ArrayLike) -> FloatArray: ...

    def transient_log_impact(
        self, accumulated: ArrayLike, sigma: ArrayLike, volume_usd: ArrayLike
    ) -> FloatArray: ...


class _Propagator:
    """The linear propagator's transient: T_t = Σ_{s≤t} κ_s · F_s · G(t − s).

    Linear impact with a decay kernel G: Gatheral (2010, "No-dynamic-arbitrage and market
    impact", Quantitative Finance 10(7), 749-759) shows exponential decay is compatible only with
    impact linear in the quantity, and a linear propagator whose G is convex and decreasing
    (the exponential and the power law both are) admits no price manipulation (Gatheral, Schied
    & Slynko 2012, "Transient linear price impact and Fredholm integral equations", Mathematical
    Finance 22(3); Alfonsi, Schied & Slynko 2012, "Order book resilience, price manipulation, and
    the positive portfolio problem", SIAM J. Financial Mathematics 3).
    """

    def transient_feed(self, flow_usd: ArrayLike, dollars_log_impact: ArrayLike) -> FloatArray:
        return np.asarray(dollars_log_impact, dtype=np.float64)

    def transient_log_impact(
        self, accumulated: ArrayLike, sigma: ArrayLike, volume_usd: ArrayLike
    ) -> FloatArray:
        return np.asarray(accumulated, dtype=np.float64)


@dataclass(frozen=True)
class LinearImpact(_Propagator):
    """Kyle (1985) linear impact: κ = λ per USD, blind to volume, volatility and market cap.

    Permanent Π_t = Σ θ_s·λ·F_s, transient the linear propagator (``_Propagator``). λ in log
    price per USD (the config gives it per $1 billion).
    """

    lambda_per_usd: float
    name: ClassVar[str] = ImpactModelCode.LINEAR.model_name
    code: ClassVar[ImpactModelCode] = ImpactModelCode.LINEAR
    reads_sigma_and_volume: ClassVar[bool] = False

    @property
    def parameter(self) -> float:
        return self.lambda_per_usd

    def per_dollar(
        self, market_cap_usd: ArrayLike, sigma: ArrayLike, volume_usd: ArrayLike
    ) -> FloatArray:
        shape = np.broadcast(np.asarray(market_cap_usd), np.asarray(sigma)).shape
        return np.full(shape, self.lambda_per_usd)


@dataclass(frozen=True)
class MultiplierImpact(_Propagator):
    """Inelastic-markets multiplier, log-linear: κ_t = M / MC_t, MC_t = B_{t-1} × supply.

    Gabaix & Koijen (2021, NBER WP 28967): a dollar of flow raises the market's value by M
    dollars; as a log impact per dollar that is M/MC (the design's "log impact M·F/MC"). The
    per-day ln(1 + M·F/MC) of earlier versions was itself concave in the day's flow (splitting
    a flow over days changed its permanent impact) and is gone. Transient: the linear
    propagator (``_Propagator``).
    """

    m: float
    name: ClassVar[str] = ImpactModelCode.MULTIPLIER.model_name
    code: ClassVar[ImpactModelCode] = ImpactModelCode.MULTIPLIER
    reads_sigma_and_volume: ClassVar[bool] = False

    @property
    def parameter(self) -> float:
        return self.m

    def per_dollar(
        self, market_cap_usd: ArrayLike, sigma: ArrayLike, volume_usd: ArrayLike
    ) -> FloatArray:
        return self.m / np.asarray(market_cap_usd, dtype=np.float64)


@dataclass(frozen=True)
class SquareRootImpact:
    """The square-root law on the metaorder: peak Y·σ·sqrt(Q/V), permanent part linear.

    Tóth et al. (2011, "Anomalous price impact and the critical nature of liquidity in financial
    markets", Phys. Rev. X 1, 021006): a metaorder of total size Q moves the price by
    Y·σ·sqrt(Q/V) at its peak (σ daily volatility, V daily volume, Y of order 1), from a latent
    order book whose density is linear around the price. The continuing flow is a metaorder
    whose accumulated, relaxing size is E_t = Σ_{s≤t} F_s · G(t − s) (the volume impact with
    resilience G), and the transient impact is that of a linear-density book::

        T_t = Y · σ_t · sign(E_t) · sqrt(|E_t| / V_t)

    Alfonsi, Fruth & Schied (2010, "Optimal execution strategies in limit order books with
    general shape functions", Quantitative Finance 10(2), 143-157): a book of any shape whose
    volume impact E recovers EXPONENTIALLY admits no price manipulation; with a linear density
    the price impact is the square root of E. Under the power-law decay their proof does not
    apply: no such guarantee is claimed for ``decay = "power"`` with this model.

    Permanent: κ_t = Y·σ_t / V_t per dollar, the law's impact per dollar of a metaorder of one
    day's market-wide volume (at Q = V the law gives Y·σ, so Y·σ/V per dollar of it), linear in
    dollars as no-arbitrage requires (Huberman & Stanzl 2004).
    """

    y: float
    name: ClassVar[str] = ImpactModelCode.SQRT.model_name
    code: ClassVar[ImpactModelCode] = ImpactModelCode.SQRT
    reads_sigma_and_volume: ClassVar[bool] = True

    @property
    def parameter(self) -> float:
        return self.y

    def per_dollar(
        self, market_cap_usd: ArrayLike, sigma: ArrayLike, volume_usd: ArrayLike
    ) -> FloatArray:
        return self.y * np.asarray(sigma, dtype=np.float64) / np.asarray(volume_usd)

    def transient_feed(self, flow_usd: ArrayLike, dollars_log_impact: ArrayLike) -> FloatArray:
        return np.asarray(flow_usd, dtype=np.float64)

    def transient_log_impact(
        self, accumulated: ArrayLike, sigma: ArrayLike, volume_usd: ArrayLike
    ) -> FloatArray:
        size = np.asarray(accumulated, dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            root = np.sqrt(np.abs(size) / np.asarray(volume_usd, dtype=np.float64))
            impact = self.y * np.asarray(sigma, dtype=np.float64) * np.sign(size) * root
        return np.where(size == 0.0, 0.0, impact)  # no metaorder: no impact, whatever V is


#: the calibration's regressor x_t (returns r_t = a + b·x_t + ...): (F, MC, σ, V) -> x
Regressor = Callable[[FloatArray, FloatArray, FloatArray, FloatArray], FloatArray]


@dataclass(frozen=True)
class ModelSpec:
    """Everything the code outside the kernels knows about one impact model.

    ``parameter_key`` is the ``[impact]`` field of its parameter, ``parameter_scale`` turns the
    field's value into the model class's parameter (λ per $1 bn -> per USD). ``regressor`` is
    the calibration's x_t, whose same-day slope b_0 estimates the parameter in the field's
    units. ``bracket_high`` tops the hindcast's root-finding bracket [0, high].
    """

    name: str
    code: ImpactModelCode
    parameter_key: str
    symbol: str  # in prose: "M = 5"
    label: str  # in figures: "multiplier M"
    text: str  # the model in prose: "square-root law"
    short: str  # before "model": "the square-root model"
    unit: str  # of the calibrated estimate
    parameter_scale: float
    regressor: Regressor
    bracket_high: float
    model_class: Callable[[float], ImpactModel]

    def model(self, value: float) -> ImpactModel:
        """The NumPy model with the ``[impact]`` value of its parameter."""
        return self.model_class(value * self.parameter_scale)


def _linear_regressor(
    flow: FloatArray, market_cap: FloatArray, sigma: FloatArray, volume: FloatArray
) -> FloatArray:
    return flow / USD_PER_BILLION


def _multiplier_regressor(
    flow: FloatArray, market_cap: FloatArray, sigma: FloatArray, volume: FloatArray
) -> FloatArray:
    return flow / market_cap


def _sqrt_regressor(
    flow: FloatArray, market_cap: FloatArray, sigma: FloatArray, volume: FloatArray
) -> FloatArray:
    # a lone day's flow F is a metaorder of size F: its first-day impact is dominated by the
    # transient Y·σ·sqrt(F/V) (the permanent Y·σ·F/V is smaller by sqrt(F/V), about 0.1 for ETF
    # flows); the regression keeps that regressor
    return sigma * np.sign(flow) * np.sqrt(np.abs(flow) / volume)


#: every model, the default (multiplier) first: tables list models in this order
SPECS: Mapping[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="multiplier", code=ImpactModelCode.MULTIPLIER, parameter_key="multiplier",
            symbol="M", label="multiplier M", text="multiplier", short="multiplier",
            unit="dimensionless (USD of value per USD of flow)", parameter_scale=1.0,
            regressor=_multiplier_regressor,
            # ten times the largest published crypto multiplier (an assumption)
            bracket_high=1000.0, model_class=MultiplierImpact,
        ),
        ModelSpec(
            name="sqrt", code=ImpactModelCode.SQRT, parameter_key="sqrt_y",
            symbol="Y", label="square-root Y", text="square-root law", short="square-root",
            unit="dimensionless (daily sigmas per sqrt of volume share)", parameter_scale=1.0,
            regressor=_sqrt_regressor,
            # a hundred times the law's Y of order 1 (an assumption)
            bracket_high=100.0, model_class=SquareRootImpact,
        ),
        ModelSpec(
            name="linear", code=ImpactModelCode.LINEAR, parameter_key="lambda_per_billion_usd",
            symbol="λ", label="linear λ", text="linear model", short="linear",
            unit="log return per USD 1 billion", parameter_scale=1.0 / USD_PER_BILLION,
            regressor=_linear_regressor,
            # λ equivalent to M = 1000 on the default λ's $2.3 trillion (an assumption)
            bracket_high=0.44, model_class=LinearImpact,
        ),
    )
}  # fmt: skip
#: ``[impact]`` parameter key -> spec
BY_PARAMETER: Mapping[str, ModelSpec] = {spec.parameter_key: spec for spec in SPECS.values()}


def spec(model: str) -> ModelSpec:
    """The spec of ``model`` (a study-file name); KeyError naming the known ones otherwise."""
    try:
        return SPECS[model]
    except KeyError:
        raise KeyError(f"no impact model {model!r}; known: {', '.join(SPECS)}") from None


__all__ = [
    "BY_PARAMETER",
    "SPECS",
    "ImpactModel",
    "ImpactModelCode",
    "LinearImpact",
    "ModelSpec",
    "MultiplierImpact",
    "SquareRootImpact",
    "spec",
]
