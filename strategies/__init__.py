"""Who puts money in and when: the 401(k) inflow model and the trading strategies."""
