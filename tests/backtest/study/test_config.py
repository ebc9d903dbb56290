"""backtest/study.py: the default study, a user's overrides, validation and the grid."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from backtest.study.config import (
    SECTIONS,
    Study,
    default_study_text,
    load_study,
    study_from_mapping,
)
from backtest.study.evidence_config import as_given
from flowimpact.errors import ConfigError


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _default_mapping() -> dict[str, dict[str, Any]]:
    return {key: dict(value) for key, value in tomllib.loads(default_study_text()).items()}


# --- the default study ---------------------------------------------------------------------


def test_default_study_loads_with_192_scenarios() -> None:
    study = load_study()
    assert study.source == "default study"
    assert study.n_scenarios == 48 * 4  # the four etf_explained_share values
    scenarios = study.scenarios(solve=as_given)
    assert len(scenarios) == 192
    # the reallocation share is an axis: the model's 0.25 and the sources' whole allocation
    assert study.grid_axes["inflow.reallocation_share"] == (0.25, 1.0)
    assert set(study.grid_axes) == {
        "inflow.allocation",
        "inflow.lag_months",
        "inflow.ramp_months",
        "inflow.reallocation_share",
        "impact.model",
        "impact.etf_explained_share",
    }
    assert study.grid_axes["inflow.allocation"] == (0.01, 0.02, 0.05)
    assert study.data.symbols == ("BTC/USDT", "ETH/USDT")
    assert study.data.ccxt == {"options": {"defaultType": "spot"}}
    assert study.analogs.events["us_401k_order"] == "2025-08-07"


def test_every_section_has_a_config() -> None:
    study = load_study()
    assert set(study.configs) == set(SECTIONS)
    with pytest.raises(AttributeError):
        _ = study.no_such_section


# --- a user file holds only what differs ----------------------------------------------------


def test_user_file_merges_over_the_default(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[inflow]\nallocation = 0.03\n[paths]\nn_paths = 8\n[data]\nsymbols = ["BTC/USDT"]\n',
    )
    study = load_study(path)
    assert study.source == str(path)
    assert study.paths.n_paths == 8
    assert study.data.symbols == ("BTC/USDT",)
    # keys the file does not name keep the default's values, grid axes included
    assert study.data.exchange == "binance"
    assert study.data.ccxt == {"options": {"defaultType": "spot"}}
    assert study.grid_axes["inflow.lag_months"] == (6, 12)
    assert study.grid_axes["impact.model"] == ("multiplier", "sqrt")
    # a scalar replaces the default's axis: 1 allocation x 2 lags x 2 ramps x 2 reallocation
    # shares x 2 models x 4 etf_explained_share values
    assert "inflow.allocation" not in study.grid_axes
    assert study.n_scenarios == 64
    assert {s.inflow.allocation for s in study.scenarios(solve=as_given)} == {0.03}


def test_empty_user_file_is_the_default_study(tmp_path: Path) -> None:
    study = load_study(_write(tmp_path, "# nothing differs\n"))
    assert study.resolved() == load_study().resolved()


# --- bad input: one ConfigError naming the key ---------------------------------------------

BAD_STUDIES = {
    "unknown key": ("[inflow]\nalocation = 0.01\n", ["alocation", "did you mean 'allocation'"]),
    "unknown section": ("[inflows]\nallocation = 0.01\n", ["[inflows]", "did you mean 'inflow'"]),
    "wrong type": ('[inflow]\nlag_months = "six"\n', ["lag_months", "whole number"]),
    "wrong type in an axis": ('[inflow]\nlag_months = [6, "x"]\n', ["lag_months"]),
    "allocation above 1": ("[inflow]\nallocation = [0.01, 1.5]\n", ["allocation", "0 and 1"]),
    "allocation below 0": ("[inflow]\nallocation = -0.01\n", ["allocation", "0 and 1"]),
    "negative ramp": ("[inflow]\nramp_months = -3\n", ["ramp_months"]),
    "unknown model": ('[impact]\nmodel = ["multiplier", "linar"]\n', ["model", "linear"]),
    "symbol format": ('[data]\nsymbols = ["BTCUSDT"]\n', ["symbols", "BTCUSDT", "BASE/QUOTE"]),
    "end before start": (
        '[study]\nstart = "2025-06-01"\n[paths]\nhorizon_end = "2025-01-01"\n',
        ["horizon_end", "start"],
    ),
    "end equal to start": (
        '[study]\nstart = "2025-06-01"\n[paths]\nhorizon_end = "2025-06-01"\n',
        ["horizon_end"],
    ),
    "list outside the grid": ("[paths]\nn_paths = [8, 16]\n", ["n_paths", "[inflow]"]),
    "empty axis": ("[inflow]\nallocation = []\n", ["allocation", "empty"]),
    "not a date": ('[study]\nstart = "2025-13-01"\n', ["start", "YYYY-MM-DD"]),
    "section not a table": ("study = 3\n", ["[study]", "table"]),
    "invalid TOML": ("[inflow\nallocation = 0.01\n", ["not valid TOML"]),
}


@pytest.mark.parametrize("case", sorted(BAD_STUDIES))
def test_bad_study_is_one_line_naming_the_key(tmp_path: Path, case: str) -> None:
    text, must_name = BAD_STUDIES[case]
    with pytest.raises(ConfigError) as caught:
        load_study(_write(tmp_path, text))
    message = str(caught.value)
    assert "\n" not in message
    for part in must_name:
        assert part in message, f"{case}: {message!r} does not name {part!r}"


def test_missing_study_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_study(tmp_path / "nope.toml")


def test_unknown_key_through_the_mapping_api_lists_the_allowed_keys() -> None:
    raw = _default_mapping()
    raw["paths"] = {"n_path": 8}
    with pytest.raises(ConfigError, match=r"did you mean 'n_paths'.*allowed: n_paths"):
        study_from_mapping(raw)


# --- the grid -------------------------------------------------------------------------------


def _grid_study(**inflow: Any) -> Study:
    raw = _default_mapping()
    raw["inflow"] = {"allocation": [0.0, 0.02], "lag_months": [3, 6, 9], "ramp_months": 12}
    raw["inflow"].update(inflow)
    raw["impact"] = {"model": ["multiplier", "sqrt"]}
    return study_from_mapping(raw)


def test_lists_make_the_cartesian_product() -> None:
    study = _grid_study()
    scenarios = study.scenarios()
    assert study.n_scenarios == len(scenarios) == 2 * 3 * 2
    combos = {(s.inflow.allocation, s.inflow.lag_months, s.impact.model) for s in scenarios}
    assert combos == {
        (a, lag, m) for a in (0.0, 0.02) for lag in (3, 6, 9) for m in ("multiplier", "sqrt")
    }
    # the scalar key reaches every scenario, and the order follows the axes in file order
    assert {s.inflow.ramp_months for s in scenarios} == {12}
    assert [s.axes["inflow.allocation"] for s in scenarios[:6]] == [0.0] * 6
    assert scenarios[0].label == "allocation=0.0, lag_months=3, model=multiplier"


def test_scenario_ids_are_distinct_and_stable() -> None:
    first = [s.scenario_id for s in _grid_study().scenarios()]
    again = [s.scenario_id for s in _grid_study().scenarios()]
    assert first == again
    assert len(set(first)) == len(first)
    assert all(i.startswith("s") and len(i) == 9 for i in first)
    # a scenario keeps its id when it sits in another grid: the id hashes its configs only
    smaller = _grid_study(allocation=0.02, lag_months=6)
    (multiplier, sqrt) = smaller.scenarios()
    by_axes = {
        (s.inflow.allocation, s.inflow.lag_months, s.impact.model): s.scenario_id
        for s in _grid_study().scenarios()
    }
    assert multiplier.scenario_id == by_axes[(0.02, 6, "multiplier")]
    assert sqrt.scenario_id == by_axes[(0.02, 6, "sqrt")]


def test_calibrated_tokens_need_a_resolver() -> None:
    raw = _default_mapping()
    raw["inflow"] = {"allocation": 0.02}
    raw["impact"] = {"model": "multiplier", "multiplier": [5.0, "calibrated:btc_etf"]}
    study = study_from_mapping(raw)  # loading is fine: the token is resolved at run time
    assert study.calibrated_tokens == {"calibrated:btc_etf"}
    with pytest.raises(ConfigError, match=r"\[impact\] multiplier.*calibrat"):
        study.scenarios()

    asked: list[tuple[str, str]] = []

    def resolve(token: str, key: str) -> float:
        asked.append((token, key))
        return 42.0

    scenarios = study.scenarios(resolve)
    assert [s.impact.multiplier for s in scenarios] == [5.0, 42.0]
    assert ("calibrated:btc_etf", "multiplier") in asked
    assert scenarios[0].scenario_id != scenarios[1].scenario_id


def test_a_resolved_token_is_still_validated() -> None:
    raw = _default_mapping()
    raw["impact"] = {"model": "multiplier", "multiplier": ["calibrated:btc_etf"]}
    study = study_from_mapping(raw)
    with pytest.raises(ConfigError, match="multiplier"):
        study.scenarios(lambda _token, _key: "not a number")  # type: ignore[arg-type,return-value]


# --- the resolved study ---------------------------------------------------------------------


def test_resolved_study_round_trips_through_toml(tmp_path: Path) -> None:
    text = "[paths]\nn_paths = 8\n[inflow]\nallocation = [0.0, 0.1]\n"
    study = load_study(_write(tmp_path, text))
    resolved = study.resolved()
    assert resolved["inflow"]["allocation"] == [0.0, 0.1]
    assert resolved["paths"]["n_paths"] == 8
    # every default is spelled out, not only what the file named
    assert "reallocation_share" in resolved["inflow"]
    assert "volume_coverage" in resolved["impact"]
    again = load_study(_write(tmp_path, tomli_w.dumps(resolved)))
    assert again.resolved() == resolved
    assert again.evidence == study.evidence
    assert [s.scenario_id for s in again.scenarios(solve=as_given)] == [
        s.scenario_id for s in study.scenarios(solve=as_given)
    ]


def test_tables_merge_key_by_key_over_the_default(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[analogs]\nevents = { my_event = "2025-03-01", btc_spot_etf = "2024-01-10" }\n'
        '[data.ccxt]\nurls = { api = "http://127.0.0.1:1" }\n',
    )
    study = load_study(path)
    assert study.analogs.events == {
        "btc_spot_etf": "2024-01-10",  # moved by the user
        "eth_spot_etf": "2024-07-23",
        "us_401k_order": "2025-08-07",
        "my_event": "2025-03-01",  # added
    }
    assert study.data.ccxt == {
        "options": {"defaultType": "spot"},  # the default's, kept
        "urls": {"api": "http://127.0.0.1:1"},
    }


def test_the_baseline_memory_is_checked_against_what_is_available() -> None:
    from backtest.sim.baseline import baseline_peak_bytes
    from backtest.study.config import check_memory

    study = load_study()
    days = len(study.days) + study.paths.warmup_days
    needed = baseline_peak_bytes(200_000, len(study.days), 2, study.paths.warmup_days)
    assert needed == 6 * 8 * 200_000 * days * 2  # about 32.7 GiB for the default window
    check_memory(study, n_paths=200_000, available_bytes=needed)  # fits exactly: no error
    with pytest.raises(ConfigError) as caught:
        check_memory(study, n_paths=200_000, available_bytes=16 * 2**30)
    message = str(caught.value)
    assert message.startswith("[paths] n_paths = 200,000: the baseline paths")
    assert f"{needed / 2**30:,.1f} GiB of memory, and 16.0 GiB is available" in message
    fits = 16 * 2**30 // baseline_peak_bytes(1, len(study.days), 2, study.paths.warmup_days)
    assert f"give n_paths = {fits:,} or fewer" in message
