"""backtest/study/config.py from Python: overrides merged as a file is, replace, the repr."""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest

from backtest.study.config import load_study
from backtest.study.evidence_config import as_given
from flowimpact.errors import ConfigError

OVERRIDES = {"inflow": {"allocation": [0.01, 0.02]}, "paths": {"n_paths": 50}}
AS_FILE = """
[inflow]
allocation = [0.01, 0.02]

[paths]
n_paths = 50
"""


def _write(tmp_path: Path, text: str, name: str = "study.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_overrides_give_the_study_the_same_file_gives(tmp_path: Path) -> None:
    from_python = load_study(overrides=OVERRIDES)
    from_file = load_study(_write(tmp_path, AS_FILE))
    assert from_python.resolved() == from_file.resolved()
    assert from_python.grid_axes == from_file.grid_axes
    assert [s.scenario_id for s in from_python.scenarios(solve=as_given)] == [
        s.scenario_id for s in from_file.scenarios(solve=as_given)
    ]
    assert from_python.n_scenarios == load_study().n_scenarios * 2 // 3
    assert from_python.source == "overrides"


def test_overrides_merge_over_a_file_key_by_key(tmp_path: Path) -> None:
    path = _write(tmp_path, '[data.ccxt]\nurls = { api = "http://127.0.0.1:1" }\n')
    study = load_study(path, overrides={"data": {"ccxt": {"timeout": 5000}}, "paths": {"seed": 7}})
    # the file's urls, the override's timeout and the default's options: nested tables merge
    assert study.data.ccxt["urls"] == {"api": "http://127.0.0.1:1"}
    assert study.data.ccxt["timeout"] == 5000
    assert study.data.ccxt["options"] == {"defaultType": "spot"}
    assert study.paths.seed == 7
    assert study.source == f"{path} + overrides"


def test_a_tuple_is_a_grid_axis_like_a_list() -> None:
    study = load_study(overrides={"impact": {"model": ("linear", "sqrt", "multiplier")}})
    assert study.grid_axes["impact.model"] == ("linear", "sqrt", "multiplier")


def test_overrides_do_not_change_the_callers_mapping() -> None:
    overrides = {"inflow": {"allocation": [0.03]}}
    study = load_study(overrides=overrides).replace("inflow", lag_months=[3])
    assert overrides == {"inflow": {"allocation": [0.03]}}
    assert study.grid_axes["inflow.allocation"] == (0.03,)
    assert study.grid_axes["inflow.lag_months"] == (3,)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"pathz": {"n_paths": 5}}, "overrides: unknown section [pathz] (did you mean 'paths'?)"),
        ({"paths": 5}, "overrides: [paths] must be a table of keys"),
        ({"paths": {"n_path": 5}}, "[paths] unknown key 'n_path' (did you mean 'n_paths'?)"),
        ({"paths": {"n_paths": "many"}}, "[paths] n_paths"),
        ({"paths": {"n_paths": [10, 20]}}, "a list (grid axis) is allowed only in [inflow]"),
        ({"inflow": {"allocation": []}}, "an empty list gives no scenario"),
    ],
)
def test_bad_overrides_are_one_line_config_errors(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_study(overrides=overrides)
    text = str(caught.value)
    assert message in text
    assert "\n" not in text
    # no chained exception, and the traceback stops at load_study: no inner frames to read
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    frames = traceback.extract_tb(caught.value.__traceback__)
    assert [frame.name for frame in frames][-1] == "load_study"


def test_the_file_and_its_errors_are_as_before(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_study(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match=r"study\.toml: unknown section \[pathz\]"):
        load_study(_write(tmp_path, "[pathz]\nn_paths = 5\n"))
    # a str path works as a Path does
    assert load_study(str(_write(tmp_path, AS_FILE, "s.toml"))).paths.n_paths == 50


def test_replace_merges_one_section_and_validates_it() -> None:
    study = load_study(overrides=OVERRIDES)
    fewer = study.replace("paths", n_paths=20)
    assert fewer.paths.n_paths == 20
    assert study.paths.n_paths == 50  # a new study; the old one is unchanged
    assert fewer.grid_axes == study.grid_axes  # the other sections as they were
    assert fewer.paths.seed == study.paths.seed
    models = study.replace("impact", model=["linear"], multiplier=3.0)
    assert models.grid_axes["impact.model"] == ("linear",)
    assert models.impact.multiplier == 3.0
    assert models.grid_axes["inflow.allocation"] == (0.01, 0.02)
    assert models.replace("data", ccxt={"timeout": 1}).data.ccxt["options"] == {
        "defaultType": "spot"
    }
    with pytest.raises(ConfigError, match=r"\[paths\] unknown key 'n_path'") as caught:
        study.replace("paths", n_path=5)
    assert caught.value.__cause__ is None
    with pytest.raises(ConfigError, match=r"replace: unknown section \[path\]"):
        study.replace("path", n_paths=5)


def test_the_repr_shows_the_grid_axes() -> None:
    study = load_study(overrides=OVERRIDES)
    text = repr(study)
    assert "inflow.allocation = [0.01, 0.02]" in text
    assert "impact.model = ['multiplier', 'sqrt']" in text
    assert f"{study.n_scenarios} scenarios x 50 paths" in text
    assert "first grid point" in text
    single = load_study(
        overrides={
            "inflow": {"allocation": 0.01, "lag_months": 6, "ramp_months": 12,
                       "reallocation_share": 0.25},
            "impact": {"model": "sqrt", "etf_explained_share": []},
        }
    )
    assert "grid axes: none" in repr(single)
