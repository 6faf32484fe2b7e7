"""/channel, the checks: one channel's test (a model chosen in a dialog), testing them all in the
background, and the upstream balances. Slow upstream calls are awaited on the loop, like the /api
routes; the list reloads after each."""

from __future__ import annotations

from decimal import Decimal

import reflex as rx

from backend.models.enums import Role
from backend.relay import channel_balance, channel_test
from backend.services import channels
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.i18n import fmt_money
from newapi_ui.states.auth import AuthState
from newapi_ui.states.channels import ChannelsState, response_time_text


class ChannelChecksState(AuthState):
    test_open: bool = False
    test_id: int = 0
    test_name: str = ""
    test_models: list[str] = []
    test_model: str = ""
    test_result: str = ""
    test_ok: bool = False
    testing: bool = False

    async def _reload_list(self, *events: object) -> list[object]:
        listing = await self.get_state(ChannelsState)
        return await listing.reload_list(*events)

    @rx.event
    async def update_balance(self, channel_id: str):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        try:
            balance = await channel_balance.update_balance(int(channel_id))
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        text = self.tr("Balance: {balance}").format(balance=fmt_money(Decimal(str(balance)), self.lang))
        return await self._reload_list(rx.toast.success(text))

    @rx.event
    async def update_all_balances(self):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        result = await channel_balance.update_all_balances()
        text = self.tr("Balances updated: {updated}, failed: {failed}").format(**result)
        return await self._reload_list(rx.toast.success(text))

    @rx.event
    async def test_all(self):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        try:
            channel_test.start_test_all(user.id or 0, user.username)
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        return rx.toast.info(self.tr("Testing every channel in the background; reload to see the results"))

    @rx.event
    async def open_test(self, channel_id: str):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        try:
            raw = (await backend_bridge.call(channels.get_channel, int(channel_id))).model_dump()
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        self.test_id, self.test_name = int(channel_id), raw["name"]
        self.test_models = [m for m in (raw.get("models") or "").split(",") if m]
        self.test_model = raw.get("test_model") or (self.test_models[0] if self.test_models else "")
        self.test_result, self.test_ok, self.test_open = "", False, True
        return None

    @rx.event
    def set_test_model(self, model: str) -> None:
        self.test_model = model

    @rx.event
    def set_test_open(self, value: bool) -> None:
        self.test_open = bool(value)

    @rx.event
    async def run_test(self):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            yield away
            return
        self.testing = True
        yield
        try:
            result = await channel_test.run_test(self.test_id, self.test_model or None, user_id=user.id or 0,
                                                 username=user.username)
        except ServiceError as exc:
            self.testing, self.test_ok, self.test_result = False, False, self.tr_error(exc)
            return
        self.testing, self.test_ok = False, result.success
        took = response_time_text(round(result.time * 1000))
        self.test_result = (self.tr("Test passed in {took}").format(took=took) if result.success
                            else self.tr("Test failed: {message}").format(message=result.message))
        for event in await self._reload_list():
            yield event

