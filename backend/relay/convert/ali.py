"""DashScope's native rerank API (Ali, channel type 17): a Jina/Cohere-shaped rerank body to
`{model, input: {query, documents}, parameters: {top_n, return_documents}}` and its
`{output: {results}, usage: {total_tokens}}` reply back, as new-api converts them."""

from __future__ import annotations

from typing import Any

import orjson

from backend.json_shape import object_at


def rerank_to_dashscope(body: dict, model: str) -> dict:
    """Documents as text (Jina's {"text": ...} objects unwrapped); return_documents defaults to
    true, as in new-api."""
    docs = [d.get("text", "") if isinstance(d, dict) else d for d in body.get("documents") or []]
    params: dict[str, Any] = {"return_documents": body.get("return_documents") is not False}
    if isinstance(body.get("top_n"), int):
        params["top_n"] = body["top_n"]
    return {"model": model, "input": {"query": body.get("query", ""), "documents": docs}, "parameters": params}


def clamp_top_p(chat: dict) -> None:
    """DashScope takes `top_p` only strictly inside (0, 1): new-api's 0.999 / 0.001 at the ends."""
    top_p = chat.get("top_p")
    if isinstance(top_p, int | float) and not isinstance(top_p, bool):
        if top_p >= 1:
            chat["top_p"] = 0.999
        elif top_p <= 0:
            chat["top_p"] = 0.001


def dashscope_error(resp: dict) -> tuple[str, str] | None:
    """(message, code) when the reply is DashScope's error object."""
    code = resp.get("code")
    if isinstance(code, str) and code:
        return str(resp.get("message") or code), code
    return None


def dashscope_to_rerank(resp: dict) -> tuple[dict, int]:
    """The rerank reply new-api gives (results + OpenAI-style usage) and the billed prompt tokens."""
    output = object_at(resp, "output")
    usage = object_at(resp, "usage")
    total = usage.get("total_tokens")
    tokens = total if isinstance(total, int) else 0
    results = [r for r in output.get("results") or [] if isinstance(r, dict)]
    body: dict[str, Any] = {
        "results": results, "usage": {"prompt_tokens": tokens, "completion_tokens": 0, "total_tokens": tokens}}
    return body, tokens


# -- images: wanx & co. through the async text2image job, qwen-image through the sync
# multimodal-generation service (new-api's split) ------------------------------------------------

ASYNC_IMAGE_PATH = "/api/v1/services/aigc/text2image/image-synthesis"
SYNC_IMAGE_PATH = "/api/v1/services/aigc/multimodal-generation/generation"
TASK_PATH = "/api/v1/tasks/"
TASK_DONE = frozenset({"SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN"})


def is_sync_image_model(model: str) -> bool:
    """qwen-image models answer at once; wanx (and the rest) run as a polled job."""
    return "wan" not in model and "qwen" in model and "image" in model


def openai_image_to_ali(body: dict, model: str, sync: bool) -> dict:
    """An OpenAI image body as DashScope's: the caller's own `input` / `parameters` win (new-api
    lets them through), else the prompt, `size` with `*` for `x`, `n` and `watermark`."""
    params = body.get("parameters")
    if not isinstance(params, dict):
        params = {"n": body["n"] if isinstance(body.get("n"), int) and body["n"] > 0 else 1}
        if isinstance(body.get("size"), str) and body["size"]:
            params["size"] = body["size"].replace("x", "*")
        if isinstance(body.get("watermark"), bool):
            params["watermark"] = body["watermark"]
    given = body.get("input")
    prompt = body.get("prompt") if isinstance(body.get("prompt"), str) else ""
    if isinstance(given, dict):
        source = given
    elif sync:
        source = {"messages": [{"role": "user", "content": [{"text": prompt}]}]}
    else:
        source = {"prompt": prompt}
        if isinstance(body.get("negative_prompt"), str):
            source["negative_prompt"] = body["negative_prompt"]
    return {"model": model, "input": source, "parameters": params}


def task_id(resp: dict) -> str:
    output = object_at(resp, "output")
    value = output.get("task_id")
    return value if isinstance(value, str) else ""


def task_status(resp: dict) -> str:
    output = object_at(resp, "output")
    value = output.get("task_status")
    return value if isinstance(value, str) else ""


def task_failure(resp: dict) -> tuple[str, str]:
    """(message, code) of a job that ended without images."""
    output = object_at(resp, "output")
    code = str(output.get("code") or task_status(resp) or "ali_task_failed")
    return str(output.get("message") or f"the DashScope image job ended {task_status(resp) or 'without a status'}"), code


def image_urls(resp: dict) -> list[str]:
    """Every image URL of a finished job (`output.results`) or a sync reply (`output.choices`)."""
    output = object_at(resp, "output")
    urls = [r.get("url") for r in output.get("results") or () if isinstance(r, dict)]
    for choice in output.get("choices") or ():
        content = ((choice or {}).get("message") or {}).get("content") if isinstance(choice, dict) else None
        urls += [c.get("image") for c in content or () if isinstance(c, dict)]
    return [u for u in urls if isinstance(u, str) and u.startswith(("http://", "https://"))]


def with_inline_images(resp: dict, fetched: dict[str, str]) -> dict:
    """The reply with each fetched image URL's bytes (base64) in place: `b64_image` on a job's
    result, the image itself in a sync reply's content (as DashScope gives base64 there)."""
    out = orjson.loads(orjson.dumps(resp))  # a deep copy: the reply read off the wire stays as it was
    output = object_at(out, "output")
    for result in output.get("results") or ():
        if isinstance(result, dict) and result.get("url") in fetched:
            result["b64_image"] = fetched[result["url"]]
    for choice in output.get("choices") or ():
        content = ((choice or {}).get("message") or {}).get("content") if isinstance(choice, dict) else None
        for part in content or ():
            if isinstance(part, dict) and part.get("image") in fetched:
                part["image"] = fetched[part["image"]]
    return out


def ali_to_openai_images(resp: dict, created: int) -> dict:
    """OpenAI's images reply: a result with bytes (`b64_image`, or a sync reply's non-URL image)
    as `b64_json`, otherwise its `url`; a sync reply's text as `revised_prompt`."""
    output = object_at(resp, "output")
    data: list[dict[str, Any]] = []
    for result in output.get("results") or ():
        if not isinstance(result, dict):
            continue
        b64, url = result.get("b64_image"), result.get("url")
        if isinstance(b64, str) and b64:
            data.append({"b64_json": b64})
        elif isinstance(url, str) and url:
            data.append({"url": url})
    for choice in output.get("choices") or ():
        content = ((choice or {}).get("message") or {}).get("content") if isinstance(choice, dict) else None
        item: dict[str, Any] = {}
        for part in content or ():
            if not isinstance(part, dict):
                continue
            image = part.get("image")
            if isinstance(image, str) and image:
                item["url" if image.startswith(("http://", "https://")) else "b64_json"] = image
            elif isinstance(part.get("text"), str) and part["text"]:
                item["revised_prompt"] = part["text"]
        if "url" in item or "b64_json" in item:
            data.append(item)
    return {"created": created, "data": data}
