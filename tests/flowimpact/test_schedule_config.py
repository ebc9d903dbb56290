from __future__ import annotations

import pytest

from flowimpact.errors import ConfigError
from scheduler.config import ScheduleConfig


def test_defaults_run_shortly_after_the_daily_close_and_catch_up_a_day():
    config = ScheduleConfig()
    assert (config.hour, config.minute) == (0, 15)
    assert config.misfire_grace_seconds == 86_400
    assert config.keep_days >= 1


def test_at_is_parsed_into_hour_and_minute():
    config = ScheduleConfig(at="23:05")
    assert (config.hour, config.minute) == (23, 5)


@pytest.mark.parametrize("at", ["24:00", "7:30", "00:60", "noon", "", "00:15:00"])
def test_a_bad_time_of_day_is_one_line_naming_the_key(at):
    with pytest.raises(ConfigError, match=r"\[schedule\] at") as caught:
        ScheduleConfig(at=at)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("keep_days", 0),
        ("keep_days", True),
        ("keep_days", 2.5),
        ("misfire_grace_seconds", 0),
        ("lock_timeout_seconds", -1.0),
        ("lock_timeout_seconds", float("inf")),
    ],
)
def test_out_of_range_numbers_are_refused(field, value):
    with pytest.raises(ConfigError, match=rf"\[schedule\] {field}"):
        ScheduleConfig(**{field: value})


def test_config_is_frozen_and_keyword_only():
    with pytest.raises(TypeError):
        ScheduleConfig("00:15")  # type: ignore[misc]
    config = ScheduleConfig()
    with pytest.raises(AttributeError):
        config.at = "01:00"  # type: ignore[misc]


def test_import_dir_is_off_by_default_and_must_be_a_path_string():
    assert ScheduleConfig().import_dir == ""
    assert ScheduleConfig(import_dir="/srv/inbox").import_dir == "/srv/inbox"
    with pytest.raises(ConfigError, match=r"\[schedule\] import_dir") as caught:
        ScheduleConfig(import_dir=["/srv/inbox"])
    assert "\n" not in str(caught.value)
