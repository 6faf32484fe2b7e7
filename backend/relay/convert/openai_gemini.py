"""OpenAI Chat Completions / embeddings -> Gemini (generateContent, batchEmbedContents) requests,
with new-api's thinking-suffix rules (reference §9 "OpenAI -> Gemini")."""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field
from typing import Any

import orjson

SAFETY_CATEGORIES = (
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
    "HARM_CATEGORY_CIVIC_INTEGRITY",
)
BUILTIN_TOOLS = {"googleSearch", "codeExecution", "urlContext"}
EFFORT_PERCENT = {"high": 0.8, "medium": 0.5, "low": 0.2, "minimal": 0.05}
# the subset of JSON Schema Gemini's function and response schemas accept
SCHEMA_KEYS = {
    "type", "format", "description", "nullable", "enum", "maxItems", "minItems", "properties", "required",
    "items", "anyOf", "propertyOrdering", "minimum", "maximum", "minLength", "maxLength", "pattern", "title",
    "minProperties", "maxProperties",
}  # fmt: skip
_THINKING_N = re.compile(r"-thinking-(\d+)$")


@dataclass(frozen=True, slots=True)
class GeminiOptions:
    thinking_adapter: bool = False  # gemini.thinking_adapter_enabled: model suffixes drive thinking
    thinking_budget_ratio: float = 0.6  # "-thinking" without an effort: share of maxOutputTokens
    safety: dict[str, str] = field(default_factory=dict)  # category (or "default") -> threshold
    max_images: int = 16


def budget_range(model: str) -> tuple[int, int]:
    """The thinkingBudget a model accepts (new-api's clamps)."""
    if "flash-lite" in model:
        return 512, 24576
    if "pro" in model:
        return 128, 32768
    return 0, 24576


def thinking_config(
    model: str, req: dict, max_output: int | None, opts: GeminiOptions
) -> tuple[str, dict | None]:
    """(model for the URL, thinkingConfig or None) from -thinking-<N> / -thinking / -nothinking /
    -high / -medium / -low / -minimal (gemini.thinking_adapter_enabled, on by default)."""
    if not opts.thinking_adapter:
        return model, None
    match = _THINKING_N.search(model)
    if match:
        base = model[: match.start()]
        low, high = budget_range(base)
        return base, {"thinkingBudget": min(max(int(match.group(1)), low), high), "includeThoughts": True}
    if model.endswith("-thinking"):
        base = model.removesuffix("-thinking")
        low, high = budget_range(base)
        config: dict[str, Any] = {"includeThoughts": True}
        effort = req.get("reasoning_effort")
        if _uses_levels(base):  # Gemini 3 thinks in levels, not token budgets
            config["thinkingLevel"] = "LOW" if effort in ("low", "minimal") else "HIGH"
        elif effort in EFFORT_PERCENT:
            config["thinkingBudget"] = max(int(high * EFFORT_PERCENT[effort]), low)
        elif max_output:
            config["thinkingBudget"] = min(max(int(max_output * opts.thinking_budget_ratio), low), high)
        return base, config
    if model.endswith("-nothinking"):
        base = model.removesuffix("-nothinking")
        if _uses_levels(base):  # Gemini 3 cannot stop thinking: the least it does is LOW
            return base, {"thinkingLevel": "LOW"}
        if "2.5-pro" in base:  # 2.5 Pro cannot turn thinking off: keep its default
            return base, None
        return base, {"thinkingBudget": 0}
    for effort, share in EFFORT_PERCENT.items():  # -high / -medium / -low / -minimal
        if model.endswith("-" + effort) and len(model) > len(effort) + 1:
            base = model[: -len(effort) - 1]
            if _uses_levels(base):
                return base, {"includeThoughts": True, "thinkingLevel": "LOW" if share < 0.5 else "HIGH"}
            low, high = budget_range(base)
            return base, {"includeThoughts": True, "thinkingBudget": max(int(high * share), low)}
    return model, None


def _uses_levels(model: str) -> bool:
    return model.startswith("gemini-3")


def client_thinking_config(req: dict) -> dict | None:
    """`extra_body.google.thinking_config` (the OpenAI SDK's way to reach Gemini), camelCased;
    it beats every suffix rule."""
    extra = req.get("extra_body")
    google = (extra.get("google") if isinstance(extra, dict) else None) or req.get("google")
    config = google.get("thinking_config") if isinstance(google, dict) else None
    if not isinstance(config, dict):
        return None
    names = {
        "thinking_budget": "thinkingBudget",
        "include_thoughts": "includeThoughts",
        "thinking_level": "thinkingLevel",
    }
    return {names.get(k, k): v for k, v in config.items()}


