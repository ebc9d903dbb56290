"""TOML values to the field types of the frozen config classes.

The study loader fills each section's config class from plain TOML values: a number, string,
boolean, list or table. ``coerce`` turns one value into the type its field is annotated with
(``float`` accepts a whole number and ``"inf"``; ``int`` a float without a fraction; a
``tuple[str, ...]`` a list of strings; a ``dict[str, float]`` a table; a frozen dataclass a
table of its fields, so ``tuple[Venue, ...]`` is a list of tables), or raises a
``ConfigError`` naming the section, the key and the type wanted. A table for a dataclass is
checked field by field, and its errors name the item (``[data] fallbacks item 2: ...``).
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any

from flowimpact.errors import ConfigError


@cache
def field_hints(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls) if f.init}


def takes_sequence(hint: Any) -> bool:
    return any(
        typing.get_origin(option) in (tuple, list) or option in (tuple, list)
        for option in _options(hint)
    )


def _options(hint: Any) -> tuple[Any, ...]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return typing.get_args(hint)
    return (hint,)


def coerce(value: Any, hint: Any, section: str, key: str) -> Any:
    """``value`` as the field's type, or a ConfigError naming the key and the type wanted."""
    for option in _options(hint):
        ok, converted = _try_coerce(value, option, f"[{section}] {key}")
        if ok:
            return converted
    if isinstance(value, (list, tuple)):
        _refuse_bad_item(value, hint, f"[{section}] {key}")
    wanted = " or ".join(_type_name(option) for option in _options(hint))
    raise ConfigError(f"[{section}] {key}: expected {wanted}, got {value!r}")


def _refuse_bad_item(value: list[Any] | tuple[Any, ...], hint: Any, where: str) -> None:
    """A list given for a list field with one bad item: name that item and what it may be
    ("expected a list" would say the list is wrong when one of its items is)."""
    for option in _options(hint):
        if typing.get_origin(option) not in (tuple, list):
            continue
        args = typing.get_args(option)
        item_hint = args[0] if args else Any
        for number, item in enumerate(value, start=1):
            if not _try_coerce(item, item_hint, f"{where} item {number}")[0]:
                raise ConfigError(
                    f"{where} item {number}: expected {_type_name(item_hint)}, got {item!r}"
                )


def _try_coerce(  # noqa: C901 - one branch per type
    value: Any, hint: Any, where: str = ""
) -> tuple[bool, Any]:
    """``(True, converted)`` or ``(False, None)``; a table for a dataclass raises instead,
    naming ``where`` it is, since "expected a list" would hide which field is wrong."""
    origin = typing.get_origin(hint) or hint
    if hint is Any:
        return True, value
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return True, _build_table(value, hint, where)
    if hint is type(None):
        return value is None, None
    if hint is bool:
        return isinstance(value, bool), value
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return True, value
        if isinstance(value, float) and value.is_integer():
            return True, int(value)
        return False, None
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return True, float(value)
        if isinstance(value, str) and value.strip().lower() in ("inf", "+inf"):
            return True, float("inf")
        return False, None
    if hint is str:
        return isinstance(value, str), value
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            return False, None
        args = typing.get_args(hint)
        item_hint = args[0] if args else Any
        items = []
        for number, item in enumerate(value, start=1):
            ok, converted = _try_coerce(item, item_hint, f"{where} item {number}")
            if not ok:
                return False, None
            items.append(converted)
        return True, tuple(items) if origin is tuple else items
    if origin in (dict, Mapping) or hint is dict:
        if not isinstance(value, Mapping):
            return False, None
        args = typing.get_args(hint)
        value_hint = args[1] if len(args) == 2 else Any
        out = {}
        for item_key, item in value.items():
            ok, converted = _try_coerce(item, value_hint, f"{where} {item_key}")
            if not ok:
                return False, None
            out[str(item_key)] = converted
        return True, out
    if typing.get_origin(hint) is typing.Literal:
        return value in typing.get_args(hint), value
    return isinstance(value, hint) if isinstance(hint, type) else False, value


def _build_table(value: Any, cls: type, where: str) -> Any:
    """A frozen dataclass from a TOML table, each field coerced to its type."""
    hints = field_hints(cls)
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: expected a table ({', '.join(hints)}), got {value!r}")
    kwargs = {}
    for key, item in value.items():
        if key not in hints:
            close = difflib.get_close_matches(key, list(hints), n=1)
            near = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"{where}: unknown key {key!r}{near}; allowed: {', '.join(hints)}"
            )
        ok, converted = _try_coerce(item, hints[key], f"{where} {key}")
        if not ok:
            if isinstance(item, (list, tuple)):
                _refuse_bad_item(item, hints[key], f"{where} {key}")
            raise ConfigError(
                f"{where} {key}: expected {_type_name(hints[key])}, got {item!r}"
            )
        kwargs[key] = converted
    missing = [
        f.name for f in dataclasses.fields(cls)
        if f.init and f.name not in kwargs
        and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ConfigError(f"{where}: {', '.join(missing)} is missing")
    return cls(**kwargs)


def _type_name(hint: Any) -> str:
    if typing.get_origin(hint) is typing.Literal:
        return "one of " + ", ".join(str(a) for a in typing.get_args(hint))
    if typing.get_origin(hint) in (tuple, list):
        return "a list"
    if typing.get_origin(hint) in (dict, Mapping) or hint is dict:
        return "a table"
    return {float: "a number", int: "a whole number", str: "a string", bool: "true or false"}.get(
        hint, getattr(hint, "__name__", str(hint))
    )
