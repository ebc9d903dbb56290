"""flowimpact.secrets: credentials are redacted in every output and come from the environment."""

from __future__ import annotations

import json

import pytest

from flowimpact.errors import ConfigError
from flowimpact.secrets import REDACTED, expand_env, redact, redact_text

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
    assert out["apiKey"] == REDACTED and out["headers"] == REDACTED


def test_headers_cookies_and_url_passwords_are_redacted_at_any_depth() -> None:
    tree = {
        "httpsProxy": "http://user:PASS-1@proxy.example:8080",
        "urls": {"api": {"public": "https://tok-2@mirror.example/api"}},
        "headers": {"Authorization": "Bearer tok-3", "Cookie": "sid=ck-4"},
        "options": {"deep": [{"sessionCookie": "ck-5", "Password_hash": "pw-6"}]},
        "note": "plain https://mirror.example/api stays",
    }
    out = redact(tree)
    text = json.dumps(out)
    for value in ("PASS-1", "tok-2", "tok-3", "ck-4", "ck-5", "pw-6"):
        assert value not in text
    assert out["httpsProxy"] == f"http://{REDACTED}@proxy.example:8080"
    assert out["urls"]["api"]["public"] == f"https://{REDACTED}@mirror.example/api"
    assert out["note"] == tree["note"]


def test_a_message_quoting_a_proxy_url_loses_its_password() -> None:
    message = "binance load_markets: ProxyError: Cannot connect to http://u:PASS-7@10.0.0.1:3128"
    assert "PASS-7" not in redact_text(message)
    assert "10.0.0.1:3128" in redact_text(message)


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
