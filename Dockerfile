# Tierline API server. Point it at PostgreSQL with TIERLINE_DATABASE_URL, with the key that
# encrypts webhook secrets in TIERLINE_SECRET_KEY (`tierline secrets generate`), e.g.
#   docker build -t tierline .
#   docker run -p 8000:8000 -e TIERLINE_DATABASE_URL=postgresql://user:pass@db:5432/tierline \
#     -e TIERLINE_SECRET_KEY=... tierline
# It migrates the database, makes sure the default workspace has an admin key (printed once on
# stderr, or set TIERLINE_BOOTSTRAP_KEY), then serves on port 8000.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TIERLINE_DATA_DIR=/var/lib/tierline

RUN groupadd --system --gid 10001 tierline \
    && useradd --system --uid 10001 --gid tierline --home-dir /var/lib/tierline \
       --create-home --shell /usr/sbin/nologin tierline

WORKDIR /srv/tierline

# Dependencies first, in their own layer: it is rebuilt only when pyproject.toml changes.
# README.m[d] copies the readme when there is one.
COPY pyproject.toml README.m[d] ./
RUN mkdir app && touch app/__init__.py && pip install -e . && rm -rf app

# Editable install on purpose: the service finds alembic.ini and migrations/ next to app/.
COPY alembic.ini ./
COPY migrations ./migrations
COPY app ./app

USER tierline

EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('TIERLINE_PORT', '8000'), timeout=4)"]

CMD ["tierline", "serve", "--host", "0.0.0.0"]
