"""Online top-up: Epay purchase and notify, quotes, order history, admin completion.

The pay and quote routes answer in new-api's shape, `{message: "success"|"error", data}` (plus
`success` as everywhere else, and a 4xx status when refused). The notify answers plain `success`
or `fail`, which is what Epay reads.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, Response

from backend.api.deps import AdminUser, CurrentUser
from backend.api.paging import PagingDep
from backend.api.pay_responses import pay_error, pay_ok
from backend.api.responses import ok, page
from backend.api.types import ApiModel, Int64
from backend.services import epay, topup_info, topups
from backend.services.errors import ServiceError, msg

router = APIRouter(prefix="/user", tags=["topup"])

MAX_NOTIFY_BYTES = 16 * 1024


class PayIn(ApiModel):
    amount: Int64 = 0
    payment_method: str = ""


class AmountIn(ApiModel):
    amount: Int64 = 0


class CompleteIn(ApiModel):
    trade_no: str = ""


@router.get("/topup/info")
def topup_info_route(_user: CurrentUser) -> dict:
    return ok(topup_info.info())


@router.post("/pay", response_model=None)
def request_epay(user: CurrentUser, body: PayIn) -> Response | dict:
    try:
        bought = epay.purchase(user, body.amount, body.payment_method.strip())
    except ServiceError as exc:
        return pay_error(exc)
    return pay_ok(bought.params, url=bought.url)


@router.post("/amount", response_model=None)
def request_amount(user: CurrentUser, body: AmountIn) -> Response | dict:
    try:
        return pay_ok(epay.quote(user, body.amount))
    except ServiceError as exc:
        return pay_error(exc)


async def _notify_params(request: Request) -> dict[str, str]:
    if request.method == "GET":
        return dict(request.query_params)
    raw = await request.body()
    if len(raw) > MAX_NOTIFY_BYTES:
        return {}
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))


@router.api_route("/epay/notify", methods=["GET", "POST"])
async def epay_notify(request: Request) -> PlainTextResponse:
    params = await _notify_params(request)
    done = await run_in_threadpool(epay.notify, params)
    return PlainTextResponse("success" if done else "fail")


@router.get("/topup/self")
def my_topups(user: CurrentUser, paging: PagingDep, keyword: Annotated[str, Query()] = "") -> dict:
    items, total = topups.list_user(user.id, keyword.strip(), paging.p, paging.page_size)
    return page(items, total, paging.p, paging.page_size)


@router.get("/topup")
def all_topups(_admin: AdminUser, paging: PagingDep, keyword: Annotated[str, Query()] = "") -> dict:
    items, total = topups.list_all(keyword.strip(), paging.p, paging.page_size)
    return page(items, total, paging.p, paging.page_size)


@router.post("/topup/complete")
def complete_topup(_admin: AdminUser, body: CompleteIn) -> dict:
    if not body.trade_no.strip():
        raise ServiceError(msg("trade_no is required"))
    topups.admin_complete(body.trade_no)
    return ok()
