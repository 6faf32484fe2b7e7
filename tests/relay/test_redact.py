"""Redaction of upstream error text and clipping of echoed values, as pure functions; and
`errors.for_caller`, which decides who sees what of a channel's failure."""

from __future__ import annotations

import pytest

from backend.relay.adaptors.errors import upstream_error
from backend.relay.errors import CHANNEL_AUTH_MESSAGE, RelayError, for_caller, from_upstream
from backend.relay.redact import clip, redact, redact_addresses, redact_secrets

CHANNEL_KEY = "sk-Zq81mWx0Lp4Ty7Rb2Nc5Vd9Gh3Jk6Ms1Qa8Ue0Io"
AWS_KEY = "AKIAIOSFODNN7EXAMPLE|wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY|us-east-1"

# (text, what must be gone, what must stay) for the caller's view
CASES = [
    (f"Incorrect API key provided: Bearer {CHANNEL_KEY}.", [CHANNEL_KEY, CHANNEL_KEY[3:]], ["Incorrect API key provided"]),
    (f"Incorrect API key provided: {CHANNEL_KEY[3:]}", [CHANNEL_KEY[3:]], ["Incorrect API key provided"]),
    ("Incorrect API key provided: sk-proj-abcdefghijklmnop1234.", ["abcdefghijklmnop1234"], ["provided: sk-***"]),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig", ["eyJhbGci", "eyJzdWIi"], ["Bearer"]),
    ("GET https://10.0.0.5:8443/v1/models?key=AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW failed",
     ["10.0.0.5", "8443", "AIzaSy", "/v1/models"], ["GET", "failed"]),
    ("upstream http://llm.internal.corp/v1/chat/completions returned 500", ["llm.internal.corp", "/v1/chat"], ["returned 500"]),
    ("dial tcp 192.168.10.20:11434: connect: connection refused", ["192.168.10.20", "11434"], ["connection refused"]),
    ("connect to ollama.svc.cluster.local:11434 timed out", ["ollama.svc.cluster.local"], ["timed out"]),
    ("no route to [fd00::1]:8080", ["fd00::1"], ["no route to"]),
    ("retry with api_key=s3cr3t-value-123&model=x", ["s3cr3t-value-123"], ["api_key=***", "model=x"]),
    ('{"api_key": "plain-secret-value", "model": "gpt-4o"}', ["plain-secret-value"], ['"model": "gpt-4o"']),
    ("The security token included in the request is invalid (AKIAIOSFODNN7EXAMPLE)", ["AKIAIOSFODNN7EXAMPLE"],
     ["security token included"]),
    ("signature mismatch for wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ["wJalrXUtnFEMI"], ["signature mismatch"]),
    ("Invalid API key: xai-AbCdEf1234567890abcdef", ["AbCdEf1234567890abcdef"], ["Invalid API key"]),
    ("the key 0123456789abcdef0123456789abcdef is revoked", ["0123456789abcdef0123456789abcdef"], ["is revoked"]),
]

# ordinary provider messages survive untouched
UNTOUCHED = [
    "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens.",
    "Rate limit reached for gpt-4o-mini-2024-07-18 on tokens per min (TPM): Limit 10000, Used 9000.",
    "api key is invalid",
    "Overloaded",
    "messages: text content blocks must be non-empty",
]


@pytest.mark.parametrize(("text", "gone", "kept"), CASES)
def test_caller_view_drops_keys_and_addresses(text: str, gone: list[str], kept: list[str]) -> None:
    out = redact(text, [CHANNEL_KEY])
    for piece in gone:
        assert piece not in out, out
    for piece in kept:
        assert piece in out, out


@pytest.mark.parametrize("text", UNTOUCHED)
def test_ordinary_messages_are_not_mangled(text: str) -> None:
    assert redact(text) == text
    assert redact_secrets(text) == text


def test_operator_view_keeps_addresses_but_never_secrets() -> None:
    text = f"POST http://10.0.0.5:8080/v1/chat?key={CHANNEL_KEY} refused Bearer {CHANNEL_KEY}"
    out = redact_secrets(text, [CHANNEL_KEY])
    assert CHANNEL_KEY not in out and CHANNEL_KEY[3:] not in out
    assert "10.0.0.5:8080/v1/chat" in out


def test_channel_key_is_removed_verbatim_whatever_its_shape() -> None:
    odd = "plainkey-with-no-known-shape"  # no pattern would catch it; the verbatim rule does
    assert odd not in redact_secrets(f"bad credentials: {odd}", [odd])
    for part in AWS_KEY.split("|")[:2]:  # AWS keys are AK|SK|region: each part is a secret
        assert part not in redact_secrets(f"signed with {part}", [AWS_KEY])


def test_addresses_only() -> None:
    assert redact_addresses("see https://a.example.com/x?y=1 and 1.2.3.4") == "see [url] and [address]"


def test_clip_drops_control_characters_and_truncates() -> None:
    assert clip("gpt-4o\x00\x1b[31m\n") == "gpt-4o[31m"
    long = clip("x" * 10_000)
    assert len(long) == 65 and long.endswith("…")
    assert clip("short") == "short"


# -- for_caller ----------------------------------------------------------------------------------


def leaky(status: int) -> RelayError:
    raw = (f'{{"error": {{"message": "Incorrect API key provided: Bearer {CHANNEL_KEY} via http://10.9.8.7:81/x",'
           f' "type": "invalid_request_error", "code": "invalid_api_key",'
           f' "metadata": {{"raw": "upstream 10.9.8.7:81 said {CHANNEL_KEY}"}}}}}}')
    return from_upstream(upstream_error(status, raw.encode()))


@pytest.mark.parametrize("status", [401, 403])
def test_upstream_auth_failure_is_the_gateways_not_the_callers(status: int) -> None:
    shown = for_caller(leaky(status), secrets=[CHANNEL_KEY], admin=False)
    assert shown.status == 502 and shown.code == "channel_auth_failed"
    assert shown.error_object()["message"] == CHANNEL_AUTH_MESSAGE
    assert shown.detail is not None and "10.9.8.7:81" in shown.detail and CHANNEL_KEY not in shown.detail

    admin = for_caller(leaky(status), secrets=[CHANNEL_KEY], admin=True)
    message = admin.error_object()["message"]
    assert admin.status == 502 and "10.9.8.7:81" in message  # admins see where it failed...
    assert CHANNEL_KEY not in message and CHANNEL_KEY[3:] not in message  # ...never the key


def test_status_code_mapping_of_an_auth_failure_is_kept_but_its_text_is_not() -> None:
    mapped = leaky(401).with_status(503)
    shown = for_caller(mapped, secrets=[CHANNEL_KEY], admin=False)
    assert shown.status == 503 and shown.message == CHANNEL_AUTH_MESSAGE


def test_other_upstream_errors_pass_through_redacted_everywhere() -> None:
    shown = for_caller(leaky(500), secrets=[CHANNEL_KEY], admin=False)
    obj = shown.error_object()
    assert shown.status == 500 and obj["code"] == "invalid_api_key"
    flat = repr(obj)
    assert CHANNEL_KEY[3:] not in flat and "10.9.8.7" not in flat  # nested metadata.raw too
    assert obj["message"].startswith("Incorrect API key provided: Bearer ***")


def test_local_errors_are_the_callers_own_and_pass() -> None:
    err = RelayError(400, "model name is too long")
    assert for_caller(err, secrets=[CHANNEL_KEY], admin=False) is err
