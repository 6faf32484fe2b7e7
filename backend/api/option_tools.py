"""Root's option actions beside `/api/option/`: reset the model ratios to the built-in table, and
new-api's one-off migration of the old console panel options."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from backend.api.deps import RootUser
from backend.services import console_migrate, options, ratios

router = APIRouter(prefix="/option", tags=["option"])


@router.post("/rest_model_ratio")  # sic: new-api's path
async def reset_model_ratio(_root: RootUser) -> dict:
    await asyncio.to_thread(options.update, "ModelRatio", ratios.default_json("ModelRatio"))
    return {"success": True, "message": "重置模型倍率成功"}


@router.post("/migrate_console_setting")
async def migrate_console_setting(_root: RootUser) -> dict:
    await asyncio.to_thread(console_migrate.migrate)
    return {"success": True, "message": "操作成功", "data": None}
