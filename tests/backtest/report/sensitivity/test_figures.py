"""The plain answer of the sensitivity report (backtest/report/sensitivity/figures.py).

Hand-written rows of sensitivity.csv with a known ranking.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from backtest.report.sensitivity.figures import leaders, ranking, sentence


def _rows(method: str, values: dict[str, float], model: str = "multiplier") -> pd.DataFrame:
    rows = []
    for parameter, value in values.items():
        row = {
            "method": method, "model": model, "asset": "BTC",
            "output": "price_uplift_at_horizon_pct", "parameter": parameter,
            "S1": np.nan, "ST": np.nan, "ST_conf": np.nan, "mu_star": np.nan,
            "output_at_low": 10.0, "output_at_high": 10.0,
        }  # fmt: skip
        if method == "sobol":
            row.update(S1=value * 0.8, ST=value, ST_conf=0.02)
        elif method == "morris":
            row["mu_star"] = value
        else:
            row["output_at_high"] = 10.0 + value
        rows.append(row)
    return pd.DataFrame(rows)


def test_leaders_are_the_fewest_parameters_covering_most_of_the_total() -> None:
    rows = _rows("sobol", {"allocation": 0.30, "multiplier": 0.62, "lag_months": 0.05,
                           "ramp_months": 0.03})  # fmt: skip
    assert list(ranking(rows)["parameter"]) == ["multiplier", "allocation", "lag_months",
                                                "ramp_months"]  # fmt: skip
    assert list(leaders(rows)["parameter"]) == ["multiplier", "allocation"]
    dominant = _rows("sobol", {"multiplier": 0.97, "allocation": 0.02})
    assert list(leaders(dominant)["parameter"]) == ["multiplier"]


def test_the_sentence_names_the_leaders_per_model() -> None:
    table = pd.concat(
        [
            _rows("sobol", {"multiplier": 0.7, "allocation": 0.25, "volume_coverage": 0.0}),
            _rows("sobol", {"multiplier": 0.0, "allocation": 0.3, "volume_coverage": 0.65},
                  model="sqrt"),
        ],
        ignore_index=True,
    )  # fmt: skip
    text = sentence(table, "BTC", "price_uplift_at_horizon_pct")
    assert text.startswith("BTC, price uplift at the horizon (%): under the multiplier model, ")
    multiplier, sqrt = text.split(";")
    assert "multiplier M (ST 0.70 ± 0.02) and allocation (ST 0.25 ± 0.02)" in multiplier
    assert "volume coverage" not in multiplier
    assert "volume coverage (ST 0.65" in sqrt and "multiplier" not in sqrt.split("model")[1]
    assert text.endswith("carry most of its variance.")


def test_morris_and_one_at_a_time_rank_by_their_own_measure() -> None:
    morris = _rows("morris", {"multiplier": 1.0, "half_life_days": 9.0})
    assert ranking(morris)["parameter"].iloc[0] == "half_life_days"
    oat = _rows("oat", {"multiplier": 50.0, "half_life_days": 2.0})
    assert ranking(oat)["parameter"].iloc[0] == "multiplier"
    assert "swings it most" in sentence(oat, "BTC", "price_uplift_at_horizon_pct")
    flat = _rows("oat", {"multiplier": 0.0})
    assert "no parameter moves it" in sentence(flat, "BTC", "price_uplift_at_horizon_pct")
