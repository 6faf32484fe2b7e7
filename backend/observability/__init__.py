"""Operators' view of the gateway: Prometheus metrics (`metrics.py`, served by `endpoint.py`),
multi-worker metric files (`multiproc.py`) and OpenTelemetry traces (`tracing.py`).

Low in the layer order: models, services and the relay all may report here; nothing here imports them.
"""

import os

# prometheus_client picks its value class (in-process, or mmapped files per process) when it is
# first imported, from whether PROMETHEUS_MULTIPROC_DIR is *present*: an empty value would select
# multiprocess mode with no directory and fail on the first metric. Empty means "not set" here, as
# for every other setting. Done in the package so it runs before any module here imports the library.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
