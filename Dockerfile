# syntax=docker/dockerfile:1
# Quillpress container image: a builder stage installs the package and exactly the runtime
# dependencies uv.lock pins (versions and hashes, no resolution) into a virtualenv; the
# runtime stage copies that virtualenv onto the same slim Python and runs as a non-root user.
# Build: docker build -t quillpress . (no Docker daemon on the development machines: CI
# builds it, see .github/workflows/ci.yaml). Lint: make validate-deploy.

# Patch releases (security fixes) float within 3.11 on Debian 12; CI rebuilds on each tag.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
# uv: the version pyproject.toml's [tool.uv] required-version and the Makefile name.
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/quillpress \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy
RUN pip install uv==0.13.8
WORKDIR /src
# The lock first: the dependency layer stays cached until uv.lock changes.
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-install-project --no-editable
COPY README.md ./
COPY src ./src
RUN uv sync --locked --no-editable

FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    QUILLPRESS_ENV=production \
    QUILLPRESS_WORKERS=auto \
    QUILLPRESS_SHUTDOWN_TIMEOUT_SECONDS=20
# A fixed uid/gid, so Kubernetes' runAsNonRoot can verify it and volumes can be chowned.
RUN groupadd --system --gid 10001 quillpress \
    && useradd --system --uid 10001 --gid quillpress --home-dir /app --shell /usr/sbin/nologin quillpress
# The virtualenv built above (its python is the same /usr/local/bin/python3.11): the image
# holds exactly what uv.lock pins, and no pip or uv is used in this stage.
COPY --from=builder /opt/quillpress /opt/quillpress
ENV PATH=/opt/quillpress/bin:$PATH
WORKDIR /app
USER 10001:10001
EXPOSE 8000
# No curl in a slim image: the standard library asks /healthz (alive, no I/O).
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
# SIGTERM is what docker stop and Kubernetes send: serve finishes the requests in flight
# (QUILLPRESS_SHUTDOWN_TIMEOUT_SECONDS), closes its pools, exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["quillpress"]
# Migrations are a separate one-shot command (`quillpress db upgrade`: the compose
# `migrate` service, the Kubernetes Job); replicas only check the schema is at head.
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--no-migrate"]
