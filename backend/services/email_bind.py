"""Email bind (`POST /api/oauth/email/bind`): the logged-in user proves the address with the code
`/api/verification` mailed to it, and it becomes the account's email."""

from __future__ import annotations

from sqlmodel import col, select

from backend import cache
from backend.db import session_scope
from backend.models import User
from backend.models.validation import is_email
from backend.services import verification
from backend.services.errors import NotFound, ServiceError, msg


def bind(user_id: int, email: str, code: str) -> None:
    email = email.strip().lower()
    if not email or not is_email(email):
        raise ServiceError(msg("invalid email address"))
    # Checked without using it up first, so a refused bind (address taken) keeps the code.
    if not verification.check(verification.EMAIL_CODE, email, code):
        raise ServiceError(msg("the verification code is wrong or has expired"))
    with session_scope() as s:
        user = s.get(User, user_id)
        if user is None or user.deleted_at is not None:
            raise NotFound(msg("user not found"))
        taken = s.exec(select(User.id).where(col(User.email) == email, col(User.id) != user_id,
                                             col(User.deleted_at).is_(None)))
        if taken.first() is not None:
            raise ServiceError(msg("this email address is already in use by another account"))
        if not verification.consume(verification.EMAIL_CODE, email, code):
            raise ServiceError(msg("the verification code is wrong or has expired"))
        user.email = email
        s.add(user)
    cache.invalidate_user(user_id)
