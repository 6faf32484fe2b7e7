"""The refusals services raise (defined in `backend.models.errors`, below every layer)."""

from backend.models.errors import Forbidden, NotFound, ServiceError, Unauthorized

__all__ = ["Forbidden", "NotFound", "ServiceError", "Unauthorized"]
