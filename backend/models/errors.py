"""Refusals every layer may raise: bad input, missing permission, a conflict.

They live at the bottom of the layers so the field rules of `validation.py` can raise them too;
`backend.services.errors` is where the rest of the code imports them from.
"""


class ServiceError(Exception):
    """A refusal the caller can show as is: bad input, missing permission, a conflict."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class NotFound(ServiceError):
    def __init__(self, message: str = "not found") -> None:
        super().__init__(message, 404)


class Forbidden(ServiceError):
    def __init__(self, message: str = "permission denied") -> None:
        super().__init__(message, 403)


class Unauthorized(ServiceError):
    def __init__(self, message: str = "not logged in") -> None:
        super().__init__(message, 401)
