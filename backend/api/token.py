"""`/api/token/...`: a user's own API keys. Lists mask keys; `POST /:id/key` reveals one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from backend.api.deps import CurrentUser
from backend.api.paging import PagingDep
from backend.api.ratelimit import critical_limit
from backend.api.responses import ok, page
from backend.api.types import ApiModel, Int64
from backend.services import tokens
from backend.services.errors import ServiceError

router = APIRouter(prefix="/token", tags=["token"])


class TokenIn(ApiModel):
    id: Int64 | None = None
    name: str | None = None
    status: Int64 | None = None
    expired_time: Int64 | None = None
    remain_quota: Int64 | None = None
    unlimited_quota: bool | None = None
    model_limits_enabled: bool | None = None
    model_limits: str | None = None
    allow_ips: str | None = None
    group: str | None = None


class BatchIn(ApiModel):
    ids: list[Int64]


@router.get("/")
def list_tokens(user: CurrentUser, paging: PagingDep) -> dict:
    items, total = tokens.list_tokens(user.id, paging.p, paging.page_size)
    return page(items, total, paging.p, paging.page_size)


@router.get("/search")
def search_tokens(
    user: CurrentUser, paging: PagingDep, keyword: Annotated[str, Query()] = "", token: Annotated[str, Query()] = ""
) -> dict:
    items, total = tokens.search_tokens(user.id, keyword.strip(), token.strip(), paging.p, paging.page_size)
    return page(items, total, paging.p, paging.page_size)


@router.get("/{token_id:int}")
def get_token(user: CurrentUser, token_id: Int64) -> dict:
    return ok(tokens.get_token(user.id, token_id))


@router.post("/{token_id:int}/key")
def reveal_key(user: CurrentUser, token_id: Int64) -> dict:
    return ok({"key": tokens.get_token(user.id, token_id, reveal=True)["key"]})


@router.post("/")
def create_token(user: CurrentUser, body: TokenIn) -> dict:
    return ok(tokens.create_token(user, body.model_dump(exclude={"id", "status"})))


@router.put("/")
def update_token(user: CurrentUser, body: TokenIn, status_only: Annotated[bool, Query()] = False) -> dict:
    if body.id is None:
        raise ServiceError("id is required")
    return ok(tokens.update_token(user, body.id, body.model_dump(exclude={"id"}, exclude_none=True),
                                  status_only=status_only))


@router.delete("/{token_id:int}")
def delete_token(user: CurrentUser, token_id: Int64) -> dict:
    tokens.delete_token(user.id, token_id)
    return ok()


@router.post("/batch")
def delete_batch(user: CurrentUser, body: BatchIn) -> dict:
    return ok(tokens.delete_tokens(user.id, body.ids))


@router.post("/batch/keys", dependencies=[Depends(critical_limit)])
def reveal_keys(user: CurrentUser, body: BatchIn) -> dict:
    """The full keys of several of the caller's own tokens (`{keys: {id: key}}`), never another's."""
    return ok({"keys": tokens.reveal_keys(user.id, body.ids)})
