"""DashScope: native rerank (request, reply, error object), chat's top_p, image jobs and replies."""

from __future__ import annotations

import pytest

from backend.relay.convert.ali import (
    ali_to_openai_images,
    clamp_top_p,
    dashscope_error,
    dashscope_to_rerank,
    image_urls,
    is_sync_image_model,
    openai_image_to_ali,
    rerank_to_dashscope,
    task_failure,
    task_id,
    task_status,
    with_inline_images,
)


@pytest.mark.parametrize(("body", "native"), [
    ({"query": "q", "documents": ["a", {"text": "b"}]},
     {"model": "m", "input": {"query": "q", "documents": ["a", "b"]}, "parameters": {"return_documents": True}}),
    ({"query": "q", "documents": ["a"], "top_n": 2, "return_documents": False},
     {"model": "m", "input": {"query": "q", "documents": ["a"]}, "parameters": {"return_documents": False, "top_n": 2}}),
])
def test_rerank_to_dashscope(body: dict, native: dict) -> None:
    assert rerank_to_dashscope(body, "m") == native


def test_reply_and_error() -> None:
    body, tokens = dashscope_to_rerank({"output": {"results": [{"index": 0, "relevance_score": 0.5}]},
                                        "usage": {"total_tokens": 7}})
    assert tokens == 7 and body["results"] == [{"index": 0, "relevance_score": 0.5}]
    assert body["usage"] == {"prompt_tokens": 7, "completion_tokens": 0, "total_tokens": 7}
    assert dashscope_to_rerank({})[1] == 0
    assert dashscope_error({"code": "Throttling", "message": "slow down"}) == ("slow down", "Throttling")
    assert dashscope_error({"output": {}}) is None


# -- chat and images -----------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "sent"), [(1, 0.999), (1.5, 0.999), (0, 0.001), (-1, 0.001), (0.5, 0.5),
                                             (None, None)])
def test_top_p_is_held_inside_zero_and_one(given: float | None, sent: float | None) -> None:
    chat = {"model": "qwen-plus"} if given is None else {"model": "qwen-plus", "top_p": given}
    clamp_top_p(chat)
    assert chat.get("top_p") == sent


@pytest.mark.parametrize(("model", "sync"), [("qwen-image", True), ("qwen-image-plus", True),
                                             ("wanx2.1-t2i-turbo", False), ("wan2.2-t2i-flash", False),
                                             ("flux-schnell", False)])
def test_qwen_image_is_sync_the_rest_a_job(model: str, sync: bool) -> None:
    assert is_sync_image_model(model) is sync


@pytest.mark.parametrize(("body", "sync", "expected"), [
    ({"prompt": "fox", "n": 2, "size": "1024x768"}, False,
     {"model": "m", "input": {"prompt": "fox"}, "parameters": {"n": 2, "size": "1024*768"}}),
    ({"prompt": "fox", "negative_prompt": "blur", "watermark": False}, False,
     {"model": "m", "input": {"prompt": "fox", "negative_prompt": "blur"}, "parameters": {"n": 1, "watermark": False}}),
    ({"prompt": "fox"}, True,
     {"model": "m", "input": {"messages": [{"role": "user", "content": [{"text": "fox"}]}]}, "parameters": {"n": 1}}),
    ({"prompt": "fox", "input": {"prompt": "own"}, "parameters": {"style": "<anime>"}}, False,
     {"model": "m", "input": {"prompt": "own"}, "parameters": {"style": "<anime>"}}),
])
def test_openai_image_to_ali(body: dict, sync: bool, expected: dict) -> None:
    assert openai_image_to_ali(body, "m", sync) == expected


JOB = {"output": {"task_id": "t1", "task_status": "SUCCEEDED",
                  "results": [{"url": "https://oss/a.png"}, {"url": "https://oss/b.png"}, {"code": "x"}]}}
SYNC = {"output": {"choices": [{"message": {"content": [{"image": "https://oss/c.png"}, {"text": "a fox"}]}}]}}


@pytest.mark.parametrize(("resp", "expected"), [
    (JOB, [{"url": "https://oss/a.png"}, {"url": "https://oss/b.png"}]),
    (SYNC, [{"url": "https://oss/c.png", "revised_prompt": "a fox"}]),
    (with_inline_images(JOB, {"https://oss/a.png": "QQ=="}), [{"b64_json": "QQ=="}, {"url": "https://oss/b.png"}]),
    (with_inline_images(SYNC, {"https://oss/c.png": "Qw=="}), [{"b64_json": "Qw==", "revised_prompt": "a fox"}]),
    ({"output": {"task_status": "SUCCEEDED"}}, []),
])
def test_ali_to_openai_images(resp: dict, expected: list) -> None:
    assert ali_to_openai_images(resp, 7) == {"created": 7, "data": expected}


def test_job_fields() -> None:
    assert image_urls(JOB) == ["https://oss/a.png", "https://oss/b.png"]
    assert image_urls(SYNC) == ["https://oss/c.png"]
    assert (task_id(JOB), task_status(JOB)) == ("t1", "SUCCEEDED")
    assert (task_id({}), task_status({"output": None})) == ("", "")
    failed = {"output": {"task_status": "FAILED", "code": "DataInspectionFailed", "message": "bad"}}
    assert task_failure(failed) == ("bad", "DataInspectionFailed")
    assert task_failure({"output": {"task_status": "CANCELED"}}) == (
        "the DashScope image job ended CANCELED", "CANCELED")
    assert JOB["output"]["results"][0] == {"url": "https://oss/a.png"}  # with_inline_images copied
