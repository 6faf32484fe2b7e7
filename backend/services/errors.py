"""The refusals services raise (defined in `backend.models.errors`, below every layer)."""

from backend.models.errors import Forbidden, Message, NotFound, ServiceError, Unauthorized, msg

__all__ = ["Forbidden", "Message", "NotFound", "ServiceError", "Unauthorized", "msg"]
