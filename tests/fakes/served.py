"""The lifecycle every provider fake shares: a FastAPI app on a free loopback port while the fake is
used as a context manager, and the requests it received, recorded as the tests read them."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import FastAPI, Request

from tests.conftest import LiveServer
from tests.fakes.upstream import RecordedRequest


@dataclass
class ServedFake:
    """Subclasses add their routes in `install`; handlers call `record` first."""

    requests: list[RecordedRequest] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        self._server: LiveServer | None = None
        self.app = FastAPI()
        self.install(self.app)

    def install(self, app: FastAPI) -> None:
        """Add the provider's routes to `app` (each fake has its own)."""

    def __enter__(self):
        self._server = LiveServer(self.app).__enter__()
        self.url = self._server.url
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.__exit__(*exc)

    async def record(self, request: Request) -> tuple[bytes, dict[str, str]]:
        """The body and lower-cased headers of `request`, after noting it in `requests`."""
        raw = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.requests.append(RecordedRequest(request.method, request.url.path, str(request.url),
                                             dict(request.query_params), headers, raw))
        return raw, headers
