"""Typed configuration: ``Settings`` from the environment and the ``feeds.yaml`` catalogue.

Settings come from ``NEWSBRIEF_*`` environment variables, optionally from a ``.env`` file in
the working directory (see ``.env.example``). They are loaded once, in ``bot.__main__``; an
invalid value raises one ``ConfigError`` that names every bad setting and how to fix it.
Tokens are ``SecretStr`` so they never appear in logs or reprs.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, cast

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.errors import ConfigError
from bot.core.models import Feed
from bot.feeds import article
from summarizer.factory import DEFAULT_METHOD, Method

ENV_PREFIX = "NEWSBRIEF_"
_FEED_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s/]*)(?=@)", re.I)
_SECRET_FIELDS = frozenset({"telegram_token", "discord_token", "telegram_webhook_secret"})


def mask_secrets(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with URL passwords and each of ``secrets`` replaced by ``***``."""
    text = _URL_PASSWORD.sub(r"\g<head>***", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value.rstrip("/")


HttpUrl = Annotated[str, AfterValidator(_http_url)]


P = TypeVar("P")


class Settings(BaseSettings):
    """Every setting of newsbrief (environment variable = ``NEWSBRIEF_`` + name upper-cased)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", frozen=True
    )

    feeds_file: Path = Field(Path("feeds.yaml"), description="The operator's feed catalogue.")
    database_url: str = Field(
        "sqlite+aiosqlite:///data/newsbrief.db",
        description="SQLAlchemy URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    database_startup_timeout_seconds: float = Field(
        30.0,
        ge=0,
        le=3600,
        description="At start-up, how long an unreachable database server is retried "
        "(with back-off) before newsbrief gives up.",
    )
    platform_startup_timeout_seconds: float = Field(
        60.0,
        ge=0,
        le=3600,
        description="At start-up, how long an unreachable Telegram or Discord API is retried "
        "(with back-off) before newsbrief gives up.",
    )
    poll_interval_seconds: int = Field(
        600, ge=1, le=86400, description="Default and shortest poll interval of a feed."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Logging level."
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="Log line format: text, or json (one JSON object a line)."
    )
    summarizer: Method = Field(
        DEFAULT_METHOD, description="Summarisation method (falls back to the next on failure)."
    )
    summarizer_model: str | None = Field(
        None, description="seq2seq model: a hub id or a local directory."
    )
    summary_words: int = Field(60, ge=15, le=300, description="Target summary length in words.")
    http_timeout_seconds: float = Field(
        15.0, gt=0, le=300, description="Read timeout of feed and article requests."
    )
    max_feed_bytes: int = Field(
        10_000_000, ge=10_000, description="Largest feed or article body accepted (decompressed)."
    )
    allow_private_urls: bool = Field(
        False, description="Let chats add feeds on private or loopback addresses (tests only)."
    )
    feed_max_failures: int = Field(
        10, ge=1, description="Consecutive failures after which a feed is paused."
    )
    telegram_token: SecretStr | None = Field(None, description="Telegram bot token.")
    telegram_api_url: HttpUrl = Field(
        "https://api.telegram.org", description="Telegram Bot API server."
    )
    discord_token: SecretStr | None = Field(None, description="Discord bot token.")
    discord_api_url: HttpUrl = Field(
        "https://discord.com/api/v10", description="Discord REST API base."
    )
    discord_gateway_url: str = Field(
        "wss://gateway.discord.gg/", description="Discord gateway (websocket) URL."
    )

    # -- Telegram adapter (bot/adapters/telegram_bot) ------------------------------------------
    telegram_webhook_url: HttpUrl | None = Field(
        None,
        description="Public HTTPS URL Telegram posts updates to; set it to use a webhook "
        "instead of long polling (the path part is also the local path served).",
    )
    telegram_webhook_listen: str = Field(
        "127.0.0.1",
        description="Address the webhook server binds (0.0.0.0 inside a container).",
    )
    telegram_webhook_port: int = Field(
        8443, ge=1, le=65535, description="Port the webhook server listens on."
    )
    telegram_webhook_secret: SecretStr | None = Field(
        None,
        description="Secret Telegram sends with every webhook request "
        "(X-Telegram-Bot-Api-Secret-Token): 1-256 of A-Z a-z 0-9 _ -.",
    )
    telegram_link_preview: bool = Field(
        False, description="Show Telegram's link preview under each pushed brief."
    )
    telegram_buttons: bool = Field(
        False, description='Add a "Read" / "Unsubscribe" button row under each pushed brief.'
    )

    # -- chat commands that fetch (bot/core/commands.FetchLimits) ---------------------------
    chat_fetch_timeout_seconds: float = Field(
        15.0,
        gt=0,
        le=120,
        description="Deadline of the fetch a chat command makes (/subscribe <URL>, feed "
        "discovery); the chat is told it timed out.",
    )
    chat_fetches_per_chat: int = Field(
        2,
        ge=1,
        le=20,
        description="Fetches one chat's commands may run at once; a further one is refused.",
    )
    max_feeds_per_chat: int = Field(
        100,
        ge=1,
        le=10_000,
        description="Feeds one chat may follow; /subscribe and imports beyond it are refused "
        "with how to free a slot.",
    )

    # -- metrics and health -----------------------------------------------------------------
    metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Port of the /metrics, /healthz and /readyz server (off when unset).",
    )
    metrics_listen: str = Field(
        "127.0.0.1",
        description="Address the metrics server binds (0.0.0.0 inside a container).",
    )

    @field_validator("metrics_port", mode="before")
    @classmethod
    def _empty_port_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    # -- discord adapter ------------------------------------------------------------------
    discord_guild_id: int | None = Field(
        None,
        gt=0,
        description=(
            "Development server (guild) id: register the /news commands there only (instant) "
            "instead of globally."
        ),
    )

    discord_shards: int = Field(
        1,
        ge=1,
        le=1024,
        description=(
            "Discord gateway shards; with several workers on PostgreSQL each runs the "
            "sessions of the shard ids it takes."
        ),
    )

    @field_validator("discord_guild_id", mode="before")
    @classmethod
    def _empty_guild_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    # -- delivery: outbox, pacing, coalescing, alerts, digests, cross-source dedup ----------
    delivery_lease_seconds: float = Field(
        20.0,
        ge=5,
        le=3600,
        description="How long a claimed outbox row stays claimed (renewed while it waits in "
        "its chat's queue); after a crash the rows a worker held are due again once this has "
        "passed (with SQLite, at once on restart).",
    )
    delivery_batch: int = Field(
        500,
        ge=1,
        le=10_000,
        description="Most outbox rows claimed per round (fewer when the platforms' rates "
        "cannot send them within one lease).",
    )
    delivery_in_flight: int = Field(
        8,
        ge=1,
        le=64,
        description="Ceiling of the sends out at once per platform before their outcome is "
        "recorded (the window itself follows the platform's rate and the measured latency); "
        "a crash repeats at most this many briefs.",
    )
    delivery_max_attempts: int = Field(
        12, ge=1, le=100, description="Failed sends of one brief to one chat before giving up."
    )
    coalesce_threshold: int = Field(
        10,
        ge=0,
        description="A chat with this many briefs waiting at once gets one digest message "
        "instead of a flood (0: never coalesce).",
    )
    digest_max_stories: int = Field(
        20, ge=1, le=100, description="Stories listed in one digest (most covered first)."
    )
    alerts_per_hour: int = Field(
        20,
        ge=0,
        description="Keyword-alert messages per chat per rolling hour; further matches wait "
        "and arrive together (0: no limit).",
    )
    undelivered_retention_hours: int = Field(
        72,
        ge=25,
        description="Briefs not delivered within this time (a blocked chat, a chat that keeps "
        "failing) are given up.",
    )
    outbox_keep_days: int = Field(
        30, ge=1, description="Days sent and failed outbox rows are kept before deletion."
    )
    dedup_threshold: float = Field(
        0.75,
        gt=0,
        le=1.0,
        description="Cosine similarity (MiniLM, headline + lead) above which stories from "
        "different feeds count as the same story; 1.0 disables near-duplicate merging.",
    )
    dedup_window_hours: int = Field(
        36, ge=1, le=720, description="How far back a new story is compared with earlier briefs."
    )

    # -- feed ingestion (bot/feeds) ----------------------------------------------------------
    max_poll_interval_seconds: int = Field(
        21600,
        ge=60,
        le=7 * 86400,
        description="Longest poll interval: quiet feeds drift up to it; feeds' own ttl, "
        "max-age and sy:updatePeriod hints are honoured up to it.",
    )
    http_connect_timeout_seconds: float = Field(
        5.0, gt=0, le=120, description="Connect timeout of feed and article requests."
    )
    http_total_timeout_seconds: float = Field(
        60.0, gt=0, le=900, description="Deadline of one whole fetch (redirects and body)."
    )
    per_host_concurrency: int = Field(
        2, ge=1, le=64, description="Requests in flight to one host at a time."
    )
    max_redirects: int = Field(5, ge=0, le=20, description="Redirect hops followed per fetch.")
    fetch_articles: bool = Field(
        True, description="Fetch the article page when a feed entry has only a short teaser."
    )
    article_min_words: int = Field(
        article.MIN_WORDS,
        ge=0,
        le=10000,
        description="Entries with fewer words get their article fetched.",
    )
    max_new_per_poll: int = Field(
        50,
        ge=1,
        le=10000,
        description="New entries of one feed pushed per poll, newest first; the rest are "
        "recorded as seen, not pushed, and the subscribed chats are told how many.",
    )
    max_articles_per_poll: int = Field(
        20, ge=0, le=1000, description="Article pages fetched per poll of one feed."
    )
    max_articles_per_host: int = Field(
        5,
        ge=0,
        le=1000,
        description="Article pages fetched per poll of one feed from any one host outside "
        "the feed's own site.",
    )
    feed_poll_budget_seconds: float = Field(
        120.0,
        gt=0,
        le=3600,
        description="Time one feed's poll may spend fetching the feed and its article pages; "
        "entries whose article is not in by then keep the feed's teaser.",
    )

    @field_validator("telegram_token", "discord_token", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("telegram_webhook_url", mode="before")
    @classmethod
    def _webhook_url(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("telegram_webhook_secret", mode="before")
    @classmethod
    def _webhook_secret(cls, value: Any) -> Any:
        if value in ("", None):
            return None
        text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", text):
            raise ValueError("use 1-256 characters from A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "use sqlite+aiosqlite:///path/to/file.db or postgresql+asyncpg://user:pw@host/db"
            )
        return value

    def part(self, cls: type[P]) -> P:
        """The settings of one part (``FetchSettings``, ``TelegramSettings``,
        ``DiscordSettings``): a frozen dataclass whose fields are settings of the same names."""
        names = [f.name for f in dataclasses.fields(cast(Any, cls))]
        built: P = cast(Any, cls)(**{name: getattr(self, name) for name in names})
        return built


def load_settings(**overrides: Any) -> Settings:
    """Read the settings; raise one ``ConfigError`` listing every bad field and its fix."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, env=True)) from exc


def _describe(exc: ValidationError, *, env: bool) -> list[str]:
    problems = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"])
        name = f"{ENV_PREFIX}{path.upper()}" if env else path
        got = err.get("input")
        if got is None or isinstance(got, dict):
            shown = ""
        elif path in _SECRET_FIELDS:
            shown = " (got ***)"
        else:
            shown = f" (got {mask_secrets(repr(got))})"
        problems.append(f"{name}: {mask_secrets(err['msg'])}{shown}")
    return problems


class CatalogueFeed(BaseModel):
    """One entry of ``feeds.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str = Field(min_length=1)
    url: str
    topics: list[str] = Field(default_factory=list)
    language: str = ""

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _FEED_ID.match(value):
            raise ValueError("use lower-case letters, digits and dashes, e.g. bbc-world")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://", "file://")):
            raise ValueError("must be an http://, https:// or file:// URL")
        return value

    @field_validator("topics")
    @classmethod
    def _topics(cls, value: list[str]) -> list[str]:
        return [t.strip().lower() for t in value if t.strip()]


class Catalogue(BaseModel):
    """The whole ``feeds.yaml``: a top-level ``feeds:`` list."""

    model_config = ConfigDict(extra="forbid")

    feeds: list[CatalogueFeed]


def load_catalogue(path: Path) -> list[Feed]:
    """Read and validate ``feeds.yaml``; raise ``ConfigError`` naming each problem."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(
            [f"{path}: no such file; set NEWSBRIEF_FEEDS_FILE or create it (see feeds.yaml)"]
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(
            [f"{path}: cannot read it ({reason}); set NEWSBRIEF_FEEDS_FILE to a UTF-8 YAML file"]
        ) from exc
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}{_yaml_problem(exc)}"]) from exc
    try:
        catalogue = Catalogue.model_validate(raw if raw is not None else {"feeds": []})
    except ValidationError as exc:
        raise ConfigError([f"{path}: {p}" for p in _describe(exc, env=False)]) from exc
    counts = Counter(f.id for f in catalogue.feeds)
    dupes = sorted(feed_id for feed_id, n in counts.items() if n > 1)
    if dupes:
        raise ConfigError([f"{path}: duplicate feed id {d!r}" for d in dupes])
    return [
        Feed(id=f.id, url=f.url, title=f.title, topics=tuple(f.topics), language=f.language)
        for f in catalogue.feeds
    ]


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """``, line L, column C: not valid YAML: what (while ...)`` of a YAML error, in one line."""
    if not isinstance(exc, yaml.MarkedYAMLError) or exc.problem_mark is None:
        return f": not valid YAML: {' '.join(str(exc).split())}"
    mark = exc.problem_mark
    where = f", line {mark.line + 1}, column {mark.column + 1}"
    context = ""
    if exc.context:
        at = exc.context_mark
        since = f" at line {at.line + 1}" if at is not None and at.line != mark.line else ""
        context = f" ({exc.context}{since})"
    return f"{where}: not valid YAML: {exc.problem}{context}"


def empty_catalogue_hint(path: Path) -> str:
    """What to say when ``path`` lists no feed."""
    return (
        f"{path} lists 0 feeds: add one under `feeds:` as `  - {{id: my-news, title: My News, "
        "url: 'https://example.org/rss.xml', topics: [world]}` and restart, or /subscribe <URL> "
        "in a chat"
    )
