"""The Dockerfile's HEALTHCHECK, ENV and EXPOSE entries, and compose.yaml's PostgreSQL
healthcheck and start-up order. The HEALTHCHECK command itself is run against a live
metrics server and a closed port."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import socket
import sys

import yaml

from bot.config import Settings
from bot.metrics import Metrics, MetricsServer
from bot.storage import SqlStorage
from tests.run_support import ROOT


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def _env() -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in _instructions():
        if word == "ENV":
            env.update(item.split("=", 1) for item in shlex.split(rest))  # type: ignore[misc]
    return env


def _healthcheck_command() -> list[str]:
    (rest,) = [rest for word, rest in _instructions() if word == "HEALTHCHECK"]
    options, _, command = rest.partition("CMD ")
    assert "--interval=" in options and "--timeout=" in options
    argv = json.loads(command)
    assert isinstance(argv, list)
    return [str(a) for a in argv]


def test_the_image_exposes_and_checks_the_metrics_port() -> None:
    env = _env()
    port = env["NEWSBRIEF_METRICS_PORT"]
    assert env["NEWSBRIEF_METRICS_LISTEN"] == "0.0.0.0"
    exposed = {p for word, rest in _instructions() if word == "EXPOSE" for p in rest.split()}
    webhook_port = Settings.model_fields["telegram_webhook_port"].default
    assert {port, str(webhook_port)} <= exposed
    argv = _healthcheck_command()
    assert argv[:2] == ["python", "-c"]  # no curl in a slim image
    assert "/healthz" in argv[2]


async def _run_check(port: str) -> int:
    argv = _healthcheck_command()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *argv[1:],
        env={**os.environ, "NEWSBRIEF_METRICS_PORT": port},
        stderr=asyncio.subprocess.DEVNULL,
    )
    async with asyncio.timeout(30):
        return await proc.wait()


async def test_the_healthcheck_passes_on_a_live_server_and_fails_on_a_dead_one(
    sqlite_storage: SqlStorage,
) -> None:
    server = MetricsServer(Metrics(), sqlite_storage, listen="127.0.0.1", port=0)
    await server.start()
    try:
        assert await _run_check(str(server.port)) == 0
    finally:
        await server.stop()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = str(s.getsockname()[1])
    assert await _run_check(closed) != 0


def test_compose_waits_for_a_healthy_database() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    db, bot = compose["services"]["db"], compose["services"]["bot"]
    test = db["healthcheck"]["test"]
    assert "pg_isready" in " ".join(test)
    assert bot["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert bot["environment"]["NEWSBRIEF_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert {"9090", "8443"} <= {str(p) for p in bot["expose"]}


CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def test_make_installs_the_cpu_build_of_torch_by_default_and_can_be_told_otherwise() -> None:
    makefile = (ROOT / "Makefile").read_text()
    # `?=`: `make run TORCH_INDEX=URL` (or empty, for pip's default index) overrides it.
    assert f"\nTORCH_INDEX ?= {CPU_INDEX}\n" in makefile
    (torch_line,) = [line for line in makefile.splitlines() if "$(TORCH)" in line]
    assert torch_line.strip() == (
        "$(BIN)/pip install $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) $(TORCH)"
    )
    torch_pin = makefile.split("\nTORCH := ", 1)[1].split("\n", 1)[0]
    assert torch_pin == "torch==2.13.0"
    # The image installs the same build from the same index, overridable with --build-arg.
    instructions = _instructions()
    assert ("ARG", f"TORCH_INDEX={CPU_INDEX}") in instructions
    assert ("RUN", f'pip install ${{TORCH_INDEX:+--index-url "$TORCH_INDEX"}} {torch_pin}') in (
        instructions
    )


def test_compose_runs_as_many_bot_replicas_as_asked_on_postgresql() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    bot = compose["services"]["bot"]
    assert bot["deploy"]["replicas"] == "${BOT_REPLICAS:-1}"  # one worker unless asked
    assert "ports" not in bot  # replicas publish no host port that would clash
    assert "BOT_REPLICAS=3 docker compose up -d" in (ROOT / "docs" / "operations.md").read_text()
