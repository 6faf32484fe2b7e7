# newapi-py: the console, the management API (/api) and the relay (/v1) on one port, 3000.
#   docker build -t newapi-py .
#   docker compose up -d            (PostgreSQL + Redis; see README's Deployment section)
#
# Two stages. The build stage has Node.js (the console's bundler needs Node 20+, Debian bookworm
# ships 18, so it comes from the official node image) and compiles everything with the same
# `make setup` a developer runs. The runtime stage has no Node.js, no bun and no compiler: it serves
# the prebuilt bundle with `make start`, downloads nothing, and runs as an unprivileged user.
# Both stages use Debian bookworm's Python 3.11 at /usr/bin, so the virtualenv moves across as is.

FROM node:22-bookworm-slim AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv python3-dev build-essential make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md Makefile rxconfig.py alembic.ini babel.cfg reflex.lock ./
COPY tools/package.json tools/package-lock.json tools/
COPY backend backend
COPY newapi_ui newapi_ui
COPY alembic alembic
COPY assets assets
COPY translations translations
# The bundle is built for the port it will be served on (its websocket URL names it).
ENV PORT=3000
RUN make setup PYTHON=python3 EXTRAS= \
    && rm -rf .web/node_modules .web/.react-router tools/node_modules /root/.npm /root/.cache

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin newapi \
    && mkdir -p /data && chown newapi:newapi /data
WORKDIR /app
COPY --from=build --chown=newapi:newapi /app /app
ENV PORT=3000 \
    HOST=0.0.0.0 \
    SQLITE_PATH=/data/one-api.db \
    PYTHONUNBUFFERED=1 \
    REFLEX_TELEMETRY_ENABLED=false \
    REFLEX_CHECK_LATEST_VERSION=false
USER newapi
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/api/status', timeout=4)"]
# Migrates the database, then serves (Makefile `start`).
CMD ["make", "start"]
