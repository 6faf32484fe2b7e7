"""/topup, the invitation card: the user's invite link (`users.aff_code`, as GET /api/user/aff), how
many people signed up through it, the rebate waiting to be moved and the total ever earned, and the
move of the rebate into the balance through `users.transfer_aff_quota`, the service
POST /api/user/aff_transfer calls, so both refuse the same amounts with the same words."""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from backend.models import User
from backend.models.enums import Role
from backend.services import options, users
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.states.auth import AuthState
from newapi_ui.states.users import money_text, quota_from
from newapi_ui.states.wallet import WalletState


def invite_link(server_address: str, origin: str, code: str) -> str:
    """The sign-up address carrying the invite code: under ServerAddress when the admin set one (the
    address the outside world knows the instance by), else under the origin the browser is on."""
    base = (server_address.strip() or origin.strip()).rstrip("/")
    return f"{base}/register?aff={quote(code, safe='')}"


class WalletInviteState(AuthState):
    invite_url: str = ""
    aff_code: str = ""
    server_address: str = ""
    aff_count: int = 0
    aff_quota: int = 0
    aff_history_quota: int = 0
    transfer_open: bool = False
    transfer_amount: str = ""
    transfer_error: str = ""
    transferring: bool = False

    @rx.var(cache=False)
    def pending_text(self) -> str:
        return self.fmt_quota(self.aff_quota)

    @rx.var(cache=False)
    def earned_text(self) -> str:
        return self.fmt_quota(self.aff_history_quota)

    def _read(self, user_id: int) -> tuple[str, str, User]:
        """The code (made on first ask, like GET /api/user/aff), ServerAddress and the fresh counters."""
        code = users.aff_code(user_id)
        return code, options.get("ServerAddress") or "", users.get_user(user_id)

    async def _refresh(self, user: User) -> None:
        self.aff_code, self.server_address, fresh = await backend_bridge.call(self._read, user.id)
        self.aff_count, self.aff_quota = fresh.aff_count, fresh.aff_quota
        self.aff_history_quota = fresh.aff_history_quota

    @rx.event
    async def on_load(self):  # noqa: ANN201
        user, away = await self._require(Role.COMMON)
        if user is None:
            return away
        await self._refresh(user)
        # The page's own origin, as the browser sees it (the server's view of it can be another
        # name, such as the bundle's configured address, behind a proxy or a port mapping).
        return rx.call_script("window.location.origin", callback=WalletInviteState.set_origin)

    @rx.event
    def set_origin(self, origin: str) -> None:
        self.invite_url = invite_link(self.server_address, str(origin), self.aff_code)

    @rx.event
    def copy_link(self):  # noqa: ANN201
        return [rx.set_clipboard(self.invite_url), rx.toast.success(self.tr("Invite link copied"))]

    @rx.event
    def open_transfer(self) -> None:
        """The dialog opens with the whole pending rebate as the amount, as new-api's does."""
        self.transfer_amount = money_text(self.aff_quota, self.quota_per_unit)
        self.transfer_error = ""
        self.transfer_open = True

    @rx.event
    def set_transfer_open(self, value: bool) -> None:
        self.transfer_open = value

    @rx.event
    def set_transfer_amount(self, value: str) -> None:
        self.transfer_amount = value

    @rx.event
    async def transfer(self):  # noqa: ANN201
        user, away = await self._require(Role.COMMON)
        if user is None:
            return away
        try:
            quota = quota_from(self.transfer_amount, "money", self.quota_per_unit)
        except ValueError:
            self.transfer_error = self.tr("Enter an amount of money")
            return None
        self.transferring = True
        try:
            await backend_bridge.call(users.transfer_aff_quota, user.id, quota)
        except ServiceError as exc:
            self.transfer_error = self.tr_error(exc)
            return None
        finally:
            self.transferring = False
        self.transfer_open = False
        await self.current_user()  # the new balance, shown by the wallet's balance card
        await self._refresh(user)
        # The balance card belongs to WalletState: touching it sends its balance anew.
        wallet = await self.get_state(WalletState)
        wallet.last_credit = self.fmt_quota(quota)
        done = self.tr("Moved to the balance")  # outside the f-string, where pybabel finds it
        return rx.toast.success(f"{done}: {wallet.last_credit}")
