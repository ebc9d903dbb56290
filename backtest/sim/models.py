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
without the flows). Every model reads only the baseline's state, never the impacted path, and
its per-dollar coefficient κ is ONE number over the window, read from the baseline's state on
the window's first day (before any flow)::

    Π_t = Σ_{s≤t} θ_s · κ · F_s = θ·κ·C_t      the permanent stock, C_t the cumulative dollars
    linear:      I_t = J + Π_t + (1 − θ)·T_t                   (Π, T in log price)
    multiplier:  P'_t = B_t + (J + Π_t + (1 − θ)·A_t) / supply  (Π, A in USD of market value)
    sqrt:        P'_t = (B_t + (J + Π_t) / supply) · exp((1 − θ)·T_t)
    I_t = ln(P'_t / B_t)

θ_s = θ, or θ(1 − α) after an announcement whose anticipation J = α·θ·κ·(the announced
dollars) is priced on its day (``backtest.sim.engine``). The transient part (T or A) is the
model's (see each class). The permanent part is linear in dollars with a time-independent
coefficient, additive in price (USD of market value) for the multiplier and the square-root
law: Huberman & Stanzl (2004, "Price Manipulation and Quasi-Arbitrage", Econometrica 72(4),
1247-1275) show that when price impact is permanent and time-independent only a linear price
update rules out quasi-arbitrage, and that with a temporary part too only the permanent part
must be linear. So the same dollars spread over other days leave the same permanent impact on
any market path (it depends on C_t alone), flows that net to zero leave none, and a dollar
adds the same market value whether the market has risen or fallen meanwhile. (A κ that moved
with the market, such as M / MC_s per dollar in log price, breaks all three: a dollar bought
after a fall counts more, so a round trip can leave impact and a slower schedule with fewer
dollars can move the price more; that was this project's form before.)
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

    LINEAR = 0  # κ = λ in log price; I = Π + (1 − θ)·T
    SQRT = 1  # κ = Y·σ_0·MC_0 / V_0 in market value; transient Y·σ·sign(E)·sqrt(|E|/V)
    MULTIPLIER = 2  # κ = M in market value; transient the linear propagator, in market value

    @property
    def model_name(self) -> str:
        """The study-file name of the model (``"linear"``, ``"sqrt"``, ``"multiplier"``)."""
        return self.name.lower()


@runtime_checkable
class ImpactModel(Protocol):
    """One model's formulas on NumPy arrays (the numba kernels mirror them in ``impact_steps``).

    ``per_dollar(reference_cap_usd, reference_sigma, reference_volume_usd) -> κ``: the
    permanent impact per USD of flow (log price under ``linear``, USD of market value under
    the others), from the baseline's state on the window's first day: market cap MC_0 =
    B_{-1} × supply (USD), trailing daily log-return volatility σ_0 (a fraction) and
    market-wide USD volume V_0 (``backtest.sim.market``). ``transient_feed(flow_usd, impact)``:
    what the decay kernel accumulates (A_t = Σ_{s≤t} x_s · G(t − s)) from the day's flow and
    κ·F; ``transient_part(accumulated, sigma, volume_usd)``: the transient from A_t (σ_t and
    V_t trailing on the baseline); ``log_impact(theta, lasting, fading, market_cap_usd)``: I_t
    from the permanent stock J + Π_t, the transient and the baseline's MC_t = B_t × supply;
    ``baseline_close(theta, lasting, fading, close_usd, supply_coins)``: the same equation
    solved for B_t (the hindcast's inverse). ``reads_sigma_and_volume`` says whether σ and V
    enter at all.
    """

    name: ClassVar[str]
    code: ClassVar[ImpactModelCode]
    reads_sigma_and_volume: ClassVar[bool]

    @property
    def parameter(self) -> float: ...

    def per_dollar(
        self, reference_cap_usd: ArrayLike, reference_sigma: ArrayLike,
        reference_volume_usd: ArrayLike,
    ) -> FloatArray: ...  # fmt: skip

    def transient_feed(self, flow_usd: ArrayLike, impact: ArrayLike) -> FloatArray: ...

    def transient_part(
        self, accumulated: ArrayLike, sigma: ArrayLike, volume_usd: ArrayLike
    ) -> FloatArray: ...

    def log_impact(
        self, theta: float, lasting: ArrayLike, fading: ArrayLike, market_cap_usd: ArrayLike
    ) -> FloatArray: ...

    def baseline_close(
        self, theta: float, lasting: ArrayLike, fading: ArrayLike, close_usd: ArrayLike,
        supply_coins: float,
    ) -> FloatArray: ...  # fmt: skip


def _array(values: ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


class _Propagator:
    """The linear propagator's transient: A_t = Σ_{s≤t} κ·F_s·G(t − s), in the model's unit.

    Linear impact with a decay kernel G: Gatheral (2010, "No-dynamic-arbitrage and market
    impact", Quantitative Finance 10(7), 749-759) shows exponential decay is compatible only with
    impact linear in the quantity, and a linear propagator whose G is convex and decreasing
    (the exponential and the power law both are) admits no price manipulation (Gatheral, Schied
    & Slynko 2012, "Transient linear price impact and Fredholm integral equations", Mathematical
    Finance 22(3); Alfonsi, Schied & Slynko 2012, "Order book resilience, price manipulation, and
    the positive portfolio problem", SIAM J. Financial Mathematics 3).
    """

    def transient_feed(self, flow_usd: ArrayLike, impact: ArrayLike) -> FloatArray:
        return _array(impact)

    def transient_part(
        self, accumulated: ArrayLike, sigma: ArrayLike, volume_usd: ArrayLike
    ) -> FloatArray:
        return _array(accumulated)


@dataclass(frozen=True)
class LinearImpact(_Propagator):
    """Kyle (1985) linear impact in log price: κ = λ per USD, blind to volume, volatility and
    market cap.

    I_t = J + θ·λ·C_t + (1 − θ)·Σ_s λ·F_s·G(t − s), the linear propagator (``_Propagator``) in
    log price. λ in log price per USD (the config gives it per $1 billion).
    """

    lambda_per_usd: float
    name: ClassVar[str] = ImpactModelCode.LINEAR.model_name
    code: ClassVar[ImpactModelCode] = ImpactModelCode.LINEAR
    reads_sigma_and_volume: ClassVar[bool] = False

    @property
    def parameter(self) -> float:
        return self.lambda_per_usd

    def per_dollar(
        self, reference_cap_usd: ArrayLike, reference_sigma: ArrayLike,
        reference_volume_usd: ArrayLike,
    ) -> FloatArray:  # fmt: skip
        return np.full(np.shape(reference_cap_usd), self.lambda_per_usd)

    def log_impact(
        self, theta: float, lasting: ArrayLike, fading: ArrayLike, market_cap_usd: ArrayLike
    ) -> FloatArray:
        return _array(lasting) + (1.0 - theta) * _array(fading)

    def baseline_close(
        self, theta: float, lasting: ArrayLike, fading: ArrayLike, close_usd: ArrayLike,
        supply_coins: float,
    ) -> FloatArray:  # fmt: skip
        return _array(close_usd) * np.exp(-self.log_impact(theta, lasting, fading, 1.0))


@dataclass(frozen=True)
class MultiplierImpact(_Propagator):
    """Inelastic-markets multiplier: a dollar of net flow adds M dollars of market value.

    Gabaix & Koijen (2021, "In Search of the Origins of Financial Fluctuations: The Inelastic
    Markets Hypothesis", NBER WP 28967): a flow of F dollars into the market raises its value by
    M·F. Taken literally that is additive in price, with κ = M per dollar for every dollar::

        P'_t = B_t + (J + θ·M·C_t + (1 − θ)·A_t) / supply,   A_t = Σ_s M·F_s·G(t − s)
        I_t = ln(1 + (J + θ·M·C_t + (1 − θ)·A_t) / MC_t),    MC_t = B_t × supply

    so for small flows I ≈ M·F/MC (the design's "log impact M·F/MC") and the permanent part
    is linear in dollars with a time-independent coefficient (Huberman & Stanzl 2004, module
    docstring). The transient is the linear propagator (``_Propagator``) in market value. Net
    sales beyond the market's value (1 + ... ≤ 0) have no price: the engine refuses them.
    """

    m: float
    name: ClassVar[str] = ImpactModelCode.MULTIPLIER.model_name
    code: ClassVar[ImpactModelCode] = ImpactModelCode.MULTIPLIER
    reads_sigma_and_volume: ClassVar[bool] = False

    @property
    def parameter(self) -> float:
        return self.m

    def per_dollar(
        self, reference_cap_usd: ArrayLike, reference_sigma: ArrayLike,
        reference_volume_usd: ArrayLike,
    ) -> FloatArray:  # fmt: skip
        return np.full(np.shape(reference_cap_usd), self.m)

    def log_impact(
        self, theta: float, lasting: ArrayLike, fading: ArrayLike, market_cap_usd: ArrayLike
    ) -> FloatArray:
        with np.errstate(invalid="ignore", divide="ignore"):
            value = _array(lasting) + (1.0 - theta) * _array(fading)
            return np.log1p(value / _array(market_cap_usd))

    def baseline_close(
        self, theta: float, lasting: ArrayLike, fading: ArrayLike, close_usd: ArrayLike,
        supply_coins: float,
    ) -> FloatArray:  # fmt: skip
        value = _array(lasting) + (1.0 - theta) * _array(fading)
        return _array(close_usd) - value / supply_coins


@dataclass(frozen=True)
class SquareRootImpact:
    """The square-root law on the metaorder, its permanent part linear in dollars.

    Tóth et al. (2011, "Anomalous price impact and the critical nature of liquidity in financial
    markets", Phys. Rev. X 1, 021006): a metaorder of total size Q moves the price by
    Y·σ·sqrt(Q/V) at its peak (σ daily volatility, V daily volume, Y of order 1), from a latent
    order book whose density is linear around the price. The continuing flow is a metaorder
    whose accumulated, relaxing size is E_t = Σ_{s≤t} F_s · G(t − s) (the volume impact with
    resilience G), and the transient impact is that of a linear-density book::

        T_t = Y · σ_t · sign(E_t) · sqrt(|E_t| / V_t)          (log price; σ_t, V_t trailing)

    Alfonsi, Fruth & Schied (2010, "Optimal execution strategies in limit order books with
    general shape functions", Quantitative Finance 10(2), 143-157): a book of any shape whose
    volume impact E recovers EXPONENTIALLY admits no price manipulation; with a linear density
    the price impact is the square root of E. Under the power-law decay their proof does not
    apply: no such guarantee is claimed for ``decay = "power"`` with this model.

    Permanent: κ = Y·σ_0·MC_0 / V_0 USD of market value per dollar, the law's impact per dollar
    of a metaorder of one day's market-wide volume (at Q = V the law gives Y·σ, so Y·σ/V of log
    price, Y·σ·MC/V of market value, per dollar of it), read once from the baseline's state on
    the window's first day and then held: linear in dollars and time-independent as Huberman &
    Stanzl (2004) require (module docstring)::

        P'_t = (B_t + (J + θ·κ·C_t) / supply) · exp((1 − θ)·T_t)
    """

    y: float
    name: ClassVar[str] = ImpactModelCode.SQRT.model_name
    code: ClassVar[ImpactModelCode] = ImpactModelCode.SQRT
    reads_sigma_and_volume: ClassVar[bool] = True

    @property
    def parameter(self) -> float:
        return self.y

    def per_dollar(
        self, reference_cap_usd: ArrayLike, reference_sigma: ArrayLike,
        reference_volume_usd: ArrayLike,
    ) -> FloatArray:  # fmt: skip
        return self.y * _array(reference_sigma) * _array(reference_cap_usd) / _array(
            reference_volume_usd
        )

    def transient_feed(self, flow_usd: ArrayLike, impact: ArrayLike) -> FloatArray:
        return _array(flow_usd)

    def transient_part(
        self, accumulated: ArrayLike, sigma: ArrayLike, volume_usd: ArrayLike
    ) -> FloatArray:
        size = _array(accumulated)
        with np.errstate(invalid="ignore", divide="ignore"):
            root = np.sqrt(np.abs(size) / _array(volume_usd))
            impact = self.y * _array(sigma) * np.sign(size) * root
        return np.where(size == 0.0, 0.0, impact)  # no metaorder: no impact, whatever V is

    def log_impact(
        self, theta: float, lasting: ArrayLike, fading: ArrayLike, market_cap_usd: ArrayLike
    ) -> FloatArray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.log1p(_array(lasting) / _array(market_cap_usd)) + (1.0 - theta) * _array(
                fading
            )

    def baseline_close(
        self, theta: float, lasting: ArrayLike, fading: ArrayLike, close_usd: ArrayLike,
        supply_coins: float,
    ) -> FloatArray:  # fmt: skip
        return _array(close_usd) * np.exp(-(1.0 - theta) * _array(fading)) - _array(
            lasting
        ) / supply_coins


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
