"""Site routes new-api serves beside `/api/status`: `/api/status/test` (admins: is the database
reachable), `/api/models` (channel type -> pre-filled models), the legal pages, the shared ratio
table and the Uptime Kuma status pages."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy import text

from backend.api.deps import AdminUser, CurrentUser
from backend.api.ratelimit import critical_limit
from backend.api.responses import fail, ok
from backend.db import session_scope
from backend.services import channel_type_models, site_info, uptime_kuma

router = APIRouter(tags=["misc"])


def _ping() -> None:
    with session_scope() as s:
        s.execute(text("SELECT 1"))


@router.get("/status/test")
def status_test(_admin: AdminUser):  # noqa: ANN201 - the envelope or a 503
    try:
        _ping()
    except Exception:  # noqa: BLE001 - any driver failure means "unreachable"; details go nowhere
        return fail("数据库连接失败", 503)
    return {"success": True, "message": "Server is running"}


@router.get("/models")
def models_by_channel_type(_user: CurrentUser) -> dict:
    return ok(channel_type_models.by_channel_type())


@router.get("/user-agreement")
def user_agreement() -> dict:
    return ok(site_info.user_agreement())


@router.get("/privacy-policy")
def privacy_policy() -> dict:
    return ok(site_info.privacy_policy())


@router.get("/ratio_config", dependencies=[Depends(critical_limit)])
def ratio_config() -> dict:
    return ok(site_info.ratio_config())


@router.get("/uptime/status")
async def uptime_status() -> dict:
    return ok(await uptime_kuma.status())
