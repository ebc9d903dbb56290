"""flowimpact.secrets: credentials are redacted in every output and come from the environment."""

from __future__ import annotations

import json

import pytest

from flowimpact.errors import ConfigError
from flowimpact.secrets import REDACTED, expand_env, redact

SECRETS = {
    "apiKey": "AKIA-live-123",
    "secret": "s3cr3t",
    "password": "hunter2",
    "uid": "u-42",
    "privateKey": "0xdeadbeef",
    "walletAddress": "0xwallet",
    "token": "bearer-777",
    "my_custom_passphrase": "pp",
    "X-API-KEY": "hdr",
}


def test_every_credential_is_redacted_at_any_depth_and_the_rest_kept() -> None:
    tree = {"options": {"defaultType": "spot", **SECRETS}, "headers": [SECRETS], **SECRETS}
    out = redact(tree)
    text = json.dumps(out)
    for value in SECRETS.values():
        assert value not in text
    assert out["options"]["defaultType"] == "spot"
    assert out["apiKey"] == REDACTED and out["headers"][0]["token"] == REDACTED


def test_env_references_are_expanded_and_a_missing_variable_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FI_TEST_KEY", "from-env")
    assert expand_env({"apiKey": "${FI_TEST_KEY}", "rateLimit": 50}) == {
        "apiKey": "from-env",
        "rateLimit": 50,
    }
    monkeypatch.delenv("FI_TEST_KEY")
    with pytest.raises(ConfigError, match="FI_TEST_KEY"):
        expand_env({"apiKey": "${FI_TEST_KEY}"})
