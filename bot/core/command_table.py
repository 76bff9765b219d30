"""The chat commands, declared once: every platform's routing, menu, tree and help come from here.

A :class:`Command` names its handler (a method of ``bot.core.commands.Commands`` taking the chat,
then one typed value per parameter in order), its aliases, its typed parameters, who may run it
and what it does. Telegram's command routing and menu, the console, Discord's ``/news`` tree
(options and autocomplete from the parameter kinds) and ``/help`` are generated from
``COMMANDS``; adding a command means one entry here and one handler method.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.core.i18n import LANGUAGES, N_, _


class Kind(enum.StrEnum):
    """What a parameter holds (platforms pick input widgets and autocomplete by kind)."""

    TEXT = "text"
    """Free text."""
    FEED = "feed"
    """A feed id, a topic or a URL (autocomplete: the chat's feeds and topics)."""
    TOPIC = "topic"
    """A topic (autocomplete: the chat's topics)."""
    NUMBER = "number"
    """A whole number (``low``/``high`` bound it)."""
    TIME = "time"
    """Local times such as ``08:00`` or ``22:00-07:00`` (the handler parses them)."""
    TIMEZONE = "timezone"
    """An IANA time zone (autocomplete: every zone)."""
    CHANNEL = "channel"
    """Another chat to act on; the adapter resolves it into the chat (Discord: a channel
    option; Telegram: ``@channel`` first, in a private chat). Never passed to the handler."""
    FILE = "file"
    """A file attached to the command (Telegram: the document it is the caption of or answers;
    Discord: an attachment option), passed to the handler as an ``Upload``; never typed."""


class Who(enum.StrEnum):
    """Who may run a command in a group or channel (in a private chat: always the user)."""

    ANYONE = "anyone"
    ADMINS = "admins"
    """Only the chat's administrators: the command changes the chat."""
    ADMINS_TO_CHANGE = "admins to change"
    """Anyone to see the setting (no argument); administrators to change it."""


@dataclass(frozen=True)
class Param:
    """One parameter of a command."""

    name: str
    kind: Kind
    usage: str
    """The placeholder in usage lines, e.g. ``feed id | topic | URL``."""
    description: str
    """One line for option hints (at most 100 characters: Discord's limit)."""
    optional: bool = False
    choices: tuple[str, ...] = ()
    """Fixed words it takes besides its kind's values (offered by autocomplete)."""
    low: int | None = None
    high: int | None = None
    clamp: bool = False
    """A number outside ``low..high`` is brought into range instead of refused."""
    rest: bool = False
    """Takes the rest of a typed line, spaces and quotes included, except trailing words that
    fit the parameters after it (``/latest ukraine -football 3``: 3 is the count)."""
    missing: str = ""
    """The answer when a required parameter is not given (default: the usage line)."""


@dataclass(frozen=True)
class Command:
    """One chat command."""

    name: str
    description: str
    """What it does, in a few lowercase words (menus, help, Discord's tree)."""
    params: tuple[Param, ...] = ()
    who: Who = Who.ANYONE
    aliases: tuple[str, ...] = ()
    slash: tuple[str, ...] = ()
    """Its path in a slash-command tree (Discord: ``/news alert add``); default ``(name,)``."""
    private: bool = False
    """The answer concerns only the caller (Discord answers it ephemerally)."""
    fetches: bool = False
    """May fetch a URL given as an argument (slow: adapters run it off the chat's queue)."""
    progress: bool = False
    """Its handler reports progress (``progress=`` of ``Commands.run``): adapters show one
    message and edit it as the work goes."""
    hint: str = ""
    """A sentence added to its usage error, e.g. where to find the ids."""
    handler: str = ""
    """The ``Commands`` method that runs it; default ``name``."""

    @property
    def typed(self) -> tuple[Param, ...]:
        """The parameters its handler takes (all but the channel)."""
        return tuple(p for p in self.params if p.kind != Kind.CHANNEL)

    @property
    def method(self) -> str:
        return self.handler or self.name

    @property
    def path(self) -> tuple[str, ...]:
        return self.slash or (self.name,)

    @property
    def channel(self) -> bool:
        """It may act on another chat named in the command."""
        return any(p.kind == Kind.CHANNEL for p in self.params)

    @property
    def usage(self) -> str:
        """``<feed id | topic | URL>``, ``[feed id | topic] [n]`` (channels left out)."""
        return " ".join(f"[{_(p.usage)}]" if p.optional else f"<{_(p.usage)}>" for p in self.typed)

    @property
    def changes_chat(self) -> bool:
        """True when only administrators may run it in a group (always, or to change)."""
        return self.who != Who.ANYONE

    def help_line(self) -> str:
        """``/name usage - description``, in the current language."""
        return f"/{self.name} {self.usage}".rstrip() + f" - {_(self.description)}"


CHANNEL = Param(
    "channel", Kind.CHANNEL, "channel", N_("Another channel, thread or forum"), optional=True
)
TIMEZONE = Param(
    "timezone", Kind.TIMEZONE, N_("timezone"), N_("IANA time zone, e.g. Europe/Kyiv"), optional=True
)
LATEST_DEFAULT = 5
LANGUAGES_OFFERED = tuple(LANGUAGES)
LATEST_MAX = 20

SLASH_GROUPS = {"alert": N_("keyword alerts for this chat")}
"""Descriptions of the groups in ``Command.slash`` paths."""

COMMANDS: tuple[Command, ...] = (
    Command("help", N_("what this bot does and how to use it"), aliases=("start",), private=True),
    Command(
        "feeds",
        N_("list the feeds you can subscribe to"),
        (Param("topic", Kind.TOPIC, N_("topic"), N_("Only this topic"), optional=True),),
        private=True,
    ),
    Command(
        "subscribe",
        N_("get new stories here"),
        (
            Param(
                "target",
                Kind.FEED,
                N_("feed id | topic | URL"),
                N_("Feed id, topic or feed URL"),
                missing=N_(
                    "Tell me what to follow: /subscribe <feed id | topic | feed URL>. "
                    "/feeds lists the feeds and topics."
                ),
            ),
            CHANNEL,
        ),
        Who.ADMINS,
        fetches=True,
    ),
    Command(
        "unsubscribe",
        N_("stop a subscription"),
        (
            Param(
                "target",
                Kind.FEED,
                N_("feed id | topic | URL | all"),
                N_("Feed id, topic, URL, or all"),
                choices=("all",),
                missing=N_(
                    "Tell me what to stop: /unsubscribe <feed id | topic | URL | all>. "
                    "/subscriptions lists what this chat follows."
                ),
            ),
            CHANNEL,
        ),
        Who.ADMINS,
    ),
    Command(
        "subscriptions",
        N_("list this chat's subscriptions"),
        (CHANNEL,),
        aliases=("list",),
        slash=("list",),
    ),
    Command(
        "latest",
        N_("show the newest briefs, or search them"),
        (
            Param(
                "query",
                Kind.FEED,
                N_("feed id | topic | words"),
                N_(
                    'Feed id, topic, or words to search: kursk, "interest rates", ukraine -football'
                ),
                optional=True,
                rest=True,
            ),
            Param(
                "count",
                Kind.NUMBER,
                "n",
                N_("How many (1-20)"),
                optional=True,
                low=1,
                high=LATEST_MAX,
                clamp=True,
            ),
        ),
    ),
    Command(
        "alert",
        N_('alert on keywords, e.g. kursk OR sudzha -"football"'),
        (
            Param(
                "query",
                Kind.TEXT,
                N_("words"),
                N_('Words, "a phrase", OR between alternatives, -word to exclude'),
                rest=True,
                missing=N_(
                    'Tell me what to watch for: /alert kursk OR sudzha, /alert "interest '
                    'rates" ecb, /alert ukraine -football.'
                ),
            ),
            CHANNEL,
        ),
        Who.ADMINS,
        slash=("alert", "add"),
    ),
    Command(
        "unalert",
        N_("remove a keyword alert"),
        (Param("id", Kind.NUMBER, "id", N_("The alert's number (see /alerts)"), low=1), CHANNEL),
        Who.ADMINS,
        slash=("alert", "remove"),
        hint=N_("/alerts shows the ids."),
    ),
    Command("alerts", N_("list this chat's keyword alerts"), (CHANNEL,), slash=("alert", "list")),
    Command(
        "digest",
        N_("get digests instead of pushes"),
        (
            Param(
                "times",
                Kind.TIME,
                "off | HH:MM[,HH:MM]",
                N_("off, or local times like 08:00 or 08:00,18:00"),
                optional=True,
                choices=("off",),
            ),
            TIMEZONE,
            CHANNEL,
        ),
        Who.ADMINS_TO_CHANGE,
    ),
    Command(
        "quiet",
        N_("hold messages during quiet hours"),
        (
            Param(
                "hours",
                Kind.TIME,
                "off | HH:MM-HH:MM",
                N_("off, or local hours like 22:00-07:00"),
                optional=True,
                choices=("off",),
            ),
            TIMEZONE,
            CHANNEL,
        ),
        Who.ADMINS_TO_CHANGE,
    ),
    Command("status", N_("health of this chat's feeds"), (CHANNEL,)),
    Command(
        "import",
        N_("follow every feed of an OPML file"),
        (
            Param(
                "file",
                Kind.FILE,
                N_("OPML file"),
                N_("An OPML file (.opml or .xml) of feeds, as feed readers export it"),
                missing=N_(
                    "Send an OPML file (.opml or .xml, as feed readers export it) with "
                    "/import as its caption, or answer /import to a message that carries one."
                ),
            ),
        ),
        Who.ADMINS,
        fetches=True,
        progress=True,
        handler="import_feeds",
    ),
    Command("export", N_("this chat's subscriptions as an OPML file"), handler="export_feeds"),
    Command(
        "importance",
        N_("push only stories several sources carry"),
        (
            Param(
                "sources",
                Kind.TEXT,
                "n | off",
                N_("off, or how many sources must carry a story (2-10)"),
                optional=True,
                choices=("off",),
            ),
            CHANNEL,
        ),
        Who.ADMINS_TO_CHANGE,
    ),
    Command(
        "language",
        N_("show or set the language the bot speaks here"),
        (
            Param(
                "code",
                Kind.TEXT,
                N_("code"),
                N_("Language code: en, uk, ru, de, es or fr"),
                optional=True,
                choices=LANGUAGES_OFFERED,
            ),
            CHANNEL,
        ),
        Who.ADMINS_TO_CHANGE,
    ),
)

_BY_NAME = {n: c for c in COMMANDS for n in (c.name, *c.aliases)}
NAMES: tuple[str, ...] = tuple(_BY_NAME)
"""Every name and alias a command answers to."""


def find(name: str) -> Command | None:
    """The command called ``name`` or one of its aliases (without the slash, any case)."""
    return _BY_NAME.get(name.lower())
