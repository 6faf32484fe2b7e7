"""The `ticket_exchange` acquire mode of jwt_direct providers (new-api's): the identity provider sends
the browser back with a one-time ticket (CAS style), and the gateway trades it for the JWT at the
provider's exchange endpoint before verifying that JWT as in `direct_token` mode.

The request is built from the provider's settings: GET with the parameters in the query, or POST
with them as query, form, JSON or multipart; `ticket_exchange_ticket_field` carries the ticket and
`ticket_exchange_service_field` the callback URL; extra parameters and headers may use the
placeholders `{ticket}`, `{callback_url}`, `{provider_slug}` and `{state}`. The JWT is read at
`ticket_exchange_token_field` (a dotted path) or the usual places (`token`, `access_token`,
`data.token`...), or as the whole body. Replies are read up to 1 MiB.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from backend.config import get_settings
from backend.models import CustomOAuthProvider
from backend.services import oauth_fields
from backend.services.errors import ServiceError, msg

METHODS = ("GET", "POST")
PAYLOAD_MODES = ("query", "form", "json", "multipart")
MAX_REPLY = 1 << 20
TOKEN_PATHS = ("token", "access_token", "data.token", "data.access_token", "result.token", "result.access_token",
               "data")


def string_map(raw: str | None) -> dict[str, str]:
    """A JSON object of strings (extra params, headers, mappings); anything else is empty."""
    try:
        parsed = json.loads(raw or "{}")
    except ValueError:
        return {}
    if not isinstance(parsed, dict):
        return {}
    return {str(k).strip(): str(v).strip() for k, v in parsed.items()
            if str(k).strip() and v is not None and str(v).strip()}


def validate(p: CustomOAuthProvider) -> None:
    """Refuse settings the exchange could not use (checked when the provider is saved)."""
    url = urlsplit(p.ticket_exchange_url.strip())
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ServiceError(msg("the ticket exchange URL must be an http(s) URL"))
    if (p.ticket_exchange_method or "GET").strip().upper() not in METHODS:
        raise ServiceError(msg("the ticket exchange method must be GET or POST"))
    if (p.ticket_exchange_payload_mode or "query").strip().lower() not in PAYLOAD_MODES:
        raise ServiceError(msg("the ticket exchange payload mode must be query, form, json or multipart"))
    for field in ("ticket_exchange_extra_params", "ticket_exchange_headers"):
        raw = (getattr(p, field) or "").strip()
        if raw and not isinstance(_loads(raw), dict):
            raise ServiceError(msg("{field} must be a JSON object", field=field))


def _loads(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _looks_like_jwt(value: str) -> bool:
    parts = value.split(".")
    return len(parts) == 3 and all(parts)


def _bare(value: str) -> str:
    value = value.strip()
    return value[7:].strip() if value.lower().startswith("bearer ") else value


def token_from_reply(body: bytes, token_field: str) -> str:
    parsed = _loads(body.decode("utf-8", "replace"))
    paths = ([token_field.strip()] if token_field.strip() else []) + list(TOKEN_PATHS)
    for path in paths:
        value = oauth_fields.extract(parsed, path) if isinstance(parsed, dict | list) else None
        if isinstance(value, str) and _looks_like_jwt(_bare(value)):
            return _bare(value)
    if isinstance(parsed, str) and _looks_like_jwt(_bare(parsed)):
        return _bare(parsed)
    text = _bare(body.decode("utf-8", "replace"))
    return text if _looks_like_jwt(text) else ""


def exchange(p: CustomOAuthProvider, ticket: str, callback_url: str, state: str) -> str:
    """The JWT the provider issues for this ticket; a 4xx/502 ServiceError otherwise (never the
    provider's reply text, which may hold secrets)."""
    ticket = ticket.strip()
    if not ticket or len(ticket) > 4096:
        raise ServiceError(msg("no login ticket was given"))
    fill = {"ticket": ticket, "callback_url": callback_url, "provider_slug": p.slug, "state": state}

    def placeholders(value: str) -> str:
        for key, sub in fill.items():
            value = value.replace("{" + key + "}", sub)
        return value

    params = {k: placeholders(v) for k, v in string_map(p.ticket_exchange_extra_params).items()}
    params[(p.ticket_exchange_ticket_field or "ticket").strip() or "ticket"] = ticket
    if p.ticket_exchange_service_field.strip() and callback_url:
        params[p.ticket_exchange_service_field.strip()] = callback_url
    headers = {"Accept": "application/json, text/plain, */*",
               **{k: placeholders(v) for k, v in string_map(p.ticket_exchange_headers).items()}}
    method = (p.ticket_exchange_method or "GET").strip().upper()
    mode = (p.ticket_exchange_payload_mode or "query").strip().lower()
    url = p.ticket_exchange_url.strip()
    kwargs: dict[str, Any] = {}
    if method == "GET" or mode == "query":
        url += ("&" if "?" in url else "?") + urlencode(params)
    elif mode == "form":
        kwargs["data"] = params
    elif mode == "json":
        kwargs["json"] = params
    else:
        kwargs["files"] = {k: (None, v) for k, v in params.items()}
    try:
        with httpx.stream(method, url, headers=headers, timeout=get_settings().OAUTH_HTTP_TIMEOUT, **kwargs) as r:
            body = b""
            for chunk in r.iter_bytes():
                body += chunk
                if len(body) > MAX_REPLY:
                    raise ServiceError(msg("{name}'s ticket exchange answered too much", name=p.name), 502)
            status = r.status_code
    except httpx.HTTPError as exc:
        raise ServiceError(msg("could not reach {name}, please try again", name=p.name), 502) from exc
    if not 200 <= status < 300:
        raise ServiceError(msg("{name} refused the login ticket", name=p.name), 401)
    token = token_from_reply(body, p.ticket_exchange_token_field or "")
    if not token:
        raise ServiceError(msg("{name}'s ticket exchange returned no identity token", name=p.name), 502)
    return token
