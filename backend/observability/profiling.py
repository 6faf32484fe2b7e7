"""Continuous CPU profiles to a Pyroscope server, on only when PYROSCOPE_URL is set (new-api's
variables: PYROSCOPE_URL, PYROSCOPE_APP_NAME, PYROSCOPE_BASIC_AUTH_USER/PASSWORD; HOSTNAME tags the
profiles). The `pyroscope-io` agent samples the process from a native thread (py-spy), so the
relay's own code pays nothing per request. PYROSCOPE_MUTEX_RATE and PYROSCOPE_BLOCK_RATE are Go
runtime profiles with no Python counterpart: accepted, not used.
"""

from __future__ import annotations

import logging
import os
import socket

from backend import lifecycle
from backend.config import get_settings

log = logging.getLogger("newapi.profiling")
_started = False


def start() -> bool:
    """Start the agent once per process; False when profiling is off or the agent can't start."""
    global _started
    s = get_settings()
    if _started or not s.PYROSCOPE_URL:
        return _started
    try:
        # Imported here so a gateway without PYROSCOPE_URL never loads the native agent.
        import pyroscope
    except ImportError:
        log.error("PYROSCOPE_URL is set but the pyroscope-io package is not installed")
        return False
    pyroscope.configure(
        application_name=s.PYROSCOPE_APP_NAME,
        server_address=s.PYROSCOPE_URL,
        basic_auth_username=s.PYROSCOPE_BASIC_AUTH_USER,
        basic_auth_password=s.PYROSCOPE_BASIC_AUTH_PASSWORD,
        tags={"hostname": os.environ.get("HOSTNAME") or socket.gethostname(), "pid": str(os.getpid())},
        upload_interval=max(s.PYROSCOPE_UPLOAD_INTERVAL, 1),
    )
    _started = True
    log.info("continuous profiling to %s as %s", s.PYROSCOPE_URL, s.PYROSCOPE_APP_NAME)
    return True


@lifecycle.on_startup
async def _start() -> None:
    start()
