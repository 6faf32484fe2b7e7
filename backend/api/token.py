"""`/api/token/...`: a user's own API keys. Lists mask keys; `POST /:id/key` reveals one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from backend.api.deps import CurrentUser
from backend.api.paging import PagingDep
from backend.api.ratelimit import critical_limit
from backend.api.responses import ApiResponse, paged
from backend.api.types import ApiModel, Int64
from backend.models.schemas.base import Page
from backend.models.schemas.token import TokenCreate, TokenKey, TokenKeys, TokenPublic, TokenUpdate
from backend.services import tokens
from backend.services.errors import ServiceError, msg

router = APIRouter(prefix="/token", tags=["token"])


class BatchIn(ApiModel):
    ids: list[Int64]


@router.get("/")
def list_tokens(user: CurrentUser, paging: PagingDep) -> ApiResponse[Page[TokenPublic]]:
    items, total = tokens.list_tokens(user.id, paging.p, paging.page_size)
    return paged(items, total, paging.p, paging.page_size)


@router.get("/search")
def search_tokens(
    user: CurrentUser, paging: PagingDep, keyword: Annotated[str, Query()] = "", token: Annotated[str, Query()] = ""
) -> ApiResponse[Page[TokenPublic]]:
    items, total = tokens.search_tokens(user.id, keyword.strip(), token.strip(), paging.p, paging.page_size)
    return paged(items, total, paging.p, paging.page_size)


@router.get("/{token_id:int}")
def get_token(user: CurrentUser, token_id: Int64) -> ApiResponse[TokenPublic]:
    return ApiResponse(data=tokens.get_token(user.id, token_id))


@router.post("/{token_id:int}/key")
def reveal_key(user: CurrentUser, token_id: Int64) -> ApiResponse[TokenKey]:
    return ApiResponse(data=TokenKey(key=tokens.reveal_key(user.id, token_id)))


@router.post("/")
def create_token(user: CurrentUser, body: TokenCreate) -> ApiResponse[TokenPublic]:
    return ApiResponse(data=tokens.create_token(user, body))


@router.put("/")
def update_token(
    user: CurrentUser, body: TokenUpdate, status_only: Annotated[bool, Query()] = False
) -> ApiResponse[TokenPublic]:
    if body.id is None:
        raise ServiceError(msg("id is required"))
    return ApiResponse(data=tokens.update_token(user, body.id, body, status_only=status_only))


@router.delete("/{token_id:int}")
def delete_token(user: CurrentUser, token_id: Int64) -> ApiResponse[None]:
    tokens.delete_token(user.id, token_id)
    return ApiResponse(data=None)


@router.post("/batch")
def delete_batch(user: CurrentUser, body: BatchIn) -> ApiResponse[int]:
    return ApiResponse(data=tokens.delete_tokens(user.id, body.ids))


@router.post("/batch/keys", dependencies=[Depends(critical_limit)])
def reveal_keys(user: CurrentUser, body: BatchIn) -> ApiResponse[TokenKeys]:
    """The full keys of several of the caller's own tokens (`{keys: {id: key}}`), never another's."""
    return ApiResponse(data=TokenKeys(keys=tokens.reveal_keys(user.id, body.ids)))
