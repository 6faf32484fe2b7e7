"""AWS Bedrock (Claude): the Anthropic adaptor's conversions, Bedrock's URL, body and auth.

The channel key is `ACCESS_KEY|SECRET_KEY|REGION` (SigV4-signed requests) or
`API_KEY|REGION` (a Bedrock API key, sent as a Bearer token). Streams are AWS event-stream
frames, decoded by `aws_eventstream.EventStreamParser` into the usual Claude events.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from backend.relay.adaptors.anthropic import AnthropicAdaptor
from backend.relay.adaptors.aws_eventstream import EventStreamParser
from backend.relay.adaptors.aws_sigv4 import sign
from backend.relay.adaptors.base import AdaptorError, RelayFormat, StreamConverter, UpstreamRequest
from backend.relay.convert.count_tokens import bedrock_count_body

BEDROCK_VERSION = "bedrock-2023-05-31"
# Anthropic model name -> Bedrock model ID
MODEL_IDS = {
    "claude-instant-1.2": "anthropic.claude-instant-v1",
    "claude-2.0": "anthropic.claude-v2",
    "claude-2.1": "anthropic.claude-v2:1",
    "claude-3-haiku-20240307": "anthropic.claude-3-haiku-20240307-v1:0",
    "claude-3-sonnet-20240229": "anthropic.claude-3-sonnet-20240229-v1:0",
    "claude-3-opus-20240229": "anthropic.claude-3-opus-20240229-v1:0",
    "claude-3-5-sonnet-20240620": "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "claude-3-5-sonnet-20241022": "anthropic.claude-3-5-sonnet-20241022-v2:0",
    "claude-3-5-haiku-20241022": "anthropic.claude-3-5-haiku-20241022-v1:0",
    "claude-3-7-sonnet-20250219": "anthropic.claude-3-7-sonnet-20250219-v1:0",
    "claude-sonnet-4-20250514": "anthropic.claude-sonnet-4-20250514-v1:0",
    "claude-opus-4-20250514": "anthropic.claude-opus-4-20250514-v1:0",
    "claude-opus-4-1-20250805": "anthropic.claude-opus-4-1-20250805-v1:0",
    "claude-sonnet-4-5-20250929": "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "claude-haiku-4-5-20251001": "anthropic.claude-haiku-4-5-20251001-v1:0",
}
# models Bedrock serves on demand only through a cross-region inference profile
PROFILE_ONLY = {
    "anthropic.claude-3-7-sonnet-20250219-v1:0",
    "anthropic.claude-sonnet-4-20250514-v1:0",
    "anthropic.claude-opus-4-20250514-v1:0",
    "anthropic.claude-opus-4-1-20250805-v1:0",
    "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "anthropic.claude-haiku-4-5-20251001-v1:0",
}


def foundation_model_id(model: str, region: str) -> str:
    """The bare foundation-model ID CountTokens takes: an inference profile's geography prefix
    (`us.`, `eu.`, `apac.`...) dropped, since the count refuses profiles."""
    model_id = bedrock_model_id(model, region)
    head, dot, rest = model_id.partition(".")
    return rest if dot and rest.startswith("anthropic.") and not model_id.startswith("arn:") else model_id


def region_prefix(region: str) -> str:
    area = region.split("-", 1)[0]
    return "apac" if area == "ap" else area


def bedrock_model_id(model: str, region: str) -> str:
    """A Bedrock model ID (or inference profile) for an Anthropic model name; IDs, profiles and
    ARNs given through model_mapping pass unchanged."""
    if "anthropic." in model or model.startswith("arn:"):
        return model
    model_id = MODEL_IDS.get(model, model)
    if model_id in PROFILE_ONLY:
        return f"{region_prefix(region)}.{model_id}"
    return model_id


class AwsAdaptor(AnthropicAdaptor):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parts = [p.strip() for p in self.key.split("|")]
        if len(parts) == 3 and all(parts):
            self.access_key, self.secret_key, self.region = parts
            self.api_key = ""
        elif len(parts) == 2 and all(parts):
            self.api_key, self.region = parts
            self.access_key = self.secret_key = ""
        else:
            raise AdaptorError(
                f"AWS channel #{self.channel.id}: the key must be ACCESS_KEY|SECRET_KEY|REGION or API_KEY|REGION",
                500,
                "channel_config_invalid",
            )

    def convert_request(self, body: dict) -> dict:
        out = super().convert_request(body)
        out.pop("model", None)
        out.pop("stream", None)
        out["anthropic_version"] = BEDROCK_VERSION
        beta = self.meta.client_headers.get("anthropic-beta")
        if beta:
            out["anthropic_beta"] = [b.strip() for b in beta.split(",") if b.strip()]
        return out

    def request_url(self) -> str:
        action = "invoke-with-response-stream" if self.meta.stream else "invoke"
        return f"{self.base_url()}/model/{quote(bedrock_model_id(self.upstream_model, self.region), safe='')}/{action}"

    def base_url(self) -> str:
        return (
            (self.channel.base_url or f"https://bedrock-runtime.{self.region}.amazonaws.com")
            .strip()
            .rstrip("/")
        )

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def _headers(self, stream: bool) -> dict[str, str]:
        headers = super()._headers(stream)
        headers["Accept"] = "application/json"  # the stream's framing is fixed; this names its payload
        return headers

    def build_request(self, body: dict) -> UpstreamRequest:
        return self._signed(super().build_request(body))

    def count_tokens_request(self, body: dict) -> UpstreamRequest | None:
        """Bedrock's CountTokens on the foundation model, for the InvokeModel body the call would send."""
        if self.meta.fmt != RelayFormat.CLAUDE_MESSAGES:
            return None
        invoke = self.converted(body)
        model_id = quote(foundation_model_id(self.upstream_model, self.region), safe="")
        return self._signed(
            self.json_request(f"{self.base_url()}/model/{model_id}/count-tokens", bedrock_count_body(invoke))
        )

    def _signed(self, req: UpstreamRequest) -> UpstreamRequest:
        if not self.api_key:
            req.headers = sign(
                req.method,
                req.url,
                req.headers,
                req.body or b"",
                access_key=self.access_key,
                secret_key=self.secret_key,
                region=self.region,
                service="bedrock",
            )
        return req

    def stream_converter(self) -> StreamConverter:
        conv = super().stream_converter()
        conv.parser_factory = EventStreamParser
        return conv
