# syntax=docker/dockerfile:1
# tamiz HTTP API image: `docker build -t tamiz .` from the project's own files only (the
# dependencies come from PyPI at build time; no list data is baked in: load lists with the
# compose `update` job or `docker run ... tamiz update`).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# -- build: the project and its dependencies into a virtualenv ---------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/tamiz
WORKDIR /src
# pyproject.toml names README.md as the package description; src/ holds the code and its
# data files (programme catalogues, name priors, migrations, web templates)
COPY pyproject.toml README.md ./
COPY src/ ./src/
# (pip compiles the bytecode here: the runtime user cannot write to /opt/tamiz)
RUN /opt/tamiz/bin/pip install . \
    && /opt/tamiz/bin/tamiz --help > /dev/null

# -- runtime: the virtualenv, a non-root user, state in a volume --------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="tamiz" \
      org.opencontainers.image.description="Sanctions and terrorist-designation screening API" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 tamiz \
    && useradd --system --uid 10001 --gid tamiz --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin tamiz \
    && install -d -o tamiz -g tamiz -m 0750 /data
COPY --from=build /opt/tamiz /opt/tamiz
ENV PATH=/opt/tamiz/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TAMIZ_HOME=/data
# TAMIZ_HOME: SQLite database (when TAMIZ_DATABASE_URL is not set), raw list files, index cache
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001
EXPOSE 8000
# /healthz answers while the process is up (no API key needed); /readyz also checks the
# index and the database
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["tamiz"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