def clean_schema(schema: Any) -> Any:
    """Drop what Gemini rejects ($schema, additionalProperties, defaults...); turn a
    ["x", "null"] type into type x + nullable."""
    if isinstance(schema, list):
        return [clean_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key not in SCHEMA_KEYS:
            continue
        if key == "type" and isinstance(value, list):
            kinds = [v for v in value if v != "null"]
            out["type"] = kinds[0] if kinds else "string"
            if "null" in value:
                out["nullable"] = True
        elif key == "properties" and isinstance(value, dict):
            out[key] = {name: clean_schema(sub) for name, sub in value.items()}
        elif key in ("items", "anyOf"):
            out[key] = clean_schema(value)
        else:
            out[key] = value
    return out


def _image_part(url: str) -> dict:
    if url.startswith("data:") and ";base64," in url:
        head, data = url.split(",", 1)
        return {"inlineData": {"mimeType": head[5:].split(";", 1)[0] or "image/png", "data": data}}
    mime = mimetypes.guess_type(url.split("?", 1)[0])[0] or "image/jpeg"
    return {"fileData": {"mimeType": mime, "fileUri": url}}


def _parts(content: Any, images: list[int], max_images: int) -> list[dict]:
    if isinstance(content, str):
        return [{"text": content}] if content else []
    parts: list[dict] = []
    for item in content if isinstance(content, list) else []:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "text" and item.get("text"):
            parts.append({"text": item["text"]})
        elif item.get("type") == "image_url":
            image = item.get("image_url")
            url = image.get("url") if isinstance(image, dict) else image
            if isinstance(url, str) and url and images[0] < max_images:
                images[0] += 1
                parts.append(_image_part(url))
        elif item.get("type") == "input_audio":
            audio = item.get("input_audio") or {}
            if audio.get("data"):
                parts.append(
                    {
                        "inlineData": {
                            "mimeType": f"audio/{audio.get('format') or 'wav'}",
                            "data": audio["data"],
                        }
                    }
                )
        elif item.get("type") == "file":
            data = (item.get("file") or {}).get("file_data", "")
            if isinstance(data, str) and data.startswith("data:"):
                parts.append(_image_part(data))
    return parts


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _function_response(msg: dict, names: dict[str, str]) -> dict:
    name = names.get(msg.get("tool_call_id") or "", "") or msg.get("name") or ""
    content: Any = _text(msg.get("content"))
    try:
        parsed = orjson.loads(content) if content else None
    except orjson.JSONDecodeError:
        parsed = None
    if isinstance(parsed, dict):
        content = parsed
    return {"functionResponse": {"name": name, "response": {"name": name, "content": content}}}


def _contents(messages: list[Any], max_images: int) -> tuple[list[dict], list[str]]:
    system: list[str] = []
    contents: list[dict] = []
    names: dict[str, str] = {}  # tool_call_id -> function name, for functionResponse
    images = [0]

    def add(role: str, parts: list[dict]) -> None:
        if not parts:
            return
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})

    for msg in messages:
        if not isinstance(msg, dict):
            continue
        role = msg.get("role")
        if role in ("system", "developer"):
            text = _text(msg.get("content"))
            if text:
                system.append(text)
        elif role == "tool":
            add("user", [_function_response(msg, names)])
        elif role == "assistant":
            parts = _parts(msg.get("content"), images, max_images)
            for call in msg.get("tool_calls") or []:
                fn = call.get("function") or {}
                names[call.get("id") or ""] = fn.get("name") or ""
                try:
                    args = orjson.loads(fn.get("arguments") or "{}")
                except orjson.JSONDecodeError:
                    args = {}
                parts.append(
                    {
                        "functionCall": {
                            "name": fn.get("name") or "",
                            "args": args if isinstance(args, dict) else {},
                        }
                    }
                )
            add("model", parts)
        else:
            add("user", _parts(msg.get("content"), images, max_images))
    return contents, system


