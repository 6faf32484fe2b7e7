"""Channel type -> adaptor class. Types without an adaptor of their own speak OpenAI's format."""

from __future__ import annotations

from backend.models import channel_types as ct
from backend.relay.adaptors.ali import AliAdaptor
from backend.relay.adaptors.anthropic import AnthropicAdaptor
from backend.relay.adaptors.aws import AwsAdaptor
from backend.relay.adaptors.baidu import BaiduAdaptor
from backend.relay.adaptors.base import Adaptor, AdaptorError, AdaptorFactory, ChannelLike, RelayMeta
from backend.relay.adaptors.codex import CodexAdaptor
from backend.relay.adaptors.compat import CloudflareAdaptor, CohereAdaptor
from backend.relay.adaptors.coze import CozeAdaptor
from backend.relay.adaptors.dify import DifyAdaptor
from backend.relay.adaptors.gemini import GeminiAdaptor
from backend.relay.adaptors.ollama import OllamaAdaptor
from backend.relay.adaptors.openai import AzureAdaptor, CustomAdaptor, OpenAIAdaptor
from backend.relay.adaptors.responses_bridge import wrap
from backend.relay.adaptors.tencent import TencentAdaptor
from backend.relay.adaptors.vertex import VertexAdaptor
from backend.relay.adaptors.xunfei import XunfeiAdaptor
from backend.relay.adaptors.zhipu import ZhipuAdaptor

_BY_FAMILY: dict[str, AdaptorFactory] = {
    ct.OPENAI: OpenAIAdaptor,
    ct.AZURE: AzureAdaptor,
    ct.CUSTOM: CustomAdaptor,
    ct.OLLAMA: OllamaAdaptor,
    ct.ANTHROPIC: AnthropicAdaptor,
    ct.AWS: AwsAdaptor,
    ct.GEMINI: GeminiAdaptor,
    ct.CLOUDFLARE: CloudflareAdaptor,
    ct.COHERE: CohereAdaptor,
    ct.CODEX: CodexAdaptor,
    ct.VERTEX: VertexAdaptor,
    ct.ZHIPU: ZhipuAdaptor,
    ct.ALI: AliAdaptor,
    ct.BAIDU: BaiduAdaptor,
    ct.TENCENT: TencentAdaptor,
    ct.DIFY: DifyAdaptor,
    ct.COZE: CozeAdaptor,
    ct.XUNFEI: XunfeiAdaptor,
}


def get_adaptor_class(channel_type: int) -> AdaptorFactory:
    """The adaptor for a channel type. AdaptorError (500) for a family this gateway cannot
    speak: sending OpenAI bodies to, say, a Midjourney proxy would only produce upstream noise."""
    info = ct.channel_type(channel_type)
    cls = _BY_FAMILY.get(info.family)
    if cls is None:
        raise AdaptorError(
            f"channel type {info.name} ({channel_type}) is not supported by this gateway",
            500,
            "channel_type_not_supported",
        )
    return cls


def get_adaptor(channel: ChannelLike, key: str, meta: RelayMeta) -> Adaptor:
    """The channel's adaptor, inside the Responses/Chat pivot when the call needs it."""
    return wrap(get_adaptor_class(channel.type), channel, key, meta)
