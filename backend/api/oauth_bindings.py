"""Bindings of external identities: the user's own (`/api/user/oauth/bindings`, custom providers;
`/api/user/bindings/:type`, built-in ones) and an admin's view of a user's (new-api's routes).

Declared before the user-admin routes' `/user/{id}/...` so `/user/oauth/bindings/...` is never
read as a user id.
"""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import AdminUser, CurrentUser
from backend.api.responses import ok
from backend.api.types import Int64
from backend.services import oauth_accounts, user_admin

router = APIRouter(prefix="/user", tags=["oauth"])


@router.get("/oauth/bindings")
def my_bindings(user: CurrentUser) -> dict:
    return ok(oauth_accounts.custom_bindings(user.id))


@router.delete("/oauth/bindings/{provider_id}")
def unbind_mine(user: CurrentUser, provider_id: Int64) -> dict:
    oauth_accounts.unbind_custom(user.id, provider_id)
    return ok(None, "unbound")


@router.delete("/bindings/{binding_type}")
def clear_mine(user: CurrentUser, binding_type: str) -> dict:
    """Ours (new-api offers only the admin's route): unbind a built-in provider from oneself,
    refused when it is the account's last way in besides its password."""
    oauth_accounts.clear_own_binding(user.id, binding_type)
    return ok(None, "unbound")


@router.get("/{user_id}/oauth/bindings")
def user_bindings(admin: AdminUser, user_id: Int64) -> dict:
    user_admin.get_user(admin, user_id)  # role rule: only users below the admin (root: anyone)
    return ok(oauth_accounts.custom_bindings(user_id))


@router.delete("/{user_id}/oauth/bindings/{provider_id}")
def unbind_user(admin: AdminUser, user_id: Int64, provider_id: Int64) -> dict:
    user_admin.get_user(admin, user_id)
    oauth_accounts.unbind_custom(user_id, provider_id)
    return ok(None, "unbound")


@router.delete("/{user_id}/bindings/{binding_type}")
def clear_user_binding(admin: AdminUser, user_id: Int64, binding_type: str) -> dict:
    user_admin.get_user(admin, user_id)
    oauth_accounts.clear_binding(user_id, binding_type)
    return ok(None, "success")