def _tools(req: dict) -> tuple[list[dict], dict | None]:
    declarations: list[dict] = []
    tools: list[dict] = []
    for tool in req.get("tools") or []:
        fn = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(fn, dict) or not fn.get("name"):
            continue
        if fn["name"] in BUILTIN_TOOLS:
            tools.append({fn["name"]: {}})
            continue
        decl: dict[str, Any] = {"name": fn["name"]}
        if fn.get("description"):
            decl["description"] = fn["description"]
        params = clean_schema(fn.get("parameters") or {})
        if params.get("properties"):  # Gemini rejects an OBJECT schema without properties
            decl["parameters"] = params
        declarations.append(decl)
    if declarations:
        tools.insert(0, {"functionDeclarations": declarations})
    choice = req.get("tool_choice")
    config = None
    if declarations and choice is not None:
        mode = (
            {"auto": "AUTO", "none": "NONE", "required": "ANY"}.get(choice)
            if isinstance(choice, str)
            else None
        )
        calling: dict[str, Any] = {"mode": mode or "ANY"}
        if isinstance(choice, dict) and (choice.get("function") or {}).get("name"):
            calling["allowedFunctionNames"] = [choice["function"]["name"]]
        config = {"functionCallingConfig": calling}
    return tools, config


def openai_to_gemini_request(req: dict, model: str, opts: GeminiOptions | None = None) -> tuple[dict, str]:
    """(generateContent body, model name for the URL)."""
    opts = opts or GeminiOptions()
    contents, system = _contents(req.get("messages") or [], opts.max_images)
    out: dict[str, Any] = {"contents": contents}
    if system:
        out["systemInstruction"] = {"parts": [{"text": "\n".join(system)}]}
    default = opts.safety.get("default", "OFF")
    out["safetySettings"] = [
        {
            "category": c,
            "threshold": opts.safety.get(c, "BLOCK_NONE" if c.endswith("CIVIC_INTEGRITY") else default),
        }
        for c in SAFETY_CATEGORIES
    ]
    config: dict[str, Any] = {}
    for src, dst in (("temperature", "temperature"), ("top_p", "topP"), ("top_k", "topK"), ("seed", "seed")):
        if isinstance(req.get(src), int | float) and not isinstance(req.get(src), bool):
            config[dst] = req[src]
    max_output = req.get("max_completion_tokens") or req.get("max_tokens")
    if isinstance(max_output, int) and max_output > 0:
        config["maxOutputTokens"] = max_output
    stop = req.get("stop")
    if isinstance(stop, str) and stop:
        config["stopSequences"] = [stop]
    elif isinstance(stop, list) and stop:
        config["stopSequences"] = [s for s in stop if isinstance(s, str)][:5]
    fmt = req.get("response_format") or {}
    if fmt.get("type") in ("json_object", "json_schema"):
        config["responseMimeType"] = "application/json"
        schema = (fmt.get("json_schema") or {}).get("schema")
        if isinstance(schema, dict):
            config["responseSchema"] = clean_schema(schema)
    if "image" in model:
        config["responseModalities"] = ["TEXT", "IMAGE"]
    model, thinking = thinking_config(model, req, config.get("maxOutputTokens"), opts)
    thinking = client_thinking_config(req) or thinking
    if thinking is not None:
        config["thinkingConfig"] = thinking
    if config:
        out["generationConfig"] = config
    tools, tool_config = _tools(req)
    if tools:
        out["tools"] = tools
    if tool_config:
        out["toolConfig"] = tool_config
    return out, model


def openai_to_gemini_embeddings(req: dict, model: str) -> dict:
    raw = req.get("input")
    inputs = raw if isinstance(raw, list) else [raw]
    requests = []
    for text in inputs:
        item: dict[str, Any] = {"model": f"models/{model}", "content": {"parts": [{"text": str(text)}]}}
        if isinstance(req.get("dimensions"), int):
            item["outputDimensionality"] = req["dimensions"]
        requests.append(item)
    return {"requests": requests}


# -- replies: an OpenAI-format channel answering a native Gemini client ---------------------------

FINISH_REASONS = {"stop": "STOP", "length": "MAX_TOKENS", "content_filter": "SAFETY", "tool_calls": "STOP"}


def gemini_usage_dict(prompt: int, completion: int, cached: int = 0) -> dict[str, int]:
    out = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": completion,
        "totalTokenCount": prompt + completion,
    }
    if cached:
        out["cachedContentTokenCount"] = cached
    return out


