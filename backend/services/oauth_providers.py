"""The OAuth 2.0 providers new-api knows (GitHub, Discord, LinuxDO, OIDC) and the admin's custom
ones: how to trade a code for a token and the token for who the person is, through authlib.

Each provider says where its accounts are kept: a `users` column (github_id, discord_id,
linux_do_id, oidc_id: new-api's) or, for a custom provider, `user_oauth_bindings`. Endpoints of
GitHub, Discord and LinuxDO are fixed in new-api; here they come from settings (GITHUB_OAUTH_BASE,
GITHUB_API_BASE, DISCORD_BASE, LINUX_DO_*), so a mirror or a test double can stand in. OIDC and
custom providers use the endpoints the admin configured (discovered from `well_known` when unset).
Provider replies never reach the caller verbatim: failures become short messages naming the provider.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.httpx_client import OAuth2Client

from backend.config import get_settings
from backend.services import oauth_discovery, oauth_fields, options
from backend.services.errors import ServiceError, msg

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Identity:
    """Who the provider says the person is. `provider_user_id` is the stable key."""

    provider_user_id: str
    username: str = ""
    display_name: str = ""
    email: str = ""
    legacy_id: str = ""  # GitHub: the login, which old One API databases stored as github_id


@dataclass(frozen=True)
class Provider:
    slug: str
    name: str
    column: str | None  # users column, or None for a custom provider (user_oauth_bindings)
    custom_id: int | None
    enabled: Callable[[], bool]
    endpoints: Callable[[], tuple[str, str, str]]  # authorization, token, userinfo
    client: Callable[[], tuple[str, str]]  # client id, secret
    auth_method: str  # client_secret_post | client_secret_basic
    scope: str
    identify: Callable[[dict[str, Any]], Identity]
    userinfo_headers: dict[str, str] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return f"{self.slug}_"

    def redirect_uri(self) -> str:
        return server_address() + f"/oauth/{self.slug}"

    def authorize_url(self, state: str) -> str:
        """Where the login button sends the browser."""
        authorize, _, _ = self.endpoints()
        client_id, _ = self.client()
        query = {"client_id": client_id, "state": state, "response_type": "code",
                 "redirect_uri": self.redirect_uri()}
        if self.scope:
            query["scope"] = self.scope
        sep = "&" if "?" in authorize else "?"
        return f"{authorize}{sep}{urlencode(query)}"

    def identify_code(self, code: str) -> Identity:
        """Code -> token -> identity; ServiceError on any failure."""
        if not code:
            raise ServiceError(msg("the authorization code is missing or invalid"))
        _, token_url, userinfo_url = self.endpoints()
        if not token_url or not userinfo_url:
            raise ServiceError(msg("{name} login is not configured completely", name=self.name))
        client_id, secret = self.client()
        timeout = get_settings().OAUTH_HTTP_TIMEOUT
        with OAuth2Client(client_id, secret, token_endpoint_auth_method=self.auth_method,
                          redirect_uri=self.redirect_uri(), timeout=timeout) as oauth:
            try:
                token = oauth.fetch_token(token_url, code=code, grant_type="authorization_code")
            except (AuthlibBaseError, ValueError, KeyError) as exc:
                log.info("%s token exchange refused: %s", self.slug, type(exc).__name__)
                raise ServiceError(msg("{name} refused the authorization code", name=self.name)) from exc
            except httpx.HTTPError as exc:
                log.warning("%s token exchange failed: %s", self.slug, type(exc).__name__)
                raise ServiceError(msg("could not reach {name}, please try again", name=self.name), 502) from exc
            if not token.get("access_token"):
                raise ServiceError(msg("{name} returned no access token", name=self.name))
            try:
                reply = oauth.get(userinfo_url, headers={"Accept": "application/json", **self.userinfo_headers})
            except httpx.HTTPError as exc:
                log.warning("%s user info failed: %s", self.slug, type(exc).__name__)
                raise ServiceError(msg("could not reach {name}, please try again", name=self.name), 502) from exc
        if reply.status_code != 200:
            raise ServiceError(msg("{name} did not return the user's information", name=self.name))
        try:
            body = reply.json()
        except ValueError as exc:
            raise ServiceError(msg("{name} returned unreadable user information", name=self.name)) from exc
        if not isinstance(body, dict):
            raise ServiceError(msg("{name} returned unreadable user information", name=self.name))
        identity = self.identify(body)
        if not identity.provider_user_id:
            raise ServiceError(msg("{name} returned no user id", name=self.name))
        return identity


def server_address() -> str:
    return (options.get("ServerAddress") or "").rstrip("/")


def _s(value: object) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- built-in providers ---------------------------------------------------------------------

def _github_identity(body: dict[str, Any]) -> Identity:
    uid, login = _s(body.get("id")), _s(body.get("login"))
    if not uid or uid == "0" or not login:
        raise ServiceError(msg("GitHub returned no user id"))
    return Identity(uid, login, _s(body.get("name")), _s(body.get("email")), legacy_id=login)


def _discord_identity(body: dict[str, Any]) -> Identity:
    uid, username = _s(body.get("id")), _s(body.get("username"))
    if not uid or not username:
        raise ServiceError(msg("Discord returned no user id"))
    return Identity(uid, username, _s(body.get("global_name")))


def _linuxdo_identity(body: dict[str, Any]) -> Identity:
    uid = _s(body.get("id"))
    if not uid or uid == "0":
        raise ServiceError(msg("Linux DO returned no user id"))
    level = body.get("trust_level")
    level = level if isinstance(level, int) and not isinstance(level, bool) else 0
    if level < options.get_int("LinuxDOMinimumTrustLevel"):
        raise ServiceError(msg("your Linux DO trust level is too low to sign in here"), 403)
    return Identity(uid, _s(body.get("username")), _s(body.get("name")))


def _oidc_identity(body: dict[str, Any]) -> Identity:
    sub, email = _s(body.get("sub")), _s(body.get("email"))
    if not sub or not email:
        raise ServiceError(msg("the OIDC provider returned no subject or email"))
    return Identity(sub, _s(body.get("preferred_username")), _s(body.get("name")), email)


def _github_endpoints() -> tuple[str, str, str]:
    s = get_settings()
    base, api = s.GITHUB_OAUTH_BASE.rstrip("/"), s.GITHUB_API_BASE.rstrip("/")
    return f"{base}/login/oauth/authorize", f"{base}/login/oauth/access_token", f"{api}/user"


def _discord_endpoints() -> tuple[str, str, str]:
    base = get_settings().DISCORD_BASE.rstrip("/")
    return f"{base}/oauth2/authorize", f"{base}/api/v10/oauth2/token", f"{base}/api/v10/users/@me"


def _linuxdo_endpoints() -> tuple[str, str, str]:
    s = get_settings()
    return s.LINUX_DO_AUTHORIZATION_ENDPOINT, s.LINUX_DO_TOKEN_ENDPOINT, s.LINUX_DO_USER_ENDPOINT


def _oidc_endpoints() -> tuple[str, str, str]:
    found = {
        "authorization_endpoint": options.get("oidc.authorization_endpoint").strip(),
        "token_endpoint": options.get("oidc.token_endpoint").strip(),
        "userinfo_endpoint": options.get("oidc.user_info_endpoint").strip(),
    }
    well_known = options.get("oidc.well_known").strip()
    if well_known and not all(found.values()):
        doc = oauth_discovery.document(well_known)
        found = {k: v or _s(doc.get(k)) for k, v in found.items()}
    return found["authorization_endpoint"], found["token_endpoint"], found["userinfo_endpoint"]


BUILTIN: dict[str, Provider] = {
    "github": Provider(
        "github", "GitHub", "github_id", None, lambda: options.get_bool("GitHubOAuthEnabled"), _github_endpoints,
        lambda: (options.get("GitHubClientId"), options.get("GitHubClientSecret")),
        "client_secret_post", "user:email", _github_identity,
    ),
    "discord": Provider(
        "discord", "Discord", "discord_id", None, lambda: options.get_bool("discord.enabled"), _discord_endpoints,
        lambda: (options.get("discord.client_id"), options.get("discord.client_secret")),
        "client_secret_post", "identify", _discord_identity,
    ),
    "linuxdo": Provider(
        "linuxdo", "Linux DO", "linux_do_id", None, lambda: options.get_bool("LinuxDOOAuthEnabled"),
        _linuxdo_endpoints, lambda: (options.get("LinuxDOClientId"), options.get("LinuxDOClientSecret")),
        "client_secret_basic", "", _linuxdo_identity,
    ),
    "oidc": Provider(
        "oidc", "OIDC", "oidc_id", None, lambda: options.get_bool("oidc.enabled"), _oidc_endpoints,
        lambda: (options.get("oidc.client_id"), options.get("oidc.client_secret")),
        "client_secret_post", "openid profile email", _oidc_identity,
    ),
}

def custom(row: Any) -> Provider:
    """A provider from a `custom_oauth_providers` row (kind oauth_code)."""
    snapshot = {k: getattr(row, k) for k in (
        "id", "name", "slug", "enabled", "client_id", "client_secret", "authorization_endpoint",
        "token_endpoint", "user_info_endpoint", "scopes", "well_known", "auth_style", "user_id_field",
        "username_field", "display_name_field", "email_field", "access_policy", "access_denied_message")}

    def endpoints() -> tuple[str, str, str]:
        found = [snapshot["authorization_endpoint"], snapshot["token_endpoint"], snapshot["user_info_endpoint"]]
        if snapshot["well_known"] and not all(found):
            doc = oauth_discovery.document(snapshot["well_known"])
            keys = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint")
            found = [v or _s(doc.get(k)) for v, k in zip(found, keys, strict=True)]
        return found[0], found[1], found[2]

    def identify(body: dict[str, Any]) -> Identity:
        oauth_fields.enforce_policy(snapshot["access_policy"], body, snapshot["access_denied_message"],
                                    snapshot["name"])
        return Identity(
            _s(oauth_fields.extract(body, snapshot["user_id_field"] or "sub")),
            _s(oauth_fields.extract(body, snapshot["username_field"])),
            _s(oauth_fields.extract(body, snapshot["display_name_field"])),
            _s(oauth_fields.extract(body, snapshot["email_field"])),
        )

    return Provider(
        snapshot["slug"], snapshot["name"], None, snapshot["id"], lambda: bool(snapshot["enabled"]), endpoints,
        lambda: (snapshot["client_id"], snapshot["client_secret"]),
        "client_secret_basic" if snapshot["auth_style"] == 2 else "client_secret_post",
        snapshot["scopes"] or "", identify,
    )
