"""`/api/pricing`: the public price list, in new-api's shape (ratios, not money: clients compute)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from backend.db import session_scope
from backend.models import User
from backend.services import groups, pricing, sessions

router = APIRouter(tags=["pricing"])


@router.get("/pricing")
def get_pricing(request: Request) -> dict:
    """Public; a signed-in user also sees the groups they may choose (new-api's `usable_group`).
    The user's group is read in a session closed before the price list is built (which may open
    its own): one connection at a time per request."""
    user_group = "default"
    with session_scope() as session:
        uid = sessions.verify(request.cookies.get(sessions.COOKIE_NAME), session)
        if uid is not None and (user := session.get(User, uid)) is not None and user.deleted_at is None:
            user_group = user.group or "default"
    items = [
        {
            "model_name": p.model_name,
            "quota_type": p.quota_type,
            "model_ratio": p.model_ratio if p.model_ratio is not None else 0,
            "model_price": p.model_price if p.model_price is not None else 0,
            "completion_ratio": p.completion_ratio,
            "enable_groups": list(p.enable_groups),
        }
        for p in pricing.price_list("default", user_group)
    ]
    return {
        "success": True,
        "message": "",
        "data": items,
        "group_ratio": groups.group_ratios(),
        "usable_group": groups.usable_groups(user_group),
    }
