"""`POST /api/verify` (new-api's UniversalVerify), and the dependency that sensitive routes take."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from backend.api.deps import CurrentUser, RootUser
from backend.api.ratelimit import critical_limit
from backend.api.responses import ok
from backend.api.types import ApiModel
from backend.services import secure_verification, sessions

router = APIRouter(tags=["verify"])


class VerifyIn(ApiModel):
    method: str = ""
    code: str = ""


@router.post("/verify", dependencies=[Depends(critical_limit)])
def verify(user: CurrentUser, body: VerifyIn, request: Request) -> dict:
    data = secure_verification.verify(request.cookies.get(sessions.COOKIE_NAME), user.id, body.method, body.code)
    return ok(data, "verified")


def verified_root(root: RootUser, request: Request) -> None:
    """Root, and freshly verified in this session (new-api: SecureVerificationRequired)."""
    secure_verification.require(request.cookies.get(sessions.COOKIE_NAME), root.id)
