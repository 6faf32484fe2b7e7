"""/api/channel/ollama/{pull,pull/stream,delete,version/:id} against a fake Ollama server."""

from __future__ import annotations

import orjson
import pytest
from mgmt_helpers import app_client, auth, data, make_user, refused

from backend.models.enums import Role
from tests.fakes.ollama_admin import VERSION, FakeOllama


@pytest.fixture
def ollama():
    with FakeOllama(key="ol-secret") as fake:
        yield fake


def _channel(c, h, base_url: str, type_: int = 4) -> int:
    return data(
        c.post(
            "/api/channel/",
            json={"name": "ol", "type": type_, "key": "ol-secret", "models": "x", "base_url": base_url},
            headers=h,
        )
    )["ids"][0]


def _events(raw: bytes) -> list:
    out = []
    for block in raw.split(b"\n\n"):
        if block.startswith(b"data: "):
            payload = block[len(b"data: ") :]
            out.append(payload.decode() if payload == b"[DONE]" else orjson.loads(payload))
    return out


def test_version_pull_delete(sqlite_storage, ollama):
    c, h = app_client(), auth(make_user("adm", Role.ADMIN))
    cid = _channel(c, h, ollama.url)
    assert data(c.get(f"/api/channel/ollama/version/{cid}", headers=h)) == {"version": VERSION}
    assert ollama.requests[-1].headers["authorization"] == "Bearer ol-secret"

    r = c.post("/api/channel/ollama/pull", json={"channel_id": cid, "model_name": "phi3:mini"}, headers=h)
    assert r.json()["message"] == "Model phi3:mini pulled successfully" and r.json()["success"] is True
    assert ollama.requests[-1].json == {"model": "phi3:mini", "stream": False}
    assert "phi3:mini" in ollama.models

    assert (
        c.request(
            "DELETE",
            "/api/channel/ollama/delete",
            json={"channel_id": cid, "model_name": "phi3:mini"},
            headers=h,
        ).json()["message"]
        == "Model phi3:mini deleted successfully"
    )
    assert "phi3:mini" not in ollama.models
    gone = refused(
        c.request(
            "DELETE",
            "/api/channel/ollama/delete",
            json={"channel_id": cid, "model_name": "phi3:mini"},
            headers=h,
        ),
        502,
    )
    assert "not found" in gone
    assert "does not exist" in refused(
        c.post("/api/channel/ollama/pull", json={"channel_id": cid, "model_name": "missing-x"}, headers=h),
        502,
    )


def test_pull_stream_forwards_progress_then_done(sqlite_storage, ollama):
    c, h = app_client(), auth(make_user("adm", Role.ADMIN))
    cid = _channel(c, h, ollama.url)
    r = c.post(
        "/api/channel/ollama/pull/stream", json={"channel_id": cid, "model_name": "gemma:2b"}, headers=h
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = _events(r.content)
    assert events[0] == {"status": "pulling manifest"}
    assert [e.get("completed") for e in events if isinstance(e, dict) and "completed" in e] == [50, 100]
    assert events[-2] == {"message": "Model gemma:2b pulled successfully"} and events[-1] == "[DONE]"
    assert "gemma:2b" in ollama.models

    failed = _events(
        c.post(
            "/api/channel/ollama/pull/stream", json={"channel_id": cid, "model_name": "missing-y"}, headers=h
        ).content
    )
    assert failed[-2] == {"error": "pull model manifest: file does not exist"} and failed[-1] == "[DONE]"


def test_refusals(sqlite_storage, ollama):
    c, h = app_client(), auth(make_user("adm", Role.ADMIN))
    openai = _channel(c, h, ollama.url, type_=1)
    for path in ("/api/channel/ollama/pull", "/api/channel/ollama/pull/stream"):
        assert refused(c.post(path, json={"channel_id": openai, "model_name": "m"}, headers=h), 400) == (
            "This operation is only supported for Ollama channels"
        )
        assert refused(c.post(path, json={"channel_id": 0, "model_name": "m"}, headers=h), 400) == (
            "Channel ID and model name are required"
        )
        refused(c.post(path, json={"channel_id": 99999, "model_name": "m"}, headers=h), 404)
    refused(c.get(f"/api/channel/ollama/version/{openai}", headers=h), 400)
    dead = _channel(c, h, "http://127.0.0.1:9")
    assert "could not be reached" in refused(c.get(f"/api/channel/ollama/version/{dead}", headers=h), 502)
    assert not [r for r in ollama.requests if r.path != "/api/tags"]
