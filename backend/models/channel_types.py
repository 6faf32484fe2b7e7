"""new-api's channel type ids: display name, default base URL and adaptor family.

The ids are stored in `channels.type` and must match new-api's. `family` picks the adaptor class
(see `backend/relay/adaptors/registry.py`); `path_prefix` replaces "/v1" in OpenAI paths for
OpenAI-compatible providers that mount their API elsewhere (Perplexity at the root, Zhipu under
/api/paas/v4...). Types absent from the table fall back to the OpenAI family, like new-api.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.models.errors import Message, msg

# adaptor families
OPENAI = "openai"  # OpenAI wire format at base_url + path
AZURE = "azure"
CUSTOM = "custom"  # base_url is the whole URL, {model} substituted
OLLAMA = "ollama"
ANTHROPIC = "anthropic"
GEMINI = "gemini"
AWS = "aws"
VERTEX = "vertex"
CLOUDFLARE = "cloudflare"
COHERE = "cohere"
ALI = "ali"  # DashScope: compatible mode + native rerank
BAIDU = "baidu"  # ERNIE wenxinworkshop, OAuth access token
TENCENT = "tencent"  # Hunyuan API 3.0, TC3-HMAC-SHA256
DIFY = "dify"  # Dify ChatFlow app API
COZE = "coze"  # Coze v3 chat API
ZHIPU = "zhipu"  # Zhipu's v3 model API, JWT auth
XUNFEI = "xunfei"  # Spark's WebSocket chat API, HMAC-signed URL
CODEX = "codex"  # ChatGPT's Codex backend: Responses API only, OAuth key JSON
MIDJOURNEY = "midjourney"
TASK = "task"  # async task APIs (Suno, video)
NATIVE = "native"  # a provider with its own non-OpenAI protocol


@dataclass(frozen=True, slots=True)
class ChannelType:
    id: int
    name: str
    base_url: str
    family: str = OPENAI
    path_prefix: str = "/v1"
    # new-api forces stream_options.include_usage upstream only where the provider accepts it
    stream_options: bool = False


_T = ChannelType
CHANNEL_TYPES: dict[int, ChannelType] = {
    t.id: t
    for t in (
        _T(0, "Unknown", ""),
        _T(1, "OpenAI", "https://api.openai.com", stream_options=True),
        _T(2, "Midjourney", "", MIDJOURNEY),
        _T(3, "Azure", "", AZURE, stream_options=True),
        _T(4, "Ollama", "http://localhost:11434", OLLAMA, stream_options=True),
        _T(5, "MidjourneyPlus", "", MIDJOURNEY),
        _T(6, "OpenAIMax", "https://api.openaimax.com"),
        _T(7, "OhMyGPT", "https://api.ohmygpt.com"),
        _T(8, "Custom", "", CUSTOM),
        _T(9, "AILS", "https://api.caipacity.com"),
        _T(10, "AIProxy", "https://api.aiproxy.io"),
        _T(11, "PaLM", "", NATIVE),
        _T(12, "API2GPT", "https://api.api2gpt.com"),
        _T(13, "AIGC2D", "https://api.aigc2d.com"),
        _T(14, "Anthropic", "https://api.anthropic.com", ANTHROPIC, stream_options=True),
        _T(15, "Baidu", "https://aip.baidubce.com", BAIDU),
        _T(16, "Zhipu", "https://open.bigmodel.cn", ZHIPU),
        _T(17, "Ali", "https://dashscope.aliyuncs.com", ALI, "/compatible-mode/v1", stream_options=True),
        _T(18, "Xunfei", "wss://spark-api.xf-yun.com", XUNFEI),
        _T(19, "360", "https://ai.360.cn"),
        _T(20, "OpenRouter", "https://openrouter.ai/api", stream_options=True),
        _T(21, "AIProxyLibrary", "https://api.aiproxy.io", NATIVE),
        _T(22, "FastGPT", "https://fastgpt.run/api/openapi"),
        _T(23, "Tencent", "https://hunyuan.tencentcloudapi.com", TENCENT),
        _T(24, "Gemini", "https://generativelanguage.googleapis.com", GEMINI, stream_options=True),
        _T(25, "Moonshot", "https://api.moonshot.cn"),
        _T(26, "ZhipuV4", "https://open.bigmodel.cn", OPENAI, "/api/paas/v4", stream_options=True),
        _T(27, "Perplexity", "https://api.perplexity.ai", OPENAI, ""),
        _T(31, "LingYiWanWu", "https://api.lingyiwanwu.com"),
        _T(33, "AWS", "", AWS, stream_options=True),
        _T(34, "Cohere", "https://api.cohere.ai", COHERE, "/compatibility/v1"),
        _T(35, "MiniMax", "https://api.minimax.chat"),
        _T(36, "SunoAPI", "", TASK),
        _T(37, "Dify", "https://api.dify.ai", DIFY),
        _T(38, "Jina", "https://api.jina.ai"),
        _T(39, "Cloudflare", "https://api.cloudflare.com", CLOUDFLARE, stream_options=True),
        _T(40, "SiliconFlow", "https://api.siliconflow.cn", stream_options=True),
        _T(41, "VertexAI", "", VERTEX, stream_options=True),
        _T(42, "Mistral", "https://api.mistral.ai"),
        _T(43, "DeepSeek", "https://api.deepseek.com", stream_options=True),
        _T(44, "MokaAI", "https://api.moka.ai", NATIVE),
        _T(45, "VolcEngine", "https://ark.cn-beijing.volces.com", OPENAI, "/api/v3", stream_options=True),
        _T(46, "BaiduV2", "https://qianfan.baidubce.com", OPENAI, "/v2", stream_options=True),
        _T(47, "Xinference", ""),
        _T(48, "xAI", "https://api.x.ai", stream_options=True),
        _T(49, "Coze", "https://api.coze.cn", COZE),
        _T(50, "Kling", "https://api.klingai.com", TASK),
        _T(51, "Jimeng", "https://visual.volcengineapi.com", TASK),
        _T(52, "Vidu", "https://api.vidu.cn", TASK),
        _T(53, "Submodel", "https://llm.submodel.ai", stream_options=True),
        _T(54, "DoubaoVideo", "https://ark.cn-beijing.volces.com", TASK),
        _T(55, "Sora", "https://api.openai.com", TASK),
        _T(56, "Replicate", "https://api.replicate.com", TASK),
        _T(57, "Codex", "https://chatgpt.com", CODEX),
    )
}

OPENAI_ID = 1
AZURE_ID = 3
OLLAMA_ID = 4
CUSTOM_ID = 8
ANTHROPIC_ID = 14
OPENROUTER_ID = 20
GEMINI_ID = 24
CODEX_ID = 57


def channel_type(type_id: int) -> ChannelType:
    """The entry for a type id; unknown ids behave as OpenAI-compatible with no default URL."""
    known = CHANNEL_TYPES.get(type_id)
    if known is not None:
        return known
    return ChannelType(type_id, f"Type{type_id}", "")


# task kinds the task relays serve (backend/relay/tasks/): Midjourney-Proxy (Plus), Suno, and the
# video providers Kling, Jimeng, Vidu, Doubao and Sora (Veo rides on the Gemini and Vertex types)
TASK_RELAYED_TYPES = frozenset({2, 5, 36, 50, 51, 52, 54, 55})
REPLICATE_ID = 56
# new-api relays Replicate through a synchronous image adaptor (relay/channel/replicate: create a
# prediction, wait for it inside the call), not through its task relay; that adaptor is not ported
_REPLICATE_REASON = msg("new-api relays Replicate as synchronous image generation, not as an asynchronous task, "
                        "and this gateway does not implement that adaptor")
# families the relay has no adaptor for yet, and why a channel of that kind is refused on write
_UNSUPPORTED_FAMILIES = {
    TASK: msg("this asynchronous task API (music, video) is not relayed by this gateway"),
    NATIVE: msg("this provider's own protocol is not implemented by this gateway"),
}
# families whose provider has no model-listing API: their models are entered by hand
NO_MODEL_LIST = frozenset({ZHIPU, BAIDU, TENCENT, DIFY, COZE, XUNFEI})
# families that can run without a base URL (a default host, or one built from the key or region)
_NO_BASE_URL_NEEDED = frozenset({AWS, VERTEX, CODEX, ANTHROPIC, GEMINI, CLOUDFLARE, COHERE})


def unsupported_reason(type_id: int, base_url: str | None = None) -> Message | None:
    """Why a channel of this type (with this base URL) could never relay a call, or None when it
    can. Checked when a channel is created or changed, so no channel accepts traffic and then fails
    every call with `channel_type_not_supported`."""
    known = CHANNEL_TYPES.get(type_id)
    if known is None or type_id == 0:
        return msg("channel type {type_id} is not a known channel type", type_id=type_id)
    reason = None if type_id in TASK_RELAYED_TYPES else _UNSUPPORTED_FAMILIES.get(known.family)
    if type_id == REPLICATE_ID:
        reason = _REPLICATE_REASON
    if reason is not None:
        return msg("channel type {name} ({type_id}) cannot be used: {reason}", name=known.name, type_id=type_id,
                   reason=reason)
    if not known.base_url and known.family not in _NO_BASE_URL_NEEDED and not (base_url or "").strip():
        return msg("channel type {name} ({type_id}) needs a base URL: it has no default", name=known.name,
                   type_id=type_id)
    return None


def channel_type_name(type_id: int) -> str:
    return channel_type(type_id).name


def default_base_url(type_id: int) -> str:
    return channel_type(type_id).base_url
