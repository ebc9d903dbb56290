"""Credentials never leave the process: redaction for every output, and keys from the environment.

ccxt takes API credentials in its constructor config (``[data.ccxt]`` in a study file).
Public OHLCV needs none, but a venue or a proxy may. Two rules keep them safe:

- ``redact`` replaces the value of every credential-bearing key (``apiKey``, ``secret``,
  ``password``, ``uid``, ``privateKey``, ``walletAddress``, ``token``, any key whose name says
  key, secret, password, passphrase, token, cookie or auth, and ``headers`` whole, since HTTP
  headers carry ``Authorization`` and ``Cookie``) with ``"<redacted>"``, at any depth, and the
  ``user:password@`` of every URL in any string (a proxy such as ``httpsProxy``). The resolved
  study is redacted before it reaches ``run.json``, ``report.html``, ``--print-config`` or a
  log; ``redact_text`` does the same to one message (an error that quotes a proxy URL).
- ``expand_env`` turns a value written ``"${NAME}"`` into the environment variable ``NAME``
  when the exchange is built, so a study file that is committed holds only the variable's name
  (``apiKey = "${BINANCE_API_KEY}"``). An unset variable is refused naming it (exit 2).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from flowimpact.errors import ConfigError

REDACTED = "<redacted>"
_CREDENTIAL_KEYS = {
    "apikey", "secret", "password", "uid", "privatekey", "walletaddress", "token", "headers",
    "proxyauthorization", "login",
}
_CREDENTIAL_WORDS = re.compile(
    r"key|secret|passw|passphrase|token|cookie|auth|credential|session", re.IGNORECASE
)
# scheme://user:password@host (or scheme://token@host): the part before "@" is a credential
_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^\s/@]+)@")
_ENV_REFERENCE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


def is_credential(key: str) -> bool:
    """True for a key whose value is a credential (by ccxt's names or by its wording)."""
    return key.lower() in _CREDENTIAL_KEYS or bool(_CREDENTIAL_WORDS.search(key))


def redact(value: Any) -> Any:
    """``value`` (nested mappings and lists) with every credential's value replaced, and the
    user:password of every URL in its strings."""
    if isinstance(value, Mapping):
        return {
            key: (REDACTED if is_credential(str(key)) and item not in (None, "", {}, [])
                  else redact(item))
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_text(text: str) -> str:
    """``text`` with the user:password (or token) of every ``scheme://...@host`` replaced."""
    return _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", text)


def expand_env(value: Any, *, where: str = "[data.ccxt]") -> Any:
    """``value`` with every ``"${NAME}"`` string replaced by the environment variable ``NAME``."""
    if isinstance(value, Mapping):
        return {key: expand_env(item, where=f"{where} {key}") for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [expand_env(item, where=where) for item in value]
    if isinstance(value, str):
        match = _ENV_REFERENCE.match(value.strip())
        if match:
            name = match.group(1)
            if name not in os.environ:
                raise ConfigError(
                    f"{where} = {value!r}: the environment variable {name} is not set; "
                    f"export {name}=... before running"
                )
            return os.environ[name]
    return value


__all__ = ["REDACTED", "expand_env", "is_credential", "redact", "redact_text"]
