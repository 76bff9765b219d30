# syntax=docker/dockerfile:1
# Build: docker build -t newsbrief .
# Run:   docker run --env-file .env -v newsbrief-data:/app/data newsbrief
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PIP_NO_CACHE_DIR=1
# The CPU build of torch first, so that nothing pulls the CUDA wheels.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
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
    NEWSBRIEF_DATABASE_URL=sqlite+aiosqlite:////app/data/newsbrief.db
USER newsbrief
VOLUME ["/app/data"]
CMD ["newsbrief", "run"]
