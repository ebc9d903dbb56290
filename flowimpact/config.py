"""The field checks every study-file section uses, and the one id of a config.

Each section of a study file is a frozen, keyword-only dataclass whose ``__post_init__`` checks
its fields with these functions, so every key is refused the same way: a ``ConfigError`` (exit
2) of one line that names ``[section] key``, the value given and what is allowed. They return
the value in its canonical type (``whole`` an ``int``, ``day`` a ``datetime.date``), and
``frozen`` turns a table into a read-only mapping, so a frozen config cannot be changed through
a dict it holds.

``config_id`` is the one hash of configs: scenario ids and the run id are both made with it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from flowimpact.errors import ConfigError

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
V = TypeVar("V")


def number(
    section: str,
    key: str,
    value: object,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
    allow_inf: bool = False,
) -> float:
    """``value`` as a float inside the bounds (``low_open``: strictly above ``low``)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)
    if ok and not allow_inf:
        ok = math.isfinite(value)  # type: ignore[arg-type]
    if ok:
        number_ = float(value)  # type: ignore[arg-type]
        above = number_ > low if low_open else number_ >= low
        below = number_ < high if high_open else number_ <= high
        ok = above and below
    if not ok:
        kind = "a number" if allow_inf else "a finite number"
        bounds = _bounds(low, high, low_open, high_open)
        raise ConfigError(f"[{section}] {key}: {value!r} must be {kind}{bounds}")
    return float(value)  # type: ignore[arg-type]


def whole(
    section: str, key: str, value: object, *, low: int | None = None, high: int | None = None
) -> int:
    """``value`` as an int (not a bool) inside ``[low, high]``."""
    ok = isinstance(value, int) and not isinstance(value, bool)
    if ok and low is not None:
        ok = value >= low  # type: ignore[operator]
    if ok and high is not None:
        ok = value <= high  # type: ignore[operator]
    if not ok:
        bounds = _bounds(
            -math.inf if low is None else low, math.inf if high is None else high, False, False
        )
        raise ConfigError(f"[{section}] {key}: {value!r} must be a whole number{bounds}")
    return int(value)  # type: ignore[call-overload]


def fraction(section: str, key: str, value: object) -> float:
    """A share in [0, 1] (``0.01`` is 1 %)."""
    try:
        return number(section, key, value, low=0.0, high=1.0)
    except ConfigError:
        raise ConfigError(
            f"[{section}] {key}: {value!r} must be a share between 0 and 1 (0.01 is 1%)"
        ) from None


def day(section: str, key: str, value: object) -> dt.date:
    """A calendar day written ``YYYY-MM-DD`` (UTC); nothing else is accepted."""
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigError(
        f"[{section}] {key}: {value!r} is not a date; write YYYY-MM-DD, e.g. 2025-08-07"
    )


def choice(section: str, key: str, value: object, allowed: Iterable[str]) -> str:
    """One of ``allowed``."""
    options = tuple(allowed)
    if not isinstance(value, str) or value not in options:
        raise ConfigError(f"[{section}] {key}: {value!r} is not one of {', '.join(options)}")
    return value


def frozen(mapping: Mapping[str, V]) -> Mapping[str, V]:
    """A read-only copy of ``mapping`` (a frozen config must not change through its tables)."""
    return MappingProxyType(dict(mapping))


def frozen_tree(value: Any) -> Any:
    """``value`` with every nested table read-only and every list a tuple (for options tables)."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): frozen_tree(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(frozen_tree(v) for v in value)
    return value


def plain(value: Any) -> Any:
    """A ``frozen_tree`` back as plain dicts and lists (for libraries that want a dict)."""
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    return value


def config_id(*configs: object, prefix: str = "", length: int = 8) -> str:
    """A short, stable hash of configs (dataclasses or JSON values): equal configs, equal id."""
    payload = json.dumps([jsonable(c) for c in configs], sort_keys=True, default=str)
    return prefix + hashlib.sha256(payload.encode()).hexdigest()[:length]


def jsonable(value: Any) -> Any:
    """Dataclasses, read-only mappings and tuples as plain JSON values (``inf`` as "inf")."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _bounds(low: float, high: float, low_open: bool, high_open: bool) -> str:
    parts = []
    if low > -math.inf:
        parts.append(f"{'>' if low_open else '>='} {low:g}")
    if high < math.inf:
        parts.append(f"{'<' if high_open else '<='} {high:g}")
    return (" " + " and ".join(parts)) if parts else ""


__all__ = [
    "choice",
    "config_id",
    "day",
    "fraction",
    "frozen",
    "frozen_tree",
    "jsonable",
    "number",
    "plain",
    "whole",
]
