"""``EvaluateConfig`` (the ``[evaluate]`` section) and the one registry of trading strategies.

``STRATEGIES`` maps each strategy's name (the study-file value, the prefix of its
``scenarios.csv`` columns) to the sentence the report shows; the evaluator
(``backtest.sim.evaluate``) builds each one's orders from ``strategies.trading``. Kept apart from
the evaluator so that reading a study file costs no vectorbt import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from flowimpact.config import frozen, number, whole
from flowimpact.errors import ConfigError
from flowimpact.units import BPS_PER_UNIT

StrategyName = Literal["payroll_dca", "announcement_hold", "front_run", "buy_and_hold"]

#: every strategy, in the order of scenarios.csv, with what it does (the report's wording)
STRATEGIES: Mapping[str, str] = frozen(
    {
        "payroll_dca": "a participant buys a fixed amount of crypto on every pay day of the inflow",
        "announcement_hold": "buy at the announcement close and hold [evaluate] hold_days",
        "front_run": "buy [evaluate] front_run_lead_days before the first 401(k) dollar, sell at "
        "the end of the ramp",
        "buy_and_hold": "buy on the first day of the window, hold to the horizon",
    }
)
STRATEGY_NAMES: tuple[str, ...] = get_args(StrategyName)
#: the metrics of every strategy (``{strategy}_{metric}`` columns of scenarios.csv)
METRICS = ("total_return_pct", "cagr_pct", "sharpe", "sortino", "max_drawdown_pct")
_SECTION = "evaluate"


@dataclass(frozen=True, kw_only=True)
class EvaluateConfig:
    """The ``[evaluate]`` section: the portfolios and how they trade.

    Defaults (all assumptions, stated as such): 10,000 USD starting cash; hold the
    announcement trade 365 days; the front-runner buys 30 days before the first 401(k) dollar
    and sells when the ramp ends; 10 bps per trade, about a large spot venue's taker fee
    (Binance's base spot fee is 0.1%); a participant puts 100 USD of crypto in per pay day
    (returns do not depend on the amount, fees being proportional).
    """

    init_cash_usd: float = 10_000.0
    hold_days: int = 365
    front_run_lead_days: int = 30
    fees_bps: float = 10.0
    dca_contribution_usd: float = 100.0
    strategies: tuple[StrategyName, ...] = STRATEGY_NAMES  # type: ignore[assignment]

    def __post_init__(self) -> None:
        number(_SECTION, "init_cash_usd", self.init_cash_usd, low=0.0, low_open=True)
        whole(_SECTION, "hold_days", self.hold_days, low=1)
        whole(_SECTION, "front_run_lead_days", self.front_run_lead_days, low=0)
        number(_SECTION, "fees_bps", self.fees_bps, low=0.0, high=BPS_PER_UNIT, high_open=True)
        number(_SECTION, "dca_contribution_usd", self.dca_contribution_usd, low=0.0, low_open=True)
        if not self.strategies:
            raise ConfigError(
                f"[evaluate] strategies is empty; name at least one of {', '.join(STRATEGY_NAMES)}"
            )
        unknown = set(self.strategies) - set(STRATEGY_NAMES)
        if unknown:
            raise ConfigError(
                f"[evaluate] strategies: unknown {sorted(unknown)}; "
                f"allowed: {', '.join(STRATEGY_NAMES)}"
            )
        object.__setattr__(self, "strategies", tuple(self.strategies))


__all__ = ["METRICS", "STRATEGIES", "STRATEGY_NAMES", "EvaluateConfig", "StrategyName"]
