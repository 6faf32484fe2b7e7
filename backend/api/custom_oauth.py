"""`/api/custom-oauth-provider/*` (root only): new-api's custom OAuth provider management."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from backend.api.deps import RootUser
from backend.api.responses import ok
from backend.api.types import ApiModel, Int64
from backend.services import custom_oauth, oauth_discovery
from backend.services.errors import ServiceError, msg

router = APIRouter(prefix="/custom-oauth-provider", tags=["oauth"])


class DiscoveryIn(ApiModel):
    well_known_url: str = ""
    issuer_url: str = ""


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ServiceError(msg("the body must be a JSON object"))
    return body


@router.post("/discovery")
def discovery(_root: RootUser, body: DiscoveryIn) -> dict:
    url = body.well_known_url.strip()
    if not url:
        issuer = body.issuer_url.strip()
        if not issuer:
            raise ServiceError(msg("enter a discovery URL or an issuer URL first"))
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    return ok({"well_known_url": url, "discovery": oauth_discovery.fetch(url)})


@router.get("/")
def listing(_root: RootUser) -> dict:
    return ok(custom_oauth.listing())


@router.get("/{provider_id}")
def one(_root: RootUser, provider_id: Int64) -> dict:
    return ok(custom_oauth.public(custom_oauth.get(provider_id)))


@router.post("/")
def create(_root: RootUser, body: Any = Body(...)) -> dict:
    return ok(custom_oauth.create(_object(body)), "created")


@router.put("/{provider_id}")
def update(_root: RootUser, provider_id: Int64, body: Any = Body(...)) -> dict:
    return ok(custom_oauth.update(provider_id, _object(body)), "updated")


@router.delete("/{provider_id}")
def delete(_root: RootUser, provider_id: Int64) -> dict:
    custom_oauth.delete(provider_id)
    return ok(None, "deleted")
