"""Social login in the console: the login page's provider buttons and Telegram bot link, the
`/oauth/<provider>` callback page, and the bindings section of /setting.

Everything that sets or needs the HttpOnly cookies (the OAuth state, the session) happens in the
browser with fetch() against /api, as the password login does; the server only says which
providers are on and where their authorization pages are.
"""

from __future__ import annotations

import io
import json
from base64 import b64encode

import qrcode
import qrcode.image.svg
import reflex as rx

from backend.models import User
from backend.services import custom_oauth, oauth_accounts, oauth_providers, telegram_bot
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.states.auth import HOME_ROUTE, AuthState

STATE_MARK = "__STATE__"
SETTINGS_ROUTE = "/setting"


def _providers() -> list[dict[str, str]]:
    """Enabled OAuth providers: slug, name, and the authorization URL with a state placeholder."""
    found = [p for p in oauth_providers.BUILTIN.values() if p.enabled()]
    found += [oauth_providers.custom(row) for row in custom_oauth.enabled() if (row.kind or "oauth_code") == "oauth_code"]
    out = []
    for p in found:
        try:
            out.append({"slug": p.slug, "name": p.name, "url": p.authorize_url(STATE_MARK)})
        except ServiceError:  # a discovery document that cannot be read: no button rather than a broken one
            continue
    return out


def go_script(url: str) -> str:
    """Fetch a state (sets the browser-binding cookie), then go to the provider with it."""
    return (
        "fetch('/api/oauth/state', {credentials: 'same-origin'}).then(r => r.json())"
        f".then(j => {{ if (j.success) {{ window.location.assign({json.dumps(url)}.replace('{STATE_MARK}',"
        " encodeURIComponent(j.data))); return ''; } return j.message || 'failed'; })"
        ".catch(() => 'failed')"
    )


def qr_svg(text: str) -> str:
    """An SVG data URI of a QR code (no image library needed)."""
    buf = io.BytesIO()
    qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8).save(buf)
    return "data:image/svg+xml;base64," + b64encode(buf.getvalue()).decode()


_BOT_START = (
    "fetch('/api/oauth/telegram/bot/start', {method: 'POST', credentials: 'same-origin'})"
    ".then(r => r.json()).then(j => j.success ? JSON.stringify(j.data) : '').catch(() => '')"
)


def _poll_script(nonce: str, after: str) -> str:
    """Poll until the bot saw /start; then the session cookie is set and the page moves on."""
    return (
        "(function poll(){ fetch('/api/oauth/telegram/bot/poll?nonce=' + "
        f"encodeURIComponent({json.dumps(nonce)}), {{credentials: 'same-origin'}})"
        ".then(r => r.json()).then(j => { if (j.success) { "
        f"window.location.assign({json.dumps(after)}); }} else if (j.data === 'pending') {{ setTimeout(poll, 2000); }} }})"
        ".catch(() => setTimeout(poll, 5000)); })()"
    )


class OAuthLoginState(AuthState):
    providers: list[dict[str, str]] = []
    telegram_bot: bool = False
    bot_url: str = ""
    bot_qr: str = ""

    @rx.event
    async def load_providers(self) -> None:
        self.providers = await backend_bridge.call(_providers)
        self.telegram_bot = await backend_bridge.call(telegram_bot.enabled)

    @rx.event
    def go(self, url: str):  # noqa: ANN201
        return rx.call_script(go_script(url), callback=OAuthLoginState.failed)

    @rx.event
    def failed(self, message: str):  # noqa: ANN201
        return rx.toast.error(self.tr(message)) if message else None

    @rx.event
    def start_bot(self):  # noqa: ANN201
        return rx.call_script(_BOT_START, callback=OAuthLoginState.bot_started)

    @rx.event
    def bot_started(self, payload: str):  # noqa: ANN201
        if not payload:
            return rx.toast.error(self.tr("Telegram login is not available"))
        started = json.loads(payload)
        self.bot_url, self.bot_qr = started["url"], qr_svg(started["url"])
        after = SETTINGS_ROUTE if self.user_id else HOME_ROUTE
        return rx.call_script(_poll_script(started["nonce"], after))


class OAuthCallbackState(AuthState):
    message: str = ""

    @rx.event
    def on_load(self):  # noqa: ANN201
        """Hand the provider's query string to /api/oauth/<provider> from the browser."""
        provider = self.router.page.params.get("provider", "")
        script = (
            f"fetch('/api/oauth/' + encodeURIComponent({json.dumps(provider)}) + window.location.search, "
            "{credentials: 'same-origin'}).then(r => r.json())"
            f".then(j => {{ if (j.success) {{ window.location.assign(j.data && j.data.action === 'bind' ? "
            f"{json.dumps(SETTINGS_ROUTE)} : {json.dumps(HOME_ROUTE)}); return ''; }} return j.message || 'failed'; }})"
            ".catch(() => 'failed')"
        )
        return rx.call_script(script, callback=OAuthCallbackState.failed)

    @rx.event
    def failed(self, message: str):  # noqa: ANN201
        if message:
            self.message = self.tr("Login failed") if message == "failed" else self.tr(message)


def _bindings(user: User) -> list[dict[str, str]]:
    rows = []
    for p in oauth_providers.BUILTIN.values():
        bound = getattr(user, p.column or "", "") or ""
        if p.enabled() or bound:
            rows.append({"kind": p.slug, "name": p.name, "bound": bound, "id": ""})
    for b in oauth_accounts.custom_bindings(user.id):
        rows.append({"kind": "custom", "name": b["provider_name"], "bound": b["provider_user_id"],
                     "id": str(b["provider_id"])})
    if user.telegram_id or telegram_bot.enabled():
        rows.append({"kind": "telegram", "name": "Telegram", "bound": user.telegram_id or "", "id": ""})
    return rows


class BindingsState(OAuthLoginState):
    bindings: list[dict[str, str]] = []

    @rx.event
    async def load_bindings(self):  # noqa: ANN201
        user = await self.current_user()
        if user is not None:
            self.bindings = await backend_bridge.call(_bindings, user)
            self.providers = await backend_bridge.call(_providers)
            self.telegram_bot = await backend_bridge.call(telegram_bot.enabled)

    @rx.event
    async def unbind(self, kind: str, provider_id: str):  # noqa: ANN201
        user = await self.current_user()
        if user is None:
            return self._to_login()
        try:
            if kind == "custom":
                await backend_bridge.call(oauth_accounts.unbind_custom, user.id, int(provider_id))
            else:
                await backend_bridge.call(oauth_accounts.clear_own_binding, user.id, kind)
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        user = await self.current_user()
        self.bindings = await backend_bridge.call(_bindings, user) if user else []
        return rx.toast.success(self.tr("Unbound"))
