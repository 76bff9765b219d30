# syntax=docker/dockerfile:1
# Build: docker build -t newsbrief .
# Run:   docker run --env-file .env -v newsbrief-data:/app/data newsbrief
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PIP_NO_CACHE_DIR=1
# The CPU build of torch first, so that nothing pulls the CUDA wheels; the same index as the
# Makefile's TORCH_INDEX (--build-arg TORCH_INDEX=URL, or empty for pip's default index).
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
RUN pip install ${TORCH_INDEX:+--index-url "$TORCH_INDEX"} torch==2.13.0
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY summarizer ./summarizer
RUN pip install .

FROM python:3.11-slim AS runtime
RUN useradd --create-home --uid 10001 newsbrief
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY feeds.yaml ./
RUN mkdir -p /app/data && chown newsbrief:newsbrief /app/data
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    NEWSBRIEF_DATABASE_URL=sqlite+aiosqlite:////app/data/newsbrief.db \
    NEWSBRIEF_METRICS_PORT=9090 NEWSBRIEF_METRICS_LISTEN=0.0.0.0 \
    NEWSBRIEF_TELEGRAM_WEBHOOK_LISTEN=0.0.0.0
USER newsbrief
VOLUME ["/app/data"]
# 9090: /metrics, /healthz, /readyz. 8443: the Telegram webhook (NEWSBRIEF_TELEGRAM_WEBHOOK_URL).
EXPOSE 9090 8443
# Alive and the event loop responsive; no curl in the image, so Python's urllib asks. With
# NEWSBRIEF_METRICS_PORT emptied there is no server to ask and the check passes.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; p = os.environ.get('NEWSBRIEF_METRICS_PORT'); p and urllib.request.urlopen(f'http://127.0.0.1:{p}/healthz', timeout=4)"]
CMD ["newsbrief", "run"]
