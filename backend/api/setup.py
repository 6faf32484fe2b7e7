"""`/api/setup`: the unauthenticated first-run wizard (usable exactly once)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from backend.api.responses import ok
from backend.api.types import ApiModel
from backend.services import setup

router = APIRouter(tags=["setup"])


class SetupIn(ApiModel):
    username: str
    password: str
    confirmPassword: str  # noqa: N815  (new-api's field name)
    SelfUseModeEnabled: bool = Field(default=False)  # noqa: N815
    DemoSiteEnabled: bool = Field(default=False)  # noqa: N815


@router.get("/setup")
def get_setup() -> dict:
    return ok(setup.state())


@router.post("/setup")
def post_setup(body: SetupIn) -> dict:
    setup.initialise(body.username, body.password, body.confirmPassword, body.SelfUseModeEnabled, body.DemoSiteEnabled)
    return ok(message="initialised")
