"""The synthetic store and the small study the backtest tests share (no test here).

Seeded random-walk daily candles for Binance BTC/USDT and ETH/USDT from 2023-05-01 to
2025-10-31 (``write_synthetic_store``), and a small study over them: two allocations of which
one is zero, one impact model, 8 bootstrap paths to 2026-12-31 (``write_study``, with any
section merged over it; ``small_study_scenarios`` runs it). ``NETWORK_REFERENCE`` finds a page
that would load from the network.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w

import feeds

SYMBOLS = {"BTC/USDT": 30_000.0, "ETH/USDT": 2_000.0}
FIRST_DAY, LAST_DAY = "2023-05-01", "2025-10-31"
SMALL_STUDY = {
    "study": {"name": "synthetic test study", "start": "2025-06-01"},
    "paths": {"n_paths": 8, "horizon_end": "2026-12-31"},
    # one reallocation share: the default study's axis would double every grid here
    "inflow": {"allocation": [0.0, 0.02], "lag_months": 6, "ramp_months": 12,
               "reallocation_share": 0.25},
    # the synthetic store holds no ETF tables: the parameters as given
    "impact": {"model": "multiplier", "etf_explained_share": []},
}
NETWORK_REFERENCE = re.compile(
    r"<(script|link)\b[^>]*\b(src|href)\s*=\s*[\"']?\s*(https?:)?//", re.IGNORECASE
)



def synthetic_candles(price_usd: float, seed: int) -> pd.DataFrame:
    """Daily OHLCV candles: a seeded random walk, OHLC-consistent, volume in base units."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(FIRST_DAY, LAST_DAY, freq="D", tz="UTC", name="timestamp")
    close = price_usd * np.exp(np.cumsum(rng.normal(0.0005, 0.03, len(index))))
    open_ = np.r_[price_usd, close[:-1]]
    wick = 1 + np.abs(rng.normal(0, 0.01, len(index)))
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) * wick,
            "low": np.minimum(open_, close) / wick,
            "close": close,
            "volume": 2e9 / price_usd * rng.uniform(0.5, 1.5, len(index)),
            "source": "synthetic test candles",
        },
        index=index,
    )


def write_synthetic_store(data_dir: Path) -> dict[str, pd.DataFrame]:
    """Binance BTC/USDT and ETH/USDT daily candles in a store at ``data_dir``."""
    store = feeds.CandleStore(data_dir)
    frames = {}
    for seed, (symbol, price) in enumerate(SYMBOLS.items()):
        frames[symbol] = synthetic_candles(price, seed)
        store.merge("binance", symbol, "1d", frames[symbol])
    return frames


def write_study(path: Path, **sections: dict[str, object]) -> Path:
    study = {name: dict(values) for name, values in SMALL_STUDY.items()}
    for name, values in sections.items():
        study[name] = {**study.get(name, {}), **values}
    path.write_text(tomli_w.dumps(study), encoding="utf-8")
    return path


def small_study_scenarios(root: Path, **sections: dict[str, object]) -> pd.DataFrame:
    """``scenarios.csv`` of the small study (``sections`` merged over it) run on the synthetic
    store, everything under ``root``."""
    from backtest.run import run_study  # the study's code, not the fixtures', is under test
    from backtest.study.config import load_study

    write_synthetic_store(root / "data")
    study = load_study(write_study(root / "study.toml", **sections))
    result = run_study(study, root / "data", root / "out", progress=False)
    return pd.read_csv(result.files["scenarios.csv"])
