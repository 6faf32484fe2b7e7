"""`/api/subscription/*` as new-api routes it: plans, the user's subscriptions and billing preference,
purchase through Epay and Stripe, the Epay notify and return, and the admin's plan and user
subscription management. Importing this module also schedules the periodic quota grant."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from pydantic import Field

from backend.api.deps import AdminUser, CurrentUser
from backend.api.pay_responses import pay_error, pay_ok
from backend.api.responses import ok
from backend.api.types import ApiModel, Int64
from backend.services import (
    creem,
    options,
    subscription_grants,  # noqa: F401 - schedules the periodic quota grant
    subscription_orders,
    subscriptions,
)
from backend.services.errors import ServiceError, msg

router = APIRouter(prefix="/subscription", tags=["subscription"])

MAX_NOTIFY_BYTES = 16 * 1024
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


class PreferenceIn(ApiModel):
    billing_preference: str = ""


class PayIn(ApiModel):
    plan_id: Int64 = 0
    payment_method: str = ""


class PlanIn(ApiModel):
    plan: dict[str, Any] = Field(default_factory=dict)


class StatusIn(ApiModel):
    enabled: bool | None = None


class BindIn(ApiModel):
    user_id: Int64 = 0
    plan_id: Int64 = 0


@router.get("/plans")
def plans(_user: CurrentUser) -> dict:
    return ok(subscriptions.list_plans(enabled_only=True))


@router.get("/self")
def my_subscriptions(user: CurrentUser) -> dict:
    return ok({
        "billing_preference": subscriptions.preference(user),
        "subscriptions": subscriptions.list_user(user.id, active_only=True),
        "all_subscriptions": subscriptions.list_user(user.id, active_only=False),
    })


@router.put("/self/preference")
def set_preference(user: CurrentUser, body: PreferenceIn) -> dict:
    return ok({"billing_preference": subscriptions.set_preference(user.id, body.billing_preference.strip())})


@router.post("/epay/pay", response_model=None)
def epay_pay(user: CurrentUser, body: PayIn) -> Response | dict:
    try:
        bought = subscription_orders.epay_purchase(user, body.plan_id, body.payment_method.strip())
    except ServiceError as exc:
        return pay_error(exc)
    return pay_ok(bought.params, url=bought.url)


@router.post("/stripe/pay", response_model=None)
def stripe_pay(user: CurrentUser, body: PayIn) -> Response | dict:
    try:
        return pay_ok({"pay_link": subscription_orders.stripe_purchase(user, body.plan_id)})
    except ServiceError as exc:
        return pay_error(exc)


@router.post("/creem/pay", response_model=None)
def creem_pay(user: CurrentUser, body: PayIn) -> Response | dict:
    try:
        return pay_ok(creem.subscription(user, body.plan_id))
    except ServiceError as exc:
        return pay_error(exc)


async def _params(request: Request) -> dict[str, str]:
    if request.method == "GET":
        return dict(request.query_params)
    raw = await request.body()
    if len(raw) > MAX_NOTIFY_BYTES:
        return {}
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))


@router.api_route("/epay/notify", methods=["GET", "POST"])
async def epay_notify(request: Request) -> PlainTextResponse:
    done = await run_in_threadpool(subscription_orders.epay_notify, await _params(request))
    return PlainTextResponse("success" if done else "fail")


@router.api_route("/epay/return", methods=["GET", "POST"])
async def epay_return(request: Request) -> RedirectResponse:
    """The browser comes back from the payment page: a verified success completes the order (the
    notify may not have arrived yet) and the wallet shows the outcome."""
    done = await run_in_threadpool(subscription_orders.epay_notify, await _params(request))
    server = options.get("ServerAddress").strip().rstrip("/")
    return RedirectResponse(f"{server}/topup?pay={'success' if done else 'fail'}", status_code=302)


# ---- admin ---------------------------------------------------------------------------------------

@router.get("/admin/plans")
def admin_plans(_admin: AdminUser) -> dict:
    return ok(subscriptions.list_plans(enabled_only=False))


@router.post("/admin/plans")
def admin_create_plan(_admin: AdminUser, body: PlanIn) -> dict:
    return ok(subscriptions.create_plan(body.plan))


@router.put("/admin/plans/{plan_id}")
def admin_update_plan(_admin: AdminUser, plan_id: IdPath, body: PlanIn) -> dict:
    subscriptions.update_plan(plan_id, body.plan)
    return ok()


@router.patch("/admin/plans/{plan_id}")
def admin_plan_status(_admin: AdminUser, plan_id: IdPath, body: StatusIn) -> dict:
    if body.enabled is None:
        raise ServiceError(msg("enabled is required"))
    subscriptions.set_plan_enabled(plan_id, body.enabled)
    return ok()


@router.post("/admin/bind")
def admin_bind(_admin: AdminUser, body: BindIn) -> dict:
    return ok(subscriptions.admin_bind(body.user_id, body.plan_id))


@router.get("/admin/users/{user_id}/subscriptions")
def admin_user_subscriptions(_admin: AdminUser, user_id: IdPath) -> dict:
    return ok(subscriptions.list_user(user_id, active_only=False))


@router.post("/admin/users/{user_id}/subscriptions")
def admin_add_user_subscription(_admin: AdminUser, user_id: IdPath, body: BindIn) -> dict:
    return ok(subscriptions.admin_bind(user_id, body.plan_id))


@router.post("/admin/user_subscriptions/{sub_id}/invalidate")
def admin_invalidate(_admin: AdminUser, sub_id: IdPath) -> dict:
    subscriptions.invalidate(sub_id)
    return ok()


@router.delete("/admin/user_subscriptions/{sub_id}")
def admin_delete(_admin: AdminUser, sub_id: IdPath) -> dict:
    subscriptions.remove(sub_id)
    return ok()
