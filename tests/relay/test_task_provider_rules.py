"""The video providers' pure rules, table by table: request parsing, Jimeng's req_key and frames
and its signature, Vidu's paths, Doubao's price tiers and Veo's duration and resolution ratios
(new-api relay/channel/task/{jimeng,vidu,doubao,gemini})."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest

from backend.relay.tasks.common import Reply, UpstreamFailed
from backend.relay.tasks.providers import doubao, gemini, jimeng, veo, vertex, vidu
from backend.relay.tasks.providers.base import VideoRequest
from backend.relay.tasks.submit import TaskRefused
from tests.fakes.video_providers import JIMENG_KEY, _jimeng_signature_ok


def req(**fields: Any) -> VideoRequest:
    return VideoRequest.parse({"prompt": "p", **fields}, "m")


@pytest.mark.parametrize(("fields", "message"), [
    ({"prompt": "  "}, "prompt is required"),
    ({"duration": "ten"}, "duration"),
    ({"duration": True}, "duration"),
    ({"seconds": "4s"}, "seconds"),
    ({"duration": 601}, "longer than"),
    ({"images": "a.png"}, "images"),
    ({"metadata": ["x"]}, "metadata"),
])
def test_bad_requests_are_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(TaskRefused) as refused:
        req(**fields)
    assert refused.value.status == 400 and message in refused.value.message


def test_parse_reads_new_apis_fields() -> None:
    r = req(duration="10", seconds=4, image="data:x", metadata={"model": "other", "seed": 1})
    assert (r.duration, r.seconds, r.images, r.model, r.metadata) == (10, "4", ("data:x",), "m", {"seed": 1})


@pytest.mark.parametrize(("key", "images", "expected"), [
    ("jimeng_vgfm_t2v_l20", 1, "jimeng_vgfm_t2v_l20"),
    ("jimeng_v30", 0, "jimeng_t2v_v30"),
    ("jimeng_v30", 1, "jimeng_i2v_first_v30"),
    ("jimeng_v30_1080p", 2, "jimeng_i2v_first_tail_v30_1080"),
    ("jimeng_v30_pro", 2, "jimeng_ti2v_v30_pro"),
])
def test_jimeng_req_keys(key: str, images: int, expected: str) -> None:
    assert jimeng.resolve_req_key(key, images) == expected


@pytest.mark.parametrize(("fields", "frames", "image_field"), [
    ({"duration": 10}, 241, None), ({"duration": 7}, 121, None), ({}, 121, None),
    ({"images": ["https://a/1.png"]}, 121, "image_urls"), ({"image": "aGVsbG8="}, 121, "binary_data_base64"),
    ({"image": "data:image/png;base64,aGVsbG8="}, 121, "binary_data_base64"),
])
def test_jimeng_submit_body(fields: dict[str, Any], frames: int, image_field: str | None) -> None:
    body = jimeng.submit_body(req(**fields), "jimeng_vgfm_t2v_l20")
    assert body["frames"] == frames and body["req_key"] == "jimeng_vgfm_t2v_l20"
    assert image_field is None or len(body[image_field]) == 1
    assert body.get("binary_data_base64", ["aGVsbG8="]) == ["aGVsbG8="]  # Jimeng takes bare base64


def test_jimeng_signature_is_what_volcengine_checks() -> None:
    url = "http://visual.example:8443/?Action=CVSync2AsyncSubmitTask&Version=2022-08-31"
    body = b'{"req_key":"k"}'
    access, _sep, secret = JIMENG_KEY.partition("|")
    headers = jimeng.sign("POST", url, body, access, secret, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert headers["X-Date"] == "20260102T030405Z"
    seen = {k.lower(): v for k, v in headers.items()} | {"host": urlsplit(url).netloc}
    query = {"Action": "CVSync2AsyncSubmitTask", "Version": "2022-08-31"}
    assert _jimeng_signature_ok("POST", "/", query, seen, body)
    assert not _jimeng_signature_ok("POST", "/", query, seen, body + b" ")  # the body is signed
    assert not _jimeng_signature_ok("POST", "/", query, {**seen, "host": "other.example"}, body)


@pytest.mark.parametrize(("fields", "action", "path_part"), [
    ({}, "textGenerate", "text2video"), ({"images": ["a"]}, "generate", "img2video"),
    ({"images": ["a", "b"]}, "firstTailGenerate", "start-end2video"),
    ({"images": ["a", "b", "c"]}, "referenceGenerate", "reference2video"),
])
def test_vidu_paths_follow_the_images(fields: dict[str, Any], action: str, path_part: str) -> None:
    assert vidu.action_for(req(**fields)) == action
    body = vidu.submit_body(req(**fields), "viduq2-pro", action)
    assert body["duration"] == 5 and body["resolution"] == "1080p"
    assert body["model"] == ("viduq2" if action == "referenceGenerate" else "viduq2-pro")


@pytest.mark.parametrize(("model", "resolution", "video", "ratios"), [
    ("doubao-seedance-1-0-pro-250528", "1080p", True, {}),
    ("doubao-seedance-2-0-260128", "720p", False, {}),
    ("doubao-seedance-2-0-260128", "", True, {"video_input": 28 / 46}),
    ("doubao-seedance-2-0-260128", "1080P", False, {"resolution": 51 / 46}),
    ("doubao-seedance-2-0-260128", "1080p", True, {"resolution": 51 / 46, "video_input": 31 / 51}),
    ("doubao-seedance-2-0-fast-260128", "480p", True, {"video_input": 22 / 37}),
])
def test_doubao_tiers(model: str, resolution: str, video: bool, ratios: dict[str, float]) -> None:
    got = doubao.billing_ratios(model, resolution, video)
    assert got.keys() == ratios.keys() and all(abs(got[k] - v) < 1e-9 for k, v in ratios.items())


def test_doubao_refuses_a_tier_it_does_not_sell() -> None:
    with pytest.raises(TaskRefused):
        doubao.billing_ratios("doubao-seedance-2-0-fast-260128", "1080p", False)


def test_doubao_body_puts_the_prompt_last() -> None:
    body = doubao.submit_body(req(images=["https://i/1.png"], seconds="5",
                                  metadata={"content": [{"type": "text", "text": "old"}], "ratio": "16:9"}), "ep-1")
    assert body["content"] == [{"type": "text", "text": "p"}] and body["duration"] == 5 and body["model"] == "ep-1"


@pytest.mark.parametrize(("fields", "model", "seconds", "ratio"), [
    ({}, "veo-3.0-generate-001", 8, 1.0),
    ({"seconds": "4"}, "veo-3.0-generate-001", 4, 1.0),
    ({"duration": 6, "metadata": {"durationSeconds": 4}}, "veo-3.1-generate-preview", 4, 1.0),
    ({"metadata": {"resolution": "4K"}}, "veo-3.1-generate-preview", 8, 1.5),
    ({"size": "3840x2160"}, "veo-3.1-fast-generate-preview", 8, 2.333333),
    ({"size": "3840x2160"}, "veo-3.0-generate-001", 8, 1.0),
    ({"metadata": {"resolution": "4k"}}, "veo-3.1-lite-2099", 8, 1.5),
])
def test_veo_ratios(fields: dict[str, Any], model: str, seconds: int, ratio: float) -> None:
    assert veo.ratios(req(**fields), model) == {"seconds": float(seconds), "resolution": ratio}


def test_veo_payload_and_images() -> None:
    body = veo.payload(req(size="720x1280", duration=6, image="data:image/jpeg;base64,aGVsbG8="), sample_count=True)
    assert body["instances"][0]["image"] == {"bytesBase64Encoded": "aGVsbG8=", "mimeType": "image/jpeg"}
    assert body["parameters"] == {"durationSeconds": 6, "resolution": "720p", "aspectRatio": "9:16", "sampleCount": 1}
    for bad in ("https://img/a.png", "data:image/png,raw", "not base64!"):
        with pytest.raises(TaskRefused):
            veo.image_part(bad)


@pytest.mark.parametrize(("provider", "status", "body"), [
    (jimeng.Jimeng(), 401, b'{"code": 50400, "message": "Access Denied"}'),
    (jimeng.Jimeng(), 200, b"not json"),
    (gemini.Gemini(), 403, b'{"error": {"code": 403, "message": "API key not valid"}}'),
    (vertex.Vertex(), 401, b'{"error": {"code": 401, "message": "invalid credentials"}}'),
    (vidu.Vidu(), 404, b'{"code": 404}'),
    (doubao.Doubao(), 500, b'{"error": {"message": "busy"}}'),
])
def test_a_poll_the_upstream_refuses_is_asked_again_not_failed(provider: Any, status: int, body: bytes) -> None:
    """Only an answer about the task ends it: a refused or broken poll (the channel's key, an outage)
    raises UpstreamFailed, so the poller leaves the task and nothing is refunded early."""
    with pytest.raises(UpstreamFailed):
        provider.state(Reply(status, body, {}))


@pytest.mark.parametrize(("provider", "body", "reason"), [
    (jimeng.Jimeng(), b'{"code": 50412, "message": "Post Video Risk Not Pass"}', "Post Video Risk Not Pass"),
    (gemini.Gemini(), b'{"name": "op", "done": true, "error": {"message": "blocked"}}', "blocked"),
    (vidu.Vidu(), b'{"state": "failed", "err_code": "AuditSubmitIllegal"}', "AuditSubmitIllegal"),
    (doubao.Doubao(), b'{"status": "failed", "error": {"message": "sensitive"}}', "sensitive"),
])
def test_an_answer_that_the_task_failed_fails_it(provider: Any, body: bytes, reason: str) -> None:
    update = provider.state(Reply(200, body, {}))
    assert (update.status, update.fail_reason) == ("FAILURE", reason)


def test_jimeng_behind_another_new_api_takes_a_bearer_key() -> None:
    """An `sk-` key is another new-api in front: its `/jimeng/` route, the key as Bearer, unsigned."""
    channel = type("C", (), {"base_url": "https://relay.example", "type": 51})()
    out = jimeng.Jimeng().submit_request(channel, "sk-relay", req(), "jimeng_vgfm_t2v_l20")  # type: ignore[arg-type]
    assert out.url == "https://relay.example/jimeng/?Action=CVSync2AsyncSubmitTask&Version=2022-08-31"
    assert out.headers["Authorization"] == "Bearer sk-relay" and "X-Date" not in out.headers
