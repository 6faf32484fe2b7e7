"""Codex channel credentials (type 57) through OpenAI's sign-in, as new-api issues them:
`POST /api/channel/codex/oauth/{start,complete}` (a key for a channel being created),
`POST /api/channel/:id/codex/oauth/{start,complete}` (a channel's key replaced),
`POST /api/channel/:id/codex/refresh` (a new access token from the stored refresh token).

The flow is the Codex CLI's: authorization code with PKCE (S256), the CLI's client id and its
loopback redirect, which the admin copies back from the browser's address bar. The state and the
verifier wait ten minutes in `nonces` under the admin and the channel, so only the admin who
started a flow can finish it. The key is new-api's JSON (`access_token`, `refresh_token`,
`account_id` from the token's claims, `email`, `expired`, `last_refresh`, `type`).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import orjson
from sqlalchemy import update
from sqlmodel import col

from backend.cache import channels as channel_cache
from backend.cache.channels import parse_json_object
from backend.config import get_settings
from backend.db import session_scope
from backend.models import Channel
from backend.models.channel_types import CODEX_ID
from backend.services import nonces
from backend.services.errors import NotFound, ServiceError, msg

CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
REDIRECT_URI = "http://localhost:1455/auth/callback"
SCOPE = "openid profile email offline_access"
CLAIMS = "https://api.openai.com/auth"
FLOW_TTL = 600
NONCE_KIND = "codex_oauth"
TIMEOUT = 20.0


def _flow_key(user_id: int, channel_id: int) -> str:
    return f"{user_id}:{channel_id}"


def codex_channel(channel_id: int) -> Channel:
    """The channel, which must be a Codex one (new-api's messages)."""
    with session_scope() as s:
        row = s.get(Channel, channel_id)
        if row is None:
            raise NotFound(msg("channel not found"))
        if row.type != CODEX_ID:
            raise ServiceError(msg("channel type is not Codex"))
        s.expunge(row)
        return row


def start(user_id: int, channel_id: int) -> str:
    """A fresh authorize URL; any earlier flow of this admin for this channel is replaced."""
    if channel_id:
        codex_channel(channel_id)
    state = secrets.token_hex(16)
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    nonces.put(NONCE_KIND, _flow_key(user_id, channel_id), {"state": state, "verifier": verifier}, FLOW_TTL)
    query = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "scope": SCOPE,
             "code_challenge": challenge, "code_challenge_method": "S256", "state": state,
             "id_token_add_organizations": "true", "codex_cli_simplified_flow": "true",
             "originator": "codex_cli_rs"}
    return f"{get_settings().CODEX_OAUTH_AUTHORIZE_URL}?{urlencode(query)}"


def parse_input(text: str) -> tuple[str, str]:
    """(code, state) from what the admin pasted: the callback URL, its query, `code#state`, or a
    bare code (state then empty)."""
    value = text.strip()
    if not value:
        raise ServiceError(msg("empty input"))
    if "#" in value:
        code, state = value.split("#", 1)
        return code.strip(), state.strip()
    if "code=" in value:
        query = parse_qs(urlsplit(value).query if "?" in value else value)
        return (query.get("code") or [""])[0].strip(), (query.get("state") or [""])[0].strip()
    return value, ""


