"""Who puts money in and when: the 401(k) inflow model and the trading strategies.

No I/O and no ccxt here: flows and orders are computed from configs and calendars only.
"""

from strategies.inflow import FlowSchedule, InflowConfig, SleeveSpec, schedule_flows
from strategies.trading import OrderPlan, buy_and_hold, enter_and_exit, payroll_dca

__all__ = [
    "FlowSchedule",
    "InflowConfig",
    "OrderPlan",
    "SleeveSpec",
    "buy_and_hold",
    "enter_and_exit",
    "payroll_dca",
    "schedule_flows",
]
