"""new-api's retry rules and status_code_mapping, as pure decisions."""

from __future__ import annotations

import pytest

from backend.models.channel_types import ANTHROPIC_ID, OPENAI_ID
from backend.relay.adaptors.base import UpstreamError
from backend.relay.errors import RelayError, bad_request, from_upstream, openai_body, transport_failure
from backend.relay.retry_rules import map_status, should_retry


def upstream(status: int) -> RelayError:
    return from_upstream(UpstreamError(status, f"upstream said {status}", param=str(status)))


@pytest.mark.parametrize("status", [429, 500, 502, 503, 401, 403, 404, 307, 520])
def test_retried_statuses(status: int) -> None:
    assert should_retry(upstream(status), OPENAI_ID, pinned=False)


@pytest.mark.parametrize("status", [200, 204, 408, 504, 524])
def test_never_retried_statuses(status: int) -> None:
    assert not should_retry(upstream(status), OPENAI_ID, pinned=False)
    assert not should_retry(upstream(status), ANTHROPIC_ID, pinned=False)


def test_400_is_retried_only_on_anthropic_channels() -> None:
    assert not should_retry(upstream(400), OPENAI_ID, pinned=False)
    assert should_retry(upstream(400), ANTHROPIC_ID, pinned=False)


def test_local_errors_and_pinned_channels_are_never_retried() -> None:
    assert not should_retry(bad_request("bad"), OPENAI_ID, pinned=False)
    assert not should_retry(upstream(500), OPENAI_ID, pinned=True)


def test_transport_failures_are_channel_errors() -> None:
    err = transport_failure()
    assert not err.local and err.status == 500
    assert should_retry(err, OPENAI_ID, pinned=False)
    assert "http" not in err.message.lower()  # the upstream address is never shown


def test_status_code_mapping_rewrites_before_decisions() -> None:
    mapped = map_status(upstream(429), {"429": "400"})
    assert mapped.status == 400
    assert not should_retry(mapped, OPENAI_ID, pinned=False)
    assert map_status(upstream(500), {"429": "503"}).status == 500
    assert map_status(upstream(500), {"500": 502}).status == 502
    assert map_status(upstream(500), {"500": "nonsense"}).status == 500


def test_passthrough_error_object_keeps_upstream_fields_and_gets_request_id() -> None:
    raw = {"message": "Rate limit reached", "type": "requests", "param": None, "code": "rate_limit_exceeded"}
    err = from_upstream(UpstreamError(429, raw["message"], type="requests", code=raw["code"], passthrough=raw))
    body = openai_body(err, "RID1")
    assert body == {"error": {**raw, "message": "Rate limit reached (request id: RID1)"}}


def test_local_error_shape() -> None:
    body = openai_body(bad_request("invalid JSON"), "RID2")
    assert body == {
        "error": {
            "message": "invalid JSON (request id: RID2)",
            "type": "new_api_error",
            "param": "",
            "code": "invalid_text_request",
        }
    }
