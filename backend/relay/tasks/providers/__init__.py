"""The video providers by channel type (new-api relay_adaptor.go GetTaskAdaptor): every channel
type whose video API is not OpenAI's. A type absent here (Sora 55, OpenAI, compatible proxies)
speaks OpenAI's `/v1/videos`."""

from __future__ import annotations

from backend.relay.tasks.providers.base import Provider
from backend.relay.tasks.providers.doubao import Doubao
from backend.relay.tasks.providers.gemini import Gemini
from backend.relay.tasks.providers.jimeng import Jimeng
from backend.relay.tasks.providers.kling import Kling
from backend.relay.tasks.providers.vertex import Vertex
from backend.relay.tasks.providers.vidu import Vidu

_doubao = Doubao()
PROVIDERS: dict[int, Provider] = {
    24: Gemini(),
    41: Vertex(),
    45: _doubao,  # VolcEngine: new-api sends its video to the Doubao adaptor
    50: Kling(),
    51: Jimeng(),
    52: Vidu(),
    54: _doubao,
}


def provider_for(channel_type: int) -> Provider | None:
    return PROVIDERS.get(channel_type)


def provider_of_platform(platform: str) -> Provider | None:
    """A stored task's provider: video tasks are named by their channel type."""
    return PROVIDERS.get(int(platform)) if platform.isdigit() else None
