"""Video routes answer refusals in OpenAI's error shape (the `openai` SDK raises from it)."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from backend.relay.tasks.submit import TaskRefused


def openai_error(exc: TaskRefused) -> JSONResponse:
    return JSONResponse({"error": {"message": exc.message, "type": "new_api_error", "code": exc.code}},
                        status_code=exc.status)