def _args(arguments: Any) -> dict:
    if isinstance(arguments, dict):
        return arguments
    try:
        value = orjson.loads(arguments) if isinstance(arguments, str) and arguments.strip() else {}
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def openai_to_gemini_response(resp: dict, prompt: int, completion: int, cached: int, model: str) -> dict:
    """A GenerateContentResponse for an OpenAI chat completion (token counts as billed)."""
    candidates = []
    for i, choice in enumerate(resp.get("choices") or []):
        msg = (choice or {}).get("message") or {}
        parts: list[dict] = []
        reasoning = msg.get("reasoning_content") or msg.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            parts.append({"text": reasoning, "thought": True})
        text = _text(msg.get("content"))
        if text:
            parts.append({"text": text})
        for call in msg.get("tool_calls") or []:
            fn = (call or {}).get("function") or {}
            parts.append({"functionCall": {"name": fn.get("name") or "", "args": _args(fn.get("arguments"))}})
        candidates.append(
            {
                "content": {"role": "model", "parts": parts or [{"text": ""}]},
                "finishReason": FINISH_REASONS.get(choice.get("finish_reason") or "stop", "OTHER"),
                "index": choice.get("index", i),
            }
        )
    return {
        "candidates": candidates,
        "usageMetadata": gemini_usage_dict(prompt, completion, cached),
        "modelVersion": model,
        "responseId": resp.get("id") or "",
    }


class OpenAIToGeminiStream:
    """OpenAI chunks in, Gemini stream chunks out. Text and thoughts go out as they come; a
    function call goes out whole once its arguments are complete (Gemini never splits one)."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.calls: dict[int, dict] = {}  # OpenAI tool index -> {"name", "arguments"}
        self.finish_reason: str | None = None
        self.id = ""

    def _chunk(self, parts: list[dict], finish: str | None = None, usage: dict | None = None) -> dict:
        cand: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
        if finish:
            cand["finishReason"] = finish
        out: dict[str, Any] = {"candidates": [cand], "modelVersion": self.model, "responseId": self.id}
        if usage:
            out["usageMetadata"] = usage
        return out

    def feed(self, chunk: dict) -> list[dict]:
        self.id = chunk.get("id") or self.id
        parts: list[dict] = []
        for choice in (chunk.get("choices") or [])[:1]:
            delta = (choice or {}).get("delta") or {}
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
            if isinstance(reasoning, str) and reasoning:
                parts.append({"text": reasoning, "thought": True})
            if isinstance(delta.get("content"), str) and delta["content"]:
                parts.append({"text": delta["content"]})
            for call in delta.get("tool_calls") or []:
                slot = self.calls.setdefault(
                    call.get("index", len(self.calls)), {"name": "", "arguments": ""}
                )
                fn = call.get("function") or {}
                slot["name"] += fn.get("name") or ""
                slot["arguments"] += fn.get("arguments") or ""
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        return [self._chunk(parts)] if parts else []

    def finish(self, prompt: int, completion: int, cached: int = 0) -> list[dict]:
        parts: list[dict[str, Any]] = [
            {"functionCall": {"name": c["name"], "args": _args(c["arguments"])}}
            for _, c in sorted(self.calls.items())
        ]
        finish = FINISH_REASONS.get(self.finish_reason or "stop", "OTHER")
        return [self._chunk(parts or [{"text": ""}], finish, gemini_usage_dict(prompt, completion, cached))]


# -- images: OpenAI /v1/images/generations -> Imagen :predict ------------------------------------

ASPECT_RATIOS = {
    "256x256": "1:1", "512x512": "1:1", "1024x1024": "1:1",
    "1792x1024": "16:9", "1024x1792": "9:16",
    "1536x1024": "4:3", "1024x1536": "3:4",
}  # fmt: skip


def openai_to_imagen_request(req: dict) -> dict:
    parameters: dict[str, Any] = {
        "sampleCount": req.get("n") if isinstance(req.get("n"), int) and req["n"] > 0 else 1
    }
    ratio = ASPECT_RATIOS.get(str(req.get("size") or ""))
    if ratio:
        parameters["aspectRatio"] = ratio
    return {"instances": [{"prompt": str(req.get("prompt") or "")}], "parameters": parameters}


def imagen_to_openai_response(resp: dict, created: int) -> dict:
    """Imagen returns image bytes only: every item is b64_json, whatever response_format asked."""
    data = [
        {"b64_json": p.get("bytesBase64Encoded", "")}
        for p in resp.get("predictions") or []
        if isinstance(p, dict) and p.get("bytesBase64Encoded")
    ]
    return {"created": created, "data": data}
