"""Helpers for the management API tests: users straight in the DB, clients that act as them."""

from __future__ import annotations

import secrets
import time

from fastapi.testclient import TestClient
from sqlalchemy import update

from backend.auth.passwords import hash_password
from backend.db import session_scope
from backend.main import create_app
from backend.models import User, UserSession
from backend.models.enums import Role, UserStatus
from backend.services import sessions

PASSWORD = "correct-horse"


def app_client() -> TestClient:
    return TestClient(create_app(with_lifespan=False))


def make_user(username: str, role: int = Role.COMMON, *, quota: int = 0, group: str = "default",
              status: int = UserStatus.ENABLED, password: str = PASSWORD) -> User:
    with session_scope() as s:
        user = User(username=username, password=hash_password(password), display_name=username, role=int(role),
                    status=int(status), quota=quota, group=group, access_token=secrets.token_hex(16),
                    aff_code=secrets.token_hex(4))
        s.add(user)
        s.flush()
        return user


def auth(user: User) -> dict[str, str]:
    """Personal-access-token auth plus the New-Api-User header new-api requires."""
    return {"Authorization": f"Bearer {user.access_token}", "New-Api-User": str(user.id)}


def data(response) -> object:
    body = response.json()
    assert body["success"] is True, body
    return body["data"]


def refused(response, status: int) -> str:
    body = response.json()
    assert response.status_code == status, (response.status_code, body)
    assert body["success"] is False
    return body["message"]



def verified_session(user: User) -> tuple[TestClient, dict[str, str]]:
    """A client logged in as the user (password, so the user has no 2FA) whose session passed secure
    verification just now, as `POST /api/verify` leaves it; for the routes that need it."""
    c = app_client()
    data(c.post("/api/user/login", json={"username": user.username, "password": PASSWORD}))
    sid = sessions.session_id(c.cookies[sessions.COOKIE_NAME])
    with session_scope() as s:
        s.execute(update(UserSession).where(UserSession.id == sid).values(verified_at=int(time.time())))
    return c, {"New-Api-User": str(user.id)}