def _claims(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        raw = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = orjson.loads(raw)
    except (ValueError, orjson.JSONDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def account_of(token: str) -> tuple[str, str]:
    """(chatgpt account id, email) from the access token's claims (read, not verified: the token
    came straight from the token endpoint over TLS)."""
    claims = _claims(token)
    auth = claims.get(CLAIMS)
    account = auth.get("chatgpt_account_id") if isinstance(auth, dict) else None
    email = claims.get("email")
    return (account.strip() if isinstance(account, str) else "", email.strip() if isinstance(email, str) else "")


def _rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _token_call(form: dict[str, str], proxy: str | None, what: str) -> dict[str, Any]:
    """POST the token endpoint; the reply must carry both tokens and a positive lifetime."""
    try:
        with httpx.Client(timeout=TIMEOUT, trust_env=False, proxy=proxy, follow_redirects=False) as client:
            resp = client.post(get_settings().CODEX_OAUTH_TOKEN_URL, data=form,
                               headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise ServiceError(msg("codex oauth {what} failed: {error}", what=what, error=type(exc).__name__), 502) from exc
    if not 200 <= resp.status_code < 300:
        raise ServiceError(msg("codex oauth {what} failed: status={status_code}", what=what, status_code=resp.status_code), 502)
    try:
        body = orjson.loads(resp.content)
    except orjson.JSONDecodeError:
        raise ServiceError(msg("codex oauth {what} answered with a body that is not JSON", what=what), 502) from None
    access = body.get("access_token") if isinstance(body, dict) else None
    refresh = body.get("refresh_token") if isinstance(body, dict) else None
    expires_in = body.get("expires_in") if isinstance(body, dict) else None
    if not (isinstance(access, str) and access.strip() and isinstance(refresh, str) and refresh.strip()
            and isinstance(expires_in, int) and expires_in > 0):
        raise ServiceError(msg("codex oauth {what} response missing fields", what=what), 502)
    return {"access_token": access.strip(), "refresh_token": refresh.strip(), "expires_in": expires_in}


def _key_from(tokens: dict[str, Any], previous: dict[str, Any] | None = None) -> tuple[dict[str, Any], str]:
    account, email = account_of(tokens["access_token"])
    if not account:
        raise ServiceError(msg("failed to extract account_id from access_token"), 502)
    now = time.time()
    key = {**(previous or {}), "access_token": tokens["access_token"], "refresh_token": tokens["refresh_token"],
           "account_id": account, "last_refresh": _rfc3339(now), "expired": _rfc3339(now + tokens["expires_in"]),
           "email": email or (previous or {}).get("email", ""), "type": "codex"}
    return key, orjson.dumps(key).decode()


def _store_key(channel_id: int, encoded: str) -> None:
    with session_scope() as s:
        s.execute(update(Channel).where(col(Channel.id) == channel_id).values(key=encoded))
    channel_cache.reload()


def _summary(key: dict[str, Any]) -> dict[str, Any]:
    return {"account_id": key["account_id"], "email": key["email"], "expires_at": key["expired"],
            "last_refresh": key["last_refresh"]}


def _proxy_of(row: Channel | None) -> str | None:
    proxy = parse_json_object(row.setting).get("proxy") if row is not None else None
    return proxy if isinstance(proxy, str) and proxy else None


def complete(user_id: int, channel_id: int, pasted: str) -> tuple[str, dict[str, Any]]:
    """Exchange the pasted code. For a channel its key is replaced ("saved"); without one the new
    key is handed back for the channel being created ("generated")."""
    code, state = parse_input(pasted)
    if not code:
        raise ServiceError(msg("missing authorization code"))
    if not state:
        raise ServiceError(msg("missing state in input"))
    row = codex_channel(channel_id) if channel_id else None
    flow_key = _flow_key(user_id, channel_id)
    flow = nonces.get(NONCE_KIND, flow_key)
    if not flow:
        raise ServiceError(msg("oauth flow not started or session expired"))
    if not secrets.compare_digest(str(flow.get("state", "")), state):
        raise ServiceError(msg("state mismatch"))
    if nonces.take(NONCE_KIND, flow_key) is None:
        raise ServiceError(msg("oauth flow not started or session expired"))
    tokens = _token_call({"grant_type": "authorization_code", "client_id": CLIENT_ID, "code": code,
                          "code_verifier": str(flow.get("verifier", "")), "redirect_uri": REDIRECT_URI},
                         _proxy_of(row), "code exchange")
    key, encoded = _key_from(tokens)
    if channel_id:
        _store_key(channel_id, encoded)
        return "saved", {"channel_id": channel_id, **_summary(key)}
    return "generated", {"key": encoded, **_summary(key)}


def stored_key(row: Channel) -> dict[str, Any]:
    """The channel's key JSON (new-api's message when it is not one)."""
    key = row.key.strip()
    try:
        parsed = orjson.loads(key) if key.startswith("{") else None
    except orjson.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        raise ServiceError(msg("解析凭证失败，请检查渠道配置"))
    return parsed


def refresh(channel_id: int) -> dict[str, Any]:
    """A new access token from the stored refresh token, saved as the channel's key."""
    row = codex_channel(channel_id)
    previous = stored_key(row)
    refresh_token = previous.get("refresh_token")
    if not isinstance(refresh_token, str) or not refresh_token.strip():
        raise ServiceError(msg("codex channel: refresh_token is required"))
    tokens = _token_call({"grant_type": "refresh_token", "refresh_token": refresh_token.strip(),
                          "client_id": CLIENT_ID}, _proxy_of(row), "refresh")
    key, encoded = _key_from(tokens, previous)
    _store_key(channel_id, encoded)
    return {"channel_id": channel_id, **_summary(key)}
