"""coerce: TOML values to field types, including a list of tables as small frozen configs."""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from backtest.study.coerce import coerce, takes_sequence
from flowimpact.errors import ConfigError


@dataclass(frozen=True, kw_only=True)
class Leg:
    name: str
    weights: tuple[float, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.name:
            raise ConfigError("a leg needs a name")


HINT = tuple[Leg, ...]


def test_a_list_of_tables_becomes_a_tuple_of_configs_with_their_own_types() -> None:
    got = coerce([{"name": "a", "weights": [1, 2.5]}, {"name": "b", "extra": {"k": 1}}],
                 HINT, "sect", "legs")
    assert got == (Leg(name="a", weights=(1.0, 2.5)), Leg(name="b", extra={"k": 1}))
    assert takes_sequence(HINT)


def test_a_list_with_one_bad_item_names_the_item_and_the_allowed_values() -> None:
    choice = tuple[typing.Literal["alpha", "beta"], ...]
    with pytest.raises(ConfigError, match=r"^\[sect\] k item 2: expected one of alpha, beta, "
                                          r"got 'gamma'$"):
        coerce(["alpha", "gamma"], choice, "sect", "k")


def test_unknown_strategy_names_the_allowed_ones(tmp_path: Path) -> None:
    from backtest.sim.evaluate_config import STRATEGY_NAMES
    from backtest.study.config import load_study

    study = tmp_path / "study.toml"
    study.write_text('[evaluate]\nstrategies = ["foo"]\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_study(study)
    message = str(caught.value)
    assert message.startswith("[evaluate] strategies item 1: expected one of ")
    assert all(name in message for name in STRATEGY_NAMES) and "got 'foo'" in message


@pytest.mark.parametrize(
    ("value", "wanted"),
    [
        ([{"name": "a"}, 3], r"\[sect\] legs item 2: expected a table \(name, weights, extra\), "
                             "got 3"),
        ([{"nam": "a"}], r"\[sect\] legs item 1: unknown key 'nam' \(did you mean 'name'\?\); "
                         "allowed: name, weights, extra"),
        ([{"weights": [1]}], r"\[sect\] legs item 1: name is missing"),
        ([{"name": "a", "weights": [1, "x"]}],
         r"\[sect\] legs item 1 weights item 2: expected a number, got 'x'"),
        ([{"name": ""}], r"a leg needs a name"),
        ("a", r"\[sect\] legs: expected a list, got 'a'"),
    ],
)
def test_a_bad_table_is_refused_naming_its_place(value: object, wanted: str) -> None:
    with pytest.raises(ConfigError, match=wanted):
        coerce(value, HINT, "sect", "legs")
