"""Root's option actions beside `/api/option/`: reset the model ratios to the built-in table,
new-api's one-off migration of the old console panel options, and the payment compliance
confirmation (from a console session only, as new-api: an access token cannot accept terms)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from backend.api.deps import RootUser, signed_in_by_session
from backend.api.responses import ok
from backend.api.types import ApiModel
from backend.client_ip import client_ip
from backend.services import console_migrate, options, payment_compliance, ratios
from backend.services.errors import Forbidden, ServiceError, msg

router = APIRouter(prefix="/option", tags=["option"])


@router.post("/rest_model_ratio")  # sic: new-api's path
async def reset_model_ratio(_root: RootUser) -> dict:
    await asyncio.to_thread(options.update, "ModelRatio", ratios.default_json("ModelRatio"))
    return {"success": True, "message": "重置模型倍率成功"}


@router.post("/migrate_console_setting")
async def migrate_console_setting(_root: RootUser) -> dict:
    await asyncio.to_thread(console_migrate.migrate)
    return {"success": True, "message": "操作成功", "data": None}


class ComplianceIn(ApiModel):
    confirmed: bool = False


@router.get("/payment_compliance")
async def payment_compliance_status(_root: RootUser) -> dict:
    return ok(payment_compliance.status())


@router.post("/payment_compliance")
async def confirm_payment_compliance(root: RootUser, body: ComplianceIn, request: Request) -> dict:
    if not signed_in_by_session(request):
        raise Forbidden(msg("confirm the payment terms from the console; an access token cannot"))
    if not body.confirmed:
        raise ServiceError(msg("please confirm the payment terms"))
    done = await asyncio.to_thread(payment_compliance.confirm, root.id, client_ip(request.scope) or "")
    return ok(done)
