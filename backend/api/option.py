"""`/api/option/` (root only): read the public options, change one at a time."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from backend.api.deps import RootUser
from backend.api.responses import ok
from backend.api.types import ApiModel
from backend.services import option_rules

router = APIRouter(prefix="/option", tags=["option"])


class OptionIn(ApiModel):
    key: str
    value: Any = ""


@router.get("/")
def list_options(_root: RootUser) -> dict:
    return ok(option_rules.listing())


@router.put("/")
def update_option(_root: RootUser, body: OptionIn) -> dict:
    option_rules.save(body.key.strip(), body.value)
    return ok()
