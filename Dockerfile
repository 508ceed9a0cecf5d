# Admiral: one image, started the same way as `scripts/serve` (migrate, print a master key once,
# serve) but with an empty database: set ADMIRAL_SEED=true to load the demo data set.

# The operator console, built from its lock and the schema; only its dist/ reaches the image.
FROM node:20-bookworm-slim AS console
WORKDIR /build/console
COPY console/package.json console/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY schema.graphql /build/schema.graphql
COPY console/ ./
RUN npm run build

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /srv/admiral

# Dependencies first, from the same pinned lock the scripts use, so code changes reuse this layer.
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY --from=console /build/console/dist ./console/dist
RUN pip install --no-deps . \
    && useradd --create-home --uid 10001 admiral \
    && mkdir -p /data \
    && chown admiral /data

USER admiral

# The embedded SQLite database and the generated secret live on the volume; point
# ADMIRAL_DATABASE_URL at PostgreSQL (postgresql+asyncpg://…) to scale out.
ENV ADMIRAL_HOST=0.0.0.0 \
    ADMIRAL_PORT=8000 \
    ADMIRAL_DATABASE_URL=sqlite+aiosqlite:////data/admiral.db \
    ADMIRAL_SECRET_FILE=/data/.admiral-secret \
    ADMIRAL_CONSOLE_DIR=/srv/admiral/console/dist
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=3s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/live', timeout=2)"

CMD ["sh", "-c", "admiral setup && exec admiral serve"]
