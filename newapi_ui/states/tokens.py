"""The user's API keys, listed through `backend.services.tokens` (masked keys only)."""

from __future__ import annotations

from typing import Any

from backend.models import User
from backend.models.enums import TokenStatus
from backend.services import tokens
from newapi_ui.i18n import N_
from newapi_ui.states.auth import AuthState
from newapi_ui.states.paging import PagedState

STATUS_LABELS = {
    TokenStatus.ENABLED: N_("Enabled"),
    TokenStatus.DISABLED: N_("Disabled"),
    TokenStatus.EXPIRED: N_("Expired"),
    TokenStatus.EXHAUSTED: N_("Exhausted"),
}
UNKNOWN = N_("Unknown")


class TokensState(PagedState, AuthState):
    def _fetch(self, user: User, p: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
        return tokens.list_tokens(user.id or 0, p, page_size)

    def _format(self, row: dict[str, Any]) -> dict[str, str]:
        expires = int(row["expired_time"])
        return {
            "id": str(row["id"]),
            "name": row["name"],
            "key": row["key"],
            "status": self.tr(STATUS_LABELS.get(row["status"], UNKNOWN)),
            "used": self.fmt_quota(int(row["used_quota"])),
            "remaining": self.tr("Unlimited") if row["unlimited_quota"] else self.fmt_quota(int(row["remain_quota"])),
            "created": self.fmt_datetime(int(row["created_time"])),
            "expires": self.tr("Never") if expires == -1 else self.fmt_datetime(expires),
        }
